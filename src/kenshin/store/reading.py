"""Reading engagements with plain SQL: one mapping from rows to the domain.

The repository reads through its session (``EngagementRepository.get`` and ``list``);
the command line's ``engagement list`` and ``show`` read an SQLite store at the current
schema through ``sqlite3`` directly (``sqlite_fetch``), so they start without importing
SQLAlchemy, Alembic or the ORM models. The SQL uses ``:name`` parameters, which both
SQLAlchemy's ``text()`` and ``sqlite3`` take; values are normalised here because a raw
SQLite row holds dates as text and booleans as integers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kenshin.domain import (
    AddressAssignment,
    AddressConfirmation,
    Authorisation,
    ConnectionKind,
    ConnectionPoint,
    Contact,
    ContractHolder,
    Device,
    DeviceRole,
    DiagnosisWindow,
    Engagement,
    EngagementStatus,
    FindingStatus,
    GlobalAddress,
    HolderKind,
    Institution,
    Terminal,
    TerminalRole,
    Vendor,
    VersionSource,
)
from kenshin.domain.clock import as_utc
from kenshin.store.schema import HEAD_REVISION, StoreError

Row = Mapping[str, Any]
Fetch = Callable[[str, Mapping[str, object]], Sequence[Row]]
"""Runs one SELECT with named parameters and returns its rows as mappings."""


@dataclass(frozen=True)
class EngagementSummary:
    code: str
    title: str
    institution: str
    status: EngagementStatus
    points: int
    devices: int
    terminals: int
    open_findings: int


_SUMMARIES = """
SELECT e.code, e.title, i.name AS institution, e.status,
       (SELECT count(*) FROM connection_points x WHERE x.engagement_id = e.id) AS points,
       (SELECT count(*) FROM devices x WHERE x.engagement_id = e.id) AS devices,
       (SELECT count(*) FROM terminals x WHERE x.engagement_id = e.id) AS terminals
