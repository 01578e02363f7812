"""Known vulnerabilities from identified versions, through the knowledge base.

Identification gives product, version and CPE; the knowledge base (``kenshin.vulndb``)
matches them, backport-aware, and this check words each match as a finding. KEV and
ransomware use travel with the finding so the assessment can raise its priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol as TypingProtocol

from kenshin.checks._knowledge import load_data
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import (
    Confidence,
    Finding,
    FindingCategory,
    FindingSubject,
    PortResult,
    PortState,
)
from kenshin.vulndb import ProductQuery, VulnMatch


@dataclass(frozen=True)
class EntryPoint:
    """The service through which a CVE is reached, and the ports it answers on."""

    service: str
    protocol: str
    ports: frozenset[int]


@cache
def entry_points() -> dict[str, EntryPoint]:
    """CVE → its entry point (``data/checks/entry-points.yaml``)."""
    return {
        str(item["cve"]): EntryPoint(
            str(item["service"]), str(item["protocol"]), frozenset(int(p) for p in item["ports"])
        )
        for item in load_data("entry-points.yaml")["entry_points"]
    }


def _entry_port(cve: str, target: CheckTarget) -> PortResult | None:
    """The open port of this host where ``cve``'s service answers, if the scan found one."""
    entry = entry_points().get(cve)
    if entry is None:
        return None
    return next(
        (
            p
            for p in target.host_ports
            if p.protocol.value == entry.protocol
            and p.port in entry.ports
            and p.state is PortState.OPEN
        ),
        None,
    )


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
            subject_port = target.port
            way_in = _entry_port(match.cve, target)
            if way_in is not None:
                subject_port = way_in
                evidence += (
                    f"; {entry_points()[match.cve].service} answers on "
                    f"{way_in.port}/{way_in.protocol.value} (version read on "
                    f"{target.number}/{target.protocol.value})"
                )
            findings.append(
                Finding(
                    check_id=self.check_id,
                    category=FindingCategory.VULNERABILITY,
                    severity=match.severity,
                    title_ja=f"{match.cve}: {match.title_ja}",
                    title_en=f"{match.cve}: {match.title_en}",
                    subject=FindingSubject(
                        address=target.address,
                        port=subject_port.port,
                        protocol=subject_port.protocol.value,
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
