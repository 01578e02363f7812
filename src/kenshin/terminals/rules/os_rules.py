"""Operating system: support lifecycle (incl. ESU) and patch level."""

from __future__ import annotations

from datetime import date

from kenshin.domain import VerdictStatus
from kenshin.terminals.assessment import Outcome, outcome
from kenshin.terminals.knowledge import BuildUpdates, checkbook, cumulative_updates, lifecycle
from kenshin.terminals.model import CollectedTerminal, OsInfo

LIFECYCLE = "terminal.os.lifecycle"
PATCH = "terminal.os.patch_level"


def edition_class(os: OsInfo) -> str:
    """home, home_pro, enterprise, ltsc, iot_ltsc, embedded or server (data/lifecycle.yaml)."""
    if os.is_server:
        return "server"
    if os.is_multi_session:
        return "enterprise"  # Enterprise multi-session follows the Enterprise lifecycle
    edition = (os.edition_id or "").casefold()
    caption = f"{os.caption} {os.product_name or ''}".casefold()
    if "embedded" in caption or "posready" in caption or "embedded" in edition:
        return "embedded"
    if edition:
        if edition.startswith("iotenterprises"):
            return "iot_ltsc"
        if edition.startswith("enterprises"):
            return "ltsc"
        if edition.startswith(("enterprise", "education", "iotenterprise")):
            return "enterprise"
        if edition.startswith("core"):  # Core, CoreN, CoreSingleLanguage: Home
            return "home"
        return "home_pro"
    if "ltsc" in caption or "ltsb" in caption:
        return "iot_ltsc" if "iot" in caption else "ltsc"
    if "enterprise" in caption or "education" in caption:
        return "enterprise"
    if "home" in caption:
        return "home"
    return "home_pro"


def os_summary(os: OsInfo) -> str:
    release = os.display_version or os.release_id or os.service_pack or ""
    parts = [os.caption.strip(), release]
    return " ".join(p for p in parts if p) + f" ({os.full_build})"


def _esu_evidence(collected: CollectedTerminal, first_ubr: int | None) -> str:
    licences = [e.name for e in collected.esu or () if e.licensed]
    if licences:
        return "ESU licence: " + ", ".join(licences)
    if first_ubr is None:
        return ""
    ubr = collected.os.ubr
    if ubr is not None and ubr >= first_ubr:
        return f"UBR {ubr} >= {first_ubr} (an update only ESU-enrolled machines receive)"
    # No UBR (systeminfo, Get-HotFix): an installed ESU-only cumulative update says the same.
    known = cumulative_updates().builds.get(collected.os.build)
    installed = {h.id.upper() for h in collected.hotfixes or ()}
    esu_kbs = [r.kb for r in known.releases if r.ubr >= first_ubr] if known else []
    found = [kb for kb in esu_kbs if kb.upper() in installed]
    if found:
        return f"installed {', '.join(found)} (an update only ESU-enrolled machines receive)"
    return ""


