"""The report's content in one language: every table and sentence, ready for templates.

``build_view(report_input, lang)`` does all the deciding (what to say, in which
order, what to leave out and why); the templates only lay it out. The same view feeds
the HTML/PDF, the Excel list and the JSON exports, so they always agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.assess import (
    AREAS,
    Area,
    AssessedFinding,
    Checklist,
    ChecklistResult,
    ChecklistStatus,
    Priority,
    SurveyEvidence,
    assess_findings,
    evaluate_checklist,
    load_checklist,
    redact,
)
from kenshin.checks import NETWORK_CHECKS, CheckTarget, roles_by_address
from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    ConnectionPoint,
    Engagement,
    Finding,
    FindingCategory,
    FindingStatus,
    FindingSubject,
    FirmwareStatus,
    GlobalAddress,
    HolderKind,
    HostResult,
    PortResult,
    PortState,
    Severity,
    Upgrade,
)
from kenshin.domain.clock import JST
from kenshin.i18n import translate
from kenshin.report.charts import bar_chart
from kenshin.report.fixes import DeviceFix, device_fixes, highest, upgrades_of
from kenshin.report.model import (
    FirmwareRow,
    ReportInput,
    ScanPacing,
    TerminalRow,
    VerdictStatus,
)
from kenshin.report.readable import readable

PRIORITIES: tuple[Priority, ...] = tuple(Priority)
PRIORITY_COLOURS = {
    Priority.URGENT: "#b3122e",
    Priority.HIGH: "#e0561b",
    Priority.MEDIUM: "#d9a400",
    Priority.LOW: "#3b7dd8",
    Priority.INFO: "#8a94a6",
}
AREA_COLOUR = "#2d4a7a"
# Findings in these priorities get a full card (evidence, remediation); the rest a table row.
DETAILED = (Priority.URGENT, Priority.HIGH, Priority.MEDIUM)
TOP_ACTIONS = 4
# Finding lines shown under one top action; an update that resolves many CVEs names them all.
ACTION_LINES = 3
UPGRADE_ACTION_LINES = 8
# A report of thousands of findings stays readable (and renders in seconds): at most this
# many cards in the whole document, repeated issues shown once with their targets, and at
# most this many targets named per line; findings.xlsx/json always list every finding.
MAX_CARDS = 40
MAX_TARGETS = 24
APPENDIX_INDEX_LIMIT = 150
# With more devices than this, devices without known vulnerabilities are named in a line
# instead of a table row each.
FIRMWARE_TABLE_LIMIT = 30
# Up to this many diagnosed addresses get a section each; beyond, one table of open ports
# and the findings grouped across addresses (each finding still names its address).
HOSTS_DETAIL_LIMIT = 6
TERMINAL_CHECK_ORDER = ("os_support", "patches", "antivirus", "usb", "accounts", "services")


@dataclass(frozen=True)
class AddressStatus:
    """A global address of an in-scope internet line, and whether it was diagnosed."""

    address: str
    point: ConnectionPoint
    assignment: AddressAssignment
    diagnosed: bool
    reason_key: str  # report.addr.*


@dataclass
class ReportView:
    lang: str
    input: ReportInput
    findings: tuple[AssessedFinding, ...]
    checklist: Checklist
    checklist_results: tuple[ChecklistResult, ...]
    addresses: tuple[AddressStatus, ...]
    data: dict[str, Any] = field(default_factory=dict)
    fixes: dict[str, DeviceFix] = field(default_factory=dict)  # device key -> its one fix
    port_hits: dict[tuple[str, int], set[str]] | None = None  # see _port_hits

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)

    @property
    def engagement(self) -> Engagement:
        return self.input.engagement

    @property
    def open_findings(self) -> tuple[AssessedFinding, ...]:
        return tuple(f for f in self.findings if f.is_open)

    def by_area(self, area: Area) -> tuple[AssessedFinding, ...]:
        return tuple(f for f in self.findings if f.area is area)


def jst(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return "-"
    local = moment.astimezone(JST)
    return f"{local:%Y-%m-%d %H:%M}" if with_time else f"{local:%Y-%m-%d}"


def _dynamic_confirmed(address: GlobalAddress, day: date | None) -> bool:
    if day is None:
        return bool(address.confirmations)
    return any(c.confirmed_at.astimezone(JST).date() == day for c in address.confirmations)


def address_statuses(report: ReportInput) -> tuple[AddressStatus, ...]:
    """Every global address of an in-scope, internet-reachable line, diagnosed or not and why."""
    scanned = {host.address for host in report.scan.hosts} if report.scan else set()
    day = report.scan.started_at.astimezone(JST).date() if report.scan else None
    statuses: list[AddressStatus] = []
    for point in report.engagement.connection_points:
        if not point.is_diagnosis_candidate:
            continue
        for address in point.addresses:
            text = str(address.address)
            if text in scanned:
                key = "report.addr.diagnosed"
                if address.assignment is AddressAssignment.DYNAMIC:
                    key = (
                        "report.addr.diagnosed_dynamic"
                        if _dynamic_confirmed(address, day)
                        else "report.addr.diagnosed_unconfirmed"
                    )
                statuses.append(AddressStatus(text, point, address.assignment, True, key))
            elif report.scan is None:
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.not_run")
                )
            elif address.assignment is AddressAssignment.DYNAMIC and not _dynamic_confirmed(
                address, day
            ):
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.unconfirmed")
                )
            else:
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.not_scanned")
                )
    return tuple(statuses)


def _survey_evidence(report: ReportInput) -> SurveyEvidence:
    return SurveyEvidence(
        remote_done=report.scan is not None and bool(report.scan.hosts),
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
            [(row.device_key, row.status.value) for row in report.firmware]
            if report.firmware is not None
            else None
        ),
        terminal_verdicts=(
            [
                (row.key, check, verdict.status.value)
                for row in report.terminals
                for check, verdict in row.verdicts.items()
            ]
            if report.terminals is not None
            else None
        ),
    )


def firmware_gap_findings(report: ReportInput) -> list[Finding]:
    """The firmware table's verdicts that no finding states yet, as findings.

    One source of truth: a row that says "affected" or "version unknown" must reach the
    summary, the checklist and findings.xlsx like any other finding. A CVE already stated
    about the device (by the firmware room, or by the remote diagnosis on the device's
    line) adds nothing; each missing CVE becomes its own finding, so that the assessment
    merges it with any other finding of that CVE and never bridges two CVEs.
    """
    if report.firmware is None:
        return []
    engagement = report.engagement
    devices = {d.key: d for d in engagement.devices}
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
        device = devices.get(row.device_key)
        name = device.name if device else row.device_key
        product = f"{row.vendor} {row.model}".strip() or name
        subject = FindingSubject(device_key=row.device_key)
        if row.status is FirmwareStatus.AFFECTED:
            fixes = [v.strip() for v in row.fixed_version.split(",") if v.strip()]
            for cve in row.cves:
                if (row.device_key, cve) in stated:
                    continue
                out.append(_gap_cve(row, cve, name, product, subject, fixes))
        elif (
            row.status in (FirmwareStatus.VERSION_UNKNOWN, FirmwareStatus.UNKNOWN_PRODUCT)
            and row.device_key not in unknown_stated
        ):
            key = f"report.fwgap.{row.status.value}"
            out.append(
                Finding(
                    check_id=f"firmware.{row.status.value}",
                    category=FindingCategory.CONFIGURATION,
                    severity=Severity.LOW,
                    title_ja=translate(key, "ja", device=name, product=product),
                    title_en=translate(key, "en", device=name, product=product),
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
    name: str,
    product: str,
    subject: FindingSubject,
    fixes: list[str],
) -> Finding:
    """One CVE of an affected firmware row; KEV only when the row's KEV flag is its alone."""
    texts = {
        lang: (
            translate("report.fwgap.title", lang, device=name, cve=cve),
            translate(
                "report.fwgap.description", lang, product=product, version=row.version, cves=cve
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


_VERSION_CHECKS = ("firmware.version_unknown", "firmware.unknown_product")


def assess(report: ReportInput) -> tuple[tuple[AssessedFinding, ...], tuple[ChecklistResult, ...]]:
    """The language-independent part: assessed findings and checklist results."""
    findings = assess_findings(
        report.engagement, [*report.findings, *firmware_gap_findings(report)]
    )
    results = evaluate_checklist(report.engagement, findings, _survey_evidence(report))
    return findings, results


def owner_label(finding: AssessedFinding, lang: str) -> str:
    owner = finding.owner
    if owner.kind is HolderKind.HOSPITAL:
        return translate("report.owner.hospital", lang)
    if owner.kind is HolderKind.VENDOR:
        return translate("report.owner.vendor", lang, name=owner.name or "-")
    return owner.name or translate("label.holder.other", lang)


def _holder_label(engagement: Engagement, point: ConnectionPoint, lang: str) -> str:
    holder = point.contract_holder
    if holder.vendor_key:
        try:
            return engagement.vendor(holder.vendor_key).company
        except KeyError:
            return holder.vendor_key
    return holder.name or translate(f"label.holder.{holder.kind.value}", lang)


def judgement(view: ReportView) -> tuple[str, str]:
    """The overall judgement: a level (for colour) and its sentence key."""
    counts = Counter(f.priority for f in view.open_findings)
    if counts[Priority.URGENT]:
        return "urgent", "report.judgement.urgent"
    if counts[Priority.HIGH]:
        return "high", "report.judgement.high"
    if counts[Priority.MEDIUM]:
        return "medium", "report.judgement.medium"
    if counts[Priority.LOW]:
        return "low", "report.judgement.low"
    return "good", "report.judgement.good"


@cache
def _due_days() -> dict[str, int | None]:
    path = resources.files("kenshin.report") / "data" / "due.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): (int(v) if v is not None else None) for k, v in document["days"].items()}


def due_date(report: ReportInput, priority: Priority) -> date | None:
    """The suggested due date of a finding of ``priority`` (``data/due.yaml``), in JST."""
    days = _due_days().get(priority.value)
    if days is None:
        return None
    return report.generated_at.astimezone(JST).date() + timedelta(days=days)


def survey_parts(view: ReportView) -> list[dict[str, Any]]:
    """Every part of the survey with its state: done, partly done (what is missing), not done.

    The summary's judgement reads these: a part not done, or done only in part, can
    never make the report say "no problems".
    """
    report, t = view.input, view.t
    engagement = report.engagement
    sep = "、" if view.lang == "ja" else ", "
    issued = jst(report.generated_at, with_time=False)
    parts: list[dict[str, Any]] = []

    def part(key: str, state: str, date: str, detail: str, missing: list[str]) -> None:
        parts.append(
            {
                "key": key,
                "name": t(f"report.area.{key}"),
                "state": state,
                "state_label": t(f"report.part.{state}"),
                "date": date,
                "detail": detail,
                "missing": sep.join(missing),
            }
        )

    in_scope = [p for p in engagement.connection_points if p.in_ehr_scope]
    unknown = [
        dev.key
        for dev in engagement.devices
        if not dev.version_known and _device_in_scope(engagement, dev.connection_points)
    ]
    holderless = [
        p.key
        for p in in_scope
        if p.contract_holder.kind is HolderKind.OTHER and not p.contract_holder.name
    ]
    part(
        "connection_points",
        "partial" if unknown or holderless else "done" if in_scope else "not_done",
        issued,
        t(
            "report.cov.points",
            inscope=len(in_scope),
            total=len(engagement.connection_points),
            devices=len(engagement.devices),
        ),
        [t("report.part.missing_versions", keys=", ".join(unknown))] if unknown else [],
    )
    if report.firmware is None:
        part("firmware", "not_done", "-", t("report.not_done_section"), [])
    else:
        unchecked = [
            r.device_key
            for r in report.firmware
            if r.status not in (FirmwareStatus.AFFECTED, FirmwareStatus.NOT_AFFECTED)
        ]
        checked = len(report.firmware) - len(unchecked)
        part(
            "firmware",
            "partial" if unchecked else "done",
            issued,
            t("report.cov.firmware", checked=checked, total=len(report.firmware)),
            [t("report.part.unchecked_devices", keys=", ".join(unchecked))] if unchecked else [],
        )
    if report.scan is None:
        part("remote", "not_done", "-", t("report.not_done_section"), [])
    else:
        left = [a for a in view.addresses if not a.diagnosed]
        part(
            "remote",
            "partial" if left else "done",
            jst(report.scan.started_at, with_time=False),
            t(
                "report.cov.remote",
                done=len(view.addresses) - len(left),
                total=len(view.addresses),
            ),
            [
                f"{a.address}（{t(a.reason_key)}）"
                if view.lang == "ja"
                else f"{a.address} ({t(a.reason_key)})"
                for a in left
            ],
        )
    if report.terminals is None:
        part("terminals", "not_done", "-", t("report.not_done_section"), [])
    else:
        audited = {row.key for row in report.terminals}
        planned = [term.key for term in engagement.terminals if term.key not in audited]
        part(
            "terminals",
            "partial" if planned else "done",
            issued,
            t("report.cov.terminals", count=len(audited), limit=engagement.terminal_limit),
            [t("report.part.terminals_left", keys=", ".join(planned))] if planned else [],
        )
    return parts


def _finding_dict(view: ReportView, finding: AssessedFinding) -> dict[str, Any]:
    lang = view.lang
    lead = finding.finding
    title = lead.title(lang)
    if lang == "en":
        description = lead.description_en or lead.description_ja
        remediation = lead.remediation_en or lead.remediation_ja
    else:
        description = lead.description_ja or lead.description_en
        remediation = lead.remediation_ja or lead.remediation_en
    reasons = [
        view.t(key, value=f"{value:+.1f}" if i else f"{value:.1f}")
        for i, (key, value) in enumerate(finding.decision.steps)
    ]
    return {
        "id": finding.id,
        "priority": finding.priority.value,
        "priority_label": view.t(f"report.priority.{finding.priority.value}"),
        "score": finding.decision.score,
        "reasons": reasons,
        "area": finding.area.value,
        "area_label": view.t(f"report.area.{finding.area.value}"),
        "target": finding.target,
        "title": title,
        "description": description,
        "remediation": remediation,
        "category": view.t(f"label.category.{lead.category.value}"),
        "cves": list(finding.cves),
        "kev": finding.kev,
        "ransomware": finding.ransomware,
        "cvss": finding.cvss,
        "confidence": view.t(f"report.confidence.{lead.confidence.value}"),
        "status": lead.status.value,
        "status_label": view.t(f"label.finding_status.{lead.status.value}"),
        "status_reason": lead.status_reason,
        "owner": owner_label(finding, lang),
        "owner_kind": finding.owner.kind.value,
        "evidence": [
            {"check_id": e.check_id, "subject": e.subject, "text": e.text} for e in finding.evidence
        ],
        "plain_evidence": _plain_evidence(view, finding),
        "raw_evidence": _raw_evidence(finding),
        "device_key": finding.device_key,
        "point_key": finding.point_key,
        "device_label": _device_label(view, finding.device_key),
        "point_label": _point_label(view, finding.point_key),
        "due": due_date(view.input, finding.priority) if finding.is_open else None,
        "upgrades": upgrades_of(finding),
        "fix_version": "",
        "checks": list(finding.check_ids),
        "merged": len(finding.merged),
        "exposed": finding.internet_exposed,
        "detailed": finding.priority in DETAILED and finding.is_open,
        "open": finding.is_open,
        "upgrade": _upgrade_of(finding),
    }


def _kb_name(view: ReportView, name: str) -> str:
    """A knowledge source's name for readers (kenshin's own snapshot has a label)."""
    key = "report.kb." + re.sub(r"\W+", "_", name.strip().lower())
    label = view.t(key)
    return name if label == key else label


def _evidence_appendix(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The remote diagnosis's raw answers behind the detailed findings; one answer once."""
    entries: list[dict[str, Any]] = []
    first_seen: dict[str, str] = {}
    for item in items:
        if not (item["detailed"] and item["area"] == Area.REMOTE.value and item["raw_evidence"]):
            continue
        evidence = item["raw_evidence"][0]
        same = first_seen.setdefault(evidence["text"], item["id"])
        entries.append(
            {
                "id": item["id"],
                "title": item["title"],
                "subject": evidence["subject"],
                "text": evidence["text"] if same == item["id"] else "",
                "same_as": same if same != item["id"] else "",
            }
        )
    return entries


def _raw_evidence(finding: AssessedFinding) -> list[dict[str, str]]:
    """The redacted evidence made readable, what the network answered first."""
    with_text = [f for f in finding.merged if f.evidence.strip()]
    pairs = sorted(
        zip(with_text, finding.evidence, strict=True),
        key=lambda pair: pair[0].subject.address is None,
    )
    return [
        {"subject": evidence.subject, "text": text}
        for _, evidence in pairs
        if (text := readable(evidence.text))
    ]


def _device_label(view: ReportView, key: str | None) -> str:
    device = next((d for d in view.engagement.devices if d.key == key), None)
    return f"{device.key} {device.name}" if device else ""


def _point_label(view: ReportView, key: str | None) -> str:
    point = next((p for p in view.engagement.connection_points if p.key == key), None)
    return f"{point.key} {point.name}" if point else ""


def _plain_evidence(view: ReportView, finding: AssessedFinding) -> list[str]:
    """Where each merged finding's evidence came from and when, in plain words."""
    report = view.input
    devices = {d.key: d for d in report.engagement.devices}
    scan_day = jst(report.scan.started_at, with_time=False) if report.scan else "-"
    lines: list[str] = []
    for merged in finding.merged:
        subject = merged.subject
        if subject.address:
            where = subject.address
            if subject.port is not None:
                where += f" {subject.port}/{(subject.protocol or 'tcp').upper()}"
            lines.append(view.t("report.ev.remote", where=where, date=scan_day))
        elif subject.terminal_key:
            lines.append(view.t("report.ev.terminal", terminal=subject.terminal_key))
        elif subject.device_key and subject.device_key in devices:
            device = devices[subject.device_key]
            source = (
                view.t(f"label.source.{device.version_source.value}")
                if device.version_source
                else view.t("report.version.no_source")
            )
            lines.append(
                view.t(
                    "report.ev.firmware" if device.version_known else "report.ev.firmware_unknown",
                    device=f"{device.key} {device.name}",
                    version=device.firmware_version,
                    source=source,
                    date=jst(report.generated_at, with_time=False),
                )
            )
        else:
            lines.append(view.t("report.ev.records"))
    return list(dict.fromkeys(lines))


def _upgrade_of(finding: AssessedFinding) -> Upgrade | None:
    """The update the issue asks for: the lead's, else the first merged finding's."""
    if finding.finding.upgrade is not None:
        return finding.finding.upgrade
    return next((f.upgrade for f in finding.merged if f.upgrade is not None), None)


def _top_actions(
    open_items: list[dict[str, Any]], lang: str, fixes: dict[str, DeviceFix]
) -> list[dict[str, Any]]:
    """Every urgent and high action; findings with the same fix and owner make one action.

    Vulnerabilities of one device (or target) and product that an update fixes make one
    action: update to the device's fix, the same version the firmware table and
    findings.xlsx name (``fixes.py``). Nothing pressing is dropped; the summary shows the
    first ``TOP_ACTIONS`` as cards and the rest as compact rows.
    """
    pressing = [
        item
        for item in open_items
        if item["priority"] in (Priority.URGENT.value, Priority.HIGH.value)
    ]
    return group_actions(pressing, lang, fixes)


def group_actions(
    items: list[dict[str, Any]], lang: str, fixes: dict[str, DeviceFix]
) -> list[dict[str, Any]]:
    """``items`` as actions: the same fix and owner make one; a device's updates make one."""
    keys = {item["id"]: _upgrade_key(item, fixes) for item in items}
    upgrades = Counter(key for key in keys.values() if key is not None)
    actions: dict[tuple[str, ...], dict[str, Any]] = {}
    for item in items:
        upgrade_key = keys[item["id"]]
        key = (
            upgrade_key
            if upgrade_key is not None
            and (upgrades[upgrade_key] > 1 or item["device_key"] in fixes)
            else ("fix", item["remediation"] or item["title"], item["owner"])
        )
        if key in actions:
            actions[key]["items"].append(item)
            continue
        actions[key] = {"lead": item, "items": [item], "merged_upgrade": key[0] == "upgrade"}
    result = []
    for action in actions.values():
        lead, members = action["lead"], action["items"]
        if action["merged_upgrade"]:
            text, steps = _upgrade_text(members, lang, fixes.get(lead["device_key"] or ""))
            lines = UPGRADE_ACTION_LINES
        else:
            text, steps, lines = lead["remediation"] or lead["title"], [], ACTION_LINES
        result.append(
            {
                "lead": lead,
                "items": members,
                "text": text,
                "steps": steps,
                "shown": members[:lines],
                "more": max(0, len(members) - lines),
                "ids": [item["id"] for item in members],
                "targets": list(dict.fromkeys(item["target"] for item in members)),
                "devices": list(
                    dict.fromkeys(
                        item["device_label"] or item["point_label"] or item["target"]
                        for item in members
                    )
                ),
                "due": min((item["due"] for item in members if item["due"]), default=None),
            }
        )
    return result


def action_sheets(
    view: ReportView, open_items: list[dict[str, Any]], fixes: dict[str, DeviceFix]
) -> list[dict[str, Any]]:
    """One sheet per party that has to act (each vendor, the hospital): what, where, by when.

    Ready to hand over: every open finding of the party (information-only ones left out)
    as actions, the most pressing first, each naming the findings it closes.
    """
    owners: dict[str, list[dict[str, Any]]] = {}
    for item in open_items:
        if item["priority"] != Priority.INFO.value:
            owners.setdefault(item["owner"], []).append(item)
    sheets = []
    for owner, items in owners.items():
        actions = group_actions(items, view.lang, fixes)
        sheets.append(
            {
                "owner": owner,
                "hospital": items[0]["owner_kind"] == HolderKind.HOSPITAL.value,
                "actions": actions,
                "count": len(items),
            }
        )
    sheets.sort(key=lambda s: (s["hospital"], s["owner"]))  # vendors first, then the hospital
    return sheets


def _upgrade_key(item: dict[str, Any], fixes: dict[str, DeviceFix]) -> tuple[str, ...] | None:
    """Which update closes the item: its device's one fix, else its own upgrade; or None."""
    upgrade: Upgrade | None = item["upgrade"]
    if upgrade is None:  # no known fix: the device's update may not close it
        return None
    fix = fixes.get(item["device_key"] or "")
    if fix is not None:
        return ("upgrade", item["device_key"], fix.product, fix.scheme, item["owner"])
    return ("upgrade", item["target"], upgrade.product, upgrade.scheme, item["owner"])


def _upgrade_text(
    items: list[dict[str, Any]], lang: str, fix: DeviceFix | None
) -> tuple[str, list[str]]:
    """One update for several vulnerabilities, and each one's extra steps.

    The device's fix when the items are about a known device, else the highest fixed
    version per release line of every update the items ask for.
    """
    upgrades: list[Upgrade] = [u for item in items for u in item["upgrades"]]
    if fix is None:
        fix = highest(upgrades)
    assert fix is not None  # items of an upgrade action have an upgrade
    cves = {cve for item in items for cve in item["cves"]}
    flags = [
        translate(f"report.action.{flag}", lang, count=count)
        for flag, count in (
            ("kev", sum(1 for item in items if item["kev"])),
            ("ransomware", sum(1 for item in items if item["ransomware"])),
        )
        if count
    ]
    params: dict[str, object] = {
        "product": fix.product or items[0]["target"],
        "count": len(cves) or len(items),
        "flags": (f"（{'、'.join(flags)}）" if lang == "ja" else f" ({', '.join(flags)})")
        if flags
        else "",
    }
    if len(fix.per_line) == 1:
        text = translate("report.action.upgrade", lang, fixed=fix.label(lang), **params)
    else:
        text = translate("report.action.upgrade_lines", lang, lines=fix.label(lang), **params)
    steps = list(dict.fromkeys(s for u in upgrades if (s := u.steps(lang).strip())))
    return text, steps


def group_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings that say the same thing (same title, fix, priority, status) shown once.

    Each group keeps every finding's number and target; the template names the first
    ``MAX_TARGETS`` targets and counts the rest.
    """
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for item in items:
        key = (
            item["area"],
            item["title"],
            item.get("description", ""),  # two terminals' different states stay two cards
            item["remediation"],
            item["priority"],
            item["status"],
            str(item["detailed"]),
        )
        group = groups.get(key)
        if group is None:
            groups[key] = {"lead": item, "items": [item]}
        else:
            group["items"].append(item)
    result = []
    for group in groups.values():
        members = group["items"]
        targets = list(dict.fromkeys(m["target"] for m in members))
        result.append(
            {
                "lead": group["lead"],
                "items": members,
                "count": len(members),
                "ids": [m["id"] for m in members],
                "targets": targets[:MAX_TARGETS],
                "more_targets": max(0, len(targets) - MAX_TARGETS),
                "kev": any(m["kev"] for m in members),
                "ransomware": any(m["ransomware"] for m in members),
                "cves": list(dict.fromkeys(c for m in members for c in m["cves"]))[:MAX_TARGETS],
            }
        )
    return result


def _count_rows(view: ReportView) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_priority = Counter(f.priority for f in view.open_findings)
    by_area = Counter(f.area for f in view.open_findings)
    priority_rows = [
        {
            "key": p.value,
            "label": view.t(f"report.priority.{p.value}"),
            "count": by_priority[p],
            "colour": PRIORITY_COLOURS[p],
        }
        for p in PRIORITIES
    ]
    area_rows = [
        {
            "key": a.value,
            "label": view.t(f"report.area.{a.value}"),
            "count": by_area[a],
            "colour": AREA_COLOUR,
        }
        for a in AREAS
    ]
    return priority_rows, area_rows


def _port_dict(port: PortResult) -> dict[str, Any]:
    identity = port.identity
    return {
        "protocol": port.protocol.value,
        "port": port.port,
        "state": port.state.value,
        "service": identity.service if identity else "",
        "product": redact(identity.product) if identity else "",
        "version": redact(identity.version) if identity else "",
        "reason": port.reason,
    }


TERMINAL_COLUMNS = 5
# characters of a verdict's sentence shown in the terminal table (ok / otherwise)
CELL_SHORT = 24
CELL_LONG = 44
_MARKS = {"ok": "○", "warning": "△", "bad": "×", "unknown": "－"}


_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (family, survey part it belongs to, check-id prefixes)
    ("vulnerability", "remote", ("vulnerability.", "vuln.")),
    ("backdoor", "remote", ("backdoor.",)),
    ("account", "remote", ("account.",)),
    ("exposure", "remote", ("exposure.",)),
    ("configuration", "remote", ("configuration.", "tls.", "ssh.", "http.")),
    ("firmware", "firmware", ("firmware.",)),
    ("terminal", "terminals", ("terminal.", "terminals.")),
)


def _requests(view: ReportView) -> list[dict[str, Any]]:
    """Each vendor request: what was asked by which path, its state, the answer, its use."""
    t, lang = view.t, view.lang
    sep = "、" if lang == "ja" else ", "
    devices = {d.key: d for d in view.engagement.devices}
    points = {p.key: p for p in view.engagement.connection_points}
    rows = []
    for request in view.input.requests or ():
        about = (
            f"{request.device_key} {devices[request.device_key].name}"
            if request.device_key in devices
            else f"{request.point_key} {points[request.point_key].name}"
            if request.point_key in points
            else request.device_key or request.point_key or "-"
        )
        asked = sep.join(t(f"requests.want.{w}") for w in request.wants)
        answer = request.answer
        shown = [
            t(f"requests.want.{key}") + f": {redact(value)}"
            for key, value in answer.items()
            if key in ("firmware", "wan_ip", "isp")
        ]
        if "assignment" in answer:
            shown.append(t(f"label.assignment.{answer['assignment']}"))
        if answer.get("note"):
            shown.append(redact(answer["note"]))
        rows.append(
            {
                "ref": request.ref,
                "vendor": request.vendor or "-",
                "subject": f"{about}: {asked}",
                "sent": t("report.requests.sent", date=jst(request.sent_at, with_time=False))
                if request.sent_at
                else t("report.requests.not_sent"),
                "path": t(f"requests.path.{request.path}"),
                "status": t(f"requests.state.{request.state}"),
                "answer": sep.join(shown),
                "used": _request_use(view, request),
            }
        )
    return rows


def _request_use(view: ReportView, request: Any) -> str:
    """What the survey did with the answer, from the records it changed."""
    t = view.t
    device = next((d for d in view.engagement.devices if d.key == request.device_key), None)
    answer = request.answer
    if request.state in ("draft", "sent"):
        return t("report.requests.use.waiting")
    if request.state == "difficult":
        return t("report.requests.use.next_path")
    if request.state == "cancelled":
        return t("report.requests.use.cancelled")
    used = []
    if answer.get("firmware") and device is not None:
        checked = view.input.firmware is not None and any(
            r.device_key == device.key for r in view.input.firmware
        )
        used.append(
            t(
                "report.requests.use.firmware_checked"
                if checked
                else "report.requests.use.firmware_recorded",
                device=device.key,
            )
        )
    if answer.get("wan_ip"):
        diagnosed = any(a.address == answer["wan_ip"] and a.diagnosed for a in view.addresses)
        used.append(
            t(
                "report.requests.use.diagnosed"
                if diagnosed
                else "report.requests.use.address_recorded",
                address=answer["wan_ip"],
            )
        )
    return ("、" if view.lang == "ja" else "; ").join(used) or t("report.requests.use.recorded")


def _check_families(view: ReportView) -> list[dict[str, Any]]:
    """Each family of checks: carried out or not, and what it found (also "nothing")."""
    done = {
        "remote": view.input.scan is not None,
        "firmware": view.input.firmware is not None,
        "terminals": view.input.terminals is not None,
    }
    rows = []
    for family, part, prefixes in _FAMILIES:
        hits = [f for f in view.findings if any(c.startswith(prefixes) for c in f.check_ids)]
        opened = [f for f in hits if f.is_open]
        if not done[part] and not hits:
            outcome = view.t("report.not_done")
        elif opened:
            outcome = view.t("report.family.found", count=len(opened))
        else:
            outcome = view.t("report.family.nothing")
        rows.append(
            {
                "label": view.t(f"report.family.{family}"),
                "what": view.t(f"report.family.{family}.what"),
                "outcome": outcome,
                "done": done[part] or bool(hits),
            }
        )
    return rows


def _port_hits(view: ReportView) -> dict[tuple[str, int], set[str]]:
    """Per (address, port): the families of checks with an open finding there (cached)."""
    if view.port_hits is not None:
        return view.port_hits
    prefixes = {family: prefs for family, part, prefs in _FAMILIES if part == "remote"}
    hits: dict[tuple[str, int], set[str]] = {}
    for finding in view.findings:
        if not finding.is_open:
            continue
        for merged in finding.merged:
            subject = merged.subject
            if subject.address is None or subject.port is None:
                continue
            for family, prefs in prefixes.items():
                if merged.check_id.startswith(prefs):
                    hits.setdefault((subject.address, subject.port), set()).add(family)
    view.port_hits = hits
    return hits


def _port_checks(
    view: ReportView, host: HostResult, port: PortResult, roles: dict[str, str]
) -> str:
    """The families of checks that apply to this port's service, and what each found.

    The diagnosis runs every check whose ``applies_to`` accepts the port (checks/engine.py);
    asked again here, so the report can say "ran, nothing found" as well as what was found.
    """
    target = CheckTarget(host.address, port, host.ports, roles.get(host.address))
    prefixes = {family: prefs for family, part, prefs in _FAMILIES if part == "remote"}
    applied = {
        family
        for check in NETWORK_CHECKS
        if check.applies_to(target)
        for family, prefs in prefixes.items()
        if check.check_id.startswith(prefs)
    }
    if port.identity is not None and port.identity.product:
        applied.add("vulnerability")  # the known-vulnerability check reads the product
    hits = _port_hits(view).get((host.address, port.port), set())
    versionless = port.identity is not None and not port.identity.version

    def outcome(family: str) -> str:
        if family in hits:
            return "report.port_check.found"
        if family == "vulnerability" and versionless:
            return "report.port_check.no_version"  # not "nothing found": it could not tell
        return "report.port_check.nothing"

    parts = [
        view.t(outcome(family), family=view.t(f"report.family.{family}"))
        for family in prefixes
        if family in applied or family in hits
    ]
    return ("、" if view.lang == "ja" else "; ").join(parts) or view.t("report.port_check.none")


def _port_coverage(view: ReportView, host: Any) -> list[dict[str, Any]]:
    """Ports probed per protocol on one address, as counts by state (never a list)."""
    counts: dict[str, Counter[str]] = {}
    for port in host.ports:
        counts.setdefault(port.protocol.value, Counter())[port.state.value] += 1
    for extra in host.extraports:
        counts.setdefault(extra.protocol.value, Counter())[extra.state.value] += extra.count
    rows = []
    for protocol in sorted(counts):
        states = counts[protocol]
        rows.append(
            {
                "protocol": protocol.upper(),
                "total": sum(states.values()),
                "states_text": ("、" if view.lang == "ja" else ", ").join(
                    f"{view.t(f'report.state.{state}')} {count}"
                    for state, count in sorted(states.items())
                ),
            }
        )
    return rows


def _terminal_tables(view: ReportView, rows: tuple[TerminalRow, ...]) -> list[dict[str, Any]]:
    """The terminal survey transposed: a row per check, a column per terminal (≤ 5 a table)."""
    checks = _terminal_checks(rows)
    tables = []
    for start in range(0, len(rows), TERMINAL_COLUMNS):
        chunk = rows[start : start + TERMINAL_COLUMNS]
        tables.append(
            {
                "terminals": [{"key": r.key, "hostname": r.hostname, "os": r.os} for r in chunk],
                "rows": [
                    {
                        "label": _tcheck_label(view, check),
                        "cells": [_terminal_cell(view, row, check) for row in chunk],
                    }
                    for check in checks
                ],
            }
        )
    return tables


def _terminal_cell(view: ReportView, row: TerminalRow, check: str) -> dict[str, str]:
    """A mark and a short reason; the full sentence of every bad verdict is in the list below."""
    verdict = row.verdicts.get(check)
    if verdict is None:
        return {
            "status": "unknown",
            "mark": _MARKS["unknown"],
            "summary": view.t("report.verdict.not_checked"),
        }
    status = verdict.status.value
    summary = redact(verdict.summary(view.lang))
    if verdict.status is VerdictStatus.OK and len(summary) > CELL_SHORT:
        summary = view.t("report.verdict.ok")
    elif len(summary) > CELL_LONG:
        summary = summary[: CELL_LONG - 1] + "…"
    return {"status": status, "mark": _MARKS.get(status, _MARKS["unknown"]), "summary": summary}


def _terminal_issues(view: ReportView, rows: tuple[TerminalRow, ...]) -> list[dict[str, Any]]:
    """Every bad or warning verdict of every terminal, in words (none hidden by grouping)."""
    issues = []
    for row in rows:
        lines = [
            {
                "status": verdict.status.value,
                "label": view.t(f"report.verdict.{verdict.status.value}"),
                "check": _tcheck_label(view, check),
                "summary": redact(verdict.summary(view.lang)),
            }
            for check in _terminal_checks((row,))
            if (verdict := row.verdicts[check]).status in (VerdictStatus.BAD, VerdictStatus.WARNING)
        ]
        lines.sort(key=lambda line: line["status"] != VerdictStatus.BAD.value)
        if lines:
            issues.append(
                {
                    "key": row.key,
                    "hostname": row.hostname,
                    "role": view.t(f"label.terminal.{row.role.value}"),
                    "os": row.os or "-",
                    "lines": lines,
                }
            )
    return issues


def _terminal_checks(rows: tuple[TerminalRow, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for known in TERMINAL_CHECK_ORDER:
        if any(known in row.verdicts for row in rows):
            seen[known] = None
    for row in rows:
        for check in row.verdicts:
            seen.setdefault(check, None)
    return list(seen)


def build_view(report: ReportInput, lang: str) -> ReportView:
    """Everything the templates and exports need, in ``lang``."""
    findings, results = assess(report)
    return build_view_from(report, lang, findings, results)


def build_view_from(
    report: ReportInput,
    lang: str,
    findings: tuple[AssessedFinding, ...],
    results: tuple[ChecklistResult, ...],
) -> ReportView:
    engagement = report.engagement
    view = ReportView(
        lang=lang,
        input=report,
        findings=findings,
        checklist=load_checklist(),
        checklist_results=results,
        addresses=address_statuses(report),
    )
    t = view.t
    d = view.data
    inst = engagement.institution
    d["institution"] = inst.name_en if lang == "en" and inst.name_en else inst.name
    d["institution_ja"] = inst.name
    d["title"] = engagement.title
    d["generated"] = jst(report.generated_at, with_time=False)
    d["period"] = (
        f"{engagement.survey_start:%Y-%m-%d} – {engagement.survey_end:%Y-%m-%d}"
        if engagement.survey_start and engagement.survey_end
        else "-"
    )
    d["window"] = (
        f"{jst(engagement.window.starts_at)} – {jst(engagement.window.ends_at)}"
        if engagement.window
        else None
    )
    auth = engagement.authorisation
    d["authorisation"] = (
        {"by": auth.approved_by, "at": jst(auth.approved_at, False), "ref": auth.document_ref}
        if auth
        else None
    )
    d["authors"] = list(report.authors)

    all_items = [_finding_dict(view, f) for f in findings]
    cards = 0
    for item in all_items:  # in priority order: the first MAX_CARDS pressing ones get a card
        if item["detailed"]:
            cards += 1
            item["detailed"] = cards <= MAX_CARDS
    d["findings"] = all_items
    by_id = {item["id"]: item for item in all_items}
    open_items = [item for item in all_items if item["open"]]
    d["open_count"] = len(open_items)
    d["closed_count"] = len(all_items) - len(open_items)
    d["false_positive_count"] = sum(1 for f in findings if f.status is FindingStatus.FALSE_POSITIVE)
    d["merged_count"] = sum(1 for f in findings if len(f.merged) > 1)
    fixes = device_fixes(findings, report.firmware)
    view.fixes = fixes
    for item in all_items:
        fix = fixes.get(item["device_key"] or "")
        own = highest(item["upgrades"]) if item["upgrades"] else None
        if fix is not None and own is not None:
            item["fix_version"] = fix.label(lang)
            if own.per_line != fix.per_line:
                # the card names the device's one update, not this CVE's first fix
                steps = [s for u in item["upgrades"] if (s := u.steps(lang).strip())]
                item["remediation"] = " ".join(
                    [
                        t(
                            "report.f.device_fix",
                            product=fix.product or own.product,
                            fixed=fix.label(lang),
                            own=own.label(lang),
                        ),
                        *dict.fromkeys(steps),
                    ]
                )
        elif own is not None:
            item["fix_version"] = own.label(lang)
    parts = survey_parts(view)
    d["parts"] = parts
    not_done = [p["name"] for p in parts if p["state"] == "not_done"]
    partly = [p["name"] for p in parts if p["state"] == "partial"]
    d["not_done_parts"] = not_done
    d["partial_parts"] = partly
    level, sentence = judgement(view)
    if level == "good" and (not_done or partly):
        level, sentence = "pending", "report.judgement.pending"
    d["judgement_level"] = level
    d["judgement_label"] = t(f"report.judgement_label.{level}")
    counts = Counter(f.priority for f in view.open_findings)
    sep = "、" if lang == "ja" else ", "
    d["judgement_text"] = t(
        sentence,
        urgent=counts[Priority.URGENT],
        high=counts[Priority.HIGH],
        medium=counts[Priority.MEDIUM],
        low=counts[Priority.LOW],
        total=len(open_items),
        parts=sep.join([*not_done, *partly]),
    )
    actions = _top_actions(open_items, lang, fixes)
    compact = len(actions) > TOP_ACTIONS + 2
    d["top_actions"] = actions[:TOP_ACTIONS] if compact else actions
    d["more_actions"] = actions[TOP_ACTIONS:] if compact else []
    d["action_sheets"] = action_sheets(view, open_items, fixes)
    priority_rows, area_rows = _count_rows(view)
    d["priority_counts"] = priority_rows
    d["area_counts"] = area_rows
    d["chart_priority"] = bar_chart(
        [(r["label"], r["count"], r["colour"]) for r in priority_rows],
        title=t("report.chart.by_priority"),
        empty=t("report.chart.none"),
    )
    d["chart_area"] = bar_chart(
        [(r["label"], r["count"], r["colour"]) for r in area_rows],
        title=t("report.chart.by_area"),
        empty=t("report.chart.none"),
    )

    # scope -----------------------------------------------------------------------------
    points = engagement.connection_points
    d["points_in_scope"] = [p for p in points if p.in_ehr_scope]
    d["points_out_of_scope"] = [
        {"key": p.key, "name": p.name, "reason": p.scope_reason or "-"}
        for p in points
        if not p.in_ehr_scope
    ]
    d["points_closed"] = [
        {"key": p.key, "name": p.name}
        for p in points
        if p.in_ehr_scope and (p.kind is ConnectionKind.CLOSED_NETWORK or not p.internet_reachable)
    ]
    d["addresses"] = [
        {
            "address": a.address,
            "point": f"{a.point.key} {a.point.name}",
            "assignment": t(f"label.assignment.{a.assignment.value}"),
            "diagnosed": a.diagnosed,
            "status": t(a.reason_key),
        }
        for a in view.addresses
    ]
    d["unconfirmed"] = [a for a in d["addresses"] if not a["diagnosed"]]
    d["no_address_points"] = [
        {"key": p.key, "name": p.name}
        for p in points
        if p.is_diagnosis_candidate and not p.addresses
    ]
    d["version_missing"] = [
        {
            "key": dev.key,
            "name": dev.name,
            "product": f"{dev.vendor} {dev.model}".strip() or "-",
            "reason": dev.version_unavailable_reason or t("report.version.no_reason"),
        }
        for dev in engagement.devices
        if not dev.version_known and _device_in_scope(engagement, dev.connection_points)
    ]
    scan = report.scan
    d["scan"] = (
        {
            "started": jst(scan.started_at),
            "finished": jst(scan.finished_at),
            "hosts": len(scan.hosts),
            "coverage": [
                t(
                    "report.scope.ports_value",
                    address=host.address,
                    tcp=sum(1 for p in host.ports if p.protocol.value == "tcp")
                    + sum(c.count for c in host.extraports if c.protocol.value == "tcp"),
                    udp=sum(1 for p in host.ports if p.protocol.value == "udp")
                    + sum(c.count for c in host.extraports if c.protocol.value == "udp"),
                )
                for host in scan.hosts
            ],
            "pacing": _pacing_line(report.pacing, t),
        }
        if scan
        else None
    )
    d["check_families"] = _check_families(view)
    d["sections_done"] = {
        "remote": scan is not None,
        "firmware": report.firmware is not None,
        "terminals": report.terminals is not None,
    }
    d["terminal_count"] = len(report.terminals) if report.terminals is not None else 0
    d["terminal_limit"] = engagement.terminal_limit

    # connection points -------------------------------------------------------------------
    d["diagram"] = _clean_svg(report.diagram(lang))
    status_of = {a.address: a for a in view.addresses}
    d["lines"] = [
        {
            "key": p.key,
            "name": p.name,
            "kind": t(f"label.kind.{p.kind.value}"),
            "carrier": p.carrier or "-",
            "holder": _holder_label(engagement, p, lang),
            "holder_kind": p.contract_holder.kind.value,
            "addresses": [
                {
                    "address": str(a.address),
                    "assignment": t(f"label.assignment.{a.assignment.value}"),
                    "diagnosed": status_of.get(str(a.address)) is not None
                    and status_of[str(a.address)].diagnosed,
                }
                for a in p.addresses
            ],
            "in_scope": p.in_ehr_scope,
            "scope": t("report.scope.in") if p.in_ehr_scope else t("report.scope.out"),
            "scope_reason": p.scope_reason,
            "diagnosis": t(_diagnosis_key(p)),
        }
        for p in points
    ]
    firmware_by_device = {row.device_key: row for row in report.firmware or ()}
    d["devices"] = []
    for dev in engagement.devices:
        managed = dev.managed_by
        if managed.vendor_key:
            try:
                manager = engagement.vendor(managed.vendor_key).company
            except KeyError:
                manager = managed.vendor_key
        else:
            manager = managed.name or t(f"label.holder.{managed.kind.value}")
        row = firmware_by_device.get(dev.key)
        d["devices"].append(
            {
                "key": dev.key,
                "name": dev.name,
                "role": t(f"label.role.{dev.role.value}"),
                "vendor": dev.vendor or "-",
                "model": dev.model or "-",
                "version": dev.firmware_version
                if dev.version_known
                else t("report.version.unknown"),
                "version_known": dev.version_known,
                "source": t(f"label.source.{dev.version_source.value}")
                if dev.version_source
                else t("report.version.no_source"),
                "points": ", ".join(dev.connection_points) or "-",
                "manager": manager,
                "firmware_status": t(f"report.fw.{row.status.value}") if row else None,
                "firmware_level": row.status.value if row else None,
            }
        )

    # firmware ---------------------------------------------------------------------------
    devices = {dev.key: dev for dev in engagement.devices}
    if report.firmware is not None:
        d["firmware"] = [
            {
                "key": row.device_key,
                "name": devices[row.device_key].name if row.device_key in devices else "",
                "product": f"{row.vendor} {row.model}".strip(),
                "version": row.version or t("report.version.unknown"),
                "version_known": bool(row.version),
                "source": t(f"label.source.{row.version_source.value}")
                if row.version_source
                else t("report.version.no_source"),
                "status": row.status.value,
                "status_label": t(f"report.fw.{row.status.value}"),
                "cves": list(row.cves),
                "kev": row.kev,
                "fixed": fixes[row.device_key].label(lang)
                if row.device_key in fixes and row.status is FirmwareStatus.AFFECTED
                else row.fixed_version or "-",
                "advice": row.advice(lang),
            }
            for row in sorted(report.firmware, key=lambda r: _fw_order(r.status))
        ]
        d["firmware_listed"] = (
            [r for r in d["firmware"] if r["status"] != FirmwareStatus.NOT_AFFECTED.value]
            if len(d["firmware"]) > FIRMWARE_TABLE_LIMIT
            else d["firmware"]
        )
        d["firmware_clean"] = (
            [r for r in d["firmware"] if r["status"] == FirmwareStatus.NOT_AFFECTED.value]
            if len(d["firmware"]) > FIRMWARE_TABLE_LIMIT
            else []
        )
    else:
        d["firmware"] = None
        d["firmware_listed"] = []
        d["firmware_clean"] = []
    d["firmware_findings"] = [by_id[f.id] for f in view.by_area(Area.FIRMWARE)]
    d["point_findings"] = [by_id[f.id] for f in view.by_area(Area.CONNECTION_POINTS)]

    # remote diagnosis -------------------------------------------------------------------
    hosts: list[dict[str, Any]] = []
    remote_findings = view.by_area(Area.REMOTE)
    if scan is not None:
        point_of = {a.address: a for a in view.addresses}
        roles = roles_by_address(engagement)
        for host in scan.hosts:
            status = point_of.get(host.address)
            open_ports = [
                {**_port_dict(p), "checks": _port_checks(view, host, p, roles)}
                for p in sorted(host.ports, key=lambda p: (p.protocol.value, p.port))
                if p.state is PortState.OPEN
            ]
            maybe = [
                _port_dict(p)
                for p in sorted(host.ports, key=lambda p: (p.protocol.value, p.port))
                if p.state is PortState.OPEN_FILTERED
            ]
            hosts.append(
                {
                    "address": host.address,
                    "point": f"{status.point.key} {status.point.name}" if status else "-",
                    "assignment": t(f"label.assignment.{status.assignment.value}")
                    if status
                    else "-",
                    "open_ports": open_ports,
                    "open_filtered": maybe,
                    "all_ports": [
                        _port_dict(p)
                        for p in sorted(host.ports, key=lambda p: (p.protocol.value, p.port))
                    ],
                    "other_ports": [
                        _port_dict(p)
                        for p in sorted(host.ports, key=lambda p: (p.protocol.value, p.port))
                        if p.state is not PortState.OPEN
                    ],
                    "findings": [by_id[f.id] for f in remote_findings if f.address == host.address],
                    "coverage": _port_coverage(view, host),
                }
            )
    d["hosts"] = hosts
    d["hosts_consolidated"] = len(hosts) > HOSTS_DETAIL_LIMIT
    d["hosts_without_open"] = [h["address"] for h in hosts if not h["open_ports"]]
    d["remote_findings_all"] = [by_id[f.id] for f in remote_findings]
    listed = {item["id"] for host in hosts for item in host["findings"]}
    d["remote_other_findings"] = [by_id[f.id] for f in remote_findings if f.id not in listed]

    # terminals --------------------------------------------------------------------------
    if report.terminals is not None:
        d["terminals"] = [
            {
                "key": row.key,
                "hostname": row.hostname,
                "role": t(f"label.terminal.{row.role.value}"),
                "os": row.os or "-",
            }
            for row in report.terminals
        ]
        d["terminal_tables"] = _terminal_tables(view, report.terminals)
        d["terminal_issues"] = _terminal_issues(view, report.terminals)
    else:
        d["terminals"] = None
        d["terminal_tables"] = []
        d["terminal_issues"] = []
    d["terminal_findings"] = [by_id[f.id] for f in view.by_area(Area.TERMINALS)]
    d["terminals_planned"] = [
        {"key": term.key, "hostname": term.hostname, "system": term.system or "-"}
        for term in engagement.terminals
    ]

    # vendor requests --------------------------------------------------------------------
    d["requests"] = _requests(view) if report.requests is not None else None

    # checklist --------------------------------------------------------------------------
    checklist = view.checklist
    d["checklist_title"] = checklist.title_en if lang == "en" else checklist.title_ja
    d["checklist_edition"] = checklist.name_en if lang == "en" else checklist.name_ja
    d["checklist_published"] = checklist.published
    d["checklist"] = [
        {
            "ref": r.item.ref,
            "text": r.item.text(lang),
            "status": r.status.value,
            "status_label": t(f"report.checklist.{r.status.value}"),
            "reason": t(r.reason, **_reason_params(view, r)),
            "findings": list(r.finding_ids),
        }
        for r in results
    ]
    d["checklist_counts"] = {
        s.value: sum(1 for r in results if r.status is s) for s in ChecklistStatus
    }

    # appendix ---------------------------------------------------------------------------
    d["evidence_appendix"] = _evidence_appendix(all_items)
    d["versions"] = report.versions
    d["knowledge"] = [
        {"name": _kb_name(view, k.name), "version": k.version} for k in report.versions.knowledge
    ]
    d["show_index"] = len(all_items) <= APPENDIX_INDEX_LIMIT
    d["priority_model"] = [{"key": key, "label": t(key)} for key in _MODEL_KEYS]
    return view


_MODEL_KEYS = (
    "report.model.base",
    "report.model.kev",
    "report.model.exposed",
    "report.model.asset",
    "report.model.confidence",
    "report.model.bands",
)


def _reason_params(view: ReportView, result: ChecklistResult) -> dict[str, str]:
    params = dict(result.params)
    if "where" in params:
        params["where"] = (
            view.t("report.checklist.where", keys=params["where"]) if params["where"] else ""
        )
    if "sources" in params:
        params["sources"] = (
            "、".join(view.t(f"report.source_kind.{s}") for s in params["sources"].split(",") if s)
            if view.lang == "ja"
            else ", ".join(
                view.t(f"report.source_kind.{s}") for s in params["sources"].split(",") if s
            )
        )
    return params


def _pacing_line(pacing: ScanPacing | None, t: Callable[..., str]) -> str:
    """The remote diagnosis's profile, rate ceiling and adaptive changes, in one line."""
    if pacing is None:
        return ""
    known = pacing.profile in ("hospital", "lab")
    profile = t(f"report.scan_profile.{pacing.profile}") if known else pacing.profile
    return t(
        "report.scope.pacing_value",
        profile=profile,
        rate=round(pacing.rate) if pacing.rate is not None else "-",
        mode=pacing.tcp_mode.upper() or "-",
        changes=pacing.rate_changes,
        how=t("report.scope.pacing_adaptive" if pacing.adaptive else "report.scope.pacing_fixed"),
    )


def _device_in_scope(engagement: Engagement, point_keys: tuple[str, ...]) -> bool:
    if not point_keys:
        return True
    scope = {p.key: p.in_ehr_scope for p in engagement.connection_points}
    return any(scope.get(key, True) for key in point_keys)


def _tcheck_label(view: ReportView, check: str) -> str:
    """The check's Japanese label: the report's own, else the terminals room's title."""
    for key in (f"report.tcheck.{check}", f"terminals.title.{check.removeprefix('terminal.')}"):
        label = view.t(key)
        if label != key:
            return label
    return view.t("report.tcheck.other")


def _fw_order(status: FirmwareStatus) -> int:
    order = [
        FirmwareStatus.AFFECTED,
        FirmwareStatus.VERSION_UNKNOWN,
        FirmwareStatus.UNKNOWN_PRODUCT,
        FirmwareStatus.NOT_COVERED,
        FirmwareStatus.NOT_AFFECTED,
    ]
    return order.index(status)


def _diagnosis_key(point: ConnectionPoint) -> str:
    if not point.in_ehr_scope:
        return "report.diag.out_of_scope"
    if point.kind is ConnectionKind.CLOSED_NETWORK:
        return "report.diag.closed"
    if not point.internet_reachable:
        return "report.diag.not_internet"
    if not point.addresses:
        return "report.diag.no_address"
    return "report.diag.target"


def _clean_svg(svg: str | None) -> str | None:
    """Inline-able SVG: no XML declaration, DOCTYPE or leading comments; nothing fetched."""
    if not svg:
        return None
    text = svg.strip()
    while text.startswith(("<?xml", "<!DOCTYPE", "<!--")):
        end = "?>" if text.startswith("<?xml") else "-->" if text.startswith("<!--") else ">"
        text = text[text.index(end) + len(end) :].lstrip()
    lowered = text.lower()
    if (
        "<script" in lowered
        or "http://" in lowered.replace("http://www.w3.org", "")
        or ("https://" in lowered)
    ):
        # a diagram that reaches outside would break the offline promise; drop the links
        text = re.sub(r"<script.*?</script>", "", text, flags=re.DOTALL | re.IGNORECASE)
        text = re.sub(r'\s(?:xlink:)?href="https?://[^"]*"', "", text, flags=re.IGNORECASE)
    return text
