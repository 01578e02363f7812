"""Scan results: the stored run, resume, kenshin.scan/1 JSON (schema) and nmap XML both ways."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from libnmap.parser import NmapParser

from kenshin.domain import (
    Confidence,
    FindingCategory,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
    Severity,
)
from kenshin.domain.findings import Finding, FindingSubject
from kenshin.scan import (
    LAB,
    EmergencyStop,
    RunStatus,
    ScanError,
    ScanPlan,
    TcpMode,
    read_nmap_xml,
    report_document,
    report_nmap_xml,
    run_scan,
    scan_schema,
    validate_scan_document,
)
from kenshin.scan.export import _cpe22, _cpe23
from kenshin.scan.storage import ScanRunRepository, StoreListener
from kenshin.scope import adhoc_scope
from kenshin.store import open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scan"
FAST = LAB.with_changes(initial_timeout=0.3, min_timeout=0.1, max_timeout=0.5, udp_wait=0.3)
T0 = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _own_stop_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(tmp_path / "EMERGENCY-STOP"))


def sample_report(closed: int = 3) -> ScanReport:
    ports = [
        PortResult(
            Protocol.TCP,
            443,
            PortState.OPEN,
            "syn-ack",
            ServiceIdentity(
                "https",
                "Fortinet FortiGate SSL VPN",
                "7.0.11",
                ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",),
                Confidence.HIGH,
                "title: FortiGate",
                (("tls", "TLSv1.2"),),
            ),
        ),
        PortResult(Protocol.TCP, 22, PortState.OPEN, "syn-ack"),
        PortResult(Protocol.UDP, 500, PortState.OPEN_FILTERED, "no-response"),
        *[
            PortResult(Protocol.TCP, 1000 + n, PortState.CLOSED, "conn-refused")
            for n in range(closed)
        ],
    ]
    finding = Finding(
        "vuln.cve",
        FindingCategory.VULNERABILITY,
        Severity.CRITICAL,
        "FortiOS の既知の脆弱性",
        "Known FortiOS vulnerability",
        FindingSubject("198.18.10.10", 443, "tcp"),
        cves=("CVE-2023-27997",),
        kev=True,
    )
    return ScanReport(
        T0, T0.replace(minute=3), (HostResult("198.18.10.10", tuple(ports), (finding,)),)
    )


def test_json_document_validates_and_summarises_bulk_states() -> None:
    document = report_document(sample_report(closed=500), engagement="demo-2026", tcp_mode="syn")
    validate_scan_document(document)
    jsonschema.validate(document, scan_schema())  # the schema file itself, through jsonschema
    host = document["hosts"][0]
    listed = {(p["protocol"], p["port"]) for p in host["ports"]}
    assert ("tcp", 443) in listed
    assert ("tcp", 22) in listed
    assert ("udp", 500) in listed
    assert host["extraports"] == [
        {"protocol": "tcp", "state": "closed", "count": 500, "reasons": {"conn-refused": 500}}
    ]
    fortigate = next(p for p in host["ports"] if p["port"] == 443)
    assert fortigate["version"] == "7.0.11"
    assert fortigate["extra"] == {"tls": "TLSv1.2"}
    assert host["findings"][0]["cves"] == ["CVE-2023-27997"]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(schema="kenshin.scan/2"), "schema"),
        (lambda d: d["hosts"][0]["ports"][0].update(state="half-open"), "hosts/0/ports/0/state"),
        (lambda d: d["hosts"][0]["ports"][0].update(port=70000), "hosts/0/ports/0/port"),
        (lambda d: d["hosts"][0].update(address="not-an-ip"), "hosts/0/address"),
        (lambda d: d.pop("finished_at"), "(root)"),
    ],
)
def test_schema_rejects_broken_documents(change: Any, where: str) -> None:
    document = report_document(sample_report())
    change(document)
    with pytest.raises(ScanError) as error:
        validate_scan_document(document)
    assert error.value.params["where"] == where


def test_nmap_xml_reads_back_with_python_libnmap(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    path.write_bytes(report_nmap_xml(sample_report(closed=300), tcp_mode="syn"))
    parsed = NmapParser.parse_fromfile(str(path))
    assert len(parsed.hosts) == 1
    host = parsed.hosts[0]
    assert host.address == "198.18.10.10"
    services = {(s.port, s.protocol): s for s in host.services}
    assert services[(443, "tcp")].state == "open"
    assert services[(443, "tcp")].service == "https"
    assert "FortiGate" in services[(443, "tcp")].banner
    assert services[(500, "udp")].state == "open|filtered"
    assert services[(22, "tcp")].state == "open"
    assert (1000, "tcp") not in services  # counted in extraports, as nmap does
    assert "'count': '300'" in str(host.extraports_state)  # libnmap nests this dict


def test_import_reads_the_nmap_fixture() -> None:
    imported = read_nmap_xml((FIXTURES / "nmap-demo.xml").read_bytes())
    assert [h.address for h in imported.report.hosts] == ["198.18.10.10", "198.18.20.20"]
    first = {p.port: p for p in imported.report.hosts[0].ports}
    assert first[443].state is PortState.OPEN
    assert first[443].identity is not None
    assert first[443].identity.product == "Fortinet FortiGate SSL VPN"
    assert first[443].identity.cpe == ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",)
    assert first[443].identity.confidence is Confidence.HIGH
    assert first[22].state is PortState.CLOSED
    assert first[22].identity is not None
    assert first[22].identity.confidence is Confidence.LOW
    assert imported.uncounted == {"filtered": 65532, "unfiltered": 1, "closed": 65533}
    second = {p.port: p for p in imported.report.hosts[1].ports}
    assert second[500].protocol is Protocol.UDP
    assert second[500].state is PortState.OPEN_FILTERED
    assert imported.scan_types == ("syn",)


def test_our_xml_round_trips_through_our_reader() -> None:
    report = sample_report()
    back = read_nmap_xml(report_nmap_xml(report))
    original = {(p.protocol, p.port): p.state for p in report.hosts[0].ports}
    again = {(p.protocol, p.port): p.state for p in back.report.hosts[0].ports}
    assert again == original


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body>not nmap</body></html>",
        b"<nmaprun><host><address addr='x' addrtype='ipv4'/></host></nmaprun>",
        b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 "
        b"'&lol;&lol;&lol;'>]><nmaprun>&lol2;</nmaprun>",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
        b"<nmaprun>&e;</nmaprun>",
        b"\x00\xffgarbage",
        b"<nmaprun><host><address addr='198.18.0.1' addrtype='ipv4'/><ports>"
        b"<port protocol='tcp' portid='99999'><state state='open'/></port>"
        b"</ports></host></nmaprun>",
    ],
)
def test_hostile_or_broken_nmap_files_are_refused(data: bytes) -> None:
    with pytest.raises(ScanError):
        read_nmap_xml(data)


def test_cpe_conversions() -> None:
    assert _cpe22("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*") == "cpe:/a:openbsd:openssh:9.2p1"
    assert _cpe23("cpe:/a:openbsd:openssh:9.2p1") == "cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*"
    assert _cpe23(_cpe22("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*")) == (
        "cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*"
    )


def closed_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_interrupted_run_keeps_results_and_resumes(store_url: str) -> None:
    store = open_store(store_url)
    ports = tuple(sorted(closed_ports(40)))
    plan = ScanPlan(("127.0.0.1",), ports, (), TcpMode.CONNECT, False)
    with store.session() as session:
        uid = ScanRunRepository(session).create(
            engagement_code=None,
            targets=plan.targets,
            tcp_ports=plan.options()["tcp_ports"],
            udp_ports="",
            options=plan.options(),
            actor="tester",
        )
    stop = EmergencyStop(Path(store_url.rsplit("/", 1)[-1] + ".stop"))

    class StopAfter(StoreListener):
        count = 0

        def port(self, *args: Any) -> None:
            super().port(*args)
            StopAfter.count += 1
            if StopAfter.count >= 10:
                stop.trigger()

    first = StopAfter(store, uid, batch=1)
    # paced (0.4 s in all): the listener hears of results every 50 ms, as with SYN, so the
    # stop after ten of them lands while probes are still due
    one_by_one = FAST.with_changes(per_host_concurrency=1, rate=100.0)
    outcome = asyncio.run(
        run_scan(plan, adhoc_scope(env={}), one_by_one, stop=stop, listener=first)
    )
    first.flush()
    assert outcome.status is RunStatus.INTERRUPTED
    with store.session() as session:
        repository = ScanRunRepository(session)
        repository.finish(uid, outcome.status)
        kept = repository.results(uid)
        assert 0 < len(kept) < len(ports)
        assert repository.latest_resumable(None) is not None
        assert repository.get(uid).status is RunStatus.INTERRUPTED

    probed: list[int] = []

    class Recording(StoreListener):
        def port(
            self, address: str, protocol: Protocol, port: int, state: PortState, reason: str
        ) -> None:
            probed.append(port)
            super().port(address, protocol, port, state, reason)

    second = Recording(store, uid)
    outcome = asyncio.run(run_scan(plan, adhoc_scope(env={}), FAST, listener=second, previous=kept))
    second.flush()
    assert outcome.status is RunStatus.FINISHED
    assert not set(probed) & {port for (_, _, port) in kept}  # nothing probed twice
    with store.session() as session:
        repository = ScanRunRepository(session)
        repository.finish(uid, outcome.status, tcp_mode="connect")
        stored = repository.results(uid)
        assert {port for (_, _, port) in stored} == set(ports)
        assert all(r.state is PortState.CLOSED for r in stored.values())
        assert repository.latest_resumable(None) is None
        report = repository.report(uid)
        assert len(report.hosts[0].ports) == len(ports)
    store.dispose()


def test_identity_is_stored_and_read_back(store_url: str) -> None:
    store = open_store(store_url)
    report = sample_report()
    with store.session() as session:
        repository = ScanRunRepository(session)
        uid = repository.create(
            engagement_code=None,
            targets=["198.18.10.10"],
            tcp_ports="443",
            udp_ports="500",
            options={},
            actor="t",
        )
        repository.add_ports(uid, [("198.18.10.10", p) for p in report.hosts[0].ports])
        repository.finish(uid, RunStatus.FINISHED)
    with store.session() as session:
        stored = ScanRunRepository(session).results(uid)
    fortigate = stored[("198.18.10.10", Protocol.TCP, 443)]
    assert fortigate == report.hosts[0].ports[0]
    assert stored[("198.18.10.10", Protocol.TCP, 22)].identity is None
    store.dispose()


def test_json_round_trip_is_plain_json() -> None:
    text = json.dumps(report_document(sample_report()), ensure_ascii=False)
    assert json.loads(text)["schema"] == "kenshin.scan/1"
