"""What every section is built from: the assessed report in one language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources

import yaml

from kenshin.assess import Area, AssessedFinding, Checklist, ChecklistResult, Priority
from kenshin.domain import (
    AddressAssignment,
    ConnectionPoint,
    Engagement,
    GlobalAddress,
    HolderKind,
    PartState,
    ScanReport,
    VersionSource,
)
from kenshin.domain.clock import japan_date, japan_time, japan_today
from kenshin.i18n import translate
from kenshin.report.fixes import DeviceFix
from kenshin.report.model import FirmwareRow, ReportInput


@dataclass(frozen=True)
class ShownVersion:
    """A device's firmware version as the report writes it, the same in the device list
    and the firmware table: the version (or that it is unknown) and where it came from."""

    text: str
    known: bool
    source: str


@dataclass(frozen=True)
class AddressStatus:
    """A global address of an in-scope internet line, and whether it was diagnosed."""

    address: str
    point: ConnectionPoint
    assignment: AddressAssignment
    diagnosed: bool
    reason_key: str  # report.addr.*


@dataclass(frozen=True)
class ViewContext:
    """The report's input, assessed, in ``lang``: what each section builder reads."""

    lang: str
    input: ReportInput
    findings: tuple[AssessedFinding, ...]
    checklist: Checklist
    checklist_results: tuple[ChecklistResult, ...]
    addresses: tuple[AddressStatus, ...]
    fixes: Mapping[str, DeviceFix]  # device key -> its one fix (fixes.py)

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)

    @property
    def sep(self) -> str:
        """The separator of a list written in a sentence."""
        return "、" if self.lang == "ja" else ", "

    @property
    def engagement(self) -> Engagement:
        return self.input.engagement

    @property
    def open_findings(self) -> tuple[AssessedFinding, ...]:
        return tuple(f for f in self.findings if f.is_open)

    def by_area(self, area: Area) -> tuple[AssessedFinding, ...]:
        return tuple(f for f in self.findings if f.area is area)

    def shown_version(self, version: str | None, source: VersionSource | None) -> ShownVersion:
        """``version`` (None or empty: not known) and its source, in words."""
        return ShownVersion(
            text=version or self.t("report.version.unknown"),
            known=bool(version),
            source=self.source_label(source),
        )

    def source_label(self, source: VersionSource | None) -> str:
        """Where a firmware version came from, in words (or that nobody said)."""
        if not source:
            return self.t("report.version.no_source")
        return self.t(f"label.source.{source.value}")


def jst(moment: datetime | None, with_time: bool = True) -> str:
    """A moment in the report's words: Japan time (or date), "-" where there is none."""
    if moment is None:
        return "-"
    return japan_time(moment) if with_time else japan_date(moment)


def _dynamic_confirmed(address: GlobalAddress, scanned_at: datetime | None) -> bool:
    """Whether the scan at ``scanned_at`` could target the address (the scope's own rule)."""
    if scanned_at is None:
        return bool(address.confirmations)
    return address.confirmation_for(scanned_at) is not None


def address_statuses(engagement: Engagement, scan: ScanReport | None) -> tuple[AddressStatus, ...]:
    """Every global address of an in-scope, internet-reachable line, diagnosed by ``scan``
    (the newest finished run) or not, and why."""
    scanned = {host.address for host in scan.hosts} if scan else set()
    scanned_at = scan.started_at if scan else None
    statuses: list[AddressStatus] = []
    for point in engagement.connection_points:
        if not point.is_diagnosis_candidate:
            continue
        for address in point.addresses:
            text = str(address.address)
            if text in scanned:
                key = "report.addr.diagnosed"
                if address.assignment is AddressAssignment.DYNAMIC:
                    key = (
                        "report.addr.diagnosed_dynamic"
                        if _dynamic_confirmed(address, scanned_at)
                        else "report.addr.diagnosed_unconfirmed"
                    )
                statuses.append(AddressStatus(text, point, address.assignment, True, key))
            elif scan is None:
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.not_run")
                )
            elif address.assignment is AddressAssignment.DYNAMIC and not _dynamic_confirmed(
                address, scanned_at
            ):
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.unconfirmed")
                )
            else:
                statuses.append(
                    AddressStatus(text, point, address.assignment, False, "report.addr.not_scanned")
                )
    return tuple(statuses)


def remote_state(addresses: Sequence[AddressStatus]) -> PartState:
    """The remote diagnosis's part of the survey: done when every address was diagnosed
    by the finished scan run the report reads; a run that diagnosed none is "not done"."""
    return PartState.of(sum(1 for a in addresses if a.diagnosed), len(addresses))


def surveyed_firmware(report: ReportInput) -> list[FirmwareRow] | None:
    """The firmware rows the survey's firmware part must cover: those of the devices in
    scope (``Engagement.device_in_scope``, as the vendor request plan and the checklist's
    ledger decide); None when the firmware check did not run. An out-of-scope device keeps
    its row in the firmware table, but is never a gap of the survey."""
    if report.firmware is None:
        return None
    return [r for r in report.firmware if report.engagement.device_in_scope(r.device)]


def firmware_state(report: ReportInput) -> PartState:
    """The firmware check's part: done when the knowledge base judged the version of every
    device it must cover (``surveyed_firmware``, ``FirmwareStatus.judged``); no device
    judged, or none to judge, is "not done"."""
    rows = surveyed_firmware(report) or ()
    return PartState.of(sum(1 for r in rows if r.status.judged), len(rows))


def terminals_state(report: ReportInput) -> PartState:
    """The terminal audit's part: done when every terminal the engagement plans was
    audited; none audited is "not done"."""
    audited = {row.terminal.key for row in report.terminals or ()}
    return PartState.of(len(audited), len(audited) + len(report.terminals_left))


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
    return japan_today(report.generated_at) + timedelta(days=days)


def owner_label(finding: AssessedFinding, lang: str) -> str:
    owner = finding.owner
    if owner.kind is HolderKind.HOSPITAL:
        return translate("report.owner.hospital", lang)
    if owner.kind is HolderKind.VENDOR:
        return translate("report.owner.vendor", lang, name=owner.name or "-")
    return owner.name or translate("label.holder.other", lang)
