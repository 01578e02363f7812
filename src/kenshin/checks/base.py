"""The check interface: what every diagnosis check declares and returns.

Modelled on sslyze's plugins: a check says which services it applies to, how intense it
is, and whether it could change anything on the target (none may, by default). The
engine (``engine.py``) decides when each runs; a check only observes one open port and
returns findings.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from kenshin.domain import Finding, HostDevice, PortResult
from kenshin.domain import Protocol as NetProtocol
from kenshin.errors import KenshinError


class ChecksError(KenshinError):
    """A diagnosis could not be run as asked."""


class Intensity(StrEnum):
    """How much a check sends beyond what identification already saw."""

    PASSIVE = "passive"  # reads only the scan/identification results; no traffic
    PROBE = "probe"  # a few harmless protocol requests
    LOGIN = "login"  # tries a small, fixed list of credentials


@dataclass(frozen=True)
class CheckSettings:
    """How politely checks behave; conservative defaults for hospitals."""

    connect_timeout: float = 4.0
    read_timeout: float = 5.0
    max_login_attempts: int = 3
    login_delay: float = 1.0
    active_confirmation: bool = False
    per_host_intensive: int = 1
    concurrency: int = 16
    response_limit: int = 65536
    dns_probe_name: str = "www.example.com"
    extra_ca_file: str | None = None


@dataclass(frozen=True)
class CheckTarget:
    """One open port, with what identification found, handed to a check."""

    address: str
    port: PortResult
    host_ports: tuple[PortResult, ...] = ()
    device_role: str | None = None
    device: HostDevice | None = None
    """Set for per-device checks (``Check.per_device``): the device fused from every port."""

    @property
    def number(self) -> int:
        return self.port.port

    @property
    def protocol(self) -> NetProtocol:
        return self.port.protocol

    @property
    def service(self) -> str:
        return self.port.identity.service if self.port.identity else ""

    @property
    def product(self) -> str:
        return self.port.identity.product if self.port.identity else ""

    @property
    def version(self) -> str:
        return self.port.identity.version if self.port.identity else ""

    @property
    def over_tls(self) -> bool:
        """Whether the port speaks TLS, as identification saw it (``ServiceIdentity.over_tls``)."""
        return self.port.identity is not None and self.port.identity.over_tls


@dataclass
class CheckStats:
    """Connections and login attempts a check made (the benchmark reports them)."""

    connections: int = 0
    login_attempts: int = 0
    notes: list[str] = field(default_factory=list)


class Check(abc.ABC):
    """One diagnosis check. Subclasses set the class attributes and implement ``run``."""

    check_id: str
    intensity: Intensity
    modifies_target: bool = False
    per_device: bool = False
    """Runs once per fused device (``CheckTarget.device``) instead of once per port."""
    services: frozenset[str] = frozenset()
    ports: frozenset[tuple[str, int]] = frozenset()
    protocol: NetProtocol | None = None
    """The only transport the check speaks (a UDP probe is no use on a TCP port); None: any."""

    def applies_to(self, target: CheckTarget) -> bool:
        """By default: the identified service, or the well-known port when unidentified,
        on the check's own transport."""
        if self.protocol is not None and target.protocol is not self.protocol:
            return False
        if target.service and target.service in self.services:
            return True
        return (target.protocol.value, target.number) in self.ports and not target.service

    @abc.abstractmethod
    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        """Observe ``target`` and return findings (an empty sequence when all is well)."""
