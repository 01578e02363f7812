"""A UDP service that answers every datagram, whatever it holds, with ``kilobytes`` of noise.

A hostile or broken host: each probe gets one datagram of ``kilobytes`` (default 63.9,
at most the 65,507 bytes an IPv4 UDP datagram can carry) of random bytes, so a scanner
must read a bounded amount and keep a bounded amount from each answer.
"""

from __future__ import annotations

import os
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import number, serve_udp

NAME = "udp_flood"
MAX_DATAGRAM = 65_507


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    size = int(min(number(opts["kilobytes"], "kilobytes") * 1024, MAX_DATAGRAM))

    def respond(_datagram: bytes, _peer: tuple[Any, ...]) -> bytes:
        return os.urandom(size)

    await serve_udp(NAME, host, port, respond)
