"""Devices travel with the scan: kenshin.scan/1 (1.1) carries them per host, the store
keeps them per run and findings keep their device's label (issue 15)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenshin import pipeline
from kenshin.checks.engine import DiagnosisResult
from kenshin.domain import (
    Confidence,
    DiagnosisWindow,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    ServiceIdentity,
    Severity,
)
from kenshin.identify.fusion import fuse_host
from kenshin.jobs import JobKind, JobSpec
from kenshin.scan.engine import RunStatus
from kenshin.scan.export import (
    SCHEMA_VERSION,
    device_from_document,
    report_document,
    validate_scan_document,
)
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import EngagementRepository, FindingRepository, open_store


def _host() -> HostResult:
    snmp = ServiceIdentity(
        "snmp",
        "Fortinet FortiGate-60F",
        "v7.0.11,build0489,230321 (GA)",
        ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",),
        extra=(("device", "Fortinet FortiGate-60F"),),
    )
    web = ServiceIdentity(
        "https",
        "Fortinet FortiGate SSL VPN",
        cpe=("cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*",),
        confidence=Confidence.MEDIUM,
    )
    host = HostResult(
        "198.18.10.10",
        (
            PortResult(Protocol.UDP, 161, PortState.OPEN, identity=snmp),
            PortResult(Protocol.TCP, 443, PortState.OPEN, identity=web),
        ),
    )
    return HostResult(host.address, host.ports, devices=fuse_host(host))


def test_scan_document_carries_devices_and_validates() -> None:
    host = _host()
    now = datetime.now(UTC)
    document = report_document(ScanReport(now, now, (host,)))
    validate_scan_document(document)
    assert document["schema"] == "kenshin.scan/1"
    assert document["schema_version"] == SCHEMA_VERSION == "1.1"
    (device,) = document["hosts"][0]["devices"]
    component = device["components"][0]
    assert component["version"]["source"] == "snmp"
    assert component["version"]["where"] == "161/udp snmp"
    assert [p["port"] for p in component["ports"]] == [443, 161]
    assert device_from_document(host.address, 0, device) == host.devices[0]


def test_a_document_without_devices_still_validates() -> None:
    now = datetime.now(UTC)
    document = report_document(ScanReport(now, now, (HostResult("198.18.10.10"),)))
    del document["schema_version"]
    del document["hosts"][0]["devices"]
    validate_scan_document(document)


def test_store_keeps_devices_and_finding_device(
    store_url: str, demo_engagement: Engagement
) -> None:
    store = open_store(store_url)
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
    code = demo_engagement.code
    host = _host()
    with store.session() as session:
        repository = ScanRunRepository(session)
        uid = repository.create(
            engagement_code=None,
            targets=[host.address],
            tcp_ports="443",
            udp_ports="161",
            options={},
            actor="t",
        )
        repository.add_ports(uid, [(host.address, p) for p in host.ports])
        repository.finish(uid, RunStatus.FINISHED)
        old = repository.report(uid)
        repository.record_devices(uid, [host])
    assert old.hosts[0].devices == ()  # a run stored before devices: none until diagnosed
    with store.session() as session:
        report = ScanRunRepository(session).report(uid)
    assert report.hosts[0].devices == host.devices
    finding = Finding(
        check_id="vulnerability.cve",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja="CVE-2024-21762",
        title_en="CVE-2024-21762",
        subject=FindingSubject(address=host.address, port=443, protocol="tcp"),
        cves=("CVE-2024-21762",),
        device=host.devices[0].label,
    )
    with store.session() as session:
        FindingRepository(session).record(code, [finding])
    with store.session() as session:
        (stored,) = FindingRepository(session).list(code)
    assert stored.device == "Fortinet FortiGate-60F (v7.0.11,build0489,230321 (GA))"
    store.dispose()


def test_the_diagnose_job_keeps_devices_on_the_run_it_chose(
    tmp_path: Path, demo_engagement: Engagement, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ``run`` the job takes the newest finished run (``latest_finished``, as
    ``kenshin diagnose`` does) and keeps the devices it judged there, as the command
    does; it left them unrecorded before. The checks are stubbed: nothing is sent."""
    store = open_store(f"sqlite:///{tmp_path / 'kenshin.sqlite3'}")
    now = datetime.now(UTC)
    window = DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=1))
    with store.session() as session:
        EngagementRepository(session).save(dataclasses.replace(demo_engagement, window=window))
    host = _host()
    with store.session() as session:
        runs = ScanRunRepository(session)
        uid = runs.create(
            engagement_code=demo_engagement.code,
            targets=[host.address],
            tcp_ports="443",
            udp_ports="161",
            options={},
            actor="t",
        )
        runs.add_ports(uid, [(host.address, p) for p in host.ports])
        runs.finish(uid, RunStatus.FINISHED)

    async def judged(hosts: object, checks: object, **_: object) -> DiagnosisResult:
        return DiagnosisResult((host,), (), ())

    monkeypatch.setattr(pipeline, "diagnose", judged)
    spec = JobSpec(JobKind.DIAGNOSE, demo_engagement.code, {}, "t")
    assert pipeline.diagnose_job(store, spec, lambda _f, _m: None)["findings"] == "0"
    with store.session() as session:
        runs = ScanRunRepository(session)
        assert runs.latest_finished(demo_engagement.code) is not None
        assert runs.report(uid).hosts[0].devices == host.devices
    store.dispose()
