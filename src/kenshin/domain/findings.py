"""Findings: what the survey concluded, about what, and on which evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kenshin.domain.enums import (
    AuditOutcome,
    Confidence,
    FindingCategory,
    FindingStatus,
    Severity,
)
from kenshin.i18n import in_language


@dataclass(frozen=True)
class FindingSubject:
    """What a finding is about: a host/port, a device, a terminal or a connection point.

    Exactly one of ``address``, ``device_key``, ``terminal_key`` or ``point_key`` is
    the anchor; ``port`` and ``protocol`` refine a host subject.
    """

    address: str | None = None
    port: int | None = None
    protocol: str | None = None
    device_key: str | None = None
    terminal_key: str | None = None
    point_key: str | None = None

    def describe(self) -> str:
        if self.address is not None:
            if self.port is not None:
                return f"{self.address}:{self.port}/{self.protocol or 'tcp'}"
            return self.address
        return self.device_key or self.terminal_key or self.point_key or "-"


@dataclass(frozen=True)
class Upgrade:
    """The update a vulnerability asks for: ``product`` to ``fixed_version`` or later.

    Kept apart from the remediation text so that the report can make one action of a
    device's many CVEs (the highest fixed version of one release line, compared in the
    vendor's ``scheme`` from ``kenshin.vulndb.versions``), followed by each CVE's own
    extra steps (``steps_*``: "stop SSL-VPN until then").
    """

    product: str
    fixed_version: str
    scheme: str = "generic"
    steps_ja: str = ""
    steps_en: str = ""

    def steps(self, lang: str) -> str:
        return in_language(lang, self.steps_ja, self.steps_en)


@dataclass(frozen=True)
class Finding:
    """One conclusion of the survey, in both languages, with its evidence."""

    check_id: str
    category: FindingCategory
    severity: Severity
    title_ja: str
    title_en: str
    subject: FindingSubject
    description_ja: str = ""
    description_en: str = ""
    remediation_ja: str = ""
    remediation_en: str = ""
    evidence: str = ""
    cves: tuple[str, ...] = ()
    kev: bool = False
    ransomware: bool = False
    cvss: float | None = None
    confidence: Confidence = Confidence.HIGH
    status: FindingStatus = FindingStatus.OPEN
    status_reason: str = ""
    upgrade: Upgrade | None = None
    device: str = ""
    """The device the finding is about, as the fusion stage names it ("Fortinet FortiGate
    (7.0.11)"); empty for findings about a port alone, a terminal or a line."""

    def title(self, lang: str) -> str:
        return in_language(lang, self.title_ja, self.title_en)


@dataclass(frozen=True)
class AuditEvent:
    """Who did what, to which targets, when, and how it ended."""

    actor: str
    action: str
    outcome: AuditOutcome
    at: datetime
    engagement_code: str | None = None
    targets: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)


VERSION_UNKNOWN_CHECKS = frozenset({"firmware.version_unknown", "vulnerability.version_unknown"})
"""The two statements "this device's firmware version is not known": the device ledger's
(firmware check) and the network's (known-vulnerability check, a firmware answering
without a version). About one device they are one issue, at one severity."""


def version_unknown_severity(exposed: bool, kev_at_stake: bool) -> Severity:
    """The severity of "the version is not known, so kenshin cannot tell": a missing
    answer, never a vulnerability. Medium on a device attackers reach first (an edge
    device, or a product answering on the internet) while KEV-listed CVEs are at stake;
    low there otherwise; information elsewhere."""
    if not exposed:
        return Severity.INFO
    return Severity.MEDIUM if kev_at_stake else Severity.LOW


def finding_fingerprint(finding: Finding) -> str:
    """The identity of a finding: same check, same subject, same CVEs."""
    subject = finding.subject
    parts = [
        finding.check_id,
        subject.address or "",
        str(subject.port or ""),
        subject.protocol or "",
        subject.device_key or "",
        subject.terminal_key or "",
        subject.point_key or "",
        ",".join(sorted(finding.cves)),
    ]
    import hashlib  # here: importing it maps OpenSSL, megabytes a scanning process never uses

    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
