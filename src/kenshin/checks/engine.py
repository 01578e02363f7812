"""The diagnosis engine: which checks run on which open port, and how politely.

Only open ports are diagnosed (the specification: a vulnerability scan follows only
where the port scan found accessible ports). Login-type checks run one at a time per
host; everything runs under a global concurrency limit; a check that fails or hangs is
recorded and never stops the others.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from kenshin.checks.base import (
    Check,
    ChecksError,
    CheckSettings,
    CheckStats,
    CheckTarget,
    Intensity,
)
from kenshin.domain import (
    DeviceRole,
    Engagement,
    Finding,
    HostDevice,
    HostResult,
    PortResult,
    PortState,
    Protocol,
)
from kenshin.domain.bounds import bound_finding
from kenshin.identify.fusion import fuse
from kenshin.scope import Gate, ScopeError
from kenshin.store import finding_fingerprint

CHECK_TIMEOUT = 120.0


@dataclass(frozen=True)
class FamilyStats:
    family: str
    runs: int
    connections: int
    login_attempts: int


@dataclass(frozen=True)
class DiagnosisResult:
    hosts: tuple[HostResult, ...]
    stats: tuple[FamilyStats, ...]
    errors: tuple[str, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for host in self.hosts for f in host.findings)


def diagnosable(port: PortResult) -> bool:
    """Open TCP ports, and UDP ports that answered (identification saw a reply)."""
    if port.state is PortState.OPEN:
        return True
    return (
        port.protocol is Protocol.UDP
        and port.identity is not None
        and (port.state is PortState.OPEN_FILTERED and bool(port.identity.service))
    )


def roles_by_address(engagement: Engagement) -> dict[str, str]:
    """The role of what answers on each global address.

    An address whose line ends in VPN gateways only is a VPN appliance's address; where a
    router or UTM sits in front (NAT, port forwarding), the address is that device's.
    """
    roles: dict[str, str] = {}
    for point in engagement.connection_points:
        devices = engagement.devices_on(point.key)
        if not devices:
            continue
        if all(d.role is DeviceRole.VPN_GATEWAY for d in devices):
            role = DeviceRole.VPN_GATEWAY
        else:
            role = next(d.role for d in devices if d.role is not DeviceRole.VPN_GATEWAY)
        for address in point.addresses:
            roles[str(address.address)] = role.value
    return roles


async def diagnose(
    hosts: Sequence[HostResult],
    checks: Sequence[Check],
    *,
    gate: Gate,
    settings: CheckSettings | None = None,
    device_roles: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    engagement: Engagement | None = None,
) -> DiagnosisResult:
    """Run every applicable check on every diagnosable port of ``hosts``.

    ``gate`` is the scope's gate: a host it refuses is never contacted (the whole
    diagnosis is refused and the refusal audited, since such a host should never have
    been scanned). Before
    the checks, every host's ports are fused into devices (``kenshin.identify.fusion``,
    with the engagement's records of its lines); per-device checks run once per device.
    """
    hosts = fuse(hosts, engagement)
    settings = settings or CheckSettings()
    addresses = [h.address for h in hosts]
    try:
        gate.permit_all(addresses)
    except ScopeError:
        refused = ", ".join(a for a in addresses if not gate.allows(a))
        raise ChecksError("checks.out_of_scope", addresses=refused) from None
    roles = device_roles or {}
    everywhere = asyncio.Semaphore(settings.concurrency)
    stats: dict[str, CheckStats] = {}
    runs: Counter[str] = Counter()
    errors: list[str] = []
    jobs: list[tuple[int, Check, CheckTarget]] = []
    for index, host in enumerate(hosts):
        ports = tuple(p for p in host.ports if diagnosable(p))
        for port in ports:
            target = CheckTarget(host.address, port, ports, roles.get(host.address))
            jobs.extend(
                (index, check, target)
                for check in checks
                if not check.per_device and check.applies_to(target)
            )
        for device in host.devices:
            first = _first_port(device, ports)
            if first is None:
                continue
            target = CheckTarget(host.address, first, ports, roles.get(host.address), device)
            jobs.extend(
                (index, check, target)
                for check in checks
                if check.per_device and check.applies_to(target)
            )
    per_host = {i: asyncio.Semaphore(settings.per_host_intensive) for i in range(len(hosts))}
    found: list[list[Finding]] = [[] for _ in hosts]
    done = 0

    async def run_one(index: int, check: Check, target: CheckTarget) -> None:
        nonlocal done
        family = check.check_id.split(".")[0] + "." + check.check_id.split(".")[1]
        check_stats = stats.setdefault(family, CheckStats())
        async with everywhere:
            gate = per_host[index] if check.intensity is Intensity.LOGIN else None
            if gate is not None:
                await gate.acquire()
            try:
                runs[family] += 1
                result = await asyncio.wait_for(
                    check.run(target, settings, check_stats), CHECK_TIMEOUT
                )
                found[index].extend(bound_finding(f) for f in result)
            except Exception as exc:  # a failing check is noted, never fatal
                errors.append(
                    f"{check.check_id} on {target.address}:{target.number}/"
                    f"{target.protocol.value}: {type(exc).__name__}: {exc}"
                )
            finally:
                if gate is not None:
                    gate.release()
                done += 1
                if progress is not None:
                    progress(done, len(jobs))

    await asyncio.gather(*(run_one(i, c, t) for i, c, t in jobs))
    result_hosts = tuple(
        replace(host, findings=tuple(host.findings) + _unique(found[i]))
        for i, host in enumerate(hosts)
    )
    return DiagnosisResult(
        hosts=result_hosts,
        stats=tuple(
            FamilyStats(name, runs[name], s.connections, s.login_attempts)
            for name, s in sorted(stats.items())
        ),
        errors=tuple(errors),
    )


def _first_port(device: HostDevice, ports: Sequence[PortResult]) -> PortResult | None:
    """The diagnosable port a per-device check is anchored to (its device's first)."""
    exposed = {(p.protocol, p.port) for c in device.components for p in c.ports}
    return next((p for p in ports if (p.protocol.value, p.port) in exposed), None)


def _unique(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding_fingerprint(finding), finding)
    return tuple(sorted(seen.values(), key=lambda f: (f.severity.rank, f.subject.port or 0)))
