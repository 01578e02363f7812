"""One finding as the report shows it (``FindingItem``), and findings that say the same
thing shown once (``FindingGroup``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from kenshin.assess import AssessedFinding, Evidence, Priority
from kenshin.domain import Upgrade
from kenshin.report.fixes import highest, upgrades_of
from kenshin.report.readable import readable
from kenshin.report.sections.context import ViewContext, due_date, jst, owner_label

# Findings in these priorities get a full card (evidence, remediation); the rest a table row.
DETAILED = (Priority.URGENT, Priority.HIGH, Priority.MEDIUM)
# A report of thousands of findings stays readable (and renders in seconds): at most this
# many cards in the whole document, repeated issues shown once with their targets, and at
# most this many targets named per line; findings.xlsx/json always list every finding.
MAX_CARDS = 40
MAX_TARGETS = 24


@dataclass(frozen=True)
class FindingItem:
    """One assessed finding in the report's language, with its fix and due date."""

    id: str
    priority: str
    priority_label: str
    score: float
    reasons: tuple[str, ...]  # the priority model's steps, in words
    area: str
    area_label: str
    target: str
    title: str
    description: str
    remediation: str
    cves: tuple[str, ...]
    kev: bool
    ransomware: bool
    cvss: float | None
    confidence: str
    status: str
    status_label: str
    status_reason: str
    owner: str
    owner_kind: str
    plain_evidence: tuple[str, ...]
    raw_evidence: tuple[Evidence, ...]  # what the network (or a file) answered, readable
    device_key: str | None
    device_label: str
    point_label: str
    due: date | None
    upgrades: tuple[Upgrade, ...]
    upgrade: Upgrade | None  # the update the issue asks for (its own, not the device's)
    fix_version: str  # the device's one update, as the tables name it
    merged: int
    detailed: bool  # gets a card (within MAX_CARDS)
    open: bool


def finding_items(context: ViewContext) -> tuple[FindingItem, ...]:
    """Every finding in priority order; the first ``MAX_CARDS`` pressing ones get a card."""
    items = []
    cards = 0
    for finding in context.findings:
        pressing = finding.priority in DETAILED and finding.is_open
        if pressing:
            cards += 1
        items.append(_item(context, finding, pressing and cards <= MAX_CARDS))
    return tuple(items)


def _item(context: ViewContext, finding: AssessedFinding, detailed: bool) -> FindingItem:
    lang, t = context.lang, context.t
    lead = finding.finding
    if lang == "en":
        description = lead.description_en or lead.description_ja
        remediation = lead.remediation_en or lead.remediation_ja
    else:
        description = lead.description_ja or lead.description_en
        remediation = lead.remediation_ja or lead.remediation_en
    upgrades = tuple(upgrades_of(finding))
    remediation, fix_version = _device_fix(context, finding, upgrades, remediation)
    return FindingItem(
        id=finding.id,
        priority=finding.priority.value,
        priority_label=t(f"report.priority.{finding.priority.value}"),
        score=finding.decision.score,
        reasons=tuple(
            t(key, value=f"{value:+.1f}" if i else f"{value:.1f}")
            for i, (key, value) in enumerate(finding.decision.steps)
        ),
        area=finding.area.value,
        area_label=t(f"report.area.{finding.area.value}"),
        target=finding.target,
        title=lead.title(lang),
        description=description,
        remediation=remediation,
        cves=tuple(finding.cves),
        kev=finding.kev,
        ransomware=finding.ransomware,
        cvss=finding.cvss,
        confidence=t(f"report.confidence.{lead.confidence.value}"),
        status=lead.status.value,
        status_label=t(f"label.finding_status.{lead.status.value}"),
        status_reason=lead.status_reason,
        owner=owner_label(finding, lang),
        owner_kind=finding.owner.kind.value,
        plain_evidence=_plain_evidence(context, finding),
        raw_evidence=_raw_evidence(finding),
        device_key=finding.device_key,
        device_label=_device_label(context, finding.device_key),
        point_label=_point_label(context, finding.point_key),
        due=due_date(context.input, finding.priority) if finding.is_open else None,
        upgrades=upgrades,
        upgrade=_upgrade_of(finding),
        fix_version=fix_version,
        merged=len(finding.merged),
        detailed=detailed,
        open=finding.is_open,
    )


