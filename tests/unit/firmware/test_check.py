"""Firmware findings for the devices of an engagement (the demo hospital)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kenshin.domain import (
    Device,
    DeviceRole,
    Engagement,
    FindingCategory,
    FirmwareStatus,
    Severity,
    VersionSource,
)
from kenshin.firmware import check_engagement
from kenshin.store import EngagementRepository, FindingRepository, open_store
from kenshin.vulndb import open_knowledge_base


def _kb(tmp_path: Path):  # type: ignore[no-untyped-def]
    return open_knowledge_base(tmp_path / "absent.sqlite3")


def test_demo_devices(demo_engagement: Engagement, tmp_path: Path) -> None:
    findings = check_engagement(demo_engagement, _kb(tmp_path))
    by_device: dict[str, list] = {}  # type: ignore[type-arg]
    for f in findings:
        assert f.subject.device_key is not None
        by_device.setdefault(f.subject.device_key, []).append(f)
    utm = {f.cves[0]: f for f in by_device["DEV-01"]}
    assert {"CVE-2023-27997", "CVE-2024-21762"} <= set(utm)
    xortigate = utm["CVE-2023-27997"]
    assert xortigate.category is FindingCategory.VULNERABILITY
    assert xortigate.severity is Severity.CRITICAL
    assert xortigate.kev
    assert xortigate.ransomware
    assert xortigate.cvss == 9.8
    assert "7.0.12" in xortigate.remediation_ja
    assert "7.0.12" in xortigate.remediation_en
    assert xortigate.upgrade is not None
    assert (xortigate.upgrade.product, xortigate.upgrade.fixed_version) == ("FortiOS", "7.0.12")
    assert xortigate.upgrade.scheme == "fortios"
    assert xortigate.title_ja.startswith("本館UTM")
    router = {f.cves[0] for f in by_device["DEV-02"]}
    assert router == {"CVE-2021-20843", "CVE-2021-20844"}
    # the Ivanti appliance whose version was not obtained: one configuration finding
    (vpn,) = by_device["DEV-03"]
    assert vpn.category is FindingCategory.CONFIGURATION
    # an edge device with KEV CVEs at stake: medium, as the network says of it too
    assert vpn.severity is Severity.MEDIUM
    assert "回答待ち" in vpn.description_ja  # the recorded reason
    assert "ベンダ" in vpn.remediation_ja
    # KEV CVEs at stake are named, not counted as the appliance's CVEs (issue 15)
    assert vpn.cves == ()
    assert "CVE-2025-0282" in vpn.description_ja
    # NEC IX 10.2.16: the knowledge base holds nothing on the IX line; said so, not "none"
    (ix,) = by_device["DEV-04"]
    assert ix.check_id == "firmware.not_covered"
    assert "対象外" in ix.title_ja
    assert "not covered" in ix.title_en
    assert "アドバイザリ" in ix.description_ja
    assert "advisories" in ix.description_en


def test_one_finding_per_device_and_cve(demo_engagement: Engagement, tmp_path: Path) -> None:
    findings = check_engagement(demo_engagement, _kb(tmp_path))
    keys = [
        (f.subject.device_key, f.cves)
        for f in findings
        if f.category is FindingCategory.VULNERABILITY
    ]
    assert len(keys) == len(set(keys))


def test_device_without_version_text(tmp_path: Path, demo_engagement: Engagement) -> None:
    device = Device(
        key="DEV-X",
        name="謎のルータ",
        role=DeviceRole.ROUTER,
        vendor="YAMAHA",
        model="RTX830",
        firmware_version="",
        version_source=VersionSource.HOSPITAL,
    )
    engagement = dataclasses.replace(demo_engagement, devices=(device,))
    (finding,) = check_engagement(engagement, _kb(tmp_path))
    assert finding.category is FindingCategory.CONFIGURATION
    assert finding.check_id == "firmware.version_unknown"


def test_unknown_product_is_reported(tmp_path: Path, demo_engagement: Engagement) -> None:
    device = Device(
        key="DEV-Y",
        name="AP",
        role=DeviceRole.WIRELESS_AP,
        vendor="Acme",
        model="Box 1",
        firmware_version="1.0",
        version_source=VersionSource.ONSITE,
    )
    engagement = dataclasses.replace(demo_engagement, devices=(device,))
    (finding,) = check_engagement(engagement, _kb(tmp_path))
    assert finding.check_id == "firmware.unknown_product"
    assert finding.severity is Severity.INFO


def test_findings_store_and_dedupe(demo_engagement: Engagement, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(demo_engagement)
        findings = check_engagement(demo_engagement, _kb(tmp_path))
        for _ in range(2):
            with store.session() as session:
                FindingRepository(session).record(demo_engagement.code, findings)
        with store.session() as session:
            stored = FindingRepository(session).list(demo_engagement.code)
        assert len(stored) == len(findings)
    finally:
        store.dispose()


def test_what_the_data_cannot_decide_is_one_cannot_tell_not_a_vulnerability(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    """A version string that cannot show the patch level ("possible" matches) is judged
    as the known-vulnerability check judges it on the network: one "cannot tell"
    finding naming the CVEs, never "affected" and never a CVE finding."""
    device = Device(
        key="DEV-W",
        name="保守用PC",
        role=DeviceRole.OTHER,
        vendor="Microsoft",
        model="Windows 7",
        firmware_version="6.1.7601",
        version_source=VersionSource.VENDOR,
    )
    kb = _kb(tmp_path)
    result = kb.check_firmware(device.vendor, device.model, device.firmware_version)
    assert result.status is FirmwareStatus.CANNOT_TELL
    assert not result.status.judged  # the checklist and the summary: not checked
    assert "CVE-2019-0708" in result.message_en
    engagement = dataclasses.replace(demo_engagement, devices=(device,))
    (finding,) = check_engagement(engagement, kb)
    assert finding.check_id == "firmware.cannot_tell"
    assert finding.category is FindingCategory.CONFIGURATION
    assert finding.cves == ()
    assert "CVE-2019-0708" in finding.description_en
