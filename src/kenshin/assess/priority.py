"""The priority model: one documented rule that turns a finding into 緊急/高/中/低/情報.

The model is a score from 0 to 10, read as follows (the report's method section
explains the same rule in words, from the catalogue):

1. Base: the finding's CVSS base score where it has one, else a value for its
   severity (critical 9.5, high 7.5, medium 5.0, low 3.0, info 0).
2. Raised by known exploitation: +1.5 when the vulnerability is in CISA's KEV
   catalogue, +0.5 when it is known to be used by ransomware.
3. Raised by exposure: +1.0 when the affected thing answers from the internet (a
   global address of an in-scope line, or a device on an internet-reachable line).
4. Raised or lowered by the asset's role: +1.0 for the entrance of a
   remote-maintenance line or a VPN appliance (the door attackers used at Japanese
   hospitals), +0.5 for a UTM/firewall/router on an internet line in the EHR scope,
   −1.0 for a line or device outside the EHR scope (e.g. guest Wi-Fi).
5. Lowered by doubt: −0.5 for medium confidence, −1.0 for an inferred version,
   −1.5 for low confidence.

Bands: ≥ 9.5 緊急 (urgent), ≥ 7.0 高, ≥ 4.0 中, > 0 低. A finding whose severity is
``info`` stays 情報 whatever else applies: it reports a fact, not a weakness.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kenshin.domain import Confidence, RankedEnum, Severity


class Priority(RankedEnum):
    """What the hospital should do first; values are the wire format of findings.json."""

    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_BASE: dict[Severity, float] = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 7.5,
    Severity.MEDIUM: 5.0,
    Severity.LOW: 3.0,
    Severity.INFO: 0.0,
}
KEV_RAISE = 1.5
RANSOMWARE_RAISE = 0.5
EXPOSURE_RAISE = 1.0
CONFIDENCE_LOWER: dict[Confidence, float] = {
    Confidence.HIGH: 0.0,
    Confidence.MEDIUM: 0.5,
    Confidence.INFERRED: 1.0,
    Confidence.LOW: 1.5,
}
BANDS: tuple[tuple[float, Priority], ...] = (
    (9.5, Priority.URGENT),
    (7.0, Priority.HIGH),
    (4.0, Priority.MEDIUM),
)


class AssetWeight(StrEnum):
    """How much the affected asset matters for the EHR network's entrances."""

    REMOTE_ENTRANCE = "remote_entrance"  # remote-maintenance line / VPN appliance
    PERIMETER = "perimeter"  # UTM, firewall, router on an in-scope internet line
    NORMAL = "normal"
    OUT_OF_SCOPE = "out_of_scope"  # a line or device outside the EHR scope


ROLE_ADJUST: dict[AssetWeight, float] = {
    AssetWeight.REMOTE_ENTRANCE: 1.0,
    AssetWeight.PERIMETER: 0.5,
    AssetWeight.NORMAL: 0.0,
    AssetWeight.OUT_OF_SCOPE: -1.0,
}


@dataclass(frozen=True)
class PriorityFactors:
    """Everything the model looks at, already worked out from the finding and the engagement."""

    severity: Severity
    cvss: float | None = None
    kev: bool = False
    ransomware: bool = False
    internet_exposed: bool = False
    asset: AssetWeight = AssetWeight.NORMAL
    confidence: Confidence = Confidence.HIGH


@dataclass(frozen=True)
class PriorityDecision:
    """The priority, its score, and the steps that led there (catalogue keys with values)."""

    priority: Priority
    score: float
    steps: tuple[tuple[str, float], ...]


def decide_priority(factors: PriorityFactors) -> PriorityDecision:
    """Apply the model to one finding's factors."""
    steps: list[tuple[str, float]] = []
    if factors.cvss is not None:
        base = max(0.0, min(10.0, factors.cvss))
        steps.append(("assess.step.cvss", base))
    else:
        base = SEVERITY_BASE[factors.severity]
        steps.append(("assess.step.severity", base))
    score = base
    if factors.severity is Severity.INFO:
        return PriorityDecision(Priority.INFO, round(score, 1), tuple(steps))
    if factors.kev:
        score += KEV_RAISE
        steps.append(("assess.step.kev", KEV_RAISE))
    if factors.ransomware:
        score += RANSOMWARE_RAISE
        steps.append(("assess.step.ransomware", RANSOMWARE_RAISE))
    if factors.internet_exposed:
        score += EXPOSURE_RAISE
        steps.append(("assess.step.exposed", EXPOSURE_RAISE))
    role = ROLE_ADJUST[factors.asset]
    if role:
        steps.append((f"assess.step.asset.{factors.asset.value}", role))
        score += role
    doubt = CONFIDENCE_LOWER[factors.confidence]
    if doubt:
        score -= doubt
        steps.append((f"assess.step.confidence.{factors.confidence.value}", -doubt))
    score = max(0.0, min(10.0, score))
    for threshold, priority in BANDS:
        if score >= threshold:
            return PriorityDecision(priority, round(score, 1), tuple(steps))
    return PriorityDecision(Priority.LOW, round(score, 1), tuple(steps))
