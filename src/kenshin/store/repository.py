"""Reading and writing whole engagements, findings and audit events.

``EngagementRepository.save`` takes a complete, already validated ``Engagement`` and
makes the database say exactly that, matching children by their keys: a re-import of
the same file updates rows in place and never duplicates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from kenshin.domain import (
    AuditEvent,
    AuditOutcome,
    Confidence,
    ConnectionPoint,
    Contact,
    ContractHolder,
    Device,
    Engagement,
    Finding,
    FindingCategory,
    FindingStatus,
    FindingSubject,
    GlobalAddress,
    Severity,
    Terminal,
    Upgrade,
    Vendor,
)
from kenshin.domain.clock import as_utc, now_utc
from kenshin.domain.findings import finding_fingerprint
from kenshin.store import reading
from kenshin.store.models import (
    AddressConfirmationRow,
    AuditEventRow,
    ConnectionPointRow,
    ContactRow,
    DeviceRow,
    EngagementRow,
    FindingRow,
    GlobalAddressRow,
    InstitutionRow,
    TerminalRow,
    VendorRow,
)
from kenshin.store.reading import EngagementSummary
from kenshin.store.schema import StoreError

RowT = TypeVar("RowT", VendorRow, ConnectionPointRow, DeviceRow, TerminalRow)
ItemT = TypeVar("ItemT", Vendor, ConnectionPoint, Device, Terminal)


def session_fetch(session: Session) -> reading.Fetch:
    """Plain SQL in ``session``'s transaction, changes not yet flushed included."""

    def fetch(sql: str, params: Mapping[str, object]) -> Sequence[Mapping[str, Any]]:
        session.flush()
        return [dict(row) for row in session.execute(sql_text(sql), dict(params)).mappings()]

    return fetch