def _device_fix(
    context: ViewContext,
    finding: AssessedFinding,
    upgrades: tuple[Upgrade, ...],
    remediation: str,
) -> tuple[str, str]:
    """The remediation and fix version: the device's one update where the device has one."""
    lang = context.lang
    fix = context.fixes.get(finding.device_key or "")
    own = highest(upgrades) if upgrades else None
    if own is None:
        return remediation, ""
    if fix is None or fix.scheme != own.scheme:  # no device fix, or another product's
        return remediation, own.label(lang)
    if own.per_line != fix.per_line:
        # the card names the device's one update, not this CVE's first fix
        steps = [s for u in upgrades if (s := u.steps(lang).strip())]
        remediation = " ".join(
            [
                context.t(
                    "report.f.device_fix",
                    product=fix.product or own.product,
                    fixed=fix.label(lang),
                    own=own.label(lang),
                ),
                *dict.fromkeys(steps),
            ]
        )
    return remediation, fix.label(lang)


def _raw_evidence(finding: AssessedFinding) -> tuple[Evidence, ...]:
    """The redacted evidence made readable, what the network answered first."""
    with_text = [f for f in finding.merged if f.evidence.strip()]
    pairs = sorted(
        zip(with_text, finding.evidence, strict=True),
        key=lambda pair: pair[0].subject.address is None,
    )
    return tuple(
        replace(evidence, text=text) for _, evidence in pairs if (text := readable(evidence.text))
    )


def _device_label(context: ViewContext, key: str | None) -> str:
    device = next((d for d in context.engagement.devices if d.key == key), None)
    return f"{device.key} {device.name}" if device else ""


def _point_label(context: ViewContext, key: str | None) -> str:
    point = next((p for p in context.engagement.connection_points if p.key == key), None)
    return f"{point.key} {point.name}" if point else ""


def _plain_evidence(context: ViewContext, finding: AssessedFinding) -> tuple[str, ...]:
    """Where each merged finding's evidence came from and when, in plain words."""
    report, t = context.input, context.t
    devices = {d.key: d for d in report.engagement.devices}
    scan_day = jst(report.scan.started_at, with_time=False) if report.scan else "-"
    lines: list[str] = []
    for merged in finding.merged:
        subject = merged.subject
        if subject.address:
            where = subject.address
            if subject.port is not None:
                where += f" {subject.port}/{(subject.protocol or 'tcp').upper()}"
            lines.append(t("report.ev.remote", where=where, date=scan_day))
        elif subject.terminal_key:
            lines.append(t("report.ev.terminal", terminal=subject.terminal_key))
        elif subject.device_key and subject.device_key in devices:
            device = devices[subject.device_key]
            lines.append(
                t(
                    "report.ev.firmware" if device.version_known else "report.ev.firmware_unknown",
                    device=f"{device.key} {device.name}",
                    version=device.firmware_version,
                    source=context.source_label(device.version_source),
                    date=jst(report.generated_at, with_time=False),
                )
            )
        else:
            lines.append(t("report.ev.records"))
    return tuple(dict.fromkeys(lines))


def _upgrade_of(finding: AssessedFinding) -> Upgrade | None:
    """The update the issue asks for: the lead's, else the first merged finding's."""
    if finding.finding.upgrade is not None:
        return finding.finding.upgrade
    return next((f.upgrade for f in finding.merged if f.upgrade is not None), None)


@dataclass(frozen=True)
class FindingGroup:
    """Findings that say the same thing, shown once with every number and target."""

    lead: FindingItem
    members: tuple[FindingItem, ...]
    targets: tuple[str, ...]  # the first MAX_TARGETS
    more_targets: int
    kev: bool
    ransomware: bool
    cves: tuple[str, ...]  # the first MAX_TARGETS

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.members)


def group_items(items: tuple[FindingItem, ...] | list[FindingItem]) -> list[FindingGroup]:
    """Findings that say the same thing (same title, fix, priority, status) shown once.

    Each group keeps every finding's number and target; the template names the first
    ``MAX_TARGETS`` targets and counts the rest.
    """
    groups: dict[tuple[object, ...], list[FindingItem]] = {}
    for item in items:
        key = (
            item.area,
            item.title,
            item.description,  # two terminals' different states stay two cards
            item.remediation,
            item.priority,
            item.status,
            item.detailed,
        )
        groups.setdefault(key, []).append(item)
    result = []
    for members in groups.values():
        targets = list(dict.fromkeys(m.target for m in members))
        result.append(
            FindingGroup(
                lead=members[0],
                members=tuple(members),
                targets=tuple(targets[:MAX_TARGETS]),
                more_targets=max(0, len(targets) - MAX_TARGETS),
                kev=any(m.kev for m in members),
                ransomware=any(m.ransomware for m in members),
                cves=tuple(dict.fromkeys(c for m in members for c in m.cves))[:MAX_TARGETS],
            )
        )
    return result