FROM engagements e JOIN institutions i ON i.id = e.institution_id
ORDER BY e.code
"""
_FINDING_STATUSES = """
SELECT e.code, x.status, count(*) AS n
FROM findings x JOIN engagements e ON e.id = x.engagement_id
GROUP BY e.code, x.status
"""


def summaries(fetch: Fetch) -> list[EngagementSummary]:
    """Every engagement with its counts, by code; open findings as the report counts them
    (``FindingStatus.is_open``: an accepted risk is still open)."""
    open_findings: dict[str, int] = {}
    for r in fetch(_FINDING_STATUSES, {}):
        if FindingStatus(r["status"]).is_open:
            open_findings[r["code"]] = open_findings.get(r["code"], 0) + r["n"]
    return [
        EngagementSummary(
            code=r["code"],
            title=r["title"],
            institution=r["institution"],
            status=EngagementStatus(r["status"]),
            points=r["points"],
            devices=r["devices"],
            terminals=r["terminals"],
            open_findings=open_findings.get(r["code"], 0),
        )
        for r in fetch(_SUMMARIES, {})
    ]


def _date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _utc(value: datetime | str) -> datetime:
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def _moment(value: datetime | str | None) -> datetime | None:
    return None if value is None else _utc(value)


def _contacts(rows: Sequence[Row]) -> tuple[Contact, ...]:
    return tuple(Contact(r["name"], r["role"], r["email"], r["phone"]) for r in rows)


def engagement(fetch: Fetch, code: str) -> Engagement | None:
    """The whole engagement ``code``, or None when the store has none by that code."""
    found = fetch(
        "SELECT e.*, i.name AS i_name, i.name_en AS i_name_en, i.address AS i_address, "
        "i.prefecture AS i_prefecture, i.bed_count AS i_bed_count "
        "FROM engagements e JOIN institutions i ON i.id = e.institution_id WHERE e.code = :code",
        {"code": code},
    )
    if not found:
        return None
    row = found[0]
    of = {"id": row["id"]}

    def listed(table: str) -> Sequence[Row]:
        """One of the engagement's lists, in the order its file gives."""
        sql = f"SELECT * FROM {table} WHERE engagement_id = :id ORDER BY position, id"  # noqa: S608 - table names are ours
        return fetch(sql, of)

    contacts = listed("contacts")
    vendor_rows = listed("vendors")
    vendor_keys = {v["id"]: v["key"] for v in vendor_rows}
    point_rows = listed("connection_points")
    address_rows = fetch("SELECT * FROM global_addresses WHERE engagement_id = :id ORDER BY id", of)
    confirmations = fetch(
        "SELECT c.* FROM address_confirmations c JOIN global_addresses a ON a.id = c.address_id "
        "WHERE a.engagement_id = :id ORDER BY c.confirmed_at, c.id",
        of,
    )
    device_rows = listed("devices")
    device_points = fetch(
        "SELECT dp.device_id, p.key FROM device_connection_points dp "
        "JOIN connection_points p ON p.id = dp.connection_point_id "
        "WHERE p.engagement_id = :id ORDER BY p.position, p.id",
        of,
    )
    terminal_rows = listed("terminals")

    def holder(kind: str, vendor_id: int | None, name: str) -> ContractHolder:
        return ContractHolder(
            HolderKind(kind), None if vendor_id is None else vendor_keys[vendor_id], name
        )

    def address(a: Row) -> GlobalAddress:
        return GlobalAddress(
            address=ip_address(a["address"]),
            assignment=AddressAssignment(a["assignment"]),
            confirmations=tuple(
                AddressConfirmation(_utc(c["confirmed_at"]), c["confirmed_by"])
                for c in confirmations
                if c["address_id"] == a["id"]
            ),
            note=a["note"],
        )

    window_start, window_end = _moment(row["window_start"]), _moment(row["window_end"])
    approved_at = _moment(row["auth_approved_at"])
    return Engagement(
        code=row["code"],
        title=row["title"],
        institution=Institution(
            name=row["i_name"],
            name_en=row["i_name_en"],
            address=row["i_address"],
            prefecture=row["i_prefecture"],
            bed_count=row["i_bed_count"],
            contacts=_contacts([c for c in contacts if c["vendor_id"] is None]),
        ),
        status=EngagementStatus(row["status"]),
        survey_start=_date(row["survey_start"]),
        survey_end=_date(row["survey_end"]),
        window=DiagnosisWindow(window_start, window_end) if window_start and window_end else None,
        authorisation=(
            Authorisation(row["auth_approved_by"], approved_at, row["auth_document_ref"])
            if row["auth_approved_by"] is not None and approved_at is not None
            else None
        ),
        terminal_limit=row["terminal_limit"],
        vendors=tuple(
            Vendor(
                v["key"],
                v["company"],
                _contacts([c for c in contacts if c["vendor_id"] == v["id"]]),
                v["manages"],
            )
            for v in vendor_rows
        ),
        connection_points=tuple(
            ConnectionPoint(
                key=p["key"],
                name=p["name"],
                kind=ConnectionKind(p["kind"]),
                in_ehr_scope=bool(p["in_ehr_scope"]),
                scope_reason=p["scope_reason"],
                internet_reachable=bool(p["internet_reachable"]),
                carrier=p["carrier"],
                contract_holder=holder(p["holder_kind"], p["holder_vendor_id"], p["holder_name"]),
                addresses=tuple(
                    address(a) for a in address_rows if a["connection_point_id"] == p["id"]
                ),
                description=p["description"],
            )
            for p in point_rows
        ),
        devices=tuple(
            Device(
                key=d["key"],
                name=d["name"],
                role=DeviceRole(d["role"]),
                vendor=d["vendor_name"],
                model=d["model"],
                firmware_version=d["firmware_version"],
                firmware_version_normalised=d["firmware_version_normalised"],
                version_source=VersionSource(d["version_source"]) if d["version_source"] else None,
                version_unavailable_reason=d["version_unavailable_reason"],
                connection_points=tuple(
                    x["key"] for x in device_points if x["device_id"] == d["id"]
                ),
                managed_by=holder(d["managed_kind"], d["managed_vendor_id"], d["managed_name"]),
                notes=d["notes"],
            )
            for d in device_rows
        ),
        terminals=tuple(
            Terminal(t["key"], t["hostname"], TerminalRole(t["role"]), t["system"], t["location"])
            for t in terminal_rows
        ),
    )


def _sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (the default store's form); None for any
    other URL, which the caller opens through SQLAlchemy."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix) :]
    return Path(path) if path and path != ":memory:" else None


def _as_dict(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


@contextmanager
def sqlite_fetch(url: str) -> Iterator[Fetch | None]:
    """A fetch over a read-only ``sqlite3`` connection when ``url`` names an existing SQLite
    file whose schema is this kenshin's newest; else None, and the caller opens the store
    the usual way (which creates, migrates, or says what is wrong)."""
    path = _sqlite_path(url)
    if path is None or not path.is_file():
        yield None
        return
    try:
        connection = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error:
        yield None
        return
    connection.row_factory = _as_dict
    try:
        try:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchall()
            versions = [r["version_num"] for r in found]
        except sqlite3.Error:
            versions = []
        if versions != [HEAD_REVISION]:
            yield None
            return

        def fetch(sql: str, params: Mapping[str, object]) -> Sequence[Row]:
            try:
                return connection.execute(sql, dict(params)).fetchall()
            except sqlite3.DatabaseError as exc:  # damage past the schema check
                text = str(exc).lower()
                if "malformed" in text or "not a database" in text:
                    raise StoreError("store.corrupt", path=str(path)) from exc
                raise StoreError("store.unavailable", url=url, reason=str(exc)) from exc

        yield fetch
    finally:
        connection.close()