class EngagementRepository:
    """Engagements as whole aggregates, within one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- reading -------------------------------------------------------------------

    def _row(self, code: str) -> EngagementRow | None:
        query = (
            select(EngagementRow)
            .where(EngagementRow.code == code)
            .options(
                selectinload(EngagementRow.institution),
                selectinload(EngagementRow.contacts),
                selectinload(EngagementRow.vendors).selectinload(VendorRow.contacts),
                selectinload(EngagementRow.points)
                .selectinload(ConnectionPointRow.addresses)
                .selectinload(GlobalAddressRow.confirmations),
                selectinload(EngagementRow.points).selectinload(ConnectionPointRow.holder_vendor),
                selectinload(EngagementRow.devices).selectinload(DeviceRow.points),
                selectinload(EngagementRow.devices).selectinload(DeviceRow.managed_vendor),
                selectinload(EngagementRow.terminals),
            )
        )
        return self.session.scalars(query).one_or_none()

    def exists(self, code: str) -> bool:
        return (
            self.session.scalar(select(EngagementRow.id).where(EngagementRow.code == code))
            is not None
        )

    def get(self, code: str) -> Engagement:
        found = reading.engagement(session_fetch(self.session), code)
        if found is None:
            raise StoreError("store.no_engagement", code=code)
        return found

    def engagement_id(self, code: str) -> int:
        found = self.session.scalar(select(EngagementRow.id).where(EngagementRow.code == code))
        if found is None:
            raise StoreError("store.no_engagement", code=code)
        return found

    def list(self) -> list[EngagementSummary]:
        return reading.summaries(session_fetch(self.session))

    # -- writing -------------------------------------------------------------------

    def save(self, engagement: Engagement) -> bool:
        """Store ``engagement`` as given; returns True when it was created."""
        row = self._row(engagement.code)
        created = row is None
        if row is None:
            row = EngagementRow(code=engagement.code, institution=InstitutionRow(name=""))
            self.session.add(row)
        _apply_engagement(row, engagement)
        self.session.flush()
        vendor_ids = self._sync_vendors(row, engagement.vendors)
        point_rows = self._sync_points(row, engagement, vendor_ids)
        self._sync_devices(row, engagement, vendor_ids, point_rows)
        self._sync_terminals(row, engagement.terminals)
        _flush_checked(self.session)
        return created

    def delete(self, code: str) -> None:
        row = self._row(code)
        if row is None:
            raise StoreError("store.no_engagement", code=code)
        institution = row.institution
        self.session.delete(row)
        self.session.flush()
        still_used = self.session.scalar(
            select(EngagementRow.id).where(EngagementRow.institution_id == institution.id)
        )
        if still_used is None:
            self.session.delete(institution)

    def _sync_vendors(self, row: EngagementRow, vendors: Sequence[Vendor]) -> dict[str, int]:
        new_row = partial(VendorRow, company="")
        for vendor, vendor_row in _matched(self.session, row.vendors, vendors, new_row):
            vendor_row.company = vendor.company
            vendor_row.manages = vendor.manages
            vendor_row.contacts = _contact_rows(vendor.contacts, engagement_id=row.id)
        self.session.flush()
        return {v.key: v.id for v in row.vendors}

    def _sync_points(
        self, row: EngagementRow, engagement: Engagement, vendor_ids: dict[str, int]
    ) -> dict[str, ConnectionPointRow]:
        points = engagement.connection_points
        result: dict[str, ConnectionPointRow] = {}
        for point, point_row in _matched(self.session, row.points, points, ConnectionPointRow):
            point_row.name = point.name
            point_row.kind = point.kind.value
            point_row.in_ehr_scope = point.in_ehr_scope
            point_row.scope_reason = point.scope_reason
            point_row.internet_reachable = point.internet_reachable
            point_row.carrier = point.carrier
            point_row.holder_kind, point_row.holder_vendor_id, point_row.holder_name = _holder(
                point.contract_holder, vendor_ids
            )
            point_row.description = point.description
            self._sync_addresses(row, point_row, point.addresses)
            result[point.key] = point_row
        return result

    def _sync_addresses(
        self, row: EngagementRow, point_row: ConnectionPointRow, addresses: Sequence[GlobalAddress]
    ) -> None:
        existing = {a.address: a for a in point_row.addresses}
        wanted = {str(a.address) for a in addresses}
        for text, stale in existing.items():
            if text not in wanted:
                point_row.addresses.remove(stale)
        self.session.flush()
        for address in addresses:
            text = str(address.address)
            address_row = existing.get(text)
            if address_row is None:
                address_row = GlobalAddressRow(address=text, engagement_id=row.id)
                point_row.addresses.append(address_row)
            address_row.assignment = address.assignment.value
            address_row.note = address.note
            known = {(as_utc(c.confirmed_at), c.confirmed_by) for c in address_row.confirmations}
            for confirmation in address.confirmations:
                moment = as_utc(confirmation.confirmed_at)
                if (moment, confirmation.confirmed_by) not in known:
                    address_row.confirmations.append(
                        AddressConfirmationRow(
                            confirmed_at=moment, confirmed_by=confirmation.confirmed_by
                        )
                    )

    def _sync_devices(
        self,
        row: EngagementRow,
        engagement: Engagement,
        vendor_ids: dict[str, int],
        point_rows: dict[str, ConnectionPointRow],
    ) -> None:
        for device, device_row in _matched(
            self.session, row.devices, engagement.devices, DeviceRow
        ):
            device_row.name = device.name
            device_row.role = device.role.value
            device_row.vendor_name = device.vendor
            device_row.model = device.model
            device_row.firmware_version = device.firmware_version
            device_row.firmware_version_normalised = device.firmware_version_normalised
            device_row.version_source = (
                device.version_source.value if device.version_source else None
            )
            device_row.version_unavailable_reason = device.version_unavailable_reason
            device_row.managed_kind, device_row.managed_vendor_id, device_row.managed_name = (
                _holder(device.managed_by, vendor_ids)
            )
            device_row.notes = device.notes
            device_row.points = [point_rows[key] for key in device.connection_points]

    def _sync_terminals(self, row: EngagementRow, terminals: Sequence[Terminal]) -> None:
        for terminal, terminal_row in _matched(self.session, row.terminals, terminals, TerminalRow):
            terminal_row.hostname = terminal.hostname
            terminal_row.role = terminal.role.value
            terminal_row.system = terminal.system
            terminal_row.location = terminal.location


class FindingRepository:
    """Findings of one engagement; the same finding stored twice stays one row."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _subject_ids(self, engagement_id: int, subject: FindingSubject) -> tuple[int | None, ...]:
        def lookup(
            model: type[DeviceRow] | type[TerminalRow] | type[ConnectionPointRow], key: str | None
        ) -> int | None:
            if key is None:
                return None
            found = self.session.scalar(
                select(model.id).where(model.engagement_id == engagement_id, model.key == key)
            )
            if found is None:
                raise StoreError("store.unknown_subject", key=key)
            return found

        return (
            lookup(DeviceRow, subject.device_key),
            lookup(TerminalRow, subject.terminal_key),
            lookup(ConnectionPointRow, subject.point_key),
        )

    def record(self, engagement_code: str, findings: Iterable[Finding]) -> int:
        """Insert new findings, refresh known ones (keeping their triage status)."""
        engagement_id = EngagementRepository(self.session).engagement_id(engagement_code)
        count = 0
        for finding in findings:
            fingerprint = finding_fingerprint(finding)
            device_id, terminal_id, point_id = self._subject_ids(engagement_id, finding.subject)
            row = self.session.scalar(
                select(FindingRow).where(
                    FindingRow.engagement_id == engagement_id,
                    FindingRow.fingerprint == fingerprint,
                )
            )
            if row is None:
                row = FindingRow(
                    engagement_id=engagement_id,
                    fingerprint=fingerprint,
                    status=finding.status.value,
                    status_reason=finding.status_reason,
                )
                self.session.add(row)
            row.check_id = finding.check_id
            row.category = finding.category.value
            row.severity = finding.severity.value
            row.title_ja = finding.title_ja
            row.title_en = finding.title_en
            row.description_ja = finding.description_ja
            row.description_en = finding.description_en
            row.remediation_ja = finding.remediation_ja
            row.remediation_en = finding.remediation_en
            row.evidence = finding.evidence
            row.cves = list(finding.cves)
            row.kev = finding.kev
            row.ransomware = finding.ransomware
            row.cvss = finding.cvss
            row.confidence = finding.confidence.value
            row.upgrade = asdict(finding.upgrade) if finding.upgrade else None
            row.device = finding.device[:300]
            row.address = finding.subject.address
            row.port = finding.subject.port
            row.protocol = finding.subject.protocol
            row.device_id = device_id
            row.terminal_id = terminal_id
            row.connection_point_id = point_id
            count += 1
        _flush_checked(self.session)
        return count

    def list(self, engagement_code: str) -> list[Finding]:
        engagement_id = EngagementRepository(self.session).engagement_id(engagement_code)
        rows = self.session.scalars(
            select(FindingRow).where(FindingRow.engagement_id == engagement_id)
        ).all()
        keys = self._keys(engagement_id)
        findings = [_finding(row, keys) for row in rows]
        return sorted(findings, key=lambda f: (f.severity.rank, f.subject.describe(), f.check_id))

    def set_status(
        self, engagement_code: str, fingerprint: str, status: FindingStatus, reason: str = ""
    ) -> None:
        engagement_id = EngagementRepository(self.session).engagement_id(engagement_code)
        row = self.session.scalar(
            select(FindingRow).where(
                FindingRow.engagement_id == engagement_id, FindingRow.fingerprint == fingerprint
            )
        )
        if row is None:
            raise StoreError("store.no_finding", fingerprint=fingerprint)
        if status is FindingStatus.FALSE_POSITIVE and not reason.strip():
            raise StoreError("store.false_positive_needs_reason")
        row.status = status.value
        row.status_reason = reason

    def _keys(self, engagement_id: int) -> dict[tuple[str, int], str]:
        keys: dict[tuple[str, int], str] = {}
        for kind, model in (
            ("device", DeviceRow),
            ("terminal", TerminalRow),
            ("point", ConnectionPointRow),
        ):
            for row_id, key in self.session.execute(
                select(model.id, model.key).where(model.engagement_id == engagement_id)
            ):
                keys[(kind, row_id)] = key
        return keys


