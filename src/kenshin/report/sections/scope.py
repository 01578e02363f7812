"""Section 1, the scope and method: what was surveyed, when, what was not and why, which
families of checks ran and how findings are ranked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kenshin.domain import ConnectionKind, ConnectionPoint, HostResult, PartState
from kenshin.report.model import ScanPacing
from kenshin.report.sections.context import (
    ViewContext,
    firmware_state,
    jst,
    remote_state,
    surveyed_firmware,
    terminals_state,
)

FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (family, survey part it belongs to, check-id prefixes)
    ("vulnerability", "remote", ("vulnerability.", "vuln.")),
    ("backdoor", "remote", ("backdoor.",)),
    ("account", "remote", ("account.",)),
    ("exposure", "remote", ("exposure.",)),
    ("configuration", "remote", ("configuration.", "tls.", "ssh.", "http.")),
    ("firmware", "firmware", ("firmware.",)),
    ("terminal", "terminals", ("terminal.", "terminals.")),
)
_MODEL_KEYS = (
    "report.model.base",
    "report.model.kev",
    "report.model.exposed",
    "report.model.asset",
    "report.model.confidence",
    "report.model.bands",
)


@dataclass(frozen=True)
class AddressLine:
    address: str
    point: str
    assignment: str
    diagnosed: bool
    status: str


@dataclass(frozen=True)
class MissingVersion:
    """An in-scope device whose firmware version is not known, and why."""

    key: str
    name: str
    product: str
    reason: str


@dataclass(frozen=True)
class ScanRun:
    started: str
    finished: str
    coverage: tuple[str, ...]  # ports probed per address
    pacing: str


@dataclass(frozen=True)
class CheckFamily:
    """A family of checks: carried out or not, and what it found (also "nothing")."""

    label: str
    what: str
    outcome: str
    done: bool


@dataclass(frozen=True)
class Scope:
    points_in_scope: int
    points_out_of_scope: tuple[ConnectionPoint, ...]
    points_closed: tuple[ConnectionPoint, ...]
    addresses: tuple[AddressLine, ...]
    no_address_points: tuple[ConnectionPoint, ...]
    version_missing: tuple[MissingVersion, ...]
    scan: ScanRun | None
    check_families: tuple[CheckFamily, ...]
    terminal_count: int
    terminal_limit: int
    priority_model: tuple[str, ...]
    firmware_gap: str  # what the firmware check left out, not already listed; "" if nothing

    @property
    def all_covered(self) -> bool:
        """Whether every reported connection point and device was surveyed: nothing out of
        scope, closed, undiagnosed or of unknown version, and the firmware check covered
        every device."""
        return not (
            self.points_out_of_scope
            or self.points_closed
            or self.version_missing
            or self.unconfirmed
            or self.no_address_points
            or self.firmware_gap
        )

    @property
    def unconfirmed(self) -> tuple[AddressLine, ...]:
        """The addresses that were not diagnosed."""
        return tuple(a for a in self.addresses if not a.diagnosed)

    @property
    def diagnosed_count(self) -> int:
        return sum(1 for a in self.addresses if a.diagnosed)


def build_scope(context: ViewContext) -> Scope:
    report, t = context.input, context.t
    engagement = report.engagement
    points = engagement.connection_points
    scan = report.scan
    return Scope(
        points_in_scope=sum(1 for p in points if p.in_ehr_scope),
        points_out_of_scope=tuple(p for p in points if not p.in_ehr_scope),
        points_closed=tuple(
            p
            for p in points
            if p.in_ehr_scope
            and (p.kind is ConnectionKind.CLOSED_NETWORK or not p.internet_reachable)
        ),
        addresses=tuple(
            AddressLine(
                address=a.address,
                point=f"{a.point.key} {a.point.name}",
                assignment=t(f"label.assignment.{a.assignment.value}"),
                diagnosed=a.diagnosed,
                status=t(a.reason_key),
            )
            for a in context.addresses
        ),
        no_address_points=tuple(p for p in points if p.is_diagnosis_candidate and not p.addresses),
        version_missing=tuple(
            MissingVersion(
                key=dev.key,
                name=dev.name,
                product=f"{dev.vendor} {dev.model}".strip() or "-",
                reason=dev.version_unavailable_reason or t("report.version.no_reason"),
            )
            for dev in engagement.versions_missing()
        ),
        scan=(
            ScanRun(
                started=jst(scan.started_at),
                finished=jst(scan.finished_at),
                coverage=tuple(_ports_line(host, t) for host in scan.hosts),
                pacing=_pacing_line(report.pacing, t),
            )
            if scan
            else None
        ),
        check_families=_check_families(context),
        terminal_count=len(report.terminals) if report.terminals is not None else 0,
        terminal_limit=engagement.terminal_limit,
        priority_model=tuple(t(key) for key in _MODEL_KEYS),
        firmware_gap=_firmware_gap(context),
    )


def _firmware_gap(context: ViewContext) -> str:
    """What the firmware check did not cover, beyond the devices of unknown version the
    scope already lists: the whole check when it did not run, else the devices the
    knowledge base could not judge ("" when it judged every device)."""
    report, t = context.input, context.t
    if firmware_state(report) is PartState.DONE:
        return ""
    surveyed = surveyed_firmware(report)
    if not surveyed:
        return t("report.firmware.not_done")
    listed = {dev.key for dev in report.engagement.versions_missing()}
    left = [r.device.key for r in surveyed if not r.status.judged and r.device.key not in listed]
    return t("report.scope.firmware_unchecked", keys=", ".join(left)) if left else ""


def _pacing_line(pacing: ScanPacing | None, t: Callable[..., str]) -> str:
    """The remote diagnosis's profile, rate ceiling and adaptive changes, in one line."""
    if pacing is None:
        return ""
    known = pacing.profile in ("hospital", "lab")
    profile = t(f"report.scan_profile.{pacing.profile}") if known else pacing.profile
    return t(
        "report.scope.pacing_value",
        profile=profile,
        rate=round(pacing.rate) if pacing.rate is not None else "-",
        mode=pacing.tcp_mode.upper() or "-",
        changes=pacing.rate_changes,
        how=t("report.scope.pacing_adaptive" if pacing.adaptive else "report.scope.pacing_fixed"),
    )


