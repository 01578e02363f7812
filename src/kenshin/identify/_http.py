"""The web side of identification: bounded GETs, redirects, well-known paths, favicon
hash, and the HTTP fingerprints and version-inference tables from the data files.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import mmh3

from kenshin.identify._io import TlsFacts, open_tcp
from kenshin.identify.rules import (
    HttpCondition,
    HttpFingerprint,
    InferenceTable,
    Knowledge,
    Release,
    render,
    render_cpes,
)
from kenshin.identify.settings import IdentifySettings
from kenshin.net import http

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)
_USER_AGENT = "Mozilla/5.0 (compatible; kenshin-identify/1)"


@dataclass(frozen=True)
class HttpResponse(http.Response):
    """An answer (``kenshin.net.http``) with the path asked for, read by the fingerprints."""

    path: str = "/"

    @property
    def title(self) -> str:
        match = _TITLE.search(self.body)
        if not match:
            return ""
        raw = match.group(1).decode("utf-8", "replace")
        return " ".join(html.unescape(raw).split())[:200]

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", "replace")


def parse_response(path: str, data: bytes) -> HttpResponse | None:
    """An HTTP/1.x answer, or None when ``data`` is not one."""
    return _with_path(path, http.parse(data))


def _with_path(path: str, response: http.Response | None) -> HttpResponse | None:
    if response is None:
        return None
    return HttpResponse(response.status, response.headers, response.body, response.head, path)


async def fetch(
    address: str,
    port: int,
    path: str,
    settings: IdentifySettings,
    *,
    use_tls: bool,
    method: str = "GET",
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> HttpResponse | None:
    connection = await open_tcp(address, port, settings, use_tls=use_tls)
    if connection is None:
        return None
    message = http.request(
        method, path, address, port, user_agent=_USER_AGENT, headers=headers, body=body
    )
    try:
        response = await http.exchange(
            connection,
            message,
            first_timeout=settings.read_timeout,
            idle_timeout=max(settings.idle_timeout, 0.5),
            cap=settings.http_body_bytes,
            total_timeout=settings.read_timeout * 2 + 2.0,
            head_only=method == "HEAD",
        )
    finally:
        await connection.close()
    return _with_path(path, response)


def favicon_hash(body: bytes) -> int:
    """The favicon hash search engines use: MurmurHash3 (x86, 32 bit, signed) of the
    base64 text with a newline every 76 characters (Python's ``encodebytes``)."""
    return int(mmh3.hash(base64.encodebytes(body)))


@dataclass
class WebView:
    """Everything fetched from one web port."""

    responses: dict[str, HttpResponse] = field(default_factory=dict)
    favicon: int | None = None
    redirects: list[str] = field(default_factory=list)
    tls: TlsFacts | None = None
    budget: int = 0

    def root(self) -> HttpResponse | None:
        return self.responses.get(
            self.redirects[-1] if self.redirects else "/"
        ) or self.responses.get("/")


def _same_host_path(location: str, address: str) -> str | None:
    parts = urlsplit(location)
    if parts.netloc and parts.hostname not in (address, address.strip("[]")):
        return None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return path if path.startswith("/") else "/" + path


_JS_REDIRECT = re.compile(
    rb"""(?:top|window|document)\.location(?:\.href)?\s*=\s*["']([^"']+)["']"""
)


async def explore(
    address: str,
    port: int,
    settings: IdentifySettings,
    knowledge: Knowledge,
    *,
    use_tls: bool,
    first: HttpResponse | None,
    tls: TlsFacts | None,
) -> WebView:
    """Fetch the root (following same-host redirects), the favicon and the well-known
    paths, all within ``max_http_requests`` requests."""
    view = WebView(tls=tls)
    budget = settings.max_http_requests
    current = first if first is not None and first.path == "/" else None
    if current is None:
        current = await fetch(address, port, "/", settings, use_tls=use_tls)
        budget -= 1
    if current is not None:
        view.responses["/"] = current
    for _ in range(3):
        if current is None or budget <= 0:
            break
        location = current.header("location") if 300 <= current.status < 400 else ""
        if not location and current.status == 200 and len(current.body) < 2048:
            js = _JS_REDIRECT.search(current.body)
            location = js.group(1).decode("latin-1") if js else ""
        target = _same_host_path(location, address) if location else None
        if target is None or target in view.responses:
            break
        view.redirects.append(target)
        current = await fetch(address, port, target, settings, use_tls=use_tls)
        budget -= 1
        if current is not None:
            view.responses[target] = current

    view.budget = budget
    await fetch_paths(
        address, port, settings, view, ("/favicon.ico", *knowledge.http_paths), use_tls=use_tls
    )
    return view


async def fetch_paths(
    address: str,
    port: int,
    settings: IdentifySettings,
    view: WebView,
    paths: Sequence[str],
    *,
    use_tls: bool,
) -> None:
    """Fetch the paths not yet in ``view``, concurrently, within the view's budget."""
    wanted = [p for p in dict.fromkeys(paths) if p not in view.responses]
    wanted = wanted[: max(0, view.budget)]
    view.budget -= len(wanted)
    results = await asyncio.gather(
        *(fetch(address, port, p, settings, use_tls=use_tls) for p in wanted)
    )
    for path, response in zip(wanted, results, strict=True):
        if response is None:
            continue
        if path == "/favicon.ico":
            kind = response.header("content-type").lower()
            page = "html" in kind or response.body.lstrip()[:1] == b"<"
            if response.status == 200 and response.body and not page:
                view.favicon = favicon_hash(response.body)
            continue
        view.responses[path] = response


# -- fingerprints ----------------------------------------------------------------------


def _condition_holds(
    condition: HttpCondition, response: HttpResponse, view: WebView, captures: dict[str, str]
) -> bool:
    found: dict[str, str] = {}
    if condition.status and response.status not in condition.status:
        return False
    for name, pattern in condition.headers:
        match = pattern.search(response.header(name))
        if match is None or (not response.header(name) and pattern.pattern != "(?i)^$"):
            return False
        found.update({k: v for k, v in match.groupdict().items() if v})
    for regex, text in ((condition.body, response.body_text), (condition.title, response.title)):
        if regex is not None:
            match = regex.search(text)
            if match is None:
                return False
            found.update({k: v for k, v in match.groupdict().items() if v})
    if condition.favicon_mmh3 and view.favicon not in condition.favicon_mmh3:
        return False
    captures.update(found)
    return True


def _cert_holds(condition: HttpCondition, view: WebView, captures: dict[str, str]) -> bool:
    if view.tls is None:
        return False
    for name, pattern in condition.cert:
        match = pattern.search(view.tls.cert_value(name))
        if match is None:
            return False
        captures.update({k: v for k, v in match.groupdict().items() if v})
    return True


def match_fingerprint(fingerprint: HttpFingerprint, view: WebView) -> dict[str, str] | None:
    """The captures when every condition holds somewhere in ``view``, else None."""
    captures: dict[str, str] = {}
    for condition in fingerprint.conditions:
        if condition.cert and not _cert_holds(condition, view, captures):
            return None
        web_parts = condition.status or condition.headers or condition.body or condition.title
        if not web_parts:
            if condition.favicon_mmh3 and view.favicon not in condition.favicon_mmh3:
                return None
            continue
        candidates = (
            [view.responses[condition.path]]
            if condition.path in view.responses
            else []
            if condition.path
            else list(view.responses.values())
        )
        if not any(_condition_holds(condition, r, view, captures) for r in candidates):
            return None
    return captures


@dataclass(frozen=True)
class WebIdentity:
    fingerprint: HttpFingerprint
    product: str
    version: str
    cpe: tuple[str, ...]
    extra: tuple[tuple[str, str], ...]
    evidence: str


def identify_web(view: WebView, knowledge: Knowledge) -> WebIdentity | None:
    matches: list[tuple[HttpFingerprint, dict[str, str]]] = []
    for fingerprint in knowledge.http_fingerprints:
        captures = match_fingerprint(fingerprint, view)
        if captures is not None:
            matches.append((fingerprint, captures))
    if not matches:
        return None
    matches.sort(key=lambda m: (not m[0].device, -m[0].priority))
    fingerprint, captures = matches[0]
    version = render(fingerprint.version, captures)
    values = {**captures, "version": version}
    evidence = f"http fingerprint {fingerprint.id}"
    if len(matches) > 1:
        evidence += " (also: " + ", ".join(m[0].id for m in matches[1:4]) + ")"
    return WebIdentity(
        fingerprint=fingerprint,
        product=render(fingerprint.product, captures),
        version=version,
        cpe=render_cpes(fingerprint.cpe, values),
        extra=tuple((k, render(v, captures)) for k, v in fingerprint.extra),
        evidence=evidence,
    )


# -- version inference -----------------------------------------------------------------

_ETAG_HEX = re.compile(r'^(?:W/)?"?([0-9a-fA-F]+)[-_]([0-9a-fA-F]+)"?$')


def resource_moment(table: InferenceTable, response: HttpResponse) -> datetime | None:
    if table.decode == "last_modified":
        try:
            return parsedate_to_datetime(response.header("last-modified")).astimezone(UTC)
        except (TypeError, ValueError, IndexError):
            return None
    match = _ETAG_HEX.match(response.header("etag").strip())
    if match is None:
        return None
    number = int(match.group(1 if table.decode == "etag_hex_unix_first" else 2), 16)
    seconds = number / 1_000_000 if table.decode == "etag_hex_usec" else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class Inference:
    version: str
    releases: tuple[Release, ...]
    evidence: str
    cpe: tuple[str, ...] = ()
    shown: bool = False  # the device states the version (asked the right way)


def resource_key(table: InferenceTable, resource: str) -> str:
    """Where a table's answer is kept in the view: plain GETs share the page cache."""
    if table.method == "GET" and not table.headers and not table.body:
        return resource
    return f"{table.method} {resource} ({table.id})"


async def fetch_for_table(
    address: str,
    port: int,
    settings: IdentifySettings,
    view: WebView,
    table: InferenceTable,
    use_tls: bool,
) -> None:
    """Fetch what an inference table reads (its own request allowance)."""
    view.budget += len(table.resources)
    if resource_key(table, "/") == "/":
        await fetch_paths(address, port, settings, view, table.resources, use_tls=use_tls)
        return
    for resource in table.resources:
        key = resource_key(table, resource)
        if key in view.responses or view.budget <= 0:
            continue
        view.budget -= 1
        response = await fetch(
            address,
            port,
            resource,
            settings,
            use_tls=use_tls,
            method=table.method,
            body=table.body,
            headers=table.headers,
        )
        if response is not None:
            view.responses[key] = response


def infer_version(table: InferenceTable, view: WebView) -> Inference | None:
    """What the table's static resources say about the release, with the evidence."""
    for resource in table.resources:
        response = view.responses.get(resource_key(table, resource))
        if response is None or response.status != 200:
            continue
        if table.decode == "sha256":
            digest = hashlib.sha256(response.body).hexdigest()
            hits = tuple(r for r in table.releases if r.sha256 == digest)
            shown = f"sha256={digest[:16]}…"
        elif table.decode == "body_regex":
            assert table.pattern is not None
            found = table.pattern.search(response.body_text)
            if found is None:
                continue
            value = found.group("value")
            shown = f"{value!r}"
            if not table.lookup:
                return Inference(
                    version=value,
                    releases=(),
                    evidence=f"{resource}: {shown} ({table.product} shows it; {table.id})",
                    cpe=render_cpes(table.cpe, {"version": value}),
                    shown=True,
                )
            hits = tuple(r for r in table.releases if r.value == value)
            if not hits:
                return Inference(
                    version="",
                    releases=(),
                    evidence=f"{resource}: {shown}; not in table {table.id}",
                )
        else:
            moment = resource_moment(table, response)
            if moment is None:
                continue
            header = "Last-Modified" if table.decode == "last_modified" else "ETag"
            value = response.header(header.lower())
            shown = f"{header}={value} → {moment.isoformat()}"
            if table.match == "exact":
                hits = tuple(
                    r
                    for r in table.releases
                    if r.moment is not None and abs((r.moment - moment).total_seconds()) < 1
                )
            else:
                hits = tuple(r for r in table.releases if r.built == moment.date())
            if not hits:
                return Inference(
                    version="",
                    releases=(),
                    evidence=f"{resource}: {shown}; {_between(table, moment)}",
                )
        if hits:
            versions = sorted({h.version for h in hits})
            version = versions[0] if len(versions) == 1 else ""
            builds = ", ".join(
                f"{h.version} (build {h.build})" if h.build else h.version for h in hits
            )
            evidence = f"{resource}: {shown}; {table.product} {builds} per table {table.id}"
            if table.source:
                evidence += f" [{table.source}]"
            values = {"version": version, **dict(hits[0].cpe_values)}
            cpe = render_cpes(table.cpe, values) if version else ()
            return Inference(version=version, releases=hits, evidence=evidence, cpe=cpe)
    return None


def _between(table: InferenceTable, moment: datetime) -> str:
    """Per release branch, which releases the build time falls between."""
    branches: dict[str, list[Release]] = {}
    for release in table.releases:
        branch = ".".join(release.version.split(".")[:2])
        branches.setdefault(branch, []).append(release)
    parts: list[str] = []
    for branch, releases in sorted(branches.items()):
        dated = sorted((r for r in releases if r.built or r.moment), key=_release_day)
        before = [r for r in dated if _release_day(r) <= moment.date()]
        after = [r for r in dated if _release_day(r) > moment.date()]
        if before and after:
            parts.append(f"{branch}: after {before[-1].version}, before {after[0].version}")
        elif before:
            parts.append(f"{branch}: {before[-1].version} or later")
    return "no release built that day; " + ("; ".join(parts) or "older than every known release")


def _release_day(release: Release) -> date:
    if release.built is not None:
        return release.built
    assert release.moment is not None
    return release.moment.date()
