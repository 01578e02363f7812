"""One issue found by two checks is one finding with both evidences — and only then."""

from __future__ import annotations

from dataclasses import replace

from kenshin.assess import assess_findings
from kenshin.assess.dedupe import merged_confidence
from kenshin.domain import (
    Confidence,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    Severity,
)


def _cve(subject: FindingSubject, cve: str, check: str, evidence: str) -> Finding:
    return Finding(
        check_id=check,
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja=f"脆弱性 {cve}",
        title_en=f"vulnerability {cve}",
        subject=subject,
        cves=(cve,),
        evidence=evidence,
        cvss=9.8,
    )


def test_firmware_and_remote_checks_of_one_cve_merge(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _cve(FindingSubject(device_key="DEV-01"), "CVE-2023-27997", "firmware.cve", "v7.0.11"),
            _cve(
                FindingSubject(address="198.18.10.10", port=443, protocol="tcp"),
                "CVE-2023-27997",
                "vuln.cve",
                "/remote/login answered",
            ),
        ],
    )
    assert len(assessed) == 1
    issue = assessed[0]
    assert issue.check_ids == ("firmware.cve", "vuln.cve")
    assert [e.text for e in issue.evidence] == ["v7.0.11", "/remote/login answered"]
    assert issue.device_key == "DEV-01"
    assert issue.address == "198.18.10.10"


def test_a_cve_on_a_line_with_two_devices_merges_with_the_right_device(
    demo_engagement: Engagement,
) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _cve(FindingSubject(device_key="DEV-03"), "CVE-2025-0282", "firmware.cve", "a"),
            _cve(
                FindingSubject(address="198.18.20.20", port=443), "CVE-2025-0282", "vuln.cve", "b"
            ),
        ],
    )
    assert len(assessed) == 1


def test_same_cve_on_different_assets_stays_apart(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _cve(FindingSubject(device_key="DEV-01"), "CVE-2024-21762", "firmware.cve", "a"),
            _cve(FindingSubject(device_key="DEV-04"), "CVE-2024-21762", "firmware.cve", "b"),
            _cve(
                FindingSubject(address="198.18.20.20", port=443), "CVE-2024-21762", "vuln.cve", "c"
            ),
        ],
    )
    assert len(assessed) == 3


def test_different_cves_on_one_device_stay_apart(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _cve(FindingSubject(device_key="DEV-01"), "CVE-2023-27997", "firmware.cve", "a"),
            _cve(FindingSubject(device_key="DEV-01"), "CVE-2024-21762", "firmware.cve", "b"),
        ],
    )
    assert len(assessed) == 2


def _exposure(port: int, check: str = "exposure.telnet") -> Finding:
    return Finding(
        check_id=check,
        category=FindingCategory.EXPOSURE,
        severity=Severity.HIGH,
        title_ja="公開",
        title_en="exposed",
        subject=FindingSubject(address="198.18.20.20", port=port, protocol="tcp"),
        evidence=f"port {port}",
    )


def test_the_same_check_twice_on_one_port_merges(demo_engagement: Engagement) -> None:
    assert len(assess_findings(demo_engagement, [_exposure(23), _exposure(23)])) == 1


def test_the_same_check_on_two_ports_stays_apart(demo_engagement: Engagement) -> None:
    assert len(assess_findings(demo_engagement, [_exposure(23), _exposure(2323)])) == 2


def test_different_checks_without_cves_stay_apart(demo_engagement: Engagement) -> None:
    findings = [_exposure(23), _exposure(23, "backdoor.banner")]
    assert len(assess_findings(demo_engagement, findings)) == 2


def test_merged_issue_takes_the_most_severe_lead(demo_engagement: Engagement) -> None:
    mild = _cve(FindingSubject(device_key="DEV-01"), "CVE-2023-27997", "firmware.cve", "a")
    mild = Finding(**{**mild.__dict__, "severity": Severity.MEDIUM, "kev": False})
    strong = _cve(
        FindingSubject(address="198.18.10.10", port=443), "CVE-2023-27997", "vuln.cve", "b"
    )
    strong = Finding(**{**strong.__dict__, "kev": True})
    (issue,) = assess_findings(demo_engagement, [mild, strong])
    assert issue.finding.severity is Severity.CRITICAL
    assert issue.kev


