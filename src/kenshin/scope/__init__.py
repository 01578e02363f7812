"""Authorisation and target selection: who may be probed, and the audit trail of probes."""

from kenshin.domain.clock import JST
from kenshin.scope._scope import (
    LAB_NETWORK,
    LAB_TARGETS_ENV,
    LOOPBACK_NETWORKS,
    Excluded,
    LabPermission,
    Scope,
    ScopeError,
    ScopeTarget,
    adhoc_scope,
    lab_targets_enabled,
    scope_for_engagement,
)
from kenshin.scope.audit import (
    SCAN_ACTION,
    AuditSink,
    current_actor,
    scan_ended,
    scan_refused,
    scan_started,
)

__all__ = [
    "JST",
    "LAB_NETWORK",
    "LAB_TARGETS_ENV",
    "LOOPBACK_NETWORKS",
    "SCAN_ACTION",
    "AuditSink",
    "Excluded",
    "LabPermission",
    "Scope",
    "ScopeError",
    "ScopeTarget",
    "adhoc_scope",
    "current_actor",
    "lab_targets_enabled",
    "scan_ended",
    "scan_refused",
    "scan_started",
    "scope_for_engagement",
]
