"""Devices of an engagement -> findings (``vulnerability`` and ``configuration``)."""

from __future__ import annotations

from kenshin.domain import (
    Confidence,
    Device,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    FirmwareStatus,
    Severity,
    version_unknown_severity,
)
from kenshin.i18n import in_language, translate
from kenshin.vulndb import KnowledgeBase, VulnMatch

# What the knowledge base could not match makes one configuration finding, named after
# the status (only ``version_unknown`` carries matches: the KEV hints of the product).
_NO_MATCH_STATUSES = frozenset(
    {FirmwareStatus.NOT_COVERED, FirmwareStatus.UNKNOWN_PRODUCT, FirmwareStatus.VERSION_UNKNOWN}
)


def _product(device: Device) -> str:
    return f"{device.vendor} {device.model}".strip() or device.name


def _facts(match: VulnMatch, lang: str) -> str:
    kev = f"CISA KEV {match.kev_date.isoformat()}" if match.kev and match.kev_date else ""
    return ", ".join(
        x
        for x in (
            f"CVSS {match.cvss}" if match.cvss is not None else "",
            kev,
            translate("vulndb.fw.fact.ransomware", lang) if match.ransomware else "",
            " ".join(match.jvn_ids),
            translate("vulndb.fw.fact.fixed_in", lang, version=match.fixed_version)
            if match.fixed_version
            else "",
        )
        if x
    )


def _description(device: Device, match: VulnMatch, lang: str) -> str:
    return translate(
        "vulndb.fw.finding.description",
        lang,
        product=_product(device),
        version=device.firmware_version,
        cve=match.cve,
        status=translate(f"vulndb.fw.match.{match.status}", lang),
        description=in_language(lang, match.description_ja, match.description_en),
        facts=_facts(match, lang),
    ).strip()


def _vulnerability(device: Device, match: VulnMatch, normalised: str | None) -> Finding:
    source = device.version_source.value if device.version_source else "unknown"
    return Finding(
        check_id=f"firmware.{match.cve}",
        category=FindingCategory.VULNERABILITY,
        severity=match.severity,
        title_ja=translate(
            "vulndb.fw.finding.title", "ja", device=device.name, title=match.title_ja
        ),
        title_en=translate(
            "vulndb.fw.finding.title", "en", device=device.name, title=match.title_en
        ),
        subject=FindingSubject(device_key=device.key),
        description_ja=_description(device, match, "ja"),
        description_en=_description(device, match, "en"),
        remediation_ja=match.advice_ja,
        remediation_en=match.advice_en,
        evidence=(
            f"{_product(device)} firmware {device.firmware_version!r} "
            f"(normalised {normalised}, source {source}): {match.evidence}"
        ),
        cves=(match.cve,),
        kev=match.kev,
        ransomware=match.ransomware,
        cvss=match.cvss,
        confidence=match.confidence,
        upgrade=match.upgrade(),
    )


def missing_answer_severity(device: Device, kev_at_stake: bool = False) -> Severity:
    """The severity of a firmware verdict the knowledge base could not give (version
    unknown, product not known or not covered): the domain's ``version_unknown_severity``
    with an edge device as the one attackers reach first, the rule the network's
    ``vulnerability.version_unknown`` follows too. The report's own firmware findings use
    the same."""
    return version_unknown_severity(device.role.is_edge, kev_at_stake)


def _configuration(
    device: Device,
    key: str,
    title_key: str,
    description_ja: str,
    description_en: str,
    hints: tuple[VulnMatch, ...] = (),
    *,
    remediation: str = "vulndb.fw.finding.remediation_version",
    evidence: str = "",
    confidence: Confidence = Confidence.HIGH,
) -> Finding:
    kev_hints = [m.cve for m in hints if m.kev]
    if kev_hints:
        cves = ", ".join(kev_hints)
        description_ja += " " + translate("vulndb.fw.finding.kev_hint", "ja", cves=cves)
        description_en += " " + translate("vulndb.fw.finding.kev_hint", "en", cves=cves)
    return Finding(
        check_id=key,
        category=FindingCategory.CONFIGURATION,
        severity=missing_answer_severity(device, bool(kev_hints)),
        title_ja=translate(title_key, "ja", device=device.name, product=_product(device)),
        title_en=translate(title_key, "en", device=device.name, product=_product(device)),
        subject=FindingSubject(device_key=device.key),
        description_ja=description_ja,
        description_en=description_en,
        remediation_ja=translate(remediation, "ja"),
        remediation_en=translate(remediation, "en"),
        evidence=evidence
        or f"{_product(device)}: version source "
        f"{device.version_source.value if device.version_source else 'unknown'}; "
        f"reason: {device.version_unavailable_reason or '-'}",
        # the KEV CVEs are what is at stake while the version is unknown, named in the
        # text only: never counted as the device's CVEs nor merged with a finding that has
        # them (issue 15)
        confidence=confidence,
    )


def _cannot_tell(device: Device, version: str | None, undecided: list[VulnMatch]) -> Finding:
    """The CVEs the data cannot decide at a known version, as ONE finding naming them: a
    missing answer, not evidence of a missing patch (the known-vulnerability check's
    ``vulnerability.cannot_tell`` says the same of what answers on the network)."""
    cves = ", ".join(m.cve for m in undecided)
    texts = {
        lang: translate(
            "vulndb.fw.cannot_tell",
            lang,
            product=_product(device),
            version=version,
            count=len(undecided),
            cves=cves,
        )
        for lang in ("ja", "en")
    }
    details = "; ".join(f"{m.cve}: {m.evidence}" for m in undecided[:20])
    return _configuration(
        device,
        "firmware.cannot_tell",
        "vulndb.fw.finding.cannot_tell_title",
        texts["ja"],
        texts["en"],
        remediation="vulndb.fw.finding.remediation_cannot_tell",
        evidence=f"{_product(device)} firmware {device.firmware_version!r} "
        f"(normalised {version}): {details}",
        confidence=Confidence.LOW,
    )


def check_device(device: Device, kb: KnowledgeBase) -> list[Finding]:
    """Findings for one device (a product the knowledge base does not cover is said so)."""
    unknown = None if device.version_known else kb.check_firmware(device.vendor, device.model, None)
    if unknown is not None and unknown.status != "not_covered":
        result = unknown
        reason = device.version_unavailable_reason
        ja, en = result.message_ja, result.message_en
        if reason:
            ja += " " + translate("vulndb.fw.finding.reason", "ja", reason=reason)
            en += " " + translate("vulndb.fw.finding.reason", "en", reason=reason)
        return [
            _configuration(
                device,
                "firmware.version_unknown",
                "vulndb.fw.finding.version_unknown_title",
                ja,
                en,
                result.matches,
            )
        ]
    result = kb.check_firmware(device.vendor, device.model, device.firmware_version)
    if result.status in _NO_MATCH_STATUSES:
        return [
            _configuration(
                device,
                f"firmware.{result.status.value}",
                f"vulndb.fw.finding.{result.status.value}_title",
                result.message_ja,
                result.message_en,
                result.matches,
            )
        ]
    affected = [m for m in result.matches if m.status == "affected"]
    undecided = [m for m in result.matches if m.status != "affected"]
    findings = [_vulnerability(device, m, result.normalised_version) for m in affected]
    if undecided:
        findings.append(_cannot_tell(device, result.normalised_version, undecided))
    return findings


def check_engagement(engagement: Engagement, kb: KnowledgeBase) -> list[Finding]:
    """Findings for every device of an engagement."""
    findings: list[Finding] = []
    for device in engagement.devices:
        findings.extend(check_device(device, kb))
    return findings
