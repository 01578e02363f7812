"""Diagnosis checks on the open ports: vulnerability, backdoor, account, exposure,
configuration. One module per family; each check declares what it applies to and how
intense it is, and the engine schedules them (see ``engine.py``)."""

from __future__ import annotations

from kenshin.checks import accounts, backdoor, exposure, http, ssh, tls
from kenshin.checks.base import (
    Check,
    ChecksError,
    CheckSettings,
    CheckStats,
    CheckTarget,
    Intensity,
)
from kenshin.checks.engine import (
    DiagnosisResult,
    FamilyStats,
    diagnosable,
    diagnose,
    roles_by_address,
)

NETWORK_CHECKS: tuple[Check, ...] = (
    *exposure.CHECKS,
    *backdoor.CHECKS,
    *accounts.CHECKS,
    *ssh.CHECKS,
    *tls.CHECKS,
    *http.CHECKS,
)


def default_checks(with_knowledge_base: bool = True) -> tuple[Check, ...]:
    """Every check; the known-vulnerability check reads the active knowledge base."""
    if not with_knowledge_base:
        return NETWORK_CHECKS
    from kenshin.checks.known_vulns import KnownVulnerabilities
    from kenshin.vulndb import open_knowledge_base

    return (KnownVulnerabilities(open_knowledge_base()), *NETWORK_CHECKS)


__all__ = [
    "NETWORK_CHECKS",
    "Check",
    "CheckSettings",
    "CheckStats",
    "CheckTarget",
    "ChecksError",
    "DiagnosisResult",
    "FamilyStats",
    "Intensity",
    "default_checks",
    "diagnosable",
    "diagnose",
    "roles_by_address",
]
