"""The engagement aggregate: one survey of one institution, as plain values.

These types carry no I/O. The store maps them to tables, the intake rooms build them
from files, and every later stage reads them. Cross references use the human keys
(``CP-01``, ``DEV-01``) that surveyors write in the engagement file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from ipaddress import IPv4Address, IPv6Address

from kenshin.domain.clock import as_utc, japan_today
from kenshin.domain.enums import (
    AddressAssignment,
    ConnectionKind,
    DeviceRole,
    DiagnosisStatus,
    EngagementStatus,
    HolderKind,
    TerminalRole,
    VersionSource,
)
from kenshin.errors import KenshinError

IPAddress = IPv4Address | IPv6Address

DEFAULT_TERMINAL_LIMIT = 5


def next_free_key(prefix: str, taken: Iterable[str]) -> str:
    """The first key ``prefix`` + two-digit number (``T-01``, ``CP-03``) not in ``taken``:
    the one numbering rule for keys kenshin gives new items."""
    used = set(taken)
    number = 1
    while f"{prefix}{number:02d}" in used:
        number += 1
    return f"{prefix}{number:02d}"


@dataclass(frozen=True)
class Contact:
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Institution:
    name: str
    name_en: str = ""
    address: str = ""
    prefecture: str = ""
    bed_count: int | None = None
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True)
class Authorisation:
    """Who allowed the remote diagnosis, when, and on which document."""

    approved_by: str
    approved_at: datetime
    document_ref: str = ""


@dataclass(frozen=True)
class DiagnosisWindow:
    """The period in which probing the engagement's targets is allowed."""

    starts_at: datetime
    ends_at: datetime

    def contains(self, moment: datetime) -> bool:
        return self.starts_at <= moment <= self.ends_at


@dataclass(frozen=True)
class AddressConfirmation:
    """A dynamic address re-confirmed by someone at a moment (stored in UTC)."""

    confirmed_at: datetime
    confirmed_by: str


@dataclass(frozen=True)
class GlobalAddress:
    address: IPAddress
    assignment: AddressAssignment = AddressAssignment.UNKNOWN
    confirmations: tuple[AddressConfirmation, ...] = ()
    note: str = ""

    def confirmation_for(self, moment: datetime) -> AddressConfirmation | None:
        """The latest re-confirmation that makes this address a target at ``moment``.

        The one "confirmed today" rule (scope, ``kenshin targets list``, the report): a
        confirmation counts on its own Japan date and only once it has happened — one
        recorded later that day cannot have authorised a probe sent earlier.
        """
        now = as_utc(moment)
        day = japan_today(now)
        counted = [
            c
            for c in self.confirmations
            if japan_today(as_utc(c.confirmed_at)) == day and as_utc(c.confirmed_at) <= now
        ]
        return max(counted, key=lambda c: as_utc(c.confirmed_at), default=None)


@dataclass(frozen=True)
class LineAddress:
    """A line's address and its assignment as text (the code, or words for a reader): what
    the report's line table shows and what the web compares a scope proposal by."""

    address: str
    assignment: str


@dataclass(frozen=True)
class ContractHolder:
    kind: HolderKind
    vendor_key: str | None = None
    name: str = ""

    @property
    def unknown(self) -> bool:
        """Nobody on record: an "other" holder without a name (a gap in the ledger)."""
        return self.kind is HolderKind.OTHER and not self.name


@dataclass(frozen=True)
class ConnectionPoint:
    """One entrance into (or beside) the EHR network, with its line."""

    key: str
    name: str
    kind: ConnectionKind
    in_ehr_scope: bool
    scope_reason: str = ""
    internet_reachable: bool = False
    carrier: str = ""
    contract_holder: ContractHolder = ContractHolder(HolderKind.HOSPITAL)
    addresses: tuple[GlobalAddress, ...] = ()
    description: str = ""

    def address_lines(
        self, assignment: Callable[[AddressAssignment], str]
    ) -> tuple[LineAddress, ...]:
        """The line's addresses as text, each assignment put by ``assignment``."""
        return tuple(LineAddress(str(a.address), assignment(a.assignment)) for a in self.addresses)

    @property
    def is_diagnosis_candidate(self) -> bool:
        """Internet-reachable lines in the EHR scope are remote-diagnosis targets."""
        return (
            self.in_ehr_scope
            and self.internet_reachable
            and self.kind is not ConnectionKind.CLOSED_NETWORK
        )

    @property
    def diagnosis_status(self) -> DiagnosisStatus:
        """Why this point's addresses are, or are not, remote-diagnosis targets (the one
        rule: the scope excludes by it and the report words it). A closed network comes
        first: it is never a target, whatever else is recorded about it."""
        if self.kind is ConnectionKind.CLOSED_NETWORK:
            return DiagnosisStatus.CLOSED
        if not self.in_ehr_scope:
            return DiagnosisStatus.OUT_OF_SCOPE
        if not self.internet_reachable:
            return DiagnosisStatus.NOT_INTERNET
        if not self.addresses:
            return DiagnosisStatus.NO_ADDRESS
        if any(a.assignment is AddressAssignment.DYNAMIC for a in self.addresses):
            return DiagnosisStatus.DYNAMIC
        return DiagnosisStatus.TARGET


