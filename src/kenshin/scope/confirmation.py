"""The same-day confirmation of a dynamic address: one rule for the CLI and the web.

A dynamic global address is a target only on the Japan date it was re-confirmed. A
confirmation is recorded only where it can make a target: an open engagement, a line
in the EHR scope that reaches the internet (never a closed network), an address known
to be dynamic. ``kenshin targets confirm`` and the web's confirm button both ask
``address_to_confirm`` and write ``with_confirmation``; both audit ``scope.confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Any

from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    Engagement,
    GlobalAddress,
    refuse_closed,
)
from kenshin.scope._scope import ScopeError

CONFIRM_ACTION = "scope.confirm"


@dataclass(frozen=True)
class AddressToConfirm:
    point_key: str
    address: GlobalAddress

    @property
    def text(self) -> str:
        return str(self.address.address)


def address_to_confirm(engagement: Engagement, text: str) -> AddressToConfirm | None:
    """The dynamic address ``text`` of ``engagement``, ready to be confirmed today.

    ``None`` for a fixed address (it needs no confirmation; nothing is recorded).
    ``ScopeError`` saying why for everything else that cannot be confirmed.
    """
    refuse_closed(engagement, ScopeError)
    try:
        wanted = ip_address(text.strip())
    except ValueError:
        raise ScopeError("hearing.bad_ip", value=text) from None
    found = next(
        (
            (point, address)
            for point in engagement.connection_points
            for address in point.addresses
            if address.address == wanted
        ),
        None,
    )
    if found is None:
        raise ScopeError("cli.targets.unknown_address", address=str(wanted), code=engagement.code)
    point, address = found
    if point.kind is ConnectionKind.CLOSED_NETWORK:
        raise ScopeError("cli.targets.closed_network", address=str(wanted), point=point.key)
    if not point.is_diagnosis_candidate:
        raise ScopeError("cli.targets.not_candidate", address=str(wanted), point=point.key)
    if address.assignment is AddressAssignment.FIXED:
        return None
    if address.assignment is AddressAssignment.UNKNOWN:
        raise ScopeError("cli.targets.unknown_assignment", address=str(wanted))
    return AddressToConfirm(point.key, address)


def with_confirmation(
    document: dict[str, Any], target: AddressToConfirm, by: str, at: datetime
) -> None:
    """Append the confirmation to the address in an engagement document (in place)."""
    for point in document["connection_points"]:
        if point.get("key") != target.point_key:
            continue
        for entry in point.get("addresses", []):
            if entry["address"] == target.text:
                entry.setdefault("confirmations", []).append(
                    {"confirmed_at": at, "confirmed_by": by}
                )
