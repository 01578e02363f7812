"""The knowledge of the identification stage, read from the YAML files in ``identify/data``.

Code here only loads and checks the data: what to send (probes), what answers mean
(match rules), what web pages mean (HTTP fingerprints), which static resources betray a
release (version inference tables) and which IKE vendor IDs name which vendor. A
security engineer extends kenshin by editing those files; ``load_knowledge()`` refuses a
file with a regex that does not compile or a CPE template that is not CPE 2.3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.domain.enums import Confidence
from kenshin.domain.scan import Protocol
from kenshin.identify.errors import IdentifyError
from kenshin.net.cpe import escape_value
from kenshin.net.cpe import is_valid_formatted as is_valid_cpe23
from kenshin.scan import kenshin_service, service_name

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

DECODERS = frozenset(
    {
        "text",
        "telnet",
        "rdp",
        "smb",
        "pgsql",
        "mqtt",
        "ldap",
        "snmp",
        "dns",
        "ntp",
        "ntp_control",
        "ike",
        "mongodb",
        "memcached_udp",
        "netbios",
        "dns_tcp",
    }
)
DIALOGS = frozenset({"vnc_security"})
TRANSPORTS = frozenset({"tcp", "udp"})


def render(template: str, values: Mapping[str, str]) -> str:
    """``{name}`` replaced by a captured value ("" when the group did not take part)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), "") or "", template).strip()


def render_cpe(template: str, values: Mapping[str, str]) -> str:
    """A CPE template filled in: each value escaped, a missing one becomes ``*``."""
    return _PLACEHOLDER.sub(lambda m: escape_value(values.get(m.group(1), "") or ""), template)


def render_cpes(templates: Sequence[str], values: Mapping[str, str]) -> tuple[str, ...]:
    """The templates filled in, keeping only results that are valid CPE 2.3 names."""
    rendered = (render_cpe(t, values) for t in templates)
    return tuple(dict.fromkeys(c for c in rendered if is_valid_cpe23(c)))


@dataclass(frozen=True)
class Probe:
    """One thing to send (or nothing: the banner wait) and how to read the answer."""

    name: str
    transport: str
    payload: bytes
    ports: frozenset[int] = frozenset()
    skip_ports: frozenset[int] = frozenset()  # banner wait only: client speaks first here
    rarity: int = 5
    tls: bool = False  # may also be sent inside TLS
    handshake: bool = False  # the TLS handshake itself, not a payload
    decoder: str = "text"
    wait: float | None = None

    @property
    def is_null(self) -> bool:
        return not self.payload and not self.handshake

    def payload_for(self, host: str) -> bytes:
        return self.payload.replace(b"{host}", host.encode("ascii", "replace"))


@dataclass(frozen=True)
class MatchRule:
    """A regex over a decoded answer and what a match means."""

    id: str
    pattern: re.Pattern[str]
    service: str
    probes: frozenset[str] = frozenset()  # empty: any probe
    product: str = ""
    version: str = ""
    extra: tuple[tuple[str, str], ...] = ()
    cpe: tuple[str, ...] = ()
    confidence: Confidence | None = None
    soft: bool = False
    then: tuple[str, ...] = ()

    def applies_to(self, probe: str) -> bool:
        return not self.probes or probe in self.probes


@dataclass(frozen=True)
class HttpCondition:
    """One thing a web answer must show; all fields given must hold on the same answer."""

    path: str | None = None
    status: frozenset[int] = frozenset()
    headers: tuple[tuple[str, re.Pattern[str]], ...] = ()
    body: re.Pattern[str] | None = None
    title: re.Pattern[str] | None = None
    favicon_mmh3: frozenset[int] = frozenset()
    cert: tuple[tuple[str, re.Pattern[str]], ...] = ()


@dataclass(frozen=True)
class HttpFingerprint:
    id: str
    conditions: tuple[HttpCondition, ...]
    product: str
    version: str = ""
    service: str = ""  # empty: keep http / https
    cpe: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    confidence: Confidence | None = None
    infer: tuple[str, ...] = ()
    priority: int = 50
    device: bool = False  # an appliance (wins over a generic web-server match)


