"""The priority model: each factor moves the priority the documented way, both ways."""

from __future__ import annotations

import pytest

from kenshin.assess import (
    AssetWeight,
    Priority,
    PriorityFactors,
    assess_findings,
    decide_priority,
)
from kenshin.domain import (
    Confidence,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    Severity,
)


def test_cvss_sets_the_start_and_bands_apply() -> None:
    assert decide_priority(PriorityFactors(Severity.HIGH, cvss=9.8)).priority is Priority.URGENT
    assert decide_priority(PriorityFactors(Severity.HIGH, cvss=7.2)).priority is Priority.HIGH
    assert decide_priority(PriorityFactors(Severity.HIGH, cvss=5.3)).priority is Priority.MEDIUM
    assert decide_priority(PriorityFactors(Severity.HIGH, cvss=2.0)).priority is Priority.LOW


def test_severity_is_the_start_without_cvss() -> None:
    assert decide_priority(PriorityFactors(Severity.MEDIUM)).priority is Priority.MEDIUM
    assert decide_priority(PriorityFactors(Severity.LOW)).priority is Priority.LOW


def test_kev_and_ransomware_raise() -> None:
    plain = decide_priority(PriorityFactors(Severity.HIGH, cvss=8.1))
    known = decide_priority(PriorityFactors(Severity.HIGH, cvss=8.1, kev=True, ransomware=True))
    assert plain.priority is Priority.HIGH
    assert known.priority is Priority.URGENT
    assert known.score > plain.score
    assert ("assess.step.kev", 1.5) in known.steps
    assert ("assess.step.ransomware", 0.5) in known.steps
    assert not any(key == "assess.step.kev" for key, _ in plain.steps)


def test_internet_exposure_raises() -> None:
    inside = decide_priority(PriorityFactors(Severity.HIGH))
    exposed = decide_priority(PriorityFactors(Severity.HIGH, internet_exposed=True))
    assert inside.priority is Priority.HIGH
    assert exposed.score == inside.score + 1.0


def test_remote_maintenance_vpn_matters_more_than_guest_wifi() -> None:
    finding = dict(severity=Severity.MEDIUM, cvss=6.5, internet_exposed=True)
    vpn = decide_priority(PriorityFactors(asset=AssetWeight.REMOTE_ENTRANCE, **finding))  # type: ignore[arg-type]
    guest = decide_priority(PriorityFactors(asset=AssetWeight.OUT_OF_SCOPE, **finding))  # type: ignore[arg-type]
    assert vpn.priority is Priority.HIGH
    assert guest.priority is Priority.MEDIUM
    assert vpn.score - guest.score == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("confidence", "expected"),
    [
        (Confidence.HIGH, Priority.HIGH),
        (Confidence.MEDIUM, Priority.HIGH),
        (Confidence.INFERRED, Priority.MEDIUM),
        (Confidence.LOW, Priority.MEDIUM),
    ],
)
def test_low_confidence_lowers(confidence: Confidence, expected: Priority) -> None:
    decision = decide_priority(PriorityFactors(Severity.HIGH, cvss=7.8, confidence=confidence))
    assert decision.priority is expected


def test_info_stays_info_whatever_else() -> None:
    decision = decide_priority(
        PriorityFactors(
            Severity.INFO, kev=True, internet_exposed=True, asset=AssetWeight.REMOTE_ENTRANCE
        )
    )
    assert decision.priority is Priority.INFO


def test_score_is_capped() -> None:
    decision = decide_priority(
        PriorityFactors(
            Severity.CRITICAL,
            cvss=9.8,
            kev=True,
            ransomware=True,
            internet_exposed=True,
            asset=AssetWeight.REMOTE_ENTRANCE,
        )
    )
    assert decision.score == 10.0


def _finding(subject: FindingSubject, severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(
        check_id="x.test",
        category=FindingCategory.CONFIGURATION,
        severity=severity,
        title_ja="試験",
        title_en="test",
        subject=subject,
    )


def test_asset_roles_from_the_engagement(demo_engagement: Engagement) -> None:
    assessed = {
        a.target.split()[0]: a
        for a in assess_findings(
            demo_engagement,
            [
                _finding(FindingSubject(device_key="DEV-03")),  # VPN on the maintenance line
                _finding(FindingSubject(device_key="DEV-01")),  # UTM on the internet line
                _finding(FindingSubject(device_key="DEV-04")),  # closed-network router
                _finding(FindingSubject(device_key="DEV-05")),  # guest Wi-Fi, out of scope
                _finding(FindingSubject(terminal_key="T-01")),
            ],
        )
    }
    assert assessed["DEV-03"].asset is AssetWeight.REMOTE_ENTRANCE
    assert assessed["DEV-01"].asset is AssetWeight.PERIMETER
    assert assessed["DEV-04"].asset is AssetWeight.NORMAL
    assert assessed["DEV-05"].asset is AssetWeight.OUT_OF_SCOPE
    assert assessed["T-01"].asset is AssetWeight.NORMAL
    assert assessed["DEV-03"].internet_exposed
    assert not assessed["DEV-04"].internet_exposed
    assert not assessed["T-01"].internet_exposed
    assert assessed["DEV-03"].priority.rank < assessed["DEV-05"].priority.rank


def test_owner_is_the_managing_vendor_or_the_hospital(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _finding(FindingSubject(device_key="DEV-01")),
            _finding(FindingSubject(address="198.18.20.20", port=23, protocol="tcp")),
            _finding(FindingSubject(terminal_key="T-03")),
            _finding(FindingSubject(device_key="DEV-04")),
        ],
    )
    owners = {a.target.split()[0].split(":")[0]: a.owner for a in assessed}
    assert owners["DEV-01"].name == "架空ネットワークサービス株式会社"
    assert owners["198.18.20.20"].name == "架空メディカルシステムズ株式会社"  # the line's holder
    assert owners["T-03"].kind.value == "hospital"
    assert owners["DEV-04"].name == "架空県地域医療連携協議会"


def test_findings_are_numbered_in_priority_order(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _finding(FindingSubject(terminal_key="T-01"), Severity.LOW),
            _finding(FindingSubject(device_key="DEV-01"), Severity.CRITICAL),
            _finding(FindingSubject(terminal_key="T-02"), Severity.INFO),
        ],
    )
    assert [a.id for a in assessed] == ["F-001", "F-002", "F-003"]
    assert [a.priority for a in assessed] == [Priority.URGENT, Priority.LOW, Priority.INFO]
