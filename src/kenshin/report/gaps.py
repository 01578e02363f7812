"""The report's own findings: firmware verdicts no finding states yet; and the assessment.

One source of truth: what the firmware table says must reach the summary, the checklist
and findings.xlsx like any other finding.
"""

from __future__ import annotations

from kenshin.assess import (
    AssessedFinding,
    ChecklistResult,
    SurveyEvidence,
    assess_findings,
    evaluate_checklist,
)
from kenshin.domain import (
    Finding,
    FindingCategory,
    FindingSubject,
    FirmwareStatus,
    PartState,
    PortState,
    Severity,
    Upgrade,
)
from kenshin.firmware import missing_answer_severity
from kenshin.i18n import translate
from kenshin.report.model import FirmwareRow, ReportInput
from kenshin.report.sections.context import address_statuses, remote_state, surveyed_firmware

# the firmware check's findings for a verdict it could not give (``firmware.<status>``)
_VERSION_CHECKS = frozenset(f"firmware.{s.value}" for s in FirmwareStatus if not s.judged)


def _survey_evidence(report: ReportInput) -> SurveyEvidence:
    return SurveyEvidence(
        remote_done=remote_state(address_statuses(report.engagement, report.scan))
        is PartState.DONE,
        open_services=[
            (
                f"{host.address}:{port.port}/{port.protocol.value}",
                f"{port.identity.service} {port.identity.product}" if port.identity else "",
            )
            for host in (report.scan.hosts if report.scan else ())
            for port in host.ports
            if port.state is PortState.OPEN
        ],
        firmware=(
            [(row.device.key, row.status.value) for row in surveyed]
            if (surveyed := surveyed_firmware(report)) is not None
            else None
        ),
        terminal_verdicts=(
            [
                (row.terminal.key, topic, verdict.status.value)
                for row in report.terminals
                for verdict in row.verdicts.values()
                for topic in verdict.checklist
            ]
            if report.terminals is not None
            else None
        ),
        terminals_left=report.terminals_left,
    )


def firmware_gap_findings(report: ReportInput) -> list[Finding]:
    """The firmware table's verdicts that no finding states yet, as findings.

    One source of truth: a row that says "affected", "cannot tell", "version unknown" or
    "not covered" must reach the summary, the checklist and findings.xlsx like any other
    finding, as the firmware check states it (``firmware.check_device``). A CVE already
    stated about the device (by the firmware room, or by the remote diagnosis on the
    device's line) adds nothing; each missing CVE becomes its own finding, so that the assessment
    merges it with any other finding of that CVE and never bridges two CVEs.
    """
    if report.firmware is None:
        return []
    engagement = report.engagement
    point_of_address = {
        str(a.address): p.key for p in engagement.connection_points for a in p.addresses
    }
    stated: set[tuple[str, str]] = set()
    unknown_stated: set[str] = set()
    for finding in report.findings:
        subject = finding.subject
        keys = {subject.device_key} if subject.device_key else set()
        if subject.address and subject.address in point_of_address:
            keys.update(d.key for d in engagement.devices_on(point_of_address[subject.address]))
        stated.update((key, cve) for key in keys for cve in finding.cves)
        if subject.device_key and finding.check_id in _VERSION_CHECKS:
            unknown_stated.add(subject.device_key)
    out: list[Finding] = []
    for row in report.firmware:
        device = row.device
        product = f"{device.vendor} {device.model}".strip() or device.name
        subject = FindingSubject(device_key=device.key)
        if row.status is FirmwareStatus.AFFECTED:
            fixes = [v.strip() for v in row.fixed_version.split(",") if v.strip()]
            for cve in row.cves:
                if (device.key, cve) in stated:
                    continue
                out.append(_gap_cve(row, cve, product, subject, fixes))
        elif (
            not row.status.judged
            and device.key not in unknown_stated
            and engagement.device_in_scope(device)  # out of scope: no gap of the survey
        ):
            key = f"report.fwgap.{row.status.value}"
            out.append(
                Finding(
                    check_id=f"firmware.{row.status.value}",
                    category=FindingCategory.CONFIGURATION,
                    severity=missing_answer_severity(device, row.kev_at_stake),
                    title_ja=translate(key, "ja", device=device.name, product=product),
                    title_en=translate(key, "en", device=device.name, product=product),
                    subject=subject,
                    description_ja=row.advice("ja"),
                    description_en=row.advice("en"),
                    remediation_ja=translate("report.fwgap.ask_version", "ja"),
                    remediation_en=translate("report.fwgap.ask_version", "en"),
                )
            )
    return out


def _gap_cve(
    row: FirmwareRow,
    cve: str,
    product: str,
    subject: FindingSubject,
    fixes: list[str],
) -> Finding:
    """One CVE of an affected firmware row; KEV only when the row's KEV flag is its alone."""
    texts = {
        lang: (
            translate("report.fwgap.title", lang, device=row.device.name, cve=cve),
            translate(
                "report.fwgap.description",
                lang,
                product=product,
                version=row.device.firmware_version,
                cves=cve,
            ),
            translate(
                "report.fwgap.fix" if fixes else "report.fwgap.fix_unknown",
                lang,
                product=product,
                fixed=", ".join(fixes),
            ),
        )
        for lang in ("ja", "en")
    }
    return Finding(
        check_id=f"firmware.{cve}",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.HIGH,
        title_ja=texts["ja"][0],
        title_en=texts["en"][0],
        subject=subject,
        description_ja=texts["ja"][1],
        description_en=texts["en"][1],
        remediation_ja=texts["ja"][2],
        remediation_en=texts["en"][2],
        cves=(cve,),
        kev=row.kev and len(row.cves) == 1,
        upgrade=Upgrade(product, fixes[-1], row.scheme) if fixes else None,
    )


def assess(report: ReportInput) -> tuple[tuple[AssessedFinding, ...], tuple[ChecklistResult, ...]]:
    """The language-independent part: assessed findings and checklist results."""
    findings = assess_findings(
        report.engagement, [*report.findings, *firmware_gap_findings(report)]
    )
    results = evaluate_checklist(report.engagement, findings, _survey_evidence(report))
    return findings, results
