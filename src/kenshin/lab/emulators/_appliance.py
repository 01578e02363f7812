"""The engine behind the HTTPS edge-appliance emulators, driven by one data file each.

A data file (``data/<product>.yaml``) holds the appliance's certificate names, the
headers it sends on every answer, its routes (pages and redirects, optionally only when
an option has a given value), and its *release-dependent static resources*: files whose
``ETag``, ``Last-Modified`` and content change with each firmware release, which is how
surveyors infer a firmware version the appliance does not print. Release facts (build
number, build date) come from the file's ``releases`` table.

An optional ``http`` mapping gives the server's manners (``_http.Style``: whether it
answers HTTP/1.0 requests as HTTP/1.0, where it puts Date, when it writes Connection),
and a route may carry its own ``reason`` phrase (NetScaler's "302 Object Moved") and be
``bare`` (only its own headers, none of the common ones).

Placeholders ``@@name@@`` in bodies, headers and certificate names are filled from the
options, the release entry, and: ``release_token`` (12 hex digits that change with the
release), ``built_http`` (the build date as an HTTP date), ``built_hex`` (its Unix time in
hex), ``size_hex`` (a resource's length in hex), ``content_sha256`` (of a resource), and
for a static file with ``hash_name: X`` the SHA-256 of its body as ``X`` (usable in
paths and pages, like Ivanti's ``ds_<hash>.css``). The option ``static: hidden`` serves
none of the static files (404), so the pages betray no release. A data file's
``https_redirect`` (``status``, ``location``) is what every request gets when the option
``https_redirect`` is "true" (with ``tls: "false"``: the appliance's port 80).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from kenshin.lab.emulators._common import data, log
from kenshin.lab.emulators._errors import EmulatorError
from kenshin.lab.emulators._http import Request, Response, Style, http_date, serve_http
from kenshin.lab.emulators._tls import appliance_context


def fill(text: str, values: Mapping[str, str]) -> str:
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    return text


class Appliance:
    """One appliance's pages for one release and set of options."""

    def __init__(self, product: str, options: Mapping[str, str], extra: Mapping[str, str]) -> None:
        self.product = product
        self.spec: dict[str, Any] = data(product)
        self.options = dict(options)
        version = options.get("version") or str(self.spec["default_version"])
        releases: dict[str, dict[str, Any]] = {str(k): v for k, v in self.spec["releases"].items()}
        if version not in releases:
            raise EmulatorError("lab_emulators.bad_option", option="version", value=version)
        release = releases[version]
        built = dt.date.fromisoformat(str(release["built"]))
        built_epoch = calendar.timegm(built.timetuple()) + 3600 * 10  # a build at 10:00 UTC
        self.built_epoch = built_epoch
        self.values: dict[str, str] = {key: str(value) for key, value in options.items()}
        self.values.update({key: str(value) for key, value in release.items()})
        self.values.update(extra)
        self.values.update(
            {
                "version": version,
                "release_token": hashlib.sha256(f"{product} {version}".encode()).hexdigest()[:12],
                "built_http": http_date(built_epoch),
                "built_hex": f"{built_epoch:08x}",
            }
        )
        items = list(self.spec.get("static", []))
        bodies = [fill(str(item["body"]), self.values).encode() for item in items]
        for item, body in zip(items, bodies, strict=True):
            if item.get("hash_name"):  # a file named after its content hash (Ivanti ds_*.css)
                self.values[str(item["hash_name"])] = hashlib.sha256(body).hexdigest()
        self.static: dict[str, dict[str, Any]] = {}
        self.static_bodies: dict[str, bytes] = {}
        if options.get("static") == "hidden":  # no release-dependent file is served
            items, bodies = [], []
        for item, body in zip(items, bodies, strict=True):
            path = fill(str(item["path"]), self.values)
            self.static[path] = item
            self.static_bodies[path] = body

    def _enabled(self, when: Mapping[str, Any] | None) -> bool:
        if not when:
            return True
        return all(self.options.get(key, "") == str(value) for key, value in when.items())

    def _headers(self, entries: list[list[str]] | None) -> list[tuple[str, str]]:
        return [(str(k), fill(str(v), self.values)) for k, v in (entries or [])]

    def _base_headers(self) -> list[tuple[str, str]]:
        return self._headers(self.spec.get("common_headers"))

    def handle(self, request: Request) -> Response:
        redirect = self.spec.get("https_redirect")
        if redirect and self.options.get("https_redirect") == "true":
            # the plain-HTTP port of an appliance that only sends browsers to HTTPS
            headers = self._base_headers()
            headers.append(("Content-Type", "text/html"))
            headers.append(("Location", fill(str(redirect["location"]), self.values)))
            return Response(int(redirect.get("status", 302)), headers, b"")
        for route in self.spec.get("routes", []):
            if route["path"] != request.path or not self._enabled(route.get("when")):
                continue
            methods = route.get("methods", ["GET", "HEAD"])
            if request.method not in methods:
                continue
            if route.get("log"):
                log(self.product, f"{request.method} {request.path} from {request.peer}")
            # a "bare" route sends only its own headers (e.g. NetScaler's redirect)
            headers = [] if route.get("bare") else self._base_headers()
            if "type" in route:
                headers.append(("Content-Type", str(route["type"])))
            headers += self._headers(route.get("headers"))
            body = fill(str(route.get("body", "")), self.values).encode()
            reason = str(route["reason"]) if "reason" in route else None
            return Response(int(route.get("status", 200)), headers, body, reason)
        if request.path in self.static and request.method in ("GET", "HEAD"):
            return self._static(request)
        missing = self.spec.get("not_found", {})
        headers = self._base_headers()
        headers.append(("Content-Type", str(missing.get("type", "text/html"))))
        return Response(404, headers, fill(str(missing.get("body", "")), self.values).encode())

    def _static(self, request: Request) -> Response:
        item = self.static[request.path]
        body = self.static_bodies[request.path]
        values = dict(self.values)
        values["size_hex"] = f"{len(body):x}"
        values["content_sha256"] = hashlib.sha256(body).hexdigest()
        etag = fill(str(self.spec.get("etag", '"@@size_hex@@-@@built_hex@@"')), values)
        headers = self._base_headers()
        if item.get("etag", True) is False:
            headers.append(("Content-Type", str(item.get("type", "application/octet-stream"))))
            headers.append(("Last-Modified", values["built_http"]))
            return Response(200, headers, body)
        if request.header("If-None-Match") == etag:
            headers.append(("ETag", etag))
            return Response(304, headers, b"")
        headers.append(("Content-Type", str(item.get("type", "application/octet-stream"))))
        headers.append(("Last-Modified", values["built_http"]))
        headers.append(("ETag", etag))
        headers += self._headers(item.get("headers"))
        return Response(200, headers, body)


async def serve_appliance(
    product: str,
    host: str,
    port: int,
    options: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> None:
    """Serve the appliance over HTTPS (``tls=false`` in options serves plain HTTP)."""
    appliance = Appliance(product, options, extra or {})
    context = None
    if options.get("tls", "true") != "false":
        context = appliance_context(appliance.spec["certificate"], appliance.values)
    http = appliance.spec.get("http") or {}
    style = Style(
        echo_http10=bool(http.get("echo_http10", False)),
        date=http.get("date", "first"),
        connection=http.get("connection", "always"),
    )
    await serve_http(product, host, port, appliance.handle, ssl_context=context, style=style)
