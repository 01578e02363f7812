"""Known vulnerabilities per device, once, at the best version evidence.

The fusion stage (``kenshin.identify.fusion``) gives each address its devices and their
components with the best version claim of every port and of the engagement's records.
Each component is matched against the knowledge base once, and has one of three answers:

- affected: a CVE whose ranges hold the version. One finding per CVE, listing every
  port where the component answers (not one per port);
- not affected: nothing is said;
- cannot tell: the version is unknown, or the data cannot decide (platform, patch
  level). An unknown firmware version is ONE finding ("firmware version not
  determined") naming the KEV-listed CVEs at stake, not counted as those CVEs; the
  vendor request for the version is drafted by the engagement's request workflow.

A firmware the knowledge base holds no record of is "not covered", never "no known
vulnerabilities". "Cannot tell" and "not covered" are ``configuration`` findings (as the
firmware room's version-unknown one): evidence of a missing answer, not of a missing
patch, so the checklist's patch item does not count them as unpatched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol as TypingProtocol

from kenshin.checks._knowledge import load_data
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import (
    Component,
    Confidence,
    Finding,
    FindingCategory,
    FindingSubject,
    HostDevice,
    PortResult,
    PortState,
    Severity,
    version_unknown_severity,
)
from kenshin.domain.device import FIRMWARE_PARTS, VERSION_UNKNOWN_CHECK
from kenshin.i18n import translate
from kenshin.vulndb import ProductQuery, VulnMatch
from kenshin.vulndb.products import resolve

VERSION_UNKNOWN = VERSION_UNKNOWN_CHECK
CANNOT_TELL = "vulnerability.cannot_tell"
NOT_COVERED = "vulnerability.not_covered"


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


def _entry_port(cve: str, host_ports: Sequence[PortResult]) -> PortResult | None:
    """The open port of the host where ``cve``'s service answers, if the scan found one."""
    entry = entry_points().get(cve)
    if entry is None:
        return None
    return next(
        (
            p
            for p in host_ports
            if p.protocol.value == entry.protocol
            and p.port in entry.ports
            and p.state is PortState.OPEN
        ),
        None,
    )


def _at_entry_point(finding: Finding, host_ports: Sequence[PortResult]) -> Finding:
    """A CVE reached through one service (FortiOS fgfmd on FGFM 541/tcp) is reported on
    the port where that service answers, when the scan found it open."""
    if len(finding.cves) != 1:
        return finding
    cve = finding.cves[0]
    way_in = _entry_port(cve, host_ports)
    if way_in is None:
        return finding
    return replace(
        finding,
        subject=replace(finding.subject, port=way_in.port, protocol=way_in.protocol.value),
        evidence=f"{finding.evidence}; {entry_points()[cve].service} answers on "
        f"{way_in.port}/{way_in.protocol.value}",
    )


class MatchesProducts(TypingProtocol):
    def match(self, query: ProductQuery) -> list[VulnMatch]: ...

    def covers(self, query: ProductQuery) -> bool: ...

    def kev_at_stake(self, query: ProductQuery) -> list[VulnMatch]: ...


def _query(device: HostDevice, component: Component, version: str = "") -> ProductQuery:
    """The knowledge-base question: by model where the device's model names its firmware
    (the model tells the hardware that NVD configurations pair with the firmware),
    else by the component's CPE, else by the product name."""
    if device.model is not None and component.vendor and component.part in FIRMWARE_PARTS:
        words = device.model.value.split()
        if words and words[0].lower() in (component.vendor.lower(), _vendor_word(device)):
            words = words[1:]
        model = " ".join(words)
        resolved = resolve(component.vendor, model) if model else None
        if resolved is not None and (component.vendor, component.product) in resolved.software:
            return ProductQuery(vendor=component.vendor, product=model, version=version)
    if component.vendor:
        return ProductQuery(cpe=component.cpe(), version=version)
    if component.record_key and device.vendor is not None and device.model is not None:
        # a product the wire did not name precisely ("YAMAHA RTX router telnetd") that
        # the engagement's record names: ask by the record's vendor and model
        resolved = resolve(device.vendor.value, device.model.value)
        if resolved is not None:
            return ProductQuery(
                vendor=device.vendor.value, product=device.model.value, version=version
            )
    return ProductQuery(product=component.product, version=version)


def _vendor_word(device: HostDevice) -> str:
    return device.vendor.value.split()[0].lower() if device.vendor and device.vendor.value else ""


def _weaker(a: Confidence, b: Confidence) -> Confidence:
    return a if a.doubt >= b.doubt else b


class KnownVulnerabilities(Check):
    """CVEs of each device's components, judged once at the best version evidence."""

    check_id = "vulnerability.cve"
    intensity = Intensity.PASSIVE
    per_device = True

    def __init__(self, knowledge_base: MatchesProducts) -> None:
        self.knowledge_base = knowledge_base

    def applies_to(self, target: CheckTarget) -> bool:
        return target.device is not None and bool(target.device.components)

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        device = target.device
        assert device is not None
        findings: list[Finding] = []
        for component in device.components:
            findings.extend(self.judge(device, component))
        return [_at_entry_point(f, target.host_ports) for f in findings]

    def judge(self, device: HostDevice, component: Component) -> list[Finding]:
        """The findings of one component: affected CVEs, or one 'cannot tell' finding."""
        firmware = component.part in FIRMWARE_PARTS
        if component.version is None:
            if not self.knowledge_base.covers(_query(device, component)):
                return [_not_covered(device, component)] if firmware else []
            at_stake = self.knowledge_base.kev_at_stake(_query(device, component))
            if firmware or at_stake:
                return [_version_unknown(device, component, at_stake)]
            return []
        matches = self.knowledge_base.match(_query(device, component, component.version.value))
        if not matches and firmware and not self.knowledge_base.covers(_query(device, component)):
            return [_not_covered(device, component)]
        affected = [m for m in matches if m.status == "affected"]
        undecided = [m for m in matches if m.status != "affected"]
        findings = [_cve_finding(device, component, m) for m in affected]
        if undecided:
            findings.append(_cannot_tell(device, component, undecided))
        return findings


