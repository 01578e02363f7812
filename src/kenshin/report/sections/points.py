"""Section 2, the connection points: the diagram, the lines and the devices on them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.assess import Area
from kenshin.domain import ConnectionPoint, ContractHolder, DiagnosisStatus, Engagement
from kenshin.i18n import translate
from kenshin.report.sections.context import ShownVersion, ViewContext
from kenshin.report.sections.firmware import FirmwareLine, firmware_line
from kenshin.report.sections.items import FindingItem


@dataclass(frozen=True)
class LineAddress:
    address: str
    assignment: str


@dataclass(frozen=True)
class LineRow:
    """One connection point (line) and, in words, who holds it, its addresses, in scope or
    not, diagnosed."""

    point: ConnectionPoint
    kind: str
    carrier: str
    holder: str
    addresses: tuple[LineAddress, ...]
    scope: str
    diagnosis: str


@dataclass(frozen=True)
class DeviceLine:
    """One device: its firmware version and where it came from, its line, who manages it."""

    key: str
    name: str
    role: str
    vendor: str
    model: str
    version: ShownVersion
    points: str
    manager: str
    firmware: FirmwareLine | None  # the firmware check's verdict, when it ran


@dataclass(frozen=True)
class Points:
    diagram: str | None
    lines: tuple[LineRow, ...]
    devices: tuple[DeviceLine, ...]
    findings: tuple[FindingItem, ...]


def build_points(context: ViewContext, by_id: dict[str, FindingItem]) -> Points:
    report, t = context.input, context.t
    engagement = report.engagement
    firmware_by_device = {row.device_key: row for row in report.firmware or ()}
    devices = []
    for dev in engagement.devices:
        row = firmware_by_device.get(dev.key)
        devices.append(
            DeviceLine(
                key=dev.key,
                name=dev.name,
                role=t(f"label.role.{dev.role.value}"),
                vendor=dev.vendor or "-",
                model=dev.model or "-",
                version=context.shown_version(
                    dev.firmware_version if dev.version_known else None, dev.version_source
                ),
                points=", ".join(dev.connection_points) or "-",
                manager=holder_label(engagement, dev.managed_by, context.lang),
                firmware=firmware_line(context, row) if row else None,
            )
        )
    return Points(
        diagram=clean_svg(report.diagram(context.lang)),
        lines=tuple(
            LineRow(
                point=p,
                kind=t(f"label.kind.{p.kind.value}"),
                carrier=p.carrier or "-",
                holder=holder_label(engagement, p.contract_holder, context.lang),
                addresses=tuple(
                    LineAddress(str(a.address), t(f"label.assignment.{a.assignment.value}"))
                    for a in p.addresses
                ),
                scope=t("report.scope.in") if p.in_ehr_scope else t("report.scope.out"),
                diagnosis=t(_diagnosis_key(p)),
            )
            for p in engagement.connection_points
        ),
        devices=tuple(devices),
        findings=tuple(by_id[f.id] for f in context.by_area(Area.CONNECTION_POINTS)),
    )


def holder_label(engagement: Engagement, holder: ContractHolder, lang: str) -> str:
    """Who holds a line or manages a device: the vendor's company, a name, or the kind."""
    if holder.vendor_key:
        try:
            return engagement.vendor(holder.vendor_key).company
        except KeyError:
            return holder.vendor_key
    return holder.name or translate(f"label.holder.{holder.kind.value}", lang)


def _diagnosis_key(point: ConnectionPoint) -> str:
    """The line's diagnosis status in words; a dynamic address's line is a target (the
    address table says whether its address was confirmed on the day)."""
    status = point.diagnosis_status
    if status is DiagnosisStatus.DYNAMIC:
        return "report.diag.target"
    return f"report.diag.{status.value}"


def clean_svg(svg: str | None) -> str | None:
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
