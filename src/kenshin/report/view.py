"""The report's content in one language: every table and sentence, ready for templates.

``build_view(report_input, lang)`` does all the deciding (what to say, in which
order, what to leave out and why); the templates only lay it out. The same view feeds
the HTML/PDF, the Excel list and the JSON exports, so they always agree.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    ConnectionPoint,
    Engagement,
    FindingStatus,
    GlobalAddress,
    HolderKind,
    PortResult,
    PortState,
    Upgrade,
)
from kenshin.i18n import translate
from kenshin.report.charts import bar_chart
from kenshin.report.model import FirmwareStatus, ReportInput, TerminalRow, VerdictStatus
from kenshin.vulndb.versions import scheme

JST = ZoneInfo("Asia/Tokyo")
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


def assess(report: ReportInput) -> tuple[tuple[AssessedFinding, ...], tuple[ChecklistResult, ...]]:
    """The language-independent part: assessed findings and checklist results."""
    findings = assess_findings(report.engagement, report.findings)
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
        "evidence": [
            {"check_id": e.check_id, "subject": e.subject, "text": e.text} for e in finding.evidence
        ],
        "checks": list(finding.check_ids),
        "merged": len(finding.merged),
        "exposed": finding.internet_exposed,
        "detailed": finding.priority in DETAILED and finding.is_open,
        "open": finding.is_open,
        "upgrade": _upgrade_of(finding),
    }


def _upgrade_of(finding: AssessedFinding) -> Upgrade | None:
    """The update the issue asks for: the lead's, else the first merged finding's."""
    if finding.finding.upgrade is not None:
        return finding.finding.upgrade
    return next((f.upgrade for f in finding.merged if f.upgrade is not None), None)


def _top_actions(open_items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The most urgent actions; findings with the same fix and owner make one action.

    Several vulnerabilities of one target and product that an update fixes make one
    action too: update to the highest fixed version (see ``_upgrade_text``).
    """
    pressing = [
        item
        for item in open_items
        if item["priority"] in (Priority.URGENT.value, Priority.HIGH.value)
    ]
    upgrades = Counter(_upgrade_key(item) for item in pressing if item["upgrade"] is not None)
    actions: dict[tuple[str, ...], dict[str, Any]] = {}
    for item in pressing:
        upgrade_key = _upgrade_key(item) if item["upgrade"] is not None else None
        key = (
            upgrade_key
            if upgrade_key is not None and upgrades[upgrade_key] > 1
            else ("fix", item["remediation"] or item["title"], item["owner"])
        )
        if key in actions:
            actions[key]["items"].append(item)
            continue
        if len(actions) == TOP_ACTIONS:
            continue
        actions[key] = {"lead": item, "items": [item], "merged_upgrade": key[0] == "upgrade"}
    result = []
    for action in actions.values():
        lead, items = action["lead"], action["items"]
        if action["merged_upgrade"]:
            text, steps = _upgrade_text(items, lang)
            lines = UPGRADE_ACTION_LINES
        else:
            text, steps, lines = lead["remediation"] or lead["title"], [], ACTION_LINES
        result.append(
            {
                "lead": lead,
                "items": items,
                "text": text,
                "steps": steps,
                "shown": items[:lines],
                "more": max(0, len(items) - lines),
            }
        )
    return result


def _upgrade_key(item: dict[str, Any]) -> tuple[str, ...]:
    upgrade: Upgrade = item["upgrade"]
    return ("upgrade", item["target"], upgrade.product, upgrade.scheme, item["owner"])


