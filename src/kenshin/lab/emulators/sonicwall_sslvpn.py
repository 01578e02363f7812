"""SonicWall SMA 100 SSL-VPN portal ("Virtual Office", ``/cgi-bin/welcome``) over HTTPS.

Sends ``Server: SonicWALL SSL-VPN Web Server`` and loads its scripts with the firmware
version as a query string. Options: ``version`` (an SMA firmware in
``data/sonicwall_sslvpn.yaml``), ``hostname`` (certificate CN). Logins always fail and
are logged.
"""

from __future__ import annotations

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import serve_appliance


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings("sonicwall_sslvpn", options)
    await serve_appliance("sonicwall_sslvpn", host, port, opts, {"hostname": opts["hostname"]})