@dataclass(frozen=True)
class Release:
    version: str
    build: str = ""
    built: date | None = None
    moment: datetime | None = None
    sha256: str = ""
    value: str = ""  # what the table's pattern captures (body_regex tables)
    cpe_values: tuple[tuple[str, str], ...] = ()  # extra placeholders for the CPE template


@dataclass(frozen=True)
class InferenceTable:
    """Static resources whose header or content changes with each release."""

    id: str
    product: str
    resources: tuple[str, ...]
    decode: str  # etag_hex_unix | etag_hex_usec | last_modified | sha256
    match: str  # same_day | exact
    releases: tuple[Release, ...]
    cpe: tuple[str, ...] = ()
    source: str = ""
    pattern: re.Pattern[str] | None = None  # body_regex: group "value" is looked up
    lookup: bool = True  # False: the captured value is the version itself, as shown
    method: str = "GET"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class VendorId:
    prefix: bytes
    name: str
    vendor: str = ""


@dataclass(frozen=True)
class Knowledge:
    probes: tuple[Probe, ...]
    rules: tuple[MatchRule, ...]
    http_paths: tuple[str, ...]
    http_fingerprints: tuple[HttpFingerprint, ...]
    inference: Mapping[str, InferenceTable]
    vendor_ids: tuple[VendorId, ...]
    port_names: Mapping[tuple[str, int], str]
    tls_services: Mapping[str, str]
    sources: tuple[str, ...] = field(default=())

    def probe(self, name: str) -> Probe:
        for probe in self.probes:
            if probe.name == name:
                return probe
        raise KeyError(name)


# -- loading ---------------------------------------------------------------------------


def _fail(where: str, problem: str) -> IdentifyError:
    return IdentifyError("identify.bad_data", where=where, problem=problem)


def _regex(where: str, text: object) -> re.Pattern[str]:
    if not isinstance(text, str) or not text:
        raise _fail(where, "a regex must be a non-empty string")
    try:
        return re.compile(text)
    except re.error as exc:
        raise _fail(where, f"regex does not compile: {exc}") from None


