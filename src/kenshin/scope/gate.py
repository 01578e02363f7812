"""The one gate in front of every packet kenshin sends, with its audit.

Scan, identification, the diagnosis checks and the lab's smoke tests all ask a
:class:`Gate` before they connect or send: it asks the :class:`Scope` (an engagement's,
or the ad-hoc policy: loopback, and the lab range when allowed), remembers what it
allowed, and records every refusal in the audit trail before raising
:class:`ScopeError`. No other module decides whether an address may be probed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from ipaddress import ip_address

import kenshin.scope.audit as trail
from kenshin.domain import AuditOutcome, Engagement
from kenshin.scope._scope import (
    LabPermission,
    Scope,
    ScopeError,
    adhoc_scope,
    scope_for_engagement,
)
from kenshin.scope.audit import SCAN_ACTION, AuditSink, current_actor

ADHOC_PROBE_ACTION = "probe.adhoc"
"""The audit action of a probe outside a scan (``kenshin identify HOST PORT``)."""
DIAGNOSE_ACTION = "diagnose.checks"
"""The audit action of the diagnosis checks run on a stored scan (``kenshin diagnose``)."""


def _discard(_event: object) -> None:
    """The audit sink of a gate nobody reads (unit tests of the wire code)."""


class Gate:
    """Asks the scope before every contact, audits refusals, remembers allowed addresses."""

    def __init__(
        self,
        scope: Scope,
        audit: AuditSink | None = None,
        *,
        actor: str | None = None,
        action: str = SCAN_ACTION,
    ) -> None:
        self.scope = scope
        self.audit: AuditSink = audit if audit is not None else _discard
        self.actor = actor or current_actor()
        self.action = action
        self._allowed: set[str] = set()

    @classmethod
    def adhoc(
        cls,
        audit: AuditSink | None = None,
        *,
        lab: LabPermission | None = None,
        env: Mapping[str, str] | None = None,
        actor: str | None = None,
        action: str = ADHOC_PROBE_ACTION,
    ) -> Gate:
        """The ad-hoc policy: loopback, plus the lab range when ``lab`` or the environment allow."""
        return cls(adhoc_scope(lab, env), audit, actor=actor, action=action)

    @classmethod
    def for_engagement(
        cls,
        engagement: Engagement,
        audit: AuditSink,
        *,
        actor: str | None = None,
        action: str = SCAN_ACTION,
    ) -> Gate:
        """The gate of ``engagement``'s scope now; a refusal of the whole engagement (closed,
        not authorised, outside its window, no target) is audited before it is raised."""
        try:
            scope = scope_for_engagement(engagement)
        except ScopeError as refusal:
            trail.scan_refused(
                audit,
                actor=actor or current_actor(),
                engagement_code=engagement.code,
                targets=(),
                reason=refusal.message("en"),
                action=action,
            )
            raise
        return cls(scope, audit, actor=actor, action=action)

    @property
    def engagement_code(self) -> str | None:
        return self.scope.engagement_code

    def allows(self, address: str) -> bool:
        """Whether ``address`` may be contacted (asks, records nothing)."""
        return address in self._allowed or self.scope.allows(address)

    def permit(self, address: str) -> str:
        """``address`` normalised when it may be contacted; otherwise audit and raise."""
        if address not in self._allowed:
            self.permit_all((address,))
        return _normalised(address)

    def permit_all(self, addresses: Sequence[str]) -> None:
        """Allow every one of ``addresses`` or refuse the whole request (audited once)."""
        for address in addresses:
            if address in self._allowed:
                continue
            try:
                self.scope.check(address)
            except ScopeError as refusal:
                self._record(AuditOutcome.REFUSED, addresses, {"reason": refusal.message("en")})
                raise
            self._allowed.add(address)

    def started(self, targets: Sequence[str], options: Mapping[str, object]) -> None:
        """Audit the start of a probe run on ``targets`` (already permitted)."""
        self._record(AuditOutcome.STARTED, targets, options)

    def ended(
        self, targets: Sequence[str], outcome: AuditOutcome, counts: Mapping[str, object]
    ) -> None:
        """Audit how a probe run on ``targets`` ended."""
        self._record(outcome, targets, counts)

    def _record(
        self, outcome: AuditOutcome, targets: Sequence[str], details: Mapping[str, object]
    ) -> None:
        """Every record of this gate names its actor, action and engagement."""
        self.audit(
            trail.event(
                self.actor, self.action, outcome, self.scope.engagement_code, targets, details
            )
        )


def _normalised(address: str) -> str:
    try:
        return str(ip_address(address.strip().strip("[]")))
    except ValueError:
        return address