def _check_families(context: ViewContext) -> tuple[CheckFamily, ...]:
    """Each family of checks: carried out or not, and what it found (also "nothing")."""
    report, t = context.input, context.t
    # carried out: some of the part was done (the summary's survey parts, same rule)
    done = {
        "remote": remote_state(context.addresses) is not PartState.NOT_DONE,
        "firmware": firmware_state(report) is not PartState.NOT_DONE,
        "terminals": terminals_state(report) is not PartState.NOT_DONE,
    }
    rows = []
    for family, part, prefixes in FAMILIES:
        hits = [f for f in context.findings if any(c.startswith(prefixes) for c in f.check_ids)]
        opened = [f for f in hits if f.is_open]
        if not done[part] and not hits:
            outcome = t("report.not_done")
        elif opened:
            outcome = t("report.family.found", count=len(opened))
        else:
            outcome = t("report.family.nothing")
        rows.append(
            CheckFamily(
                label=t(f"report.family.{family}"),
                what=t(f"report.family.{family}.what"),
                outcome=outcome,
                done=done[part] or bool(hits),
            )
        )
    return tuple(rows)


def _ports_line(host: HostResult, t: Callable[..., str]) -> str:
    """How many TCP and UDP ports of one address were probed."""
    counts = probed_ports(host)
    return t(
        "report.scope.ports_value",
        address=host.address,
        tcp=counts.get("tcp", Counter()).total(),
        udp=counts.get("udp", Counter()).total(),
    )


def probed_ports(host: HostResult) -> dict[str, Counter[str]]:
    """The ports probed on one address: per protocol, a count per state (the ports listed
    one by one and the ``extraports`` counts together)."""
    counts: dict[str, Counter[str]] = {}
    for port in host.ports:
        counts.setdefault(port.protocol.value, Counter())[port.state.value] += 1
    for extra in host.extraports:
        counts.setdefault(extra.protocol.value, Counter())[extra.state.value] += extra.count
    return counts