def _subject(device: HostDevice, component: Component) -> FindingSubject:
    first = component.ports[0] if component.ports else None
    return FindingSubject(
        address=device.address,
        port=first.port if first else None,
        protocol=first.protocol if first else None,
    )


def _basis(component: Component, lang: str) -> str:
    version = component.version
    assert version is not None
    return translate(
        "checks.vuln.version_basis",
        lang,
        version=version.value,
        source=version.source.value,
        where=version.where,
    )


def _cve_finding(device: HostDevice, component: Component, match: VulnMatch) -> Finding:
    version = component.version
    assert version is not None
    confidence = _weaker(match.confidence, version.confidence)
    evidence = "; ".join(
        part
        for part in (
            _basis(component, "en"),
            translate("checks.vuln.exposed", "en", ports=component.exposed()),
            match.evidence,
            f"other claims: {', '.join(v.describe() for v in component.versions[1:])}"
            if len(component.versions) > 1
            else "",
        )
        if part
    )
    return Finding(
        check_id=KnownVulnerabilities.check_id,
        category=FindingCategory.VULNERABILITY,
        severity=match.severity,
        title_ja=f"{match.cve}: {match.title_ja}",
        title_en=f"{match.cve}: {match.title_en}",
        subject=_subject(device, component),
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
        device=device.label,
    )


def _configuration(
    check_id: str,
    severity: Severity,
    device: HostDevice,
    component: Component,
    *,
    messages: str,
    params: Mapping[str, Mapping[str, object]],
    evidence: str,
    confidence: Confidence,
) -> Finding:
    """A configuration finding whose texts are ``<messages>.title/description/remediation``."""

    def text(kind: str, lang: str) -> str:
        return translate(f"{messages}.{kind}", lang, **params[lang])

    return Finding(
        check_id=check_id,
        category=FindingCategory.CONFIGURATION,
        severity=severity,
        title_ja=text("title", "ja"),
        title_en=text("title", "en"),
        subject=_subject(device, component),
        description_ja=text("description", "ja"),
        description_en=text("description", "en"),
        remediation_ja=text("remediation", "ja"),
        remediation_en=text("remediation", "en"),
        evidence=evidence,
        confidence=confidence,
        device=device.label,
    )


def _version_unknown(
    device: HostDevice, component: Component, at_stake: Sequence[VulnMatch]
) -> Finding:
    kev = {
        lang: ", ".join(m.cve for m in at_stake) or translate("checks.version_unknown.no_kev", lang)
        for lang in ("ja", "en")
    }
    params = {"product": component.name, "address": device.address, "ports": component.exposed()}
    found = _configuration(
        VERSION_UNKNOWN,
        # it answers on a diagnosed internet address: exposed, as an edge device is
        version_unknown_severity(exposed=True, kev_at_stake=bool(at_stake)),
        device,
        component,
        messages="checks.version_unknown",
        params={lang: {**params, "kev": kev[lang]} for lang in ("ja", "en")},
        evidence=f"{component.name} on {component.exposed()}; no version on any port; "
        f"KEV at stake: {kev['en']}",
        confidence=Confidence.HIGH,
    )
    if component.part in FIRMWARE_PARTS and component.record_key:
        # the ledger's device: its firmware check says the same (``firmware.version_unknown``)
        # and the assessment keeps one of the two
        found = replace(found, subject=replace(found.subject, device_key=component.record_key))
    return found


def _cannot_tell(
    device: HostDevice, component: Component, undecided: Sequence[VulnMatch]
) -> Finding:
    version = component.version
    assert version is not None
    cves = ", ".join(sorted({m.cve for m in undecided}))
    params = {
        "product": component.name,
        "version": version.value,
        "address": device.address,
        "count": len({m.cve for m in undecided}),
        "cves": cves,
    }
    details = "; ".join(f"{m.cve}: {m.evidence}" for m in undecided[:20])
    return _configuration(
        CANNOT_TELL,
        Severity.LOW,
        device,
        component,
        messages="checks.cannot_tell",
        params={lang: params for lang in ("ja", "en")},
        evidence=f"{_basis(component, 'en')}; {details}",
        confidence=Confidence.LOW,
    )


def _not_covered(device: HostDevice, component: Component) -> Finding:
    version = {
        lang: component.version.value
        if component.version
        else translate("checks.version_unknown.unknown_version", lang)
        for lang in ("ja", "en")
    }
    params = {"product": component.name, "address": device.address}
    return _configuration(
        NOT_COVERED,
        Severity.INFO,
        device,
        component,
        messages="checks.not_covered",
        params={lang: {**params, "version": version[lang]} for lang in ("ja", "en")},
        evidence=f"{component.key or component.name} on {component.exposed()}: "
        "no record in the knowledge base",
        confidence=Confidence.HIGH,
    )
