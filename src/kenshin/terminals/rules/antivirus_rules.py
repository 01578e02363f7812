"""Antivirus: present at all, several at once, real-time protection, signatures, product age."""

from __future__ import annotations

import re
from datetime import date

from kenshin.domain import VerdictStatus
from kenshin.terminals.assessment import Outcome, outcome
from kenshin.terminals.knowledge import antivirus, real_signature_age
from kenshin.terminals.model import (
    CollectedTerminal,
    DefenderStatus,
    InstalledProduct,
    SecurityCenterProduct,
)
from kenshin.vulndb.versions import scheme

_GENERIC = scheme("generic")
"""Product versions compare as the knowledge base compares them (``kenshin.vulndb.versions``)."""

PRESENCE = "terminal.av.presence"
REALTIME = "terminal.av.realtime"
SIGNATURES = "terminal.av.signatures"
PRODUCT = "terminal.av.product"

DEFENDER_NAMES = ("windows defender", "microsoft defender")


def is_defender(name: str) -> bool:
    return name.casefold().startswith(DEFENDER_NAMES)


def installed_antivirus(collected: CollectedTerminal) -> tuple[InstalledProduct, ...]:
    av = collected.antivirus
    if av is None:
        return ()
    patterns = antivirus().antivirus_products
    return tuple(
        p for p in av.installed_products if any(x.pattern.search(p.name) for x in patterns)
    )


def _registered(collected: CollectedTerminal) -> tuple[SecurityCenterProduct, ...] | None:
    return collected.antivirus.security_center if collected.antivirus else None


def _defender(collected: CollectedTerminal) -> DefenderStatus | None:
    return collected.antivirus.defender if collected.antivirus else None


def _active(collected: CollectedTerminal) -> tuple[SecurityCenterProduct, ...]:
    return tuple(p for p in _registered(collected) or () if p.state == "on")


def _describe(products: tuple[SecurityCenterProduct, ...]) -> str:
    return ", ".join(
        f"{p.name} (productState {p.product_state}=0x{p.product_state:06X}: "
        f"{p.state}, {p.signatures})"
        for p in products
    )


def _defender_running(collected: CollectedTerminal) -> bool:
    """Defender protects this terminal itself (on, and not standing aside in passive mode)."""
    defender = _defender(collected)
    return bool(defender and defender.antivirus_enabled and not defender.passive)


def presence_rule(collected: CollectedTerminal, today: date) -> Outcome:
    registered = _registered(collected)
    installed = installed_antivirus(collected)
    installed_names = ", ".join(f"{p.name} {p.version or ''}".strip() for p in installed)
    if registered is None:
        if collected.antivirus is None or (
            collected.antivirus.defender is None and not collected.antivirus.installed_products
        ):
            reason = collected.why_unreadable("antivirus") or collected.why_unreadable(
                "security_center"
            )
            return outcome(PRESENCE, VerdictStatus.UNKNOWN, "unreadable", reason or "not collected")
        # Windows Server has no Security Center: Defender status and installed programs speak.
        if _defender_running(collected):
            return outcome(
                PRESENCE,
                VerdictStatus.OK,
                "present",
                "Get-MpComputerStatus: AntivirusEnabled=True",
                names="Microsoft Defender Antivirus",
            )
        if installed:
            return outcome(
                PRESENCE,
                VerdictStatus.OK,
                "present",
                f"installed: {installed_names}",
                names=installed_names,
            )
        # Without Security Center (Windows Server, or a text input without it) only products
        # kenshin knows by name can be seen: an unknown product may well be protecting it.
        defender = collected.antivirus.defender
        state = (
            "Get-MpComputerStatus not examined"
            if defender is None
            else f"Defender AntivirusEnabled={defender.antivirus_enabled}, "
            f"AMRunningMode={defender.am_running_mode or '-'}"
        )
        return outcome(
            PRESENCE,
            VerdictStatus.UNKNOWN,
            "not_determined",
            f"no Security Center (root\\SecurityCenter2) data; {state}; "
            "no antivirus product kenshin knows among the installed programs",
        )
    active = _active(collected)
    if len(active) >= 2:
        names = ", ".join(p.name for p in active)
        return outcome(PRESENCE, VerdictStatus.WARNING, "several", _describe(active), names=names)
    if registered or installed or _defender_running(collected):
        names = ", ".join(p.name for p in registered) or installed_names or "Microsoft Defender"
        return outcome(
            PRESENCE,
            VerdictStatus.OK,
            "present",
            _describe(registered) or installed_names,
            names=names,
        )
    return outcome(
        PRESENCE, VerdictStatus.BAD, "none", "root\\SecurityCenter2 AntiVirusProduct is empty"
    )


