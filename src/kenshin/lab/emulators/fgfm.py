"""Fortinet FortiGate FGFM: the FortiGate-FortiManager link (fgfmd) on 541/tcp.

fgfmd speaks over TLS; the FortiGate presents its factory certificate (O=Fortinet,
OU=FortiGate, CN=<serial>, issued by fortinet-subca2001; ``data/fortigate.yaml``) and
waits for a FortiManager's messages. This emulator completes the TLS handshake, reads
what the peer sends (bounded) and closes without answering: what a scanner without a
FortiManager's client certificate sees. Options: ``model`` (serial prefix, e.g. FGT60F),
``serial`` (generated in FortiGate's style when empty).
Sources (read 2026-12): Fortinet documentation "FortiManager: ports and protocols"
(541/tcp FGFM, TLS) and Fortinet PSIRT FG-IR-24-029 (CVE-2024-23113, fgfmd).
"""

from __future__ import annotations

import asyncio

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import data, read_some, serve_tcp
from kenshin.lab.emulators._tls import appliance_context
from kenshin.lab.emulators.fortigate import make_serial

NAME = "fgfm"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    serial = opts["serial"] or make_serial(opts["model"])
    context = appliance_context(data("fortigate")["certificate"], {"serial": serial})

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_some(reader, limit=16 * 1024)  # a FortiManager's first message, ignored

    await serve_tcp(NAME, host, port, session, ssl_context=context)
