"""The SQL Server Browser service on UDP 1434 ([MS-SQLR]).

CLNT_BCAST_EX (0x02) and CLNT_UCAST_EX (0x03) get SVR_RESP (0x05, a little-endian
length, then ``ServerName;...;InstanceName;...;IsClustered;No;Version;...;tcp;1433;;``);
CLNT_UCAST_INST (0x04) with an instance name gets the same for that instance or no
answer. Options: ``server_name``, ``instance``, ``version`` (e.g. 15.0.2000.5),
``tcp_port``.
"""

from __future__ import annotations

import struct
from typing import Any

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import serve_udp

NAME = "mssql_browser"
CLNT_BCAST_EX, CLNT_UCAST_EX, CLNT_UCAST_INST, SVR_RESP = 0x02, 0x03, 0x04, 0x05


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    description = (
        f"ServerName;{opts['server_name']};InstanceName;{opts['instance']};IsClustered;No;"
        f"Version;{opts['version']};tcp;{opts['tcp_port']};;"
    ).encode("latin-1")

    def respond(datagram: bytes, _peer: tuple[Any, ...]) -> bytes | None:
        if not datagram:
            return None
        if datagram[0] in (CLNT_BCAST_EX, CLNT_UCAST_EX):
            return bytes([SVR_RESP]) + struct.pack("<H", len(description)) + description
        if datagram[0] == CLNT_UCAST_INST:
            asked = datagram[1:].split(b"\x00")[0].decode("latin-1")
            if asked.upper() == opts["instance"].upper():
                return bytes([SVR_RESP]) + struct.pack("<H", len(description)) + description
        return None

    await serve_udp(NAME, host, port, respond)