def realtime_rule(collected: CollectedTerminal, today: date) -> Outcome:
    registered = _registered(collected)
    defender = _defender(collected)
    if registered:
        active = _active(collected)
        if not active:
            names = ", ".join(p.name for p in registered)
            return outcome(REALTIME, VerdictStatus.BAD, "off", _describe(registered), names=names)
        only_defender = all(is_defender(p.name) for p in active)
        if (
            only_defender
            and defender
            and not defender.passive
            and defender.real_time_protection_enabled is False
        ):
            return outcome(
                REALTIME,
                VerdictStatus.BAD,
                "defender_rtp_off",
                "Get-MpComputerStatus: RealTimeProtectionEnabled=False",
            )
        names = ", ".join(p.name for p in active)
        return outcome(REALTIME, VerdictStatus.OK, "on", _describe(active), names=names)
    if defender and defender.passive:
        # Passive mode: another product does the real-time protection; Defender's own
        # RealTimeProtectionEnabled says nothing about it.
        others = ", ".join(p.name for p in installed_antivirus(collected)) or "-"
        return outcome(
            REALTIME,
            VerdictStatus.UNKNOWN,
            "passive",
            f"Get-MpComputerStatus: AMRunningMode={defender.am_running_mode}; other product: "
            f"{others}",
            names=others,
        )
    if defender and defender.antivirus_enabled:
        if defender.real_time_protection_enabled is True:
            return outcome(
                REALTIME,
                VerdictStatus.OK,
                "on",
                "RealTimeProtectionEnabled=True",
                names="Microsoft Defender Antivirus",
            )
        if defender.real_time_protection_enabled is False:
            return outcome(
                REALTIME, VerdictStatus.BAD, "defender_rtp_off", "RealTimeProtectionEnabled=False"
            )
    reason = collected.why_unreadable("security_center") or "no product state available"
    return outcome(REALTIME, VerdictStatus.UNKNOWN, "no_state", reason)


def signatures_rule(collected: CollectedTerminal, today: date) -> Outcome:
    limit = antivirus().signature_max_age_days
    defender = _defender(collected)
    active = _active(collected)
    defender_active = (active and all(is_defender(p.name) for p in active)) or (
        _registered(collected) is None and _defender_running(collected)
    )
    if defender_active and defender is not None:
        age = real_signature_age(defender.signature_age_days)
        updated = defender.signature_last_updated
        if updated is not None and updated.year < 2000:  # 1601-01-01 etc.: "never"
            updated = None
        if age is None and updated and collected.collected_at:
            age = real_signature_age((collected.collected_at.date() - updated.date()).days)
        if age is None:
            return outcome(
                SIGNATURES,
                VerdictStatus.UNKNOWN,
                "no_data",
                f"AntivirusSignatureAge {defender.signature_age_days} "
                f"(no real age), AntivirusSignatureLastUpdated "
                f"{defender.signature_last_updated}",
            )
        if age is not None:
            evidence = (
                f"AntivirusSignatureVersion {defender.signature_version}, "
                f"last updated {defender.signature_last_updated}, age {age} days"
            )
            old = age > limit
            return outcome(
                SIGNATURES,
                VerdictStatus.BAD if old else VerdictStatus.OK,
                "old" if old else "fresh",
                evidence,
                days=age,
                limit=limit,
                version=defender.signature_version or "-",
            )
    third_party = [p for p in active if not is_defender(p.name)]
    if third_party:
        stale = [p for p in third_party if p.signatures == "out_of_date"]
        named = stale or third_party
        return outcome(
            SIGNATURES,
            VerdictStatus.BAD if stale else VerdictStatus.OK,
            "reported_old" if stale else "reported_fresh",
            _describe(tuple(named)),
            names=", ".join(p.name for p in named),
        )
    return outcome(
        SIGNATURES,
        VerdictStatus.UNKNOWN,
        "no_data",
        collected.why_unreadable("defender") or "no active product with signature data",
    )


def defender_platform_month(version: str) -> date | None:
    """Defender's platform version 4.18.YYMM(x).n names its release month."""
    found = re.match(r"4\.18\.(\d{2})(\d{2})\d?\.", version)
    if not found:
        return None
    year, month = 2000 + int(found.group(1)), int(found.group(2))
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1)


def product_rule(collected: CollectedTerminal, today: date) -> Outcome:
    knowledge = antivirus()
    candidates: list[InstalledProduct] = list(installed_antivirus(collected))
    for registered in _registered(collected) or ():
        if not any(c.name == registered.name for c in candidates) and not is_defender(
            registered.name
        ):
            candidates.append(InstalledProduct(registered.name, None))
    for product in candidates:
        for rule in knowledge.outdated_products:
            if not rule.pattern.search(product.name):
                continue
            supported = rule.below is not None and (
                not product.version or _GENERIC.compare(product.version, rule.below) >= 0
            )
            if supported:
                continue
            return outcome(
                PRODUCT,
                VerdictStatus.BAD,
                "outdated",
                f"{product.name} {product.version or ''}".strip(),
                name=product.name,
                version=product.version or "-",
                reason_ja=rule.reason_ja,
                reason_en=rule.reason_en,
            )
    defender = _defender(collected)
    if defender and defender.antivirus_enabled and defender.am_product_version:
        month = defender_platform_month(defender.am_product_version)
        if month is not None:
            months = (today.year - month.year) * 12 + today.month - month.month
            if months > knowledge.defender_platform_max_age_months:
                return outcome(
                    PRODUCT,
                    VerdictStatus.WARNING,
                    "platform_old",
                    f"AMProductVersion {defender.am_product_version} ({month:%Y-%m})",
                    version=defender.am_product_version,
                    months=months,
                )
    names = ", ".join(f"{p.name} {p.version or ''}".strip() for p in candidates)
    if defender and defender.am_product_version:
        names = ", ".join(x for x in (names, f"Defender {defender.am_product_version}") if x)
    if not names:
        reason = collected.why_unreadable("antivirus") or "no antivirus product version found"
        return outcome(PRODUCT, VerdictStatus.UNKNOWN, "no_data", reason)
    return outcome(PRODUCT, VerdictStatus.OK, "current", names, names=names)
