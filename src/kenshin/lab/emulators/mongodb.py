"""A MongoDB server's wire protocol: OP_MSG and legacy OP_QUERY commands.

Answers ``hello``/``isMaster`` (the handshake every driver and scanner sends),
``buildInfo``, ``ping``, ``serverStatus`` and ``listDatabases``. Option ``auth`` =
none (the databases are listed: an exposed, unauthenticated server) | required
(``listDatabases`` and ``serverStatus`` answer "Unauthorized", code 13, as a server
started with ``--auth`` does; the handshake and ``buildInfo`` still work, as on real
servers). Options ``version`` (a release in ``data/services.yaml``), ``hostname``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
import time
from typing import Any

from kenshin.lab.emulators import _bson as bson
from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, data, log, read_exact, send, serve_tcp

NAME = "mongodb"
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MAX_MESSAGE = 48 * 1024


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    releases = data("services")["mongodb"]
    version = choice(opts["version"], "version", releases)
    release = releases[version]
    auth_required = choice(opts["auth"], "auth", ("none", "required")) == "required"
    counter = {"connection": 0}
    started = time.monotonic()

    def answer(command: dict[str, Any], connection_id: int) -> dict[str, Any]:
        name = next(iter(command), "")
        lowered = name.lower()
        if lowered in ("hello", "ismaster"):
            reply: dict[str, Any] = (
                {"isWritablePrimary": True} if lowered == "hello" else {"ismaster": True}
            )
            if command.get("helloOk"):
                reply["helloOk"] = True
            reply.update(
                {
                    "topologyVersion": {"processId": "6560a1f2c3d4e5f601234567", "counter": 0},
                    "maxBsonObjectSize": 16777216,
                    "maxMessageSizeBytes": 48000000,
                    "maxWriteBatchSize": 100000,
                    "localTime": dt.datetime.now(dt.UTC),
                    "logicalSessionTimeoutMinutes": 30,
                    "connectionId": connection_id,
                    "minWireVersion": 0,
                    "maxWireVersion": int(release["wire"]),
                    "readOnly": False,
                    "ok": 1.0,
                }
            )
            return reply
        if lowered == "buildinfo":
            parts = [int(p) for p in version.split(".")]
            return {
                "version": version,
                "gitVersion": str(release["git"]),
                "modules": [],
                "allocator": "tcmalloc",
                "javascriptEngine": "mozjs",
                "versionArray": [*parts, 0],
                "bits": 64,
                "debug": False,
                "maxBsonObjectSize": 16777216,
                "ok": 1.0,
            }
        if lowered == "ping":
            return {"ok": 1.0}
        if lowered == "serverstatus":
            if auth_required:
                return {
                    "ok": 0.0,
                    "errmsg": "command serverStatus requires authentication",
                    "code": 13,
                    "codeName": "Unauthorized",
                }
            uptime = time.monotonic() - started
            return {
                "host": opts["hostname"],
                "version": version,
                "process": "mongod",
                "pid": 1234,
                "uptime": float(int(uptime)),
                "uptimeMillis": int(uptime * 1000),
                "uptimeEstimate": int(uptime),
                "localTime": dt.datetime.now(dt.UTC),
                "connections": {"current": counter["connection"], "available": 838860},
                "ok": 1.0,
            }
        if lowered == "listdatabases":
            if auth_required:
                return {
                    "ok": 0.0,
                    "errmsg": "command listDatabases requires authentication",
                    "code": 13,
                    "codeName": "Unauthorized",
                }
            databases = [
                {"name": "admin", "sizeOnDisk": 40960, "empty": False},
                {"name": "config", "sizeOnDisk": 61440, "empty": False},
                {"name": "local", "sizeOnDisk": 73728, "empty": False},
                {"name": "reception", "sizeOnDisk": 1314816, "empty": False},
            ]
            return {"databases": databases, "totalSize": 1490944, "totalSizeMb": 1, "ok": 1.0}
        return {
            "ok": 0.0,
            "errmsg": f"no such command: '{name}'",
            "code": 59,
            "codeName": "CommandNotFound",
        }

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter["connection"] += 1
        connection_id = counter["connection"]
        for _ in range(100):
            head = await read_exact(reader, 16, timeout=60.0)
            if head is None:
                return
            length, request_id, _response_to, opcode = struct.unpack("<iiii", head)
            if not 16 < length <= MAX_MESSAGE:
                return
            body = await read_exact(reader, length - 16)
            if body is None:
                return
            if opcode == OP_MSG:
                if body[4] != 0:  # only a kind-0 body section is understood
                    return
                command = bson.decode(body[5:])
                reply = answer(command, connection_id)
                log(NAME, f"OP_MSG {next(iter(command), '?')}")
                payload = struct.pack("<I", 0) + b"\x00" + bson.encode(reply)
            elif opcode == OP_QUERY:
                name_end = body.index(b"\x00", 4)
                query = bson.decode(body[name_end + 9 :])
                if "$query" in query and isinstance(query["$query"], dict):
                    query = query["$query"]
                reply = answer(query, connection_id)
                log(NAME, f"OP_QUERY {next(iter(query), '?')}")
                payload = struct.pack("<iqii", 8, 0, 0, 1) + bson.encode(reply)
                opcode = OP_REPLY
            else:
                return
            header = struct.pack(
                "<iiii", 16 + len(payload), connection_id * 1000, request_id, opcode
            )
            if not await send(writer, header + payload):
                return

    await serve_tcp(NAME, host, port, session)
