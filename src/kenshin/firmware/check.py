"""Devices of an engagement -> findings (``vulnerability`` and ``configuration``)."""

from __future__ import annotations

from kenshin.domain import (
    Confidence,
    Device,
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    Severity,
)
from kenshin.i18n import translate
from kenshin.vulndb import KnowledgeBase, VulnMatch

_EDGE_ROLES = frozenset(
    {DeviceRole.ROUTER, DeviceRole.UTM, DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY}
)
_STATUS_JA = {
    "affected": "該当",
    "possible": "該当の可能性（要確認）",
    "no_version_data": "バージョン情報未整備（要確認）",
}
_STATUS_EN = {
    "affected": "affected",
    "possible": "possibly affected (verify)",
    "no_version_data": "no version data yet (verify)",
}


def _product(device: Device) -> str:
    return f"{device.vendor} {device.model}".strip() or device.name


def _vulnerability(device: Device, match: VulnMatch, normalised: str | None) -> Finding:
    source = device.version_source.value if device.version_source else "unknown"
    kev = f"CISA KEV {match.kev_date.isoformat()}" if match.kev and match.kev_date else ""
    facts_en = ", ".join(
        x
        for x in (
            f"CVSS {match.cvss}" if match.cvss is not None else "",
            kev,
            "used by ransomware" if match.ransomware else "",
            " ".join(match.jvn_ids),
            f"fixed in {match.fixed_version}" if match.fixed_version else "",
        )
        if x
    )
    facts_ja = ", ".join(
        x
        for x in (
            f"CVSS {match.cvss}" if match.cvss is not None else "",
            kev,
            "ランサムウェアでの悪用あり" if match.ransomware else "",
            " ".join(match.jvn_ids),
            f"修正版 {match.fixed_version}" if match.fixed_version else "",
        )
        if x
    )
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
        description_ja=(
            f"{_product(device)} {device.firmware_version}: "
            f"{match.cve}（{_STATUS_JA[match.status]}）。{match.description_ja} {facts_ja}"
        ).strip(),
        description_en=(
            f"{_product(device)} {device.firmware_version}: "
            f"{match.cve} ({_STATUS_EN[match.status]}). {match.description_en} {facts_en}"
        ).strip(),
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


def _configuration(
    device: Device,
    key: str,
    title_key: str,
    description_ja: str,
    description_en: str,
    hints: tuple[VulnMatch, ...] = (),
) -> Finding:
    edge = device.role in _EDGE_ROLES
    kev_hints = [m.cve for m in hints if m.kev]
    if kev_hints:
        description_ja += (
            f" この製品には CISA KEV 掲載の脆弱性があります（{', '.join(kev_hints)}）。"
        )
        description_en += f" This product has vulnerabilities in CISA KEV ({', '.join(kev_hints)})."
    return Finding(
        check_id=key,
        category=FindingCategory.CONFIGURATION,
        severity=Severity.LOW if edge else Severity.INFO,
        title_ja=translate(title_key, "ja", device=device.name, product=_product(device)),
        title_en=translate(title_key, "en", device=device.name, product=_product(device)),
        subject=FindingSubject(device_key=device.key),
        description_ja=description_ja,
        description_en=description_en,
        remediation_ja=translate("vulndb.fw.finding.remediation_version", "ja"),
        remediation_en=translate("vulndb.fw.finding.remediation_version", "en"),
        evidence=f"{_product(device)}: version source "
        f"{device.version_source.value if device.version_source else 'unknown'}; "
        f"reason: {device.version_unavailable_reason or '-'}",
        # the KEV CVEs are what is at stake while the version is unknown, named in the
        # text only: never counted as the device's CVEs nor merged with a finding that has
        # them (issue 15)
        confidence=Confidence.HIGH,
    )


def check_device(device: Device, kb: KnowledgeBase) -> list[Finding]:
    """Findings for one device (a product the knowledge base does not cover is said so)."""
    unknown = None if device.version_known else kb.check_firmware(device.vendor, device.model, None)
    if unknown is not None and unknown.status != "not_covered":
        result = unknown
        reason = device.version_unavailable_reason
        ja = result.message_ja + (f" 理由: {reason}" if reason else "")
        en = result.message_en + (f" Reason recorded: {reason}" if reason else "")
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
    if result.status == "not_covered":
        return [
            _configuration(
                device,
                "firmware.not_covered",
                "vulndb.fw.finding.not_covered_title",
                result.message_ja,
                result.message_en,
            )
        ]
    if result.status == "unknown_product":
        return [
            _configuration(
                device,
                "firmware.unknown_product",
                "vulndb.fw.finding.unknown_product_title",
                result.message_ja,
                result.message_en,
            )
        ]
    if result.status == "version_unknown":
        return [
            _configuration(
                device,
                "firmware.version_unknown",
                "vulndb.fw.finding.version_unknown_title",
                result.message_ja,
                result.message_en,
                result.matches,
            )
        ]
    return [_vulnerability(device, m, result.normalised_version) for m in result.matches]


def check_engagement(engagement: Engagement, kb: KnowledgeBase) -> list[Finding]:
    """Findings for every device of an engagement."""
    findings: list[Finding] = []
    for device in engagement.devices:
        findings.extend(check_device(device, kb))
    return findings
