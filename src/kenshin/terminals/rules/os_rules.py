"""Operating system: support lifecycle (incl. ESU) and patch level."""

from __future__ import annotations

from datetime import date

from kenshin.terminals.assessment import Outcome, Status, outcome
from kenshin.terminals.knowledge import checkbook, cumulative_updates, lifecycle
from kenshin.terminals.model import CollectedTerminal, OsInfo

LIFECYCLE = "terminal.os.lifecycle"
PATCH = "terminal.os.patch_level"


def edition_class(os: OsInfo) -> str:
    """home_pro, enterprise, ltsc, iot_ltsc, embedded or server (see data/lifecycle.yaml)."""
    if os.is_server:
        return "server"
    edition = (os.edition_id or "").casefold()
    caption = f"{os.caption} {os.product_name or ''}".casefold()
    if edition:
        if edition.startswith("iotenterprises"):
            return "iot_ltsc"
        if edition.startswith("enterprises"):
            return "ltsc"
        if "embedded" in edition:
            return "embedded"
        if edition.startswith(("enterprise", "education", "iotenterprise")):
            return "enterprise"
        return "home_pro"
    if "ltsc" in caption or "ltsb" in caption:
        return "iot_ltsc" if "iot" in caption else "ltsc"
    if "embedded" in caption:
        return "embedded"
    if "enterprise" in caption or "education" in caption:
        return "enterprise"
    return "home_pro"


def os_summary(os: OsInfo) -> str:
    release = os.display_version or os.release_id or os.service_pack or ""
    parts = [os.caption.strip(), release]
    return " ".join(p for p in parts if p) + f" ({os.full_build})"


def _esu_evidence(collected: CollectedTerminal, first_ubr: int | None) -> str:
    licences = [e.name for e in collected.esu or () if e.licensed]
    if licences:
        return "ESU licence: " + ", ".join(licences)
    ubr = collected.os.ubr
    if first_ubr is not None and ubr is not None and ubr >= first_ubr:
        return f"UBR {ubr} >= {first_ubr} (an update only ESU-enrolled machines receive)"
    return ""


def lifecycle_rule(collected: CollectedTerminal, today: date) -> Outcome:
    os = collected.os
    edition = edition_class(os)
    entry = lifecycle().find(os.build, edition)
    evidence = f"{os.caption} build {os.full_build}, edition class {edition}"
    if entry is None:
        return outcome(LIFECYCLE, "unknown", "unknown_version", evidence, build=os.full_build)
    eos = entry.end_of_support
    if today <= eos:
        days = (eos - today).days
        if days <= checkbook().thresholds["lifecycle_warn_days"]:
            return outcome(
                LIFECYCLE, "warning", "ending", evidence, name=entry.name, end=eos, days=days
            )
        return outcome(LIFECYCLE, "ok", "supported", evidence, name=entry.name, end=eos)
    if entry.esu_until is not None and today <= entry.esu_until:
        esu = _esu_evidence(collected, entry.esu_first_ubr)
        if esu:
            return outcome(
                LIFECYCLE,
                "warning",
                "esu",
                f"{evidence}; {esu}",
                name=entry.name,
                end=eos,
                esu_until=entry.esu_until,
            )
        return outcome(
            LIFECYCLE,
            "bad",
            "esu_missing",
            f"{evidence}; "
            + (
                "ESU licences could not be read and no ESU-only update was found"
                if collected.esu is None
                else "no ESU licence or ESU-only update found"
            ),
            name=entry.name,
            end=eos,
            esu_until=entry.esu_until,
        )
    return outcome(LIFECYCLE, "bad", "unsupported", evidence, name=entry.name, end=eos)


_RANK = {"bad": 0, "warning": 1, "unknown": 2, "ok": 3}


def _ubr_outcome(collected: CollectedTerminal) -> Outcome | None:
    os = collected.os
    catalogue = cumulative_updates()
    known = catalogue.builds.get(os.build)
    if known is None:
        return None
    ubr = os.ubr
    source = f"UBR {os.full_build}"
    if ubr is None:
        # No UBR (systeminfo, or a registry that could not be read): the newest monthly
        # update among the installed KB numbers tells the same.
        installed = {h.id.upper() for h in collected.hotfixes or ()}
        matches = [r for r in known.releases if r.kb.upper() in installed]
        if not matches:
            return None
        ubr = max(r.ubr for r in matches)
        source = f"installed {max(matches, key=lambda r: r.ubr).kb} (= {os.build}.{ubr})"
    build_text = f"{os.build}.{ubr}"
    latest = known.latest
    if ubr >= latest.ubr:
        return outcome(
            PATCH,
            "ok",
            "current",
            f"{source} >= {os.build}.{latest.ubr} ({latest.kb}, {latest.date})",
            build=build_text,
            as_of=catalogue.as_of,
        )
    newer = [r for r in known.releases if r.ubr > ubr]
    behind = len(newer)
    evidence = (
        f"{source}; latest known {os.build}.{latest.ubr} "
        f"({latest.kb}, {latest.date}); data as of {catalogue.as_of}"
    )
    thresholds = checkbook().thresholds
    if behind == len(known.releases):
        return outcome(
            PATCH,
            "bad",
            "far_behind",
            evidence,
            build=build_text,
            behind=f"{behind}+",
            latest=f"{os.build}.{latest.ubr}",
            kb=latest.kb,
            as_of=catalogue.as_of,
        )
    status: Status = "warning" if behind <= thresholds["patch_warn_releases"] else "bad"
    return outcome(
        PATCH,
        status,
        "behind" if status == "warning" else "far_behind",
        evidence,
        build=build_text,
        behind=str(behind),
        latest=f"{os.build}.{latest.ubr}",
        kb=latest.kb,
        as_of=catalogue.as_of,
    )


def _hotfix_outcome(collected: CollectedTerminal, today: date) -> Outcome | None:
    hotfixes = collected.hotfixes
    if hotfixes is None:
        return None
    if not hotfixes:
        return outcome(PATCH, "bad", "no_updates", "Get-HotFix returned no updates")
    dated = [h for h in hotfixes if h.installed_on is not None]
    if not dated:
        return None
    last = max(dated, key=lambda h: h.installed_on or date.min)
    assert last.installed_on is not None
    reference = collected.collected_at.date() if collected.collected_at else today
    age = (reference - last.installed_on).days
    thresholds = checkbook().thresholds
    evidence = (
        f"last installed update {last.id} on {last.installed_on} ({age} days before {reference})"
    )
    if age > thresholds["update_age_bad_days"]:
        return outcome(PATCH, "bad", "stale", evidence, kb=last.id, on=last.installed_on, days=age)
    if age > thresholds["update_age_warn_days"]:
        return outcome(
            PATCH, "warning", "old_update", evidence, kb=last.id, on=last.installed_on, days=age
        )
    return outcome(PATCH, "ok", "recent", evidence, kb=last.id, on=last.installed_on, days=age)


def patch_rule(collected: CollectedTerminal, today: date) -> Outcome:
    found = [o for o in (_ubr_outcome(collected), _hotfix_outcome(collected, today)) if o]
    if not found:
        reason = collected.why_unreadable("updates") or collected.why_unreadable("ubr")
        return outcome(
            PATCH, "unknown", "no_data", reason or "no UBR data and no dated updates", build=""
        )
    worst = min(found, key=lambda o: _RANK[o.status])
    evidence = "; ".join(o.evidence for o in found)
    return Outcome(worst.check_id, worst.status, worst.outcome, worst.params, evidence)
