"""Section 3, the firmware check: each device's version against the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.assess import Area
from kenshin.domain import FirmwareStatus
from kenshin.report.model import FirmwareRow
from kenshin.report.sections.context import ShownVersion, ViewContext
from kenshin.report.sections.items import FindingItem

# With more devices than this, devices without known vulnerabilities are named in a line
# instead of a table row each.
FIRMWARE_TABLE_LIMIT = 30
_ORDER = (
    FirmwareStatus.AFFECTED,
    FirmwareStatus.CANNOT_TELL,
    FirmwareStatus.VERSION_UNKNOWN,
    FirmwareStatus.UNKNOWN_PRODUCT,
    FirmwareStatus.NOT_COVERED,
    FirmwareStatus.NOT_AFFECTED,
)


@dataclass(frozen=True)
class FirmwareLine:
    """One device's firmware verdict, with the CVEs and the version that fixes them."""

    key: str
    name: str
    product: str
    version: ShownVersion
    status: str
    status_label: str
    cves: tuple[str, ...]
    kev: bool
    fixed: str
    advice: str


@dataclass(frozen=True)
class FirmwareSection:
    rows: tuple[FirmwareLine, ...] | None  # None: the firmware check was not carried out
    findings: tuple[FindingItem, ...]

    @property
    def _long(self) -> bool:
        return self.rows is not None and len(self.rows) > FIRMWARE_TABLE_LIMIT

    @property
    def listed(self) -> tuple[FirmwareLine, ...]:
        """The table's rows: every device, or only those with something to say when many."""
        if self.rows is None:
            return ()
        if not self._long:
            return self.rows
        return tuple(r for r in self.rows if r.status != FirmwareStatus.NOT_AFFECTED.value)

    @property
    def clean(self) -> tuple[FirmwareLine, ...]:
        """The devices named in one line instead of the table (only when many)."""
        if self.rows is None or not self._long:
            return ()
        return tuple(r for r in self.rows if r.status == FirmwareStatus.NOT_AFFECTED.value)


def build_firmware(context: ViewContext, by_id: dict[str, FindingItem]) -> FirmwareSection:
    report = context.input
    findings = tuple(by_id[f.id] for f in context.by_area(Area.FIRMWARE))
    if report.firmware is None:
        return FirmwareSection(None, findings)
    rows = sorted(report.firmware, key=lambda r: _ORDER.index(r.status))
    return FirmwareSection(tuple(firmware_line(context, row) for row in rows), findings)


def firmware_line(context: ViewContext, row: FirmwareRow) -> FirmwareLine:
    """One device's row of the firmware table (the device list shows its verdict too)."""
    t, lang, device = context.t, context.lang, row.device
    fix = context.fixes.get(device.key)
    return FirmwareLine(
        key=device.key,
        name=device.name,
        product=f"{device.vendor} {device.model}".strip(),
        version=context.shown_version(device.firmware_version, device.version_source),
        status=row.status.value,
        status_label=t(f"report.fw.{row.status.value}"),
        cves=tuple(row.cves),
        kev=row.kev,
        fixed=fix.label(lang)
        if fix is not None and row.status is FirmwareStatus.AFFECTED
        else row.fixed_version or "-",
        advice=row.advice(lang),
    )