def test_a_version_unknown_hint_never_merges_into_a_finding_for_a_known_version(
    demo_engagement: Engagement,
) -> None:
    """The demo's Ivanti: the vendor gave no version (KEV CVEs at stake), the scan shows
    22.7R2.3; the hint must not join the scan's finding nor raise its confidence."""
    hint = replace(
        _cve(FindingSubject(device_key="DEV-03"), "CVE-2025-0282", "firmware.version_unknown", "-"),
        cves=("CVE-2019-11510", "CVE-2023-46805", "CVE-2024-21887", "CVE-2025-0282"),
        category=FindingCategory.CONFIGURATION,
        severity=Severity.LOW,
    )
    scan = replace(
        _cve(
            FindingSubject(address="198.18.20.20", port=443),
            "CVE-2025-0282",
            "vulnerability.cve",
            "22.7R2.3",
        ),
        confidence=Confidence.INFERRED,
    )
    assessed = assess_findings(demo_engagement, [hint, scan])
    assert len(assessed) == 2
    merged = next(a for a in assessed if "vulnerability.cve" in a.check_ids)
    assert merged.check_ids == ("vulnerability.cve",)
    assert ("assess.step.confidence.inferred", -1.0) in merged.decision.steps


def test_merged_confidence_is_the_weakest_unless_a_strong_source_confirms() -> None:
    inferred = replace(
        _cve(FindingSubject(address="198.18.10.10"), "CVE-2023-27997", "vulnerability.cve", "a"),
        confidence=Confidence.INFERRED,
    )
    medium = replace(inferred, confidence=Confidence.MEDIUM, check_id="http.fortios")
    assert merged_confidence([inferred, medium]) is Confidence.INFERRED
    confirmed = replace(inferred, confidence=Confidence.HIGH, check_id="firmware.cve")
    assert merged_confidence([inferred, confirmed]) is Confidence.HIGH
    hint = replace(confirmed, check_id="vulnerability.version_unknown")
    assert merged_confidence([inferred, hint]) is Confidence.INFERRED


def test_the_ledger_and_the_network_version_unknown_of_one_device_are_one_issue(
    demo_engagement: Engagement,
) -> None:
    """DEV-03 (Ivanti, on CP-02 with DEV-02) with no version in the ledger, its firmware
    answering without one on 198.18.20.20: the firmware check and the network check say
    the same thing, at the same severity, and the assessment keeps one issue."""
    from kenshin.checks.known_vulns import KnownVulnerabilities
    from kenshin.domain import Component, ExposedPort, HostDevice
    from kenshin.firmware import check_device
    from kenshin.vulndb import KnowledgeBase

    kb = KnowledgeBase(None)
    device = next(d for d in demo_engagement.devices if d.key == "DEV-03")
    assert not device.version_known
    (ledger,) = check_device(device, kb)
    firmware = Component(
        "ivanti",
        "connect_secure",
        "Ivanti Connect Secure",
        part="o",
        ports=(ExposedPort("tcp", 443, "https"),),
        record_key="DEV-03",
    )
    host = HostDevice("198.18.20.20", components=(firmware,), record_key="DEV-03")
    (network,) = KnownVulnerabilities(kb).judge(host, firmware)
    assert network.check_id == "vulnerability.version_unknown"
    assert network.severity is ledger.severity is Severity.MEDIUM  # KEV CVEs at stake
    assessed = assess_findings(demo_engagement, [ledger, network])
    assert len(assessed) == 1
    assert set(assessed[0].check_ids) == {"firmware.version_unknown", network.check_id}
    assert assessed[0].device_key == "DEV-03"