def _upgrade_text(items: list[dict[str, Any]], lang: str) -> tuple[str, list[str]]:
    """One update for several vulnerabilities, and each one's extra steps.

    The highest fixed version (in the vendor's version scheme) fixes them all when they
    are fixes of one release line; fixes on different lines are each named.
    """
    upgrades: list[Upgrade] = [item["upgrade"] for item in items]
    highest = scheme(upgrades[0].scheme).highest_per_line(u.fixed_version for u in upgrades)
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
        "product": upgrades[0].product or items[0]["target"],
        "count": len(cves) or len(items),
        "flags": (f"（{'、'.join(flags)}）" if lang == "ja" else f" ({', '.join(flags)})")
        if flags
        else "",
    }
    if len(highest) == 1:
        (fixed,) = highest.values()
        text = translate("report.action.upgrade", lang, fixed=fixed, **params)
    else:
        per_line = [
            translate("report.action.line", lang, line=".".join(map(str, line)), fixed=fixed)
            for line, fixed in highest.items()
        ]
        lines = "、".join(per_line) if lang == "ja" else "; ".join(per_line)
        text = translate("report.action.upgrade_lines", lang, lines=lines, **params)
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
    not_done = [
        t(f"report.area.{part}")
        for part, done in (
            ("remote", report.scan is not None),
            ("firmware", report.firmware is not None),
            ("terminals", report.terminals is not None),
        )
        if not done
    ]
    d["not_done_parts"] = not_done
    level, sentence = judgement(view)
    if level == "good" and not_done:
        level, sentence = "pending", "report.judgement.pending"
    d["judgement_level"] = level
    d["judgement_label"] = t(f"report.judgement_label.{level}")
    counts = Counter(f.priority for f in view.open_findings)
    d["judgement_text"] = t(
        sentence,
        urgent=counts[Priority.URGENT],
        high=counts[Priority.HIGH],
        medium=counts[Priority.MEDIUM],
        low=counts[Priority.LOW],
        total=len(open_items),
        parts="、".join(not_done) if lang == "ja" else ", ".join(not_done),
    )
    d["top_actions"] = _top_actions(open_items, lang)
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
        }
        if scan
        else None
    )
    d["checks_run"] = sorted({check for f in findings for check in f.check_ids})
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
                "fixed": row.fixed_version or "-",
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
        for host in scan.hosts:
            status = point_of.get(host.address)
            open_ports = [
                _port_dict(p)
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
        rows = report.terminals
        checks = _terminal_checks(rows)
        d["terminal_checks"] = [{"id": c, "label": _tcheck_label(view, c)} for c in checks]
        d["terminals"] = [
            {
                "key": row.key,
                "hostname": row.hostname,
                "role": t(f"label.terminal.{row.role.value}"),
                "os": row.os or "-",
                "cells": [
                    {
                        "status": row.verdicts[c].status.value,
                        "label": t(f"report.verdict.{row.verdicts[c].status.value}"),
                        "summary": redact(row.verdicts[c].summary(lang)),
                    }
                    if c in row.verdicts
                    else {
                        "status": VerdictStatus.UNKNOWN.value,
                        "label": t("report.verdict.not_checked"),
                        "summary": "",
                    }
                    for c in checks
                ],
            }
            for row in rows
        ]
    else:
        d["terminals"] = None
        d["terminal_checks"] = []
    d["terminal_findings"] = [by_id[f.id] for f in view.by_area(Area.TERMINALS)]
    d["terminals_planned"] = [
        {"key": term.key, "hostname": term.hostname, "system": term.system or "-"}
        for term in engagement.terminals
    ]

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
    d["versions"] = report.versions
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


def _device_in_scope(engagement: Engagement, point_keys: tuple[str, ...]) -> bool:
    if not point_keys:
        return True
    scope = {p.key: p.in_ehr_scope for p in engagement.connection_points}
    return any(scope.get(key, True) for key in point_keys)


def _tcheck_label(view: ReportView, check: str) -> str:
    key = f"report.tcheck.{check}"
    label = view.t(key)
    return check if label == key else label


def _fw_order(status: FirmwareStatus) -> int:
    order = [
        FirmwareStatus.AFFECTED,
        FirmwareStatus.VERSION_UNKNOWN,
        FirmwareStatus.UNKNOWN_PRODUCT,
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
