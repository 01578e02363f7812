"""The vocabulary of vendor information requests (ご依頼事項), as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv6Address

from kenshin.domain import AddressAssignment, ContractHolder
from kenshin.errors import KenshinError
from kenshin.i18n import translate
from kenshin.intake.hearing_sheet import is_unknown, named_choice, normalise_text, parse_address

DEFAULT_DUE_DAYS = 10
REMIND_DAYS = 2


class RequestError(KenshinError):
    """A request cannot be drafted, changed or answered as asked."""


class RequestPath(StrEnum):
    """How the information is obtained, tried in this order."""

    VENDOR_READS = "A"  # the vendor reads it off the device and sends it
    HOSPITAL_PROCEDURE = "B"  # the vendor gives the hospital's staff a procedure
    ONSITE_WORKER = "C"  # an on-site worker logs in with a handed-over account

    @property
    def next(self) -> RequestPath | None:
        order = list(RequestPath)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class RequestState(StrEnum):
    """未依頼 → 依頼済 → 回答済 / 対応困難 (→ the next path), or 取消."""

    DRAFT = "draft"
    SENT = "sent"
    ANSWERED = "answered"
    DIFFICULT = "difficult"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        return self in (RequestState.DRAFT, RequestState.SENT)


class Want(StrEnum):
    """One piece of information a request asks for."""

    FIRMWARE = "firmware"
    WAN_IP = "wan_ip"
    ASSIGNMENT = "assignment"
    ISP = "isp"


Recipient = ContractHolder
"""Whom a request goes to: whoever manages the device or holds the line contract."""


@dataclass(frozen=True)
class RequestDraft:
    """What is missing about one device (or one line without a device) and who to ask."""

    device_key: str | None
    point_key: str | None
    recipient: Recipient
    wants: tuple[Want, ...]


@dataclass(frozen=True)
class StateChange:
    at: datetime
    state: RequestState
    actor: str
    note: str = ""


@dataclass(frozen=True)
class Answer:
    """What came back; every field optional, at least one given."""

    firmware: str = ""
    wan_ip: IPv4Address | IPv6Address | None = None
    assignment: AddressAssignment | None = None
    isp: str = ""
    note: str = ""

    def is_empty(self) -> bool:
        return not (self.firmware or self.wan_ip or self.assignment or self.isp)

    def as_dict(self) -> dict[str, str]:
        data = {
            "firmware": self.firmware,
            "wan_ip": str(self.wan_ip) if self.wan_ip else "",
            "assignment": self.assignment.value if self.assignment else "",
            "isp": self.isp,
            "note": self.note,
        }
        return {k: v for k, v in data.items() if v}


# -- reading what a vendor wrote: the workbook, the command line and the web alike ------


def answered_text(text: str | None, *, nfkc: bool = False) -> str:
    """A free answer as text: trimmed, and blank when it says "not known" (不明, -, ...)."""
    cleaned = normalise_text(text, nfkc=nfkc)
    return "" if is_unknown(cleaned) else cleaned


def answered_address(text: str | None) -> IPv4Address | IPv6Address | None:
    """The WAN address answered (full-width digits and 。 read as people write them), or
    None when it is blank or "not known"; anything else must be an address."""
    cleaned = answered_text(text, nfkc=True)
    if not cleaned:
        return None
    address = parse_address(cleaned)
    if address is None:
        raise RequestError("hearing.bad_ip", value=cleaned)
    return address


def answered_assignment(text: str | None) -> AddressAssignment | None:
    """固定 or 動的 as answered (the value, or its Japanese or English label); "not known" in
    any words is no answer, so it never overwrites what the line already says."""
    cleaned = answered_text(text)
    value = named_choice(cleaned, "assignment") if cleaned else None
    if cleaned and value is None:
        known = (AddressAssignment.FIXED, AddressAssignment.DYNAMIC)
        allowed = "、".join(translate(f"label.assignment.{m.value}", "ja") for m in known)
        raise RequestError("hearing.bad_choice", value=cleaned, allowed=allowed)
    if value is None or value == AddressAssignment.UNKNOWN.value:
        return None
    return AddressAssignment(value)


def read_answer(
    firmware: str | None = None,
    wan_ip: str | None = None,
    assignment: str | None = None,
    isp: str | None = None,
    note: str | None = None,
) -> Answer:
    """An ``Answer`` from the words a vendor gave, by the one reading every entry uses."""
    return Answer(
        firmware=answered_text(firmware, nfkc=True),
        wan_ip=answered_address(wan_ip),
        assignment=answered_assignment(assignment),
        isp=answered_text(isp),
        note=answered_text(note),
    )


@dataclass(frozen=True)
class VendorRequest:
    """One information request as stored, with its history."""

    engagement_code: str
    number: int
    device_key: str | None
    point_key: str | None
    path: RequestPath
    state: RequestState
    recipient: Recipient
    wants: tuple[Want, ...]
    created_at: datetime
    due_date: date | None = None
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    answer: Answer | None = None
    note: str = ""
    follows: int | None = None
    history: tuple[StateChange, ...] = ()

    @property
    def ref(self) -> str:
        return request_ref(self.number)

    def is_overdue(self, today: date) -> bool:
        return (
            self.state is RequestState.SENT and self.due_date is not None and today > self.due_date
        )

    def is_due_soon(self, today: date) -> bool:
        if self.state is not RequestState.SENT or self.due_date is None:
            return False
        return 0 <= (self.due_date - today).days <= REMIND_DAYS


def request_ref(number: int) -> str:
    """How a request is named to people (``REQ-007``); ``parse_ref`` reads it back."""
    return f"REQ-{number:03d}"


def parse_ref(text: str) -> int:
    """``REQ-007``, ``req-7`` or ``7`` as the request number."""
    cleaned = text.strip().upper().removeprefix("REQ-").removeprefix("REQ")
    if not cleaned.isdecimal():  # int() reads every decimal digit; "²" is a digit it cannot
        raise RequestError("requests.bad_ref", value=text)
    return int(cleaned)
