"""The Docker Engine API on plain TCP 2375: ``/_ping``, ``/version``, ``/info``.

An engine listening on tcp://0.0.0.0:2375 answers anyone — full control of the host.
Answers also under versioned paths (``/v1.41/version``). Option ``version`` (an engine
release in ``data/services.yaml``) and ``hostname``. Nothing else is implemented: every
other path is a 404 with the engine's JSON error shape, so no container is ever
created.
"""

from __future__ import annotations

import json
import re
import uuid

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, data
from kenshin.lab.emulators._http import GO, Request, Response, serve_http

NAME = "docker_api"
VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    releases = data("services")[NAME]
    version = choice(opts["version"], "version", releases)
    release = releases[version]
    engine_id = str(uuid.uuid4()).upper()
    common = [
        ("Api-Version", str(release["api"])),
        ("Docker-Experimental", "false"),
        ("Ostype", "linux"),
        ("Server", f"Docker/{version} (linux)"),
    ]

    def reply(status: int, document: object) -> Response:
        # Go's encoding/json: compact, one trailing newline; Go writes headers sorted by name
        body = json.dumps(document, separators=(",", ":")).encode() + b"\n"
        headers = sorted([*common, ("Content-Type", "application/json")])
        return Response(status, headers, body)

    def handle(request: Request) -> Response:
        path = request.path
        match = VERSIONED.match(path)
        if match:
            path = match.group(1)
        if path == "/_ping":
            headers = [
                *common,
                ("Cache-Control", "no-cache, no-store, must-revalidate"),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Pragma", "no-cache"),
            ]
            return Response(200, sorted(headers), b"OK")
        if path == "/version" and request.method in ("GET", "HEAD"):
            return reply(
                200,
                {
                    "Platform": {"Name": "Docker Engine - Community"},
                    "Components": [
                        {
                            "Name": "Engine",
                            "Version": version,
                            "Details": {
                                "ApiVersion": str(release["api"]),
                                "GitCommit": str(release["commit"]),
                                "GoVersion": str(release["go"]),
                                "Os": "linux",
                                "Arch": "amd64",
                            },
                        }
                    ],
                    "Version": version,
                    "ApiVersion": str(release["api"]),
                    "MinAPIVersion": "1.12",
                    "GitCommit": str(release["commit"]),
                    "GoVersion": str(release["go"]),
                    "Os": "linux",
                    "Arch": "amd64",
                    "KernelVersion": "5.10.0-28-amd64",
                    "BuildTime": "2023-04-04T10:29:27.000000000+00:00",
                },
            )
        if path == "/info" and request.method in ("GET", "HEAD"):
            return reply(
                200,
                {
                    "ID": engine_id,
                    "Containers": 3,
                    "ContainersRunning": 2,
                    "ContainersPaused": 0,
                    "ContainersStopped": 1,
                    "Images": 7,
                    "Driver": "overlay2",
                    "DockerRootDir": "/var/lib/docker",
                    "KernelVersion": "5.10.0-28-amd64",
                    "OperatingSystem": "Debian GNU/Linux 11 (bullseye)",
                    "OSType": "linux",
                    "Architecture": "x86_64",
                    "NCPU": 4,
                    "MemTotal": 8232525824,
                    "Name": opts["hostname"],
                    "ServerVersion": version,
                },
            )
        # unknown routes bypass the engine's version middleware: no Api-Version/Server
        body = json.dumps({"message": "page not found"}, separators=(",", ":")).encode() + b"\n"
        return Response(404, [("Content-Type", "application/json")], body)

    await serve_http(NAME, host, port, handle, style=GO)
