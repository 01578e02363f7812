"""The engagement summary the surveyor reads in the terminal (Rich tables)."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kenshin.cli._tables import Cell, Column, fit_table, named_columns
from kenshin.domain import (
    ConnectionPoint,
    ContractHolder,
    Device,
    Engagement,
    VersionSource,
)
from kenshin.domain.clock import japan_date, japan_time
from kenshin.i18n import in_language, translate


def diagnosis_status_key(point: ConnectionPoint) -> str:
    """The message key saying why a point is, or is not, a remote-diagnosis target."""
    return f"summary.diag.{point.diagnosis_status.value}"


def _firmware(device: Device, lang: str) -> str:
    if device.version_source is VersionSource.NOT_OBTAINED:
        return translate(
            "summary.version_not_obtained", lang, reason=device.version_unavailable_reason
        )
    return device.firmware_version or translate("summary.version_missing", lang)


def _holder(engagement: Engagement, holder: ContractHolder, lang: str) -> str:
    """Who holds a line or manages a device, by name; the kind in words when unnamed."""
    return engagement.holder_name(holder) or translate(f"label.holder.{holder.kind.value}", lang)


def render_summary(engagement: Engagement, console: Console, lang: str, wide: bool = False) -> None:
    """The engagement's header and its four tables, fitted to ``console`` (``wide``: every
    column, as a pipe gets them)."""

    def t(key: str, **params: object) -> str:
        return translate(key, lang, **params)

    def fitted(title: str, columns: list[Column], rows: list[list[Cell]]) -> RenderableType:
        return fit_table(console, columns, rows, lang=lang, title=title, wide=wide, expand=True)

    inst = engagement.institution
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    beds = f"（{t('summary.beds', count=inst.bed_count)}）" if inst.bed_count else ""
    name = in_language(lang, inst.name, inst.name_en)
    header.add_row(t("summary.institution"), f"{name}{beds} {inst.prefecture}".strip())
    header.add_row(t("summary.status"), t(f"label.status.{engagement.status.value}"))
    if engagement.survey_start and engagement.survey_end:
        header.add_row(t("summary.survey"), f"{engagement.survey_start} – {engagement.survey_end}")
    window = engagement.window
    header.add_row(
        t("summary.window"),
        f"{japan_time(window.starts_at)} – {japan_time(window.ends_at)} JST"
        if window
        else t("summary.not_set"),
    )
    auth = engagement.authorisation
    header.add_row(
        t("summary.authorisation"),
        f"{auth.approved_by} ({japan_date(auth.approved_at)}) {auth.document_ref}"
        if auth
        else Text(t("summary.no_authorisation"), style="yellow"),
    )

    # what a narrow terminal leaves out first: who holds the contract, the carrier, ...
    point_drops = {"kind": 2, "scope": 2, "carrier": 3, "holder": 3, "addresses": 1}
    point_names = ("key", "name", "kind", "scope", "carrier", "holder", "addresses", "diagnosis")
    point_rows: list[list[Cell]] = []
    for point in engagement.connection_points:
        scope = (
            Text(t("summary.in_scope"), style="green")
            if point.in_ehr_scope
            else Text(t("summary.out_of_scope", reason=point.scope_reason), style="dim")
        )
        addresses = (
            "\n".join(
                f"{a.address} ({t(f'label.assignment.{a.assignment.value}')})"
                for a in point.addresses
            )
            or "-"
        )
        status_key = diagnosis_status_key(point)
        style = (
            "bold"
            if status_key.startswith("summary.diag.target")
            else (
                "yellow"
                if status_key in ("summary.diag.dynamic", "summary.diag.no_address")
                else "dim"
            )
        )
        holder = point.contract_holder
        point_rows.append(
            [
                point.key,
                point.name,
                t(f"label.kind.{point.kind.value}"),
                scope,
                point.carrier or "-",
                _holder(engagement, holder, lang),
                addresses,
                Text(t(status_key), style=style),
            ]
        )
    points = fitted(
        t("summary.points"),
        named_columns(t, "summary.col", point_names, point_drops),
        point_rows,
    )

    device_drops = {"role": 2, "vendor": 1, "model": 1, "source": 3, "points": 2, "managed": 3}
    device_names = (
        "key",
        "name",
        "role",
        "vendor",
        "model",
        "firmware",
        "source",
        "points",
        "managed",
    )
    device_rows: list[list[Cell]] = []
    for device in engagement.devices:
        managed = device.managed_by
        source = t(f"label.source.{device.version_source.value}") if device.version_source else "-"
        firmware_style = "yellow" if not device.version_known else ""
        device_rows.append(
            [
                device.key,
                device.name,
                t(f"label.role.{device.role.value}"),
                device.vendor or "-",
                device.model or "-",
                Text(_firmware(device, lang), style=firmware_style),
                source,
                ", ".join(device.connection_points) or "-",
                _holder(engagement, managed, lang),
            ]
        )
    devices = fitted(
        t("summary.devices"),
        named_columns(t, "summary.col", device_names, device_drops),
        device_rows,
    )

    terminal_drops = {"role": 1, "system": 2, "location": 2}

    terminal_names = ("key", "hostname", "role", "system", "location")
    terminals = fitted(
        t("summary.terminals", limit=engagement.terminal_limit),
        named_columns(t, "summary.col", terminal_names, terminal_drops),
        [
            [
                terminal.key,
                terminal.hostname,
                t(f"label.terminal.{terminal.role.value}"),
                terminal.system or "-",
                terminal.location or "-",
            ]
            for terminal in engagement.terminals
        ],
    )

    vendor_rows: list[list[Cell]] = []
    for vendor in engagement.vendors:
        contact = vendor.contacts[0] if vendor.contacts else None
        vendor_rows.append(
            [
                vendor.key,
                vendor.company,
                vendor.manages or "-",
                f"{contact.name} {contact.email}".strip() if contact else "-",
            ]
        )
    vendor_drops = {"manages": 2, "contact": 1}
    vendor_names = ("key", "company", "manages", "contact")
    vendors = fitted(
        t("summary.vendors"),
        named_columns(t, "summary.col", vendor_names, vendor_drops),
        vendor_rows,
    )

    console.print(
        Panel(
            header,
            title=t("summary.title", code=engagement.code, title=engagement.title),
            expand=console.is_terminal,
        )
    )
    console.print(Group(points, devices, terminals, vendors))
