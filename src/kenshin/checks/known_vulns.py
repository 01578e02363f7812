"""Known vulnerabilities from identified versions, through the knowledge base.

Identification gives product, version and CPE; the knowledge base (``kenshin.vulndb``)
matches them, backport-aware, and this check words each match as a finding. KEV and
ransomware use travel with the finding so the assessment can raise its priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol as TypingProtocol

from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import Confidence, Finding, FindingCategory, FindingSubject
from kenshin.vulndb import ProductQuery, VulnMatch


class MatchesProducts(TypingProtocol):
    def match(self, query: ProductQuery) -> list[VulnMatch]: ...


class KnownVulnerabilities(Check):
    """CVEs that apply to the product and version a port shows (or that were inferred)."""

    check_id = "vulnerability.cve"
    intensity = Intensity.PASSIVE

    def __init__(self, knowledge_base: MatchesProducts) -> None:
        self.knowledge_base = knowledge_base

    def applies_to(self, target: CheckTarget) -> bool:
        identity = target.port.identity
        return identity is not None and bool(
            identity.cpe or (identity.product and identity.version)
        )

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        identity = target.port.identity
        assert identity is not None
        query = ProductQuery(
            product=identity.product,
            version=identity.version,
            cpe=identity.cpe[0] if identity.cpe else None,
        )
        findings = []
        for match in self.knowledge_base.match(query):
            confidence = match.confidence
            if identity.confidence in (Confidence.INFERRED, Confidence.LOW):
                confidence = identity.confidence
            shown = f"{identity.product} {identity.version}".strip()
            evidence = f"{shown} ({identity.confidence.value}); {match.evidence}".strip("; ")
            if identity.evidence:
                evidence += f"; identification: {identity.evidence[:160]}"
            findings.append(
                Finding(
                    check_id=self.check_id,
                    category=FindingCategory.VULNERABILITY,
                    severity=match.severity,
                    title_ja=f"{match.cve}: {match.title_ja}",
                    title_en=f"{match.cve}: {match.title_en}",
                    subject=FindingSubject(
                        address=target.address, port=target.number, protocol=target.protocol.value
                    ),
                    description_ja=match.description_ja,
                    description_en=match.description_en,
                    remediation_ja=match.advice_ja,
                    remediation_en=match.advice_en,
                    evidence=evidence,
                    cves=(match.cve,),
                    kev=match.kev,
                    ransomware=match.ransomware,
                    cvss=match.cvss,
                    confidence=confidence,
                    upgrade=match.upgrade(),
                )
            )
        return findings