def lifecycle_rule(collected: CollectedTerminal, today: date) -> Outcome:
    os = collected.os
    edition = edition_class(os)
    table = lifecycle()
    entry = table.find(os.build, edition, f"{os.caption} {os.product_name or ''}")
    evidence = f"{os.caption} build {os.full_build}, edition class {edition}"
    if entry is None:
        if table.dated.stale_on(today):
            evidence += (
                f"; lifecycle data as of {table.as_of} is older than "
                f"{table.dated.refresh_days} days"
            )
        return outcome(
            LIFECYCLE,
            VerdictStatus.UNKNOWN,
            "unknown_version",
            evidence,
            build=os.full_build,
            as_of=table.as_of,
        )
    if entry.source:
        evidence += f"; {entry.name} per {entry.source}"
    eos = entry.end_of_support
    if today <= eos:
        days = (eos - today).days
        if days <= checkbook().thresholds["lifecycle_warn_days"]:
            return outcome(
                LIFECYCLE,
                VerdictStatus.WARNING,
                "ending",
                evidence,
                name=entry.name,
                end=eos,
                days=days,
            )
        return outcome(LIFECYCLE, VerdictStatus.OK, "supported", evidence, name=entry.name, end=eos)
    if entry.esu_until is not None and today <= entry.esu_until:
        esu = _esu_evidence(collected, entry.esu_first_ubr)
        if esu:
            return outcome(
                LIFECYCLE,
                VerdictStatus.WARNING,
                "esu",
                f"{evidence}; {esu}",
                name=entry.name,
                end=eos,
                esu_until=entry.esu_until,
            )
        return outcome(
            LIFECYCLE,
            VerdictStatus.BAD,
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
    if entry.esu_until is not None:
        return outcome(
            LIFECYCLE,
            VerdictStatus.BAD,
            "esu_ended",
            evidence,
            name=entry.name,
            end=eos,
            esu_until=entry.esu_until,
        )
    return outcome(LIFECYCLE, VerdictStatus.BAD, "unsupported", evidence, name=entry.name, end=eos)


def _kb_number(kb: str) -> int | None:
    digits = kb.upper().removeprefix("KB")
    return int(digits) if digits.isdigit() else None


def _before_catalogue(collected: CollectedTerminal, known: BuildUpdates) -> Outcome | None:
    """No known cumulative update installed, and every installed KB is numbered below them.

    Microsoft numbers KB articles in the order it writes them, and a newer cumulative update
    replaces the older one in the installed list: when even the highest installed KB number
    is below the oldest cumulative update kenshin knows for this build, the terminal has had
    none of them. (A newer KB proves nothing: it may be a .NET or servicing-stack update.)
    """
    numbers = [n for n in (_kb_number(h.id) for h in collected.hotfixes or ()) if n is not None]
    if not numbers:
        return None
    oldest = known.releases[0]
    oldest_number = _kb_number(oldest.kb)
    if oldest_number is None or max(numbers) >= oldest_number:
        return None
    newest = f"KB{max(numbers)}"
    return outcome(
        PATCH,
        VerdictStatus.BAD,
        "before_catalogue",
        f"highest installed update {newest} is numbered below {oldest.kb} "
        f"({known.name}, {oldest.date}), the oldest cumulative update kenshin knows",
        kb=newest,
        oldest=oldest.kb,
        on=oldest.date,
    )


def _stale(known: BuildUpdates, source: str, today: date) -> Outcome:
    catalogue = cumulative_updates()
    latest = known.latest
    return outcome(
        PATCH,
        VerdictStatus.UNKNOWN,
        "catalogue_stale",
        f"{source} >= {known.build}.{latest.ubr} ({latest.kb}, {latest.date}), but the update "
        f"data (as of {catalogue.as_of}) is older than {catalogue.dated.refresh_days} days "
        f"on {today}",
        as_of=catalogue.as_of,
        days=(today - catalogue.as_of).days,
    )


def _ubr_outcome(collected: CollectedTerminal, today: date) -> Outcome | None:
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
            return _before_catalogue(collected, known)
        ubr = max(r.ubr for r in matches)
        source = f"installed {max(matches, key=lambda r: r.ubr).kb} (= {os.build}.{ubr})"
    build_text = f"{os.build}.{ubr}"
    latest = known.latest
    if ubr >= latest.ubr:
        if catalogue.dated.stale_on(today):
            return _stale(known, source, today)
        return outcome(
            PATCH,
            VerdictStatus.OK,
            "current",
            f"{source} >= {os.build}.{latest.ubr} ({latest.kb}, {latest.date})",
            build=build_text,
            as_of=catalogue.as_of,
        )
    newer = [r for r in known.releases if r.ubr > ubr]
    behind = len(newer)
    installed_release = max(
        (r for r in known.releases if r.ubr <= ubr), key=lambda r: r.ubr, default=None
    )
    gap = (latest.date - installed_release.date).days if installed_release else None
    evidence = (
        f"{source}; latest known {os.build}.{latest.ubr} "
        f"({latest.kb}, {latest.date}); data as of {catalogue.as_of}"
    )
    if installed_release is not None:
        evidence += f"; installed level {installed_release.kb} is {gap} days older"
    thresholds = checkbook().thresholds
    params: dict[str, object] = {
        "build": build_text,
        "latest": f"{os.build}.{latest.ubr}",
        "kb": latest.kb,
        "as_of": catalogue.as_of,
    }
    if installed_release is None:
        return outcome(
            PATCH, VerdictStatus.BAD, "far_behind", evidence, behind=f"{behind}+", **params
        )
    far = behind > thresholds["patch_warn_releases"] or (
        gap is not None and gap > thresholds["patch_gap_bad_days"]
    )
    status = VerdictStatus.BAD if far else VerdictStatus.WARNING
    return outcome(
        PATCH,
        status,
        "far_behind" if far else "behind",
        evidence,
        behind=str(behind),
        **params,
    )


def _hotfix_outcome(collected: CollectedTerminal, today: date) -> Outcome | None:
    hotfixes = collected.hotfixes
    if hotfixes is None:
        return None
    if not hotfixes:
        return outcome(PATCH, VerdictStatus.BAD, "no_updates", "Get-HotFix returned no updates")
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
        return outcome(
            PATCH, VerdictStatus.BAD, "stale", evidence, kb=last.id, on=last.installed_on, days=age
        )
    if age > thresholds["update_age_warn_days"]:
        return outcome(
            PATCH,
            VerdictStatus.WARNING,
            "old_update",
            evidence,
            kb=last.id,
            on=last.installed_on,
            days=age,
        )
    return outcome(
        PATCH, VerdictStatus.OK, "recent", evidence, kb=last.id, on=last.installed_on, days=age
    )


def patch_rule(collected: CollectedTerminal, today: date) -> Outcome:
    found = [o for o in (_ubr_outcome(collected, today), _hotfix_outcome(collected, today)) if o]
    # An outcome that cannot tell (update data too old) yields to one that can; its evidence
    # stays in the verdict.
    decisive = [o for o in found if o.status != VerdictStatus.UNKNOWN] or found
    if not found:
        reason = collected.why_unreadable("updates") or collected.why_unreadable("ubr")
        return outcome(
            PATCH,
            VerdictStatus.UNKNOWN,
            "no_data",
            reason or "no UBR data and no dated updates",
            build="",
        )
    worst = min(decisive, key=lambda o: o.status.rank)
    evidence = "; ".join(o.evidence for o in found)
    return Outcome(worst.check_id, worst.status, worst.outcome, worst.params, evidence)