def _str(where: str, data: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise _fail(where, f"missing '{key}'")
    if not isinstance(value, str | int | float):
        raise _fail(where, f"'{key}' must be text")
    return str(value)


def _pairs(where: str, value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise _fail(where, "extra must be a mapping")
    return tuple((str(k), str(v)) for k, v in value.items())


def _cpes(where: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise _fail(where, "cpe must be a string or a list")
    for item in items:
        probe_values = {name: "1.0" for name in _PLACEHOLDER.findall(str(item))}
        if not is_valid_cpe23(render_cpe(str(item), probe_values)):
            raise _fail(where, f"not a CPE 2.3 template: {item}")
    return tuple(str(i) for i in items)


def _confidence(where: str, value: object) -> Confidence | None:
    if value is None:
        return None
    try:
        return Confidence(str(value))
    except ValueError:
        raise _fail(where, f"unknown confidence {value!r}") from None


def _ports(where: str, value: object) -> frozenset[int]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(p, int) and 0 < p < 65536 for p in value):
        raise _fail(where, "ports must be a list of port numbers")
    return frozenset(value)


def _payload(where: str, data: Mapping[str, Any]) -> bytes:
    if "payload_hex" in data:
        try:
            return bytes.fromhex("".join(str(data["payload_hex"]).split()))
        except ValueError:
            raise _fail(where, "payload_hex is not hexadecimal") from None
    text = data.get("payload", "")
    if not isinstance(text, str):
        raise _fail(where, "payload must be text")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise _fail(where, "payload must be Latin-1 (use payload_hex for binary)") from None


def _probe(where: str, data: Mapping[str, Any]) -> Probe:
    name = _str(where, data, "name")
    where = f"{where} probe {name}"
    transport = _str(where, data, "transport", "tcp")
    if transport not in TRANSPORTS:
        raise _fail(where, f"unknown transport {transport}")
    decoder = _str(where, data, "decoder", "text")
    if decoder not in DECODERS:
        raise _fail(where, f"unknown decoder {decoder}")
    wait = data.get("wait")
    return Probe(
        name=name,
        transport=transport,
        payload=_payload(where, data),
        ports=_ports(where, data.get("ports")),
        skip_ports=_ports(where, data.get("skip_ports")),
        rarity=int(data.get("rarity", 5)),
        tls=bool(data.get("tls", False)),
        handshake=bool(data.get("handshake", False)),
        decoder=decoder,
        wait=float(wait) if wait is not None else None,
    )


def _rule(where: str, data: Mapping[str, Any], probe_names: set[str]) -> MatchRule:
    rule_id = _str(where, data, "id")
    where = f"{where} rule {rule_id}"
    flags = str(data.get("flags", ""))
    pattern_text = _str(where, data, "pattern")
    inline = "".join(sorted(set(flags) & set("imsx")))
    pattern = _regex(where, f"(?{inline}){pattern_text}" if inline else pattern_text)
    probes = data.get("probes") or []
    unknown = set(probes) - probe_names
    if unknown:
        raise _fail(where, f"unknown probes {sorted(unknown)}")
    then = tuple(str(t) for t in data.get("then", []) or [])
    if set(then) - DIALOGS:
        raise _fail(where, f"unknown follow-up {sorted(set(then) - DIALOGS)}")
    return MatchRule(
        id=rule_id,
        pattern=pattern,
        service=_str(where, data, "service"),
        probes=frozenset(probes),
        product=_str(where, data, "product", ""),
        version=_str(where, data, "version", ""),
        extra=_pairs(where, data.get("extra")),
        cpe=_cpes(where, data.get("cpe")),
        confidence=_confidence(where, data.get("confidence")),
        soft=bool(data.get("soft", False)),
        then=then,
    )


def _condition(where: str, data: Mapping[str, Any]) -> HttpCondition:
    status = data.get("status")
    statuses = frozenset([status] if isinstance(status, int) else (status or []))
    headers = tuple(
        (str(name).lower(), _regex(f"{where} header {name}", f"(?i){regex}"))
        for name, regex in (data.get("headers") or {}).items()
    )
    cert = tuple(
        (str(name), _regex(f"{where} cert {name}", regex))
        for name, regex in (data.get("cert") or {}).items()
    )
    favicons = data.get("favicon_mmh3") or []
    if not all(isinstance(f, int) for f in favicons):
        raise _fail(where, "favicon_mmh3 must be a list of integers")
    body = data.get("body")
    title = data.get("title")
    condition = HttpCondition(
        path=str(data["path"]) if data.get("path") else None,
        status=statuses,
        headers=headers,
        body=_regex(f"{where} body", body) if body else None,
        title=_regex(f"{where} title", title) if title else None,
        favicon_mmh3=frozenset(favicons),
        cert=cert,
    )
    if not (condition.status or headers or body or title or favicons or cert):
        raise _fail(where, "a condition must test something")
    return condition


def _fingerprint(where: str, data: Mapping[str, Any], tables: set[str]) -> HttpFingerprint:
    fid = _str(where, data, "id")
    where = f"{where} fingerprint {fid}"
    conditions = data.get("match")
    if not isinstance(conditions, list) or not conditions:
        raise _fail(where, "match must be a non-empty list of conditions")
    infer = tuple(str(i) for i in data.get("infer", []) or [])
    if set(infer) - tables:
        raise _fail(where, f"unknown inference tables {sorted(set(infer) - tables)}")
    return HttpFingerprint(
        id=fid,
        conditions=tuple(_condition(where, c) for c in conditions),
        product=_str(where, data, "product"),
        version=_str(where, data, "version", ""),
        service=_str(where, data, "service", ""),
        cpe=_cpes(where, data.get("cpe")),
        extra=_pairs(where, data.get("extra")),
        confidence=_confidence(where, data.get("confidence")),
        infer=infer,
        priority=int(data.get("priority", 50)),
        device=bool(data.get("device", False)),
    )


def _release(where: str, data: Mapping[str, Any]) -> Release:
    built = data.get("built")
    moment = data.get("moment")
    if isinstance(built, str):
        built = date.fromisoformat(built)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if built is not None and not isinstance(built, date):
        raise _fail(where, "built must be a date")
    if moment is not None and not isinstance(moment, datetime):
        raise _fail(where, "moment must be a date and time")
    return Release(
        version=_str(where, data, "version"),
        build=_str(where, data, "build", ""),
        built=built,
        moment=moment,
        sha256=_str(where, data, "sha256", "").lower(),
        value=_str(where, data, "value", ""),
        cpe_values=_pairs(where, data.get("cpe_values")),
    )


def _table(where: str, data: Mapping[str, Any]) -> InferenceTable:
    tid = _str(where, data, "id")
    where = f"{where} table {tid}"
    decode = _str(where, data, "decode")
    if decode not in {
        "etag_hex_unix",
        "etag_hex_unix_first",
        "etag_hex_usec",
        "last_modified",
        "sha256",
        "body_regex",
    }:
        raise _fail(where, f"unknown decode {decode}")
    match = _str(where, data, "match", "same_day")
    if match not in {"same_day", "exact"}:
        raise _fail(where, f"unknown match {match}")
    releases = tuple(_release(where, r) for r in data.get("releases") or [])
    lookup = bool(data.get("lookup", True))
    if not releases and lookup:
        raise _fail(where, "a table needs releases")
    for release in releases:
        needed = {
            "sha256": release.sha256,
            "same_day": release.built,
            "exact": release.moment,
            "body_regex": release.value,
        }
        key = decode if decode in ("sha256", "body_regex") else match
        if not needed[key]:
            raise _fail(where, f"release {release.version} lacks its {key} value")
    return InferenceTable(
        id=tid,
        product=_str(where, data, "product"),
        resources=tuple(str(r) for r in data.get("resources") or []),
        decode=decode,
        match=match,
        releases=releases,
        cpe=_cpes(where, data.get("cpe")),
        source=_str(where, data, "source", ""),
        pattern=_regex(where, data["pattern"]) if decode == "body_regex" else None,
        lookup=lookup,
        method=_str(where, data, "method", "GET").upper(),
        body=_str(where, data, "body", "").encode("utf-8"),
        headers=_pairs(where, data.get("headers")),
    )


def _port_names(doc: Mapping[str, Any]) -> dict[tuple[str, int], str]:
    """The listed ports' names: the scan's table (nmap's), in the spelling the checks read."""
    names: dict[tuple[str, int], str] = {}
    for protocol in Protocol:
        for port in doc.get(protocol.value) or []:
            name = kenshin_service(service_name(protocol, int(port)))
            if not name:
                raise _fail("port-names.yaml", f"{port}/{protocol.value} has no name in ports.yaml")
            names[(protocol.value, int(port))] = name
    return names


def _read(name: str) -> dict[str, Any]:
    folder = resources.files("kenshin.identify") / "data"
    try:
        loaded = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise _fail(name, f"not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise _fail(name, "the file must hold a mapping")
    return loaded


RULE_FILES = ("rules-devices.yaml", "rules-services.yaml", "rules-udp.yaml")


@cache
def load_knowledge() -> Knowledge:
    """Every data file of the stage, parsed and checked once per process."""
    probes_doc = _read("probes.yaml")
    probes = tuple(_probe("probes.yaml", p) for p in probes_doc.get("probes", []))
    names = [p.name for p in probes]
    if len(names) != len(set(names)):
        raise _fail("probes.yaml", "probe names must be unique")
    rules: list[MatchRule] = []
    for file in RULE_FILES:
        rules.extend(_rule(file, r, set(names)) for r in _read(file).get("rules", []))
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise _fail("rules", "rule ids must be unique")

    inference_doc = _read("inference.yaml")
    tables = {t.id: t for t in (_table("inference.yaml", d) for d in inference_doc["tables"])}
    http_doc = _read("http.yaml")
    fingerprints = tuple(
        _fingerprint("http.yaml", f, set(tables)) for f in http_doc.get("fingerprints", [])
    )
    ike_doc = _read("ike-vendor-ids.yaml")
    vendor_ids = tuple(
        VendorId(
            prefix=bytes.fromhex(str(v["hex"])),
            name=str(v["name"]),
            vendor=str(v.get("vendor", "")),
        )
        for v in ike_doc.get("vendor_ids", [])
    )
    port_names = _port_names(_read("port-names.yaml"))
    return Knowledge(
        probes=probes,
        rules=tuple(rules),
        http_paths=tuple(str(p) for p in http_doc.get("paths", [])),
        http_fingerprints=fingerprints,
        inference=tables,
        vendor_ids=vendor_ids,
        port_names=port_names,
        tls_services={str(k): str(v) for k, v in (probes_doc.get("tls_services") or {}).items()},
    )
