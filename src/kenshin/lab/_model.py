"""The lab's public types: hosts, the ground truth of its services, its one error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from kenshin.domain import PortState, Protocol
from kenshin.errors import KenshinError


class LabError(KenshinError):
    """The lab could not be built, started or torn down; the message says what to do."""


class LabWarning(UserWarning):
    """Something in a profile could not be served (e.g. an emulator that is not registered)."""


@dataclass(frozen=True)
class Firewall:
    """A host's packet filter: what it accepts, rejects or drops, per protocol.

    TCP: ``accept`` passes; ``reset`` answers with a TCP RST; ``prohibit`` answers with
    ICMP administratively-prohibited; everything else is dropped silently.
    UDP: ``accept`` passes; ``unreachable`` answers with ICMP port-unreachable;
    ``prohibit`` with ICMP administratively-prohibited; everything else is dropped.
    """

    tcp_accept: frozenset[int] = frozenset()
    tcp_reset: frozenset[int] = frozenset()
    tcp_prohibit: frozenset[int] = frozenset()
    udp_accept: frozenset[int] = frozenset()
    udp_unreachable: frozenset[int] = frozenset()
    udp_prohibit: frozenset[int] = frozenset()


@dataclass(frozen=True)
class LabHost:
    """One lab host: a network namespace with its own address (and perhaps a whole prefix)."""

    role: str
    address: str
    namespace: str
    prefixes: tuple[str, ...] = ()
    """Further addresses the host answers on, as CIDR prefixes (the bench's /22)."""
    firewall: Firewall | None = None
    quiet_every: int = 0
    """Every n-th address drops TCP to its closed ports (silence, not a reset); 0: none."""

    def quiet(self, address: str) -> bool:
        """Whether ``address`` drops TCP to its closed ports (see ``quiet_every``)."""
        every = self.quiet_every
        return bool(every) and int(IPv4Address(address)) % every == every - 1


@dataclass(frozen=True)
class LabService:
    """Ground truth for one service the lab serves: what a scanner should find there.

    ``service`` uses nmap's service names. ``version`` is kept exactly as the service
    shows it (``9.2p1 Debian-2+deb12u10`` for Debian's OpenSSH) and is empty where the
    service does not show it on the wire. ``twin`` names the service's hardened (or
    vulnerable) counterpart by ``name``.
    """

    role: str
    address: str
    protocol: Protocol
    port: int
    service: str
    product: str = ""
    version: str = ""
    vulnerable: bool = False
    twin: str = ""
    notes: str = ""
    name: str = ""
    """The service's identifier in its profile, e.g. ``ftp-anonymous``."""
    kind: str = ""
    """What serves it: a Debian daemon (``sshd``, ``vsftpd``, ...) or ``emulator:<name>``."""
    settings: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    """Lab-generated values a test may need (the random SNMP community, the Redis password)."""

    def setting(self, key: str, default: str = "") -> str:
        return dict(self.settings).get(key, default)


def expected_state(
    host: LabHost,
    services: list[LabService],
    protocol: Protocol,
    port: int,
    address: str | None = None,
) -> PortState:
    """The state a correct scanner reports for ``port`` on ``host`` (from the lab's design).

    ``address``: one of the host's further addresses (its ``prefixes``), if not the main one.
    A UDP port that is "closed" answers with ICMP port-unreachable, which the kernel
    rate-limits: a scanner that cannot wait for every ICMP reply may honestly report
    ``open|filtered`` there.
    """
    where = address or host.address
    listening = any(
        s.address == where and s.protocol == protocol and s.port == port for s in services
    )
    fw = host.firewall
    if protocol is Protocol.TCP:
        if fw is None or port in fw.tcp_accept:
            if not listening and fw is None and host.quiet(where):
                return PortState.FILTERED
            return PortState.OPEN if listening else PortState.CLOSED
        if port in fw.tcp_reset:
            return PortState.CLOSED
        return PortState.FILTERED
    if fw is None or port in fw.udp_accept:
        return PortState.OPEN if listening else PortState.CLOSED
    if port in fw.udp_unreachable:
        return PortState.CLOSED
    if port in fw.udp_prohibit:
        return PortState.FILTERED
    return PortState.OPEN_FILTERED
