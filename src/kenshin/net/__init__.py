"""The wire code more than one room speaks (the checks, identification, the lab).

Bounded TCP streams (``stream``), HTTP/1.x requests and answers on them (``http``), one
UDP exchange (``udp``), telnet negotiation (``telnet``), BER (``ber``) and CPE names
(``cpe``). A leaf: it imports nothing from the
rest of kenshin and decides nothing about addresses; callers have passed the scope's
gate (``kenshin.scope.Gate``) before they hand an address here.
"""
