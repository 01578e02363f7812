"""What has to be done: findings with the same fix and owner as one action, and one
action sheet per party that has to act."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from kenshin.assess import Priority
from kenshin.domain import HolderKind, Upgrade
from kenshin.i18n import translate
from kenshin.report.fixes import DeviceFix, highest
from kenshin.report.sections.items import FindingItem

# Finding lines shown under one top action; an update that resolves many CVEs names them all.
ACTION_LINES = 3
UPGRADE_ACTION_LINES = 8


@dataclass(frozen=True)
class Action:
    """One thing to do, the findings it closes, where and by when."""

    lead: FindingItem
    text: str
    steps: tuple[str, ...]
    shown: tuple[FindingItem, ...]  # the finding lines named under the action
    more: int
    ids: tuple[str, ...]
    targets: tuple[str, ...]
    devices: tuple[str, ...]
    due: date | None


@dataclass(frozen=True)
class ActionSheet:
    """Every action of one party (a vendor, the hospital), ready to hand over."""

    owner: str
    hospital: bool
    actions: tuple[Action, ...]
    count: int


def top_actions(
    open_items: list[FindingItem], lang: str, fixes: Mapping[str, DeviceFix]
) -> list[Action]:
    """Every urgent and high action; findings with the same fix and owner make one action.

    Vulnerabilities of one device (or target) and product that an update fixes make one
    action: update to the device's fix, the same version the firmware table and
    findings.xlsx name (``fixes.py``). Nothing pressing is dropped; the summary shows the
    first ``TOP_ACTIONS`` as cards and the rest as compact rows.
    """
    pressing = [
        item for item in open_items if item.priority in (Priority.URGENT.value, Priority.HIGH.value)
    ]
    return group_actions(pressing, lang, fixes)


def group_actions(
    items: list[FindingItem], lang: str, fixes: Mapping[str, DeviceFix]
) -> list[Action]:
    """``items`` as actions: the same fix and owner make one; a device's updates make one."""
    keys = {item.id: _upgrade_key(item, fixes) for item in items}
    upgrades = Counter(key for key in keys.values() if key is not None)
    groups: dict[tuple[str | None, ...], list[FindingItem]] = {}
    for item in items:
        upgrade_key = keys[item.id]
        key = (
            upgrade_key
            if upgrade_key is not None and (upgrades[upgrade_key] > 1 or item.device_key in fixes)
            else ("fix", item.remediation or item.title, item.owner)
        )
        groups.setdefault(key, []).append(item)
    result = []
    for key, members in groups.items():
        lead = members[0]
        if key[0] == "upgrade":
            fix = fixes.get(lead.device_key or "")
            own = fix is not None and key[1] == lead.device_key and key[3] == fix.scheme
            text, steps = _upgrade_text(members, lang, fix if own else None)
            lines = UPGRADE_ACTION_LINES
        else:
            text, steps, lines = lead.remediation or lead.title, (), ACTION_LINES
        result.append(
            Action(
                lead=lead,
                text=text,
                steps=steps,
                shown=tuple(members[:lines]),
                more=max(0, len(members) - lines),
                ids=tuple(item.id for item in members),
                targets=tuple(dict.fromkeys(item.target for item in members)),
                devices=tuple(
                    dict.fromkeys(
                        item.device_label or item.point_label or item.target for item in members
                    )
                ),
                due=min((item.due for item in members if item.due), default=None),
            )
        )
    return result


def action_sheets(
    open_items: list[FindingItem], lang: str, fixes: Mapping[str, DeviceFix]
) -> tuple[ActionSheet, ...]:
    """One sheet per party that has to act (each vendor, the hospital): what, where, by when.

    Ready to hand over: every open finding of the party (information-only ones left out)
    as actions, the most pressing first, each naming the findings it closes.
    """
    owners: dict[str, list[FindingItem]] = {}
    for item in open_items:
        if item.priority != Priority.INFO.value:
            owners.setdefault(item.owner, []).append(item)
    sheets = [
        ActionSheet(
            owner=owner,
            hospital=items[0].owner_kind == HolderKind.HOSPITAL.value,
            actions=tuple(group_actions(items, lang, fixes)),
            count=len(items),
        )
        for owner, items in owners.items()
    ]
    sheets.sort(key=lambda s: (s.hospital, s.owner))  # vendors first, then the hospital
    return tuple(sheets)


def _upgrade_key(
    item: FindingItem, fixes: Mapping[str, DeviceFix]
) -> tuple[str | None, ...] | None:
    """Which update closes the item: its device's one fix (when of the same version scheme:
    the same product), else its own upgrade; or None."""
    upgrade = item.upgrade
    if upgrade is None:  # no known fix: the device's update may not close it
        return None
    fix = fixes.get(item.device_key or "")
    if fix is not None and fix.scheme == upgrade.scheme:
        return ("upgrade", item.device_key, fix.product, fix.scheme, item.owner)
    return ("upgrade", item.target, upgrade.product, upgrade.scheme, item.owner)


def _upgrade_text(
    items: list[FindingItem], lang: str, fix: DeviceFix | None
) -> tuple[str, tuple[str, ...]]:
    """One update for several vulnerabilities, and each one's extra steps.

    The device's fix when the items are about a known device, else the highest fixed
    version per release line of every update the items ask for.
    """
    upgrades: list[Upgrade] = [u for item in items for u in item.upgrades]
    if fix is None:
        fix = highest(upgrades)
    assert fix is not None  # items of an upgrade action have an upgrade
    cves = {cve for item in items for cve in item.cves}
    flags = [
        translate(f"report.action.{flag}", lang, count=count)
        for flag, count in (
            ("kev", sum(1 for item in items if item.kev)),
            ("ransomware", sum(1 for item in items if item.ransomware)),
        )
        if count
    ]
    params: dict[str, object] = {
        "product": fix.product or items[0].target,
        "count": len(cves) or len(items),
        "flags": (f"（{'、'.join(flags)}）" if lang == "ja" else f" ({', '.join(flags)})")
        if flags
        else "",
    }
    if len(fix.per_line) == 1:
        text = translate("report.action.upgrade", lang, fixed=fix.label(lang), **params)
    else:
        text = translate("report.action.upgrade_lines", lang, lines=fix.label(lang), **params)
    steps = tuple(dict.fromkeys(s for u in upgrades if (s := u.steps(lang).strip())))
    return text, steps
