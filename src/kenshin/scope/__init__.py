"""Authorisation and target selection: who may be probed, and the audit trail of probes."""

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
    is_global_unicast,
    lab_targets_enabled,
    scope_for_engagement,
)
from kenshin.scope.audit import (
    SCAN_ACTION,
    AuditSink,
    current_actor,
    scan_refused,
)
from kenshin.scope.confirmation import (
    CONFIRM_ACTION,
    AddressToConfirm,
    address_to_confirm,
    with_confirmation,
)
from kenshin.scope.gate import ADHOC_PROBE_ACTION, DIAGNOSE_ACTION, Gate

__all__ = [
    "ADHOC_PROBE_ACTION",
    "CONFIRM_ACTION",
    "DIAGNOSE_ACTION",
    "LAB_NETWORK",
    "LAB_TARGETS_ENV",
    "LOOPBACK_NETWORKS",
    "SCAN_ACTION",
    "AddressToConfirm",
    "AuditSink",
    "Excluded",
    "Gate",
    "LabPermission",
    "Scope",
    "ScopeError",
    "ScopeTarget",
    "address_to_confirm",
    "adhoc_scope",
    "current_actor",
    "is_global_unicast",
    "lab_targets_enabled",
    "scan_refused",
    "scope_for_engagement",
    "with_confirmation",
]