class AuditLog:
    """The append-only audit trail."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, event: AuditEvent) -> None:
        engagement_id = None
        if event.engagement_code is not None:
            engagement_id = self.session.scalar(
                select(EngagementRow.id).where(EngagementRow.code == event.engagement_code)
            )
        self.session.add(
            AuditEventRow(
                at=as_utc(event.at),
                actor=event.actor,
                action=event.action,
                outcome=event.outcome.value,
                engagement_id=engagement_id,
                engagement_code=event.engagement_code,
                targets=list(event.targets),
                details=dict(event.details),
            )
        )
        self.session.flush()

    def note(
        self,
        actor: str,
        action: str,
        code: str | None,
        *,
        outcome: AuditOutcome = AuditOutcome.SUCCEEDED,
        targets: Sequence[str] = (),
        details: Mapping[str, str] | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record one event from its parts, at ``at`` or now; every room writes the trail so."""
        self.record(
            AuditEvent(
                actor=actor,
                action=action,
                outcome=outcome,
                at=at or now_utc(),
                engagement_code=code,
                targets=tuple(targets),
                details=dict(details or {}),
            )
        )

    def events(self, engagement_code: str | None = None, limit: int = 200) -> list[AuditEvent]:
        query = select(AuditEventRow).order_by(AuditEventRow.at.desc(), AuditEventRow.id.desc())
        if engagement_code is not None:
            query = query.where(AuditEventRow.engagement_code == engagement_code)
        rows = self.session.scalars(query.limit(limit)).all()
        return [
            AuditEvent(
                actor=r.actor,
                action=r.action,
                outcome=AuditOutcome(r.outcome),
                at=as_utc(r.at),
                engagement_code=r.engagement_code,
                targets=tuple(r.targets),
                details=dict(r.details),
            )
            for r in rows
        ]


