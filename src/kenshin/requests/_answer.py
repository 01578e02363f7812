"""Answers flow into the engagement: device firmware, WAN address, ISP — then the firmware check.

Every change goes through ``validate_document`` (the one gate) and ``EngagementRepository
.save``. Scope changes (a global address added or replaced) are reported back so the
caller writes them to the audit log. The firmware check is ``kenshin.firmware
.check_engagement(engagement, kenshin.vulndb.open_knowledge_base())``; callers may inject
another callable (tests do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    Engagement,
    Finding,
    VersionSource,
    refuse_closed,
)
from kenshin.firmware import check_engagement
from kenshin.intake import to_document, validate_document
from kenshin.requests._model import (
    Answer,
    RequestError,
    RequestPath,
    VendorRequest,
)
from kenshin.requests._store import RequestRepository
from kenshin.store import EngagementRepository, FindingRepository
from kenshin.vulndb import open_knowledge_base

FirmwareChecker = Callable[[Engagement], list[Finding]]
"""Checks an engagement's devices against the knowledge base (a stand-in in tests)."""

_SOURCE_BY_PATH = {
    RequestPath.VENDOR_READS: VersionSource.VENDOR,
    RequestPath.HOSPITAL_PROCEDURE: VersionSource.HOSPITAL,
    RequestPath.ONSITE_WORKER: VersionSource.ONSITE,
}


@dataclass(frozen=True)
class ScopeChange:
    """A global address that became (or stopped being) a diagnosis candidate."""

    action: str  # "added" or "removed"
    address: str
    point_key: str
    assignment: str


@dataclass(frozen=True)
class AnswerOutcome:
    request: VendorRequest
    engagement: Engagement
    scope_changes: tuple[ScopeChange, ...]


def _item(document: dict[str, Any], section: str, key: str | None) -> dict[str, Any] | None:
    if key is None:
        return None
    for item in document.get(section, []):
        if item.get("key") == key:
            return dict(item)
    return None


def apply_answer(
    engagement: Engagement, request: VendorRequest, answer: Answer
) -> tuple[Engagement, tuple[ScopeChange, ...]]:
    """The engagement with ``answer`` applied to the request's device and line."""
    if answer.is_empty():
        raise RequestError("requests.empty_answer", ref=request.ref)
    document = to_document(engagement)
    changes: list[ScopeChange] = []
    if answer.firmware:
        device = _item(document, "devices", request.device_key)
        if device is None:
            raise RequestError("requests.no_device", ref=request.ref)
        device["firmware_version"] = answer.firmware
        device["version_source"] = _SOURCE_BY_PATH[request.path].value
        device.pop("version_unavailable_reason", None)
        device.pop("firmware_version_normalised", None)
        _replace(document, "devices", device)
    if answer.wan_ip or answer.assignment or answer.isp:
        point = _item(document, "connection_points", request.point_key)
        if point is None:
            raise RequestError("requests.no_point", ref=request.ref)
        if answer.wan_ip or answer.assignment:
            if point.get("kind") == ConnectionKind.CLOSED_NETWORK.value:
                raise RequestError("requests.closed_network", ref=request.ref, point=point["key"])
            changes += _apply_address(point, answer, request)
        if answer.isp:
            point["carrier"] = answer.isp
        _replace(document, "connection_points", point)
    return validate_document(document), tuple(changes)


def _replace(document: dict[str, Any], section: str, item: dict[str, Any]) -> None:
    document[section] = [item if i.get("key") == item["key"] else i for i in document[section]]


def _apply_address(
    point: dict[str, Any], answer: Answer, request: VendorRequest
) -> list[ScopeChange]:
    addresses: list[dict[str, Any]] = [dict(a) for a in point.get("addresses", [])]
    changes: list[ScopeChange] = []
    key = str(point["key"])
    if answer.wan_ip is None:
        if not addresses:
            raise RequestError("requests.assignment_without_address", ref=request.ref)
        assert answer.assignment is not None
        for address in addresses:
            address["assignment"] = answer.assignment.value
            if answer.assignment is not AddressAssignment.DYNAMIC:
                address.pop("confirmations", None)
        point["addresses"] = addresses
        return changes
    text = str(answer.wan_ip)
    assignment = answer.assignment or AddressAssignment.UNKNOWN
    existing = next((a for a in addresses if a["address"] == text), None)
    if existing is not None:
        if answer.assignment is not None:
            existing["assignment"] = answer.assignment.value
    else:
        if assignment is AddressAssignment.DYNAMIC:
            # A dynamic line has one current address: the answer replaces the old one.
            for old in [a for a in addresses if a.get("assignment") == "dynamic"]:
                addresses.remove(old)
                changes.append(ScopeChange("removed", str(old["address"]), key, "dynamic"))
        addresses.append({"address": text, "assignment": assignment.value})
        changes.append(ScopeChange("added", text, key, assignment.value))
        point["internet_reachable"] = True
    for address in addresses:
        if address.get("assignment") != "dynamic":
            address.pop("confirmations", None)
    point["addresses"] = addresses
    return changes


def run_firmware_check(engagement: Engagement) -> list[Finding]:
    """The firmware check against the bundled knowledge base."""
    return check_engagement(engagement, open_knowledge_base())


def record_answer(
    session: Session, code: str, number: int, answer: Answer, now: datetime, actor: str
) -> AnswerOutcome:
    """Store an answer and apply it to the engagement, in the caller's transaction."""
    engagements = EngagementRepository(session)
    requests = RequestRepository(session)
    engagement = engagements.get(code)
    refuse_closed(engagement, RequestError)
    request = requests.get(code, number)
    updated, changes = apply_answer(engagement, request, answer)
    answered = requests.mark_answered(code, number, answer, now, actor)
    engagements.save(updated)
    return AnswerOutcome(answered, updated, changes)


def check_firmware(
    session: Session, engagement: Engagement, firmware_check: FirmwareChecker | None = None
) -> int:
    """Run the firmware check on ``engagement`` and store its findings; returns their count."""
    findings = (firmware_check or run_firmware_check)(engagement)
    if findings:
        FindingRepository(session).record(engagement.code, findings)
    return len(findings)


def give_up_on_device(
    engagement: Engagement, request: VendorRequest, reason: str
) -> Engagement | None:
    """After path C too was 対応困難: record on the device why no version could be had."""
    if request.device_key is None:
        return None
    document = to_document(engagement)
    device = _item(document, "devices", request.device_key)
    if device is None or (
        device.get("firmware_version") and device.get("version_source") != "not_obtained"
    ):
        return None
    device.pop("firmware_version", None)
    device["version_source"] = VersionSource.NOT_OBTAINED.value
    device["version_unavailable_reason"] = reason
    _replace(document, "devices", device)
    return validate_document(document)
