"""Which addresses may be probed, and why: the one gate in front of every packet.

A :class:`Scope` is built either from an engagement (``scope_for_engagement``) or for
an ad-hoc scan (``adhoc_scope``). Building an engagement scope checks the
authorisation record and the diagnosis window, then takes the global addresses of
internet-reachable connection points in the EHR scope; closed networks never count
and a dynamic address counts only when it was confirmed on today's Japan date.
Every refusal is a :class:`ScopeError` whose sentence says why and how to authorise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
)

from kenshin.domain import (
    AddressAssignment,
    ConnectionPoint,
    DiagnosisStatus,
    Engagement,
    IPAddress,
    refuse_closed,
)
from kenshin.domain.clock import as_utc, japan_time, japan_today
from kenshin.errors import KenshinError

LAB_TARGETS_ENV = "KENSHIN_LAB_TARGETS"
LOOPBACK_NETWORKS: tuple[IPv4Network | IPv6Network, ...] = (
    IPv4Network("127.0.0.0/8"),
    IPv6Network("::1/128"),
)
LAB_NETWORK = IPv4Network("198.18.0.0/15")

Network = IPv4Network | IPv6Network


class ScopeError(KenshinError):
    """A target is not authorised for probing; the message says why and what to do."""


@dataclass(frozen=True)
class LabPermission:
    """An explicit, in-code permission to probe the project's own lab range (198.18.0.0/15)."""

    reason: str = "test lab"


@dataclass(frozen=True)
class ScopeTarget:
    """One address the scope allows, and where it comes from."""

    address: IPAddress
    point_key: str | None = None
    assignment: AddressAssignment = AddressAssignment.UNKNOWN


@dataclass(frozen=True)
class Excluded:
    """An engagement address that is not a target, with the message key saying why."""

    address: IPAddress
    point_key: str
    reason_key: str


@dataclass(frozen=True)
class Scope:
    """The set of addresses a scan may contact.

    ``targets`` are named addresses (an engagement's); ``networks`` are whole ranges
    (ad-hoc scans: loopback, and the lab range when explicitly allowed).
    """

    engagement_code: str | None
    targets: tuple[ScopeTarget, ...] = ()
    networks: tuple[Network, ...] = ()
    excluded: tuple[Excluded, ...] = ()
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def allows(self, address: str | IPAddress) -> bool:
        """True when ``address`` may be contacted under this scope."""
        try:
            parsed = ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return False
        if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
            parsed = parsed.ipv4_mapped
        if any(parsed == t.address for t in self.targets):
            return True
        return any(parsed.version == n.version and parsed in n for n in self.networks)

    def check(self, address: str | IPAddress) -> None:
        """Raise :class:`ScopeError` unless ``address`` may be contacted."""
        if self.allows(address):
            return
        text = str(address)
        if self.engagement_code is None:
            raise ScopeError("scope.adhoc_refused", address=text, env=LAB_TARGETS_ENV)
        for excluded in self.excluded:
            if str(excluded.address) == text:
                raise ScopeError(
                    excluded.reason_key,
                    address=text,
                    point=excluded.point_key,
                    code=self.engagement_code,
                    today=japan_today(self.built_at).isoformat(),
                )
        raise ScopeError("scope.not_in_engagement", address=text, code=self.engagement_code)

    def default_targets(self) -> tuple[IPAddress, ...]:
        """The addresses to scan when the user names none (an engagement's targets)."""
        return tuple(t.address for t in self.targets)

    def select(self, requested: Iterable[IPAddress]) -> tuple[IPAddress, ...]:
        """``requested`` in order, once each; refuses the whole request on the first stranger."""
        chosen: list[IPAddress] = []
        seen: set[IPAddress] = set()
        for address in requested:
            self.check(address)
            if address not in seen:
                seen.add(address)
                chosen.append(address)
        return tuple(chosen)


