"""The engagement file's schema: what ``kenshin.engagement/1`` may contain, as pydantic models.

Field names are what surveyors write; ``engagement_file`` reads a document through these
models and turns the result into domain types.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kenshin import domain as d

SCHEMA = "kenshin.engagement/1"
MAX_BEDS = 100_000  # above any hospital; keeps the number inside a database integer


def bed_count_of(text: str) -> int | None:
    """A bed count as people write it (１２０, 1,200床), or None when the text is no whole
    number: the reading of the hearing sheet and the web form alike (the range is the
    schema's)."""
    cleaned = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    cleaned = cleaned.removesuffix("床").strip()
    return int(cleaned) if cleaned.isdecimal() else None  # int() reads every decimal digit


def _folded(value: str) -> str:
    """Full-width letters, digits and dots mean nothing in a version, a product name, a host
    name or an e-mail (Ｖ７．２ is V7.2): folded as the hearing sheet folds them, so every
    way in stores, matches and checks the same text."""
    return unicodedata.normalize("NFKC", value).strip()


_Folded = Annotated[str, AfterValidator(_folded)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def is_email(text: str) -> bool:
    """Whether a contact's e-mail can be one: the rule for every way a contact comes in."""
    return "@" in text


class ContactModel(_Strict):
    name: str = Field(min_length=1, max_length=200)
    role: str = ""
    email: _Folded = ""
    phone: _Folded = ""


class InstitutionModel(_Strict):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    address: str = ""
    prefecture: str = ""
    bed_count: int | None = Field(default=None, ge=0, le=MAX_BEDS)
    contacts: list[ContactModel] = []


class PeriodModel(_Strict):
    start: date
    end: date


def _zoned(value: datetime) -> datetime:
    """A window or approval moment must say its zone: JST and UTC differ by nine hours."""
    if value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. +09:00")
    return value


_Zoned = Annotated[datetime, AfterValidator(_zoned)]


class WindowModel(_Strict):
    start: _Zoned
    end: _Zoned


class AuthorisationModel(_Strict):
    approved_by: str = Field(min_length=1)
    approved_at: _Zoned
    document_ref: str = ""


class HolderModel(_Strict):
    kind: d.HolderKind
    vendor: str | None = None
    name: str = ""


class ConfirmationModel(_Strict):
    confirmed_at: datetime
    confirmed_by: str = Field(min_length=1)


class AddressModel(_Strict):
    address: IPv4Address | IPv6Address
    assignment: d.AddressAssignment = d.AddressAssignment.UNKNOWN
    confirmations: list[ConfirmationModel] = []
    note: str = ""


# Keys and codes people write (CP-01, demo-2026): the one rule, the hearing sheet too.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class PointModel(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    kind: d.ConnectionKind
    in_ehr_scope: bool
    scope_reason: str = ""
    internet_reachable: bool = False
    carrier: str = ""
    contract_holder: HolderModel = HolderModel(kind=d.HolderKind.HOSPITAL)
    addresses: list[AddressModel] = []
    description: str = ""


class DeviceModel(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1)
    role: d.DeviceRole
    vendor: _Folded = ""
    model: _Folded = ""
    firmware_version: _Folded = ""
    firmware_version_normalised: str = ""
    version_source: d.VersionSource | None = None
    version_unavailable_reason: str = ""
    connection_points: list[str] = []
    managed_by: HolderModel = HolderModel(kind=d.HolderKind.HOSPITAL)
    notes: str = ""


class VendorModel(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    company: str = Field(min_length=1)
    manages: str = ""
    contacts: list[ContactModel] = []


class TerminalModel(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    hostname: _Folded = Field(min_length=1, max_length=64)
    role: d.TerminalRole
    system: str = ""
    location: str = ""


class EngagementModel(_Strict):
    """The whole file; field names are what surveyors write."""

    schema_: Literal["kenshin.engagement/1"] = Field(alias="schema", default="kenshin.engagement/1")
    code: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1)
    status: d.EngagementStatus = d.EngagementStatus.DRAFT
    institution: InstitutionModel
    survey: PeriodModel | None = None
    diagnosis_window: WindowModel | None = None
    authorisation: AuthorisationModel | None = None
    terminal_limit: int = Field(default=d.DEFAULT_TERMINAL_LIMIT, ge=1, le=1000)
    vendors: list[VendorModel] = []
    connection_points: list[PointModel] = []
    devices: list[DeviceModel] = []
    terminals: list[TerminalModel] = []

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
