"""Elasticsearch's HTTP API root (port 9200): the JSON naming cluster and version.

Option ``auth`` = none (anyone reads ``/``, ``/_cat/indices`` and ``/_cluster/health``:
an exposed cluster) | required (401 with ``WWW-Authenticate: Basic realm="security"``
and a ``security_exception``, as with X-Pack security on). Option ``version`` (a
release in ``data/services.yaml``) and ``cluster``.
"""

from __future__ import annotations

import json
import uuid

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, data
from kenshin.lab.emulators._http import NETTY, Request, Response, serve_http

NAME = "elasticsearch"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    releases = data("services")[NAME]
    version = choice(opts["version"], "version", releases)
    release = releases[version]
    auth_required = choice(opts["auth"], "auth", ("none", "required")) == "required"
    cluster_uuid = uuid.uuid4().hex[:22]
    json_type = ("content-type", "application/json; charset=UTF-8")  # Netty: lower case
    major, minor = (int(part) for part in version.split(".")[:2])
    # the product header exists since 7.14
    product = [("X-elastic-product", "Elasticsearch")] if (major, minor) >= (7, 14) else []

    def reply(
        status: int,
        document: object,
        extra: list[tuple[str, str]] | None = None,
        *,
        pretty: bool = False,
    ) -> Response:
        # Jackson's pretty printer writes "key" : value; errors are compact
        if pretty:
            body = json.dumps(document, indent=2, separators=(",", " : ")).encode() + b"\n"
        else:
            body = json.dumps(document, separators=(",", ":")).encode()
        return Response(status, [*(extra or []), *product, json_type], body)

    def handle(request: Request) -> Response:
        if auth_required:
            reason = f"missing authentication credentials for REST request [{request.path}]"
            cause = {
                "type": "security_exception",
                "reason": reason,
                "header": {"WWW-Authenticate": 'Basic realm="security" charset="UTF-8"'},
            }
            return reply(
                401,
                {"error": {"root_cause": [cause], **cause}, "status": 401},
                [("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"')],
            )
        if request.path == "/":
            return reply(
                200,
                {
                    "name": "es-node-1",
                    "cluster_name": opts["cluster"],
                    "cluster_uuid": cluster_uuid,
                    "version": {
                        "number": version,
                        "build_flavor": "default",
                        "build_type": "deb",
                        "build_hash": str(release["hash"]),
                        "build_date": str(release["date"]),
                        "build_snapshot": False,
                        "lucene_version": str(release["lucene"]),
                        "minimum_wire_compatibility_version": str(release["wire"]),
                        "minimum_index_compatibility_version": str(release["index"]),
                    },
                    "tagline": "You Know, for Search",
                },
                pretty=True,
            )
        if request.path == "/_cat/indices":
            text = (
                "green open patients-2026 Qm9vb2sAAAAAAAAAAAAAAA 1 0 1520 0 2.1mb 2.1mb\n"
                "green open appointments  QXBwb2ludG1lbnRzAAAAAA 1 0  830 0 1.0mb 1.0mb\n"
            )
            return Response(
                200, [*product, ("content-type", "text/plain; charset=UTF-8")], text.encode()
            )
        if request.path == "/_cluster/health":
            return reply(
                200,
                {
                    "cluster_name": opts["cluster"],
                    "status": "green",
                    "number_of_nodes": 1,
                    "active_shards": 2,
                },
            )
        return reply(
            404,
            {
                "error": {
                    "type": "index_not_found_exception",
                    "reason": f"no such index [{request.path.strip('/')}]",
                },
                "status": 404,
            },
        )

    await serve_http(NAME, host, port, handle, style=NETTY)