def _as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; unlike the store's rows, a scope never guesses a naive moment's zone."""
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone cannot be compared")
    return as_utc(moment)


# Why a point's addresses are never targets, by the point's diagnosis status (the
# domain's one rule, which the report words too); the other statuses leave it to each
# address (a dynamic one must be confirmed on the day).
_EXCLUDED_BECAUSE = {
    DiagnosisStatus.CLOSED: "scope.closed_network",
    DiagnosisStatus.OUT_OF_SCOPE: "scope.out_of_ehr_scope",
    DiagnosisStatus.NOT_INTERNET: "scope.not_internet",
}


def _exclusion_key(point: ConnectionPoint) -> str | None:
    return _EXCLUDED_BECAUSE.get(point.diagnosis_status)


def scope_for_engagement(engagement: Engagement, now: datetime | None = None) -> Scope:
    """The scope of an engagement at ``now`` (default: this moment).

    Raises :class:`ScopeError` when the engagement may not be probed at all (closed,
    no authorisation record, no diagnosis window, outside the window, no target left).
    """
    refuse_closed(engagement, ScopeError)
    moment = _as_utc(now) if now is not None else datetime.now(UTC)
    code = engagement.code
    if engagement.authorisation is None:
        raise ScopeError("scope.no_authorisation", code=code)
    window = engagement.window
    if window is None:
        raise ScopeError("scope.no_window", code=code)
    if not window.contains(moment):
        raise ScopeError(
            "scope.outside_window",
            code=code,
            now=japan_time(moment),
            start=japan_time(window.starts_at),
            end=japan_time(window.ends_at),
        )
    today = japan_today(moment)
    targets: list[ScopeTarget] = []
    excluded: list[Excluded] = []
    for point in engagement.connection_points:
        point_reason = _exclusion_key(point)
        for address in point.addresses:
            reason = point_reason
            if (
                reason is None
                and address.assignment is AddressAssignment.DYNAMIC
                and address.confirmation_for(moment) is None
            ):
                reason = "scope.dynamic_unconfirmed"
            if reason is None and not _is_global_or_lab(address.address):
                reason = "scope.not_global"
            if reason is None:
                targets.append(ScopeTarget(address.address, point.key, address.assignment))
            else:
                excluded.append(Excluded(address.address, point.key, reason))
    # An address listed twice (e.g. once as a closed network) is refused if any listing refuses it.
    refused = {e.address for e in excluded}
    kept = tuple(t for t in targets if t.address not in refused)
    if not kept:
        if excluded:
            first = excluded[0]
            why = ScopeError(
                first.reason_key,
                address=str(first.address),
                point=first.point_key,
                code=code,
                today=today.isoformat(),
            )
            raise ScopeError(
                "scope.no_targets_because",
                code=code,
                detail=why.message("ja"),
                detail_en=why.message("en"),
            )
        raise ScopeError("scope.no_targets", code=code)
    return Scope(code, kept, (), tuple(excluded), moment)


def is_global_unicast(address: IPAddress) -> bool:
    """Whether ``address`` is one host on the internet. Python counts multicast groups as
    global (224.0.1.1, even ff02::1, every node on the local link): never one host, so
    never a target, nor a device's own public address."""
    return address.is_global and not address.is_multicast


def _is_global_or_lab(address: IPAddress) -> bool:
    """Engagement targets are global addresses; the lab range stands in for them in demos."""
    if isinstance(address, IPv4Address) and address in LAB_NETWORK:
        return True
    return is_global_unicast(address)


def lab_targets_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when ``KENSHIN_LAB_TARGETS=1`` asks for the lab range in ad-hoc scans."""
    value = (env if env is not None else os.environ).get(LAB_TARGETS_ENV, "")
    return value.strip() == "1"


def adhoc_scope(lab: LabPermission | None = None, env: Mapping[str, str] | None = None) -> Scope:
    """The scope of a scan without an engagement: loopback, plus the lab range if allowed."""
    networks: list[Network] = list(LOOPBACK_NETWORKS)
    if lab is not None or lab_targets_enabled(env):
        networks.append(LAB_NETWORK)
    return Scope(None, (), tuple(networks))
