"""Exports and imports of scan results: ``kenshin.scan/1`` JSON and nmap-compatible XML.

The JSON follows the contract in docs/architecture.md and is validated against the
JSON Schema shipped in ``kenshin/data/schemas/kenshin.scan-1.schema.json``. Ports in
an uninteresting state are listed one by one up to ``LIST_LIMIT`` per state and
protocol; beyond that they are counted in ``extraports`` (as nmap does), so a
65535-port scan stays readable. The XML is the subset of nmap's output format that
nmap readers (python-libnmap, Metasploit's db_import, DefectDojo) use; nmap XML is
read with defusedxml, so a hostile file cannot expand entities or reach the network.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
import jsonschema
from defusedxml import DefusedXmlException

from kenshin import __version__
from kenshin.domain import (
    SCAN_SCHEMA,
    Component,
    Confidence,
    Evidence,
    EvidenceSource,
    ExposedPort,
    Finding,
    HostDevice,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
)
from kenshin.domain.bounds import bound_identity
from kenshin.net import cpe as cpe_text
from kenshin.scan.errors import ScanError
from kenshin.scan.ports import kenshin_service, port_ranges, service_name

LIST_LIMIT = 100
SCHEMA_VERSION = "1.1"  # 1.1: devices per host, device per finding (issue 15)
NMAP_XML_VERSION = "1.05"


@cache
def scan_schema() -> dict[str, Any]:
    """The published JSON Schema of ``kenshin.scan/1``."""
    path = resources.files("kenshin") / "data" / "schemas" / "kenshin.scan-1.schema.json"
    loaded: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return loaded


def validate_scan_document(document: Mapping[str, Any]) -> None:
    """Raise ScanError when ``document`` does not follow ``kenshin.scan/1``."""
    validator = jsonschema.Draft202012Validator(
        scan_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise ScanError("scan.schema_invalid", where=where, detail=first.message[:200])


def port_document(result: PortResult) -> dict[str, Any]:
    """One port as ``kenshin.scan/1`` writes it (also what ``kenshin identify --json`` prints)."""
    item: dict[str, Any] = {
        "protocol": result.protocol.value,
        "port": result.port,
        "state": result.state.value,
        "reason": result.reason,
    }
    identity = result.identity
    if identity is not None:
        item.update(
            service=identity.service,
            product=identity.product,
            version=identity.version,
            cpe=list(identity.cpe),
            confidence=identity.confidence.value,
            evidence=identity.evidence,
        )
        if identity.extra:
            item["extra"] = dict(identity.extra)
    return item


def _finding_document(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.check_id,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "title": finding.title("en"),
        "title_ja": finding.title_ja,
        "port": finding.subject.port,
        "protocol": finding.subject.protocol,
        "cves": list(finding.cves),
        "kev": finding.kev,
        "confidence": finding.confidence.value,
        "evidence": finding.evidence,
        "remediation_ja": finding.remediation_ja,
        "device": finding.device,
    }


def _evidence_document(evidence: Evidence | None) -> dict[str, str] | None:
    if evidence is None:
        return None
    return {
        "value": evidence.value,
        "source": evidence.source.value,
        "where": evidence.where,
        "confidence": evidence.confidence.value,
    }


def device_document(device: HostDevice) -> dict[str, Any]:
    """A fused device as ``kenshin.scan/1`` (1.1) writes it; ``device_from_document`` reads it."""
    return {
        "label": device.label,
        "record": device.record_key,
        "vendor": _evidence_document(device.vendor),
        "model": _evidence_document(device.model),
        "components": [
            {
                "name": c.name,
                "vendor": c.vendor,
                "product": c.product,
                "part": c.part,
                "version": _evidence_document(c.version),
                "versions": [_evidence_document(v) for v in c.versions],
                "conflict": _evidence_document(c.conflict),
                "confidence": c.confidence.value,
                "record": c.record_key,
                "ports": [
                    {"protocol": p.protocol, "port": p.port, "service": p.service} for p in c.ports
                ],
            }
            for c in device.components
        ],
    }


def _evidence(data: Mapping[str, Any] | None) -> Evidence | None:
    if not data:
        return None
    return Evidence(
        str(data["value"]),
        EvidenceSource(data["source"]),
        str(data["where"]),
        Confidence(data.get("confidence", "high")),
    )


def device_from_document(address: str, index: int, data: Mapping[str, Any]) -> HostDevice:
    """The device ``device_document`` wrote (a stored scan's devices are read back so)."""
    components = []
    for item in data.get("components", []):
        versions = tuple(e for e in map(_evidence, item.get("versions", [])) if e is not None)
        components.append(
            Component(
                vendor=str(item.get("vendor", "")),
                product=str(item.get("product", "")),
                name=str(item["name"]),
                part=str(item.get("part", "a")),
                version=_evidence(item.get("version")),
                versions=versions,
                ports=tuple(
                    ExposedPort(str(p["protocol"]), int(p["port"]), str(p.get("service", "")))
                    for p in item["ports"]
                ),
                conflict=_evidence(item.get("conflict")),
                confidence=Confidence(item.get("confidence", "high")),
                record_key=item.get("record"),
            )
        )
    return HostDevice(
        address=address,
        index=index,
        vendor=_evidence(data.get("vendor")),
        model=_evidence(data.get("model")),
        components=tuple(components),
        record_key=data.get("record"),
    )


def _host_document(host: HostResult) -> dict[str, Any]:
    by_state: Counter[tuple[Protocol, PortState]] = Counter(
        (p.protocol, p.state) for p in host.ports
    )
    listed: list[dict[str, Any]] = []
    extra: dict[tuple[Protocol, PortState], Counter[str]] = {}
    for result in host.ports:
        key = (result.protocol, result.state)
        if (
            result.state is PortState.OPEN
            or result.identity is not None
            or by_state[key] <= LIST_LIMIT
        ):
            listed.append(port_document(result))
        else:
            extra.setdefault(key, Counter())[result.reason or "unknown"] += 1
    for counted in host.extraports:
        extra.setdefault((counted.protocol, counted.state), Counter())[
            counted.reason or "unknown"
        ] += counted.count
    document: dict[str, Any] = {"address": host.address, "ports": listed}
    if extra:
        document["extraports"] = [
            {
                "protocol": protocol.value,
                "state": state.value,
                "count": sum(reasons.values()),
                "reasons": dict(reasons),
            }
            for (protocol, state), reasons in sorted(extra.items())
        ]
    document["findings"] = [_finding_document(f) for f in host.findings]
    document["devices"] = [device_document(d) for d in host.devices]
    return document


def report_document(
    report: ScanReport,
    *,
    engagement: str | None = None,
    run_id: str | None = None,
    status: str = "finished",
    tcp_mode: str = "",
    profile: str = "",
    notes: tuple[str, ...] = (),
    coverage: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The ``kenshin.scan/1`` document of ``report``; ``coverage`` is what was probed at
    each address (``StoredRun.coverage()``), written when given."""
    document = {
        "schema": SCAN_SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "engagement": engagement,
        "run_id": run_id,
        "status": status,
        "scanner": {
            "name": "kenshin",
            "version": __version__,
            "tcp_mode": tcp_mode,
            "profile": profile,
        },
        "notes": list(notes),
        "hosts": [_host_document(h) for h in report.hosts],
    }
    if coverage:
        document["coverage"] = [dict(entry) for entry in coverage]
    return document


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Validate ``document`` against the schema, then write it (UTF-8, indented)."""
    validate_scan_document(document)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- nmap XML -----------------------------------------------------------------------


def _cpe22(cpe: str) -> str:
    """CPE 2.3 formatted string -> CPE 2.2 URI (nmap writes URIs); anything else as it is."""
    if not cpe.startswith(cpe_text.FORMATTED_PREFIX):
        return cpe
    try:
        return cpe_text.to_uri(cpe_text.parse(cpe))
    except ValueError:
        return cpe


def _cpe23(cpe: str) -> str:
    """CPE 2.2 URI -> CPE 2.3 formatted string (our internal form); anything else as it is."""
    if not cpe.startswith(cpe_text.URI_PREFIX):
        return cpe
    try:
        return cpe_text.bind(cpe_text.parse(cpe))
    except ValueError:
        return cpe


_CONFIDENCE_CONF = {
    Confidence.HIGH: "10",
    Confidence.MEDIUM: "8",
    Confidence.INFERRED: "5",
    Confidence.LOW: "3",
}


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def report_nmap_xml(report: ScanReport, *, args: str = "kenshin scan", tcp_mode: str = "") -> bytes:
    """nmap-compatible XML of ``report`` (nmaprun, scaninfo, host/ports/port/state/service)."""
    started = report.started_at
    finished = report.finished_at
    root = ET.Element(
        "nmaprun",
        scanner="nmap",
        args=args,
        start=_epoch(started),
        startstr=started.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y"),
        version=f"kenshin-{__version__}",
        xmloutputversion=NMAP_XML_VERSION,
    )
    for protocol in Protocol:
        ports = sorted({p.port for h in report.hosts for p in h.ports if p.protocol is protocol})
        if ports:
            kind = (
                "udp" if protocol is Protocol.UDP else ("syn" if tcp_mode == "syn" else "connect")
            )
            ET.SubElement(
                root,
                "scaninfo",
                type=kind,
                protocol=protocol.value,
                numservices=str(len(ports)),
                services=port_ranges(ports),
            )
    ET.SubElement(root, "verbose", level="0")
    ET.SubElement(root, "debugging", level="0")
    for host in report.hosts:
        element = ET.SubElement(root, "host", starttime=_epoch(started), endtime=_epoch(finished))
        ET.SubElement(element, "status", state="up", reason="user-set", reason_ttl="0")
        family = "ipv6" if ip_address(host.address).version == 6 else "ipv4"
        ET.SubElement(element, "address", addr=host.address, addrtype=family)
        ET.SubElement(element, "hostnames")
        ports_element = ET.SubElement(element, "ports")
        document = _host_document(host)
        for extra in document.get("extraports", []):
            extraports = ET.SubElement(
                ports_element, "extraports", state=extra["state"], count=str(extra["count"])
            )
            for reason, count in extra["reasons"].items():
                ET.SubElement(
                    extraports,
                    "extrareasons",
                    reason=reason,
                    count=str(count),
                    proto=extra["protocol"],
                )
        for item in document["ports"]:
            port_element = ET.SubElement(
                ports_element, "port", protocol=item["protocol"], portid=str(item["port"])
            )
            ET.SubElement(
                port_element,
                "state",
                state=item["state"],
                reason=item["reason"] or "unknown",
                reason_ttl="0",
            )
            name = item.get("service") or service_name(Protocol(item["protocol"]), item["port"])
            attributes = {"name": name or "unknown", "method": "table", "conf": "3"}
            if "confidence" in item:
                attributes["method"] = "probed"
                attributes["conf"] = _CONFIDENCE_CONF[Confidence(item["confidence"])]
                if item.get("product"):
                    attributes["product"] = item["product"]
                if item.get("version"):
                    attributes["version"] = item["version"]
            service = ET.SubElement(port_element, "service", attributes)
            for cpe in item.get("cpe", []):
                ET.SubElement(service, "cpe").text = _cpe22(cpe)
        ET.SubElement(element, "times", srtt="0", rttvar="0", to="100000")
    runstats = ET.SubElement(root, "runstats")
    elapsed = max(0.0, (finished - started).total_seconds())
    ET.SubElement(
        runstats,
        "finished",
        time=_epoch(finished),
        timestr=finished.astimezone(UTC).strftime("%a %b %d %H:%M:%S %Y"),
        elapsed=f"{elapsed:.2f}",
        summary=f"kenshin done: {len(report.hosts)} IP addresses scanned in {elapsed:.2f} seconds",
        exit="success",
    )
    count = str(len(report.hosts))
    ET.SubElement(runstats, "hosts", up=count, down="0", total=count)
    body: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n' + body + b"\n"


@dataclass(frozen=True)
class NmapImport:
    """What an nmap XML file held: the report, its command line, and ports only counted."""

    report: ScanReport
    args: str
    scan_types: tuple[str, ...]
    uncounted: dict[str, int]


_STATES = {
    "open": PortState.OPEN,
    "closed": PortState.CLOSED,
    "filtered": PortState.FILTERED,
    "open|filtered": PortState.OPEN_FILTERED,
    "closed|filtered": PortState.FILTERED,
}


def _confidence(conf: str | None, method: str | None) -> Confidence:
    if method == "table":
        return Confidence.LOW
    value = int(conf) if conf and conf.isdigit() else 0
    if value >= 10:
        return Confidence.HIGH
    if value >= 7:
        return Confidence.MEDIUM
    return Confidence.LOW


def read_nmap_xml(data: bytes) -> NmapImport:
    """Parse nmap XML (``-oX``) safely into a report; errors become one clear ScanError.

    Service names become kenshin's (``kenshin_service``: ``mongod`` is read as ``mongodb``),
    so an imported port reaches the same checks as an identified one.
    """
    try:
        root = SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise ScanError("scan.nmap_unreadable", detail=str(exc)[:200]) from None
    if root.tag != "nmaprun":
        raise ScanError("scan.nmap_not_nmap", tag=str(root.tag)[:40])
    started = _moment(root.get("start"))
    finished_element = root.find("runstats/finished")
    finished = _moment(finished_element.get("time") if finished_element is not None else None)
    hosts: list[HostResult] = []
    uncounted: Counter[str] = Counter()
    for host in root.iter("host"):
        status = host.find("status")
        if status is not None and status.get("state") not in (None, "up"):
            continue
        address = None
        for element in host.findall("address"):
            if element.get("addrtype") in ("ipv4", "ipv6"):
                address = element.get("addr")
                break
        if address is None:
            continue
        try:
            address = str(ip_address(address))
        except ValueError:
            raise ScanError("scan.nmap_bad_address", address=address[:60]) from None
        ports: list[PortResult] = []
        for port in host.iterfind("ports/port"):
            ports.append(_nmap_port(port, address, uncounted))
        for extra in host.iterfind("ports/extraports"):
            uncounted[extra.get("state", "unknown")] += int(extra.get("count", "0") or 0)
        hosts.append(HostResult(address, tuple(ports)))
    scan_types = tuple(sorted({s.get("type", "") for s in root.iter("scaninfo")} - {""}))
    return NmapImport(
        ScanReport(
            started or datetime.now(UTC), finished or started or datetime.now(UTC), tuple(hosts)
        ),
        root.get("args", ""),
        scan_types,
        dict(uncounted),
    )


def _nmap_port(port: Any, address: str, uncounted: Counter[str]) -> PortResult:
    protocol_text = port.get("protocol", "")
    if protocol_text not in ("tcp", "udp"):
        raise ScanError("scan.nmap_bad_port", address=address, detail=protocol_text[:20])
    try:
        number = int(port.get("portid", ""))
    except ValueError:
        raise ScanError("scan.nmap_bad_port", address=address, detail=port.get("portid")) from None
    if not 1 <= number <= 65535:
        raise ScanError("scan.nmap_bad_port", address=address, detail=str(number))
    state_element = port.find("state")
    state_text = state_element.get("state", "") if state_element is not None else ""
    state = _STATES.get(state_text)
    if state is None:  # "unfiltered" (ACK scans) says nothing about open/closed
        uncounted[state_text or "unknown"] += 1
        state = PortState.FILTERED
    reason = state_element.get("reason", "") if state_element is not None else ""
    identity = None
    service = port.find("service")
    if service is not None and service.get("name"):
        extra = tuple(
            (key, service.get(key, ""))
            for key in ("extrainfo", "ostype", "devicetype", "tunnel", "hostname")
            if service.get(key)
        )
        identity = bound_identity(
            ServiceIdentity(
                service=kenshin_service(service.get("name", "")),
                product=service.get("product", ""),
                version=service.get("version", ""),
                cpe=tuple(_cpe23(c.text.strip()) for c in service.findall("cpe") if c.text),
                confidence=_confidence(service.get("conf"), service.get("method")),
                evidence=f"nmap -oX import (method={service.get('method', '')}, "
                f"conf={service.get('conf', '')})",
                extra=extra,
            )
        )
    return PortResult(Protocol(protocol_text), number, state, reason, identity)


def _moment(epoch: str | None) -> datetime | None:
    if not epoch or not epoch.isdigit():
        return None
    return datetime.fromtimestamp(int(epoch), UTC)