# -- mapping helpers ---------------------------------------------------------------


def _matched(
    session: Session, children: list[RowT], items: Sequence[ItemT], new: Callable[..., RowT]
) -> Iterator[tuple[ItemT, RowT]]:
    """Drop the children whose key is gone now, then each item with its row in turn (added
    when new, called with ``key=``), the row placed at the item's position.

    Matching by key keeps row ids across a re-import. A new row is added only when
    its turn comes, so the caller fills each one before anything flushes it.
    """
    existing = {r.key: r for r in children}
    wanted = {item.key for item in items}
    for key, stale in existing.items():
        if key not in wanted:
            children.remove(stale)
    session.flush()

    def in_turn() -> Iterator[tuple[ItemT, RowT]]:
        for position, item in enumerate(items):
            child = existing.get(item.key)
            if child is None:
                child = new(key=item.key)
                children.append(child)
            child.position = position
            yield item, child

    return in_turn()


def _flush_checked(session: Session) -> None:
    """Flush, telling a broken database constraint as the store's error."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise StoreError("store.constraint", detail=str(exc.orig).splitlines()[0]) from exc


def _holder(holder: ContractHolder, vendor_ids: dict[str, int]) -> tuple[str, int | None, str]:
    """A contract holder as the three columns that store it: kind, vendor row id, name."""
    key = holder.vendor_key
    if key is not None and key not in vendor_ids:
        raise StoreError("store.unknown_vendor", key=key)
    return holder.kind.value, None if key is None else vendor_ids[key], holder.name


def _contact_rows(
    contacts: Sequence[Contact], engagement_id: int | None = None
) -> list[ContactRow]:
    """Rows in the contacts' order (a row's columns are the ``Contact`` fields); a vendor's
    contacts name their engagement, the institution's get it from ``EngagementRow.contacts``."""
    return [
        ContactRow(engagement_id=engagement_id, position=position, **asdict(contact))
        for position, contact in enumerate(contacts)
    ]


def _apply_engagement(row: EngagementRow, engagement: Engagement) -> None:
    institution = engagement.institution
    row.institution.name = institution.name
    row.institution.name_en = institution.name_en
    row.institution.address = institution.address
    row.institution.prefecture = institution.prefecture
    row.institution.bed_count = institution.bed_count
    row.title = engagement.title
    row.status = engagement.status.value
    row.survey_start = engagement.survey_start
    row.survey_end = engagement.survey_end
    row.window_start = as_utc(engagement.window.starts_at) if engagement.window else None
    row.window_end = as_utc(engagement.window.ends_at) if engagement.window else None
    auth = engagement.authorisation
    row.auth_approved_by = auth.approved_by if auth else None
    row.auth_approved_at = as_utc(auth.approved_at) if auth else None
    row.auth_document_ref = auth.document_ref if auth else ""
    row.terminal_limit = engagement.terminal_limit
    row.contacts.clear()
    row.contacts.extend(_contact_rows(institution.contacts))


def _finding(row: FindingRow, keys: dict[tuple[str, int], str]) -> Finding:
    return Finding(
        check_id=row.check_id,
        category=FindingCategory(row.category),
        severity=Severity(row.severity),
        title_ja=row.title_ja,
        title_en=row.title_en,
        subject=FindingSubject(
            address=row.address,
            port=row.port,
            protocol=row.protocol,
            device_key=keys.get(("device", row.device_id)) if row.device_id else None,
            terminal_key=keys.get(("terminal", row.terminal_id)) if row.terminal_id else None,
            point_key=keys.get(("point", row.connection_point_id))
            if row.connection_point_id
            else None,
        ),
        description_ja=row.description_ja,
        description_en=row.description_en,
        remediation_ja=row.remediation_ja,
        remediation_en=row.remediation_en,
        evidence=row.evidence,
        cves=tuple(row.cves),
        kev=row.kev,
        ransomware=row.ransomware,
        cvss=row.cvss,
        confidence=Confidence(row.confidence),
        status=FindingStatus(row.status),
        status_reason=row.status_reason,
        upgrade=Upgrade(**row.upgrade) if row.upgrade else None,
        device=row.device or "",
    )
