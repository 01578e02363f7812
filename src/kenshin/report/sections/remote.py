"""Section 4, the remote diagnosis: per global address the open ports, what each port's
checks found, how many ports were probed, and the findings."""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.assess import Area, redact
from kenshin.checks import NETWORK_CHECKS, CheckTarget, roles_by_address
from kenshin.domain import Component, HostResult, PortResult, PortState
from kenshin.report.sections.context import ViewContext
from kenshin.report.sections.items import FindingItem
from kenshin.report.sections.scope import FAMILIES, probed_ports

# Up to this many diagnosed addresses get a section each; beyond, one table of open ports
# and the findings grouped across addresses (each finding still names its address).
HOSTS_DETAIL_LIMIT = 6
_REMOTE_FAMILIES = {family: prefs for family, part, prefs in FAMILIES if part == "remote"}


@dataclass(frozen=True)
class PortLine:
    protocol: str
    port: int
    service: str
    product: str  # redacted
    version: str  # redacted
    checks: str = ""  # the families of checks that ran on an open port, and what each found


@dataclass(frozen=True)
class HostSection:
    address: str
    point: str
    assignment: str
    open_ports: tuple[PortLine, ...]
    open_filtered: tuple[PortLine, ...]
    findings: tuple[FindingItem, ...]
    coverage: str  # ports probed per protocol, counted by state; empty: none probed


@dataclass(frozen=True)
class Remote:
    hosts: tuple[HostSection, ...]
    findings: tuple[FindingItem, ...]  # every finding of the remote diagnosis

    @property
    def consolidated(self) -> bool:
        """Too many addresses for a section each: one table and the findings grouped."""
        return len(self.hosts) > HOSTS_DETAIL_LIMIT

    @property
    def without_open(self) -> tuple[str, ...]:
        return tuple(h.address for h in self.hosts if not h.open_ports)

    @property
    def any_open(self) -> bool:
        return any(h.open_ports for h in self.hosts)

    @property
    def other_findings(self) -> tuple[FindingItem, ...]:
        """Findings of the remote diagnosis that no diagnosed address's section lists."""
        listed = {item.id for host in self.hosts for item in host.findings}
        return tuple(item for item in self.findings if item.id not in listed)


def build_remote(context: ViewContext, by_id: dict[str, FindingItem]) -> Remote:
    remote_findings = context.by_area(Area.REMOTE)
    scan = context.input.scan
    hosts: list[HostSection] = []
    if scan is not None:
        point_of = {a.address: a for a in context.addresses}
        roles = roles_by_address(context.engagement)
        hits = _port_hits(context)
        for host in scan.hosts:
            status = point_of.get(host.address)
            ports = sorted(host.ports, key=lambda p: (p.protocol.value, p.port))
            hosts.append(
                HostSection(
                    address=host.address,
                    point=f"{status.point.key} {status.point.name}" if status else "-",
                    assignment=context.t(f"label.assignment.{status.assignment.value}")
                    if status
                    else "-",
                    open_ports=tuple(
                        _port_line(p, _port_checks(context, host, p, roles, hits))
                        for p in ports
                        if p.state is PortState.OPEN
                    ),
                    open_filtered=tuple(
                        _port_line(p) for p in ports if p.state is PortState.OPEN_FILTERED
                    ),
                    findings=tuple(
                        by_id[f.id] for f in remote_findings if f.address == host.address
                    ),
                    coverage=_port_coverage(context, host),
                )
            )
    return Remote(tuple(hosts), tuple(by_id[f.id] for f in remote_findings))


def _port_line(port: PortResult, checks: str = "") -> PortLine:
    identity = port.identity
    return PortLine(
        protocol=port.protocol.value,
        port=port.port,
        service=identity.service if identity else "",
        product=redact(identity.product) if identity else "",
        version=redact(identity.version) if identity else "",
        checks=checks,
    )


def _port_hits(context: ViewContext) -> dict[tuple[str, int], set[str]]:
    """Per (address, port): the families of checks with an open finding there."""
    hits: dict[tuple[str, int], set[str]] = {}
    for finding in context.findings:
        if not finding.is_open:
            continue
        for merged in finding.merged:
            subject = merged.subject
            if subject.address is None or subject.port is None:
                continue
            for family, prefs in _REMOTE_FAMILIES.items():
                if merged.check_id.startswith(prefs):
                    hits.setdefault((subject.address, subject.port), set()).add(family)
    return hits


def _port_checks(
    context: ViewContext,
    host: HostResult,
    port: PortResult,
    roles: dict[str, str],
    port_hits: dict[tuple[str, int], set[str]],
) -> str:
    """The families of checks that apply to this port's service, and what each found.

    The diagnosis runs every check whose ``applies_to`` accepts the port (checks/engine.py);
    asked again here, so the report can say "ran, nothing found" as well as what was found.
    """
    t = context.t
    target = CheckTarget(host.address, port, host.ports, roles.get(host.address))
    applied = {
        family
        for check in NETWORK_CHECKS
        if check.applies_to(target)
        for family, prefs in _REMOTE_FAMILIES.items()
        if check.check_id.startswith(prefs)
    }
    if port.identity is not None and port.identity.product:
        applied.add("vulnerability")  # the known-vulnerability check reads the product
    hits = set(port_hits.get((host.address, port.port), set()))
    component = _component_on(host, port)
    if component is not None:
        # the check judged the product once, at the best version of all its ports and
        # records, and states a finding on one of its ports: every port reads that verdict
        versionless = component.version is None
        if any(
            "vulnerability" in port_hits.get((host.address, p.port), ()) for p in component.ports
        ):
            hits.add("vulnerability")
    else:  # a scan stored before devices were fused: the port's own identification
        versionless = port.identity is not None and not port.identity.version

    def outcome(family: str) -> str:
        if family in hits:
            return "report.port_check.found"
        if family == "vulnerability" and versionless:
            return "report.port_check.no_version"  # not "nothing found": it could not tell
        return "report.port_check.nothing"

    parts = [
        t(outcome(family), family=t(f"report.family.{family}"))
        for family in _REMOTE_FAMILIES
        if family in applied or family in hits
    ]
    return ("、" if context.lang == "ja" else "; ").join(parts) or t("report.port_check.none")


def _component_on(host: HostResult, port: PortResult) -> Component | None:
    """The fused product answering on ``port``: what the known-vulnerability check judged."""
    return next(
        (
            component
            for device in host.devices
            for component in device.components
            if any(
                p.protocol == port.protocol.value and p.port == port.port for p in component.ports
            )
        ),
        None,
    )


def _port_coverage(context: ViewContext, host: HostResult) -> str:
    """Ports probed per protocol on one address, as counts by state (never a list): one
    line, the same in the remote section and the appendix."""
    counts = probed_ports(host)
    return ("／" if context.lang == "ja" else "; ").join(
        context.t(
            "report.remote.coverage_value",
            protocol=protocol.upper(),
            total=sum(counts[protocol].values()),
            states=context.sep.join(
                f"{context.t(f'report.state.{state}')} {count}"
                for state, count in sorted(counts[protocol].items())
            ),
        )
        for protocol in sorted(counts)
    )
