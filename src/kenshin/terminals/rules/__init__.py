"""The terminal rules: each reads a ``CollectedTerminal`` and decides one check.

A rule is a function ``(collected, today) -> Outcome``; the order here is the order of
the verdicts in every listing and report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from kenshin.terminals.assessment import Outcome
from kenshin.terminals.model import CollectedTerminal
from kenshin.terminals.parse import decode_product_state
from kenshin.terminals.rules.antivirus_rules import (
    presence_rule,
    product_rule,
    realtime_rule,
    signatures_rule,
)
from kenshin.terminals.rules.hardening_rules import (
    administrators_rule,
    autologon_rule,
    bitlocker_rule,
    firewall_rule,
    local_accounts_rule,
    rdp_rule,
    smb1_rule,
)
from kenshin.terminals.rules.os_rules import edition_class, lifecycle_rule, os_summary, patch_rule
from kenshin.terminals.rules.usb_rules import mass_storage_rule, wpd_rule

Rule = Callable[[CollectedTerminal, date], Outcome]

RULES: tuple[Rule, ...] = (
    lifecycle_rule,
    patch_rule,
    presence_rule,
    realtime_rule,
    signatures_rule,
    product_rule,
    mass_storage_rule,
    wpd_rule,
    administrators_rule,
    local_accounts_rule,
    rdp_rule,
    smb1_rule,
    firewall_rule,
    autologon_rule,
    bitlocker_rule,
)

__all__ = ["RULES", "Rule", "decode_product_state", "edition_class", "os_summary"]