@dataclass(frozen=True)
class Device:
    key: str
    name: str
    role: DeviceRole
    vendor: str = ""
    model: str = ""
    firmware_version: str = ""
    firmware_version_normalised: str = ""
    version_source: VersionSource | None = None
    version_unavailable_reason: str = ""
    connection_points: tuple[str, ...] = ()
    managed_by: ContractHolder = ContractHolder(HolderKind.HOSPITAL)
    notes: str = ""

    @property
    def version_known(self) -> bool:
        return bool(self.firmware_version) and self.version_source is not VersionSource.NOT_OBTAINED


@dataclass(frozen=True)
class Vendor:
    key: str
    company: str
    contacts: tuple[Contact, ...] = ()
    manages: str = ""


@dataclass(frozen=True)
class Terminal:
    key: str
    hostname: str
    role: TerminalRole
    system: str = ""
    location: str = ""


@dataclass(frozen=True)
class Engagement:
    """One survey of one institution, with everything it knows."""

    code: str
    title: str
    institution: Institution
    status: EngagementStatus = EngagementStatus.DRAFT
    survey_start: date | None = None
    survey_end: date | None = None
    window: DiagnosisWindow | None = None
    authorisation: Authorisation | None = None
    terminal_limit: int = DEFAULT_TERMINAL_LIMIT
    vendors: tuple[Vendor, ...] = ()
    connection_points: tuple[ConnectionPoint, ...] = ()
    devices: tuple[Device, ...] = ()
    terminals: tuple[Terminal, ...] = ()

    def point(self, key: str) -> ConnectionPoint:
        for point in self.connection_points:
            if point.key == key:
                return point
        raise KeyError(key)

    def vendor(self, key: str) -> Vendor:
        for vendor in self.vendors:
            if vendor.key == key:
                return vendor
        raise KeyError(key)

    def holder_name(self, holder: ContractHolder) -> str:
        """Who holds a line or manages a device, by name: the vendor's company (its key
        where the vendor is not on record), else the holder's own name (may be empty)."""
        if holder.vendor_key:
            try:
                return self.vendor(holder.vendor_key).company
            except KeyError:
                return holder.vendor_key
        return holder.name

    def devices_on(self, point_key: str) -> tuple[Device, ...]:
        return tuple(d for d in self.devices if point_key in d.connection_points)

    def versions_missing(self) -> tuple[Device, ...]:
        """The in-scope devices whose firmware version is not known: the survey's gap the
        summary, the scope section and the checklist's ledger all name."""
        return tuple(d for d in self.devices if not d.version_known and self.device_in_scope(d))

    def device_in_scope(self, device: Device) -> bool:
        """Whether the device belongs to the EHR scope: unless every line it sits on is
        outside. A device on no recorded line, or on a line not on record, is in: nothing
        shows it outside (the priority model, the checklist and the report ask this)."""
        scope = {p.key: p.in_ehr_scope for p in self.connection_points}
        return not device.connection_points or any(
            scope.get(key, True) for key in device.connection_points
        )


CLOSED_MESSAGE = "engagement.closed"
"""The one sentence (per language) every refusal of a closed engagement says."""


class EngagementClosedError(KenshinError):
    """A use case that changes a closed engagement, or probes for it, was refused."""


def refuse_closed(
    engagement: Engagement, error: type[KenshinError] = EngagementClosedError
) -> None:
    """The one rule: a closed engagement refuses every use case that changes it or sends a
    packet for it; its report was made from what it held, and its window is over.

    Changing: the inventory (items, hearing sheet, terminals picked or imported), the
    authorisation and window, address confirmations, vendor requests (drafting, sending,
    answers, files, closing one), findings (triage, a firmware check), stored accounts.
    Probing: the scope of a closed engagement has no target, so no scan, identification
    or diagnosis check sends anything. Reading stays allowed: listing, exporting, letters
    and workbooks of requests already made, downloads, and building the report.
    Importing the whole engagement file is the way back (it may set an open status).

    ``error`` is the calling room's error type, so its callers keep handling the refusal
    as theirs (the scope's is audited like its other refusals); the sentence is the same.
    """
    if engagement.status is EngagementStatus.CLOSED:
        raise error(CLOSED_MESSAGE, code=engagement.code)
