"""Scan results as the ``kenshin.scan/1`` contract describes them (docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kenshin.domain.device import HostDevice
from kenshin.domain.enums import Confidence
from kenshin.domain.findings import Finding

SCAN_SCHEMA = "kenshin.scan/1"

WEB_SERVICES = frozenset({"http", "http-alt", "http-proxy", "https", "https-alt", "ssl/http"})
"""nmap's names of services that speak HTTP, in the clear or inside TLS."""

TLS_SERVICES = frozenset(
    {
        "ssl",
        "https",
        "https-alt",
        "ssl/http",
        "imaps",
        "pop3s",
        "smtps",
        "ldaps",
        "ftps",
        "nntps",
        "telnets",
        "ircs-u",
        "sips",
        "ms-wbt-server/ssl",
    }
)
"""nmap's names of services inside TLS ("ssl": TLS and nothing more told). Identification
names what it finds inside TLS with these (``tls_services`` of identify's probes.yaml)."""


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"


class PortState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    FILTERED = "filtered"
    OPEN_FILTERED = "open|filtered"


@dataclass(frozen=True)
class ServiceIdentity:
    """What answers on a port: nmap's service name, product, version exactly as shown."""

    service: str
    product: str = ""
    version: str = ""
    cpe: tuple[str, ...] = ()
    confidence: Confidence = Confidence.HIGH
    evidence: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def over_tls(self) -> bool:
        """Whether the port speaks TLS: identification completed a handshake on it (it
        records ``tls_version``), nmap said ``tunnel=ssl``, or the name is a TLS service's."""
        extra = dict(self.extra)
        return (
            bool(extra.get("tls_version"))
            or extra.get("tunnel") == "ssl"
            or self.service in TLS_SERVICES
        )


@dataclass(frozen=True)
class PortResult:
    protocol: Protocol
    port: int
    state: PortState
    reason: str = ""
    identity: ServiceIdentity | None = None


@dataclass(frozen=True)
class PortCount:
    """Ports of one protocol, state and reason that a report counts instead of listing."""

    protocol: Protocol
    state: PortState
    reason: str
    count: int


@dataclass(frozen=True)
class HostResult:
    address: str
    ports: tuple[PortResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    extraports: tuple[PortCount, ...] = ()
    """Uninteresting ports counted, not listed (as nmap's extraports); empty when all listed."""
    devices: tuple[HostDevice, ...] = ()
    """What answers on the address, fused from every port (``kenshin.identify.fusion``)."""

    def open_ports(self) -> tuple[PortResult, ...]:
        return tuple(p for p in self.ports if p.state is PortState.OPEN)


@dataclass(frozen=True)
class ScanReport:
    started_at: datetime
    finished_at: datetime
    hosts: tuple[HostResult, ...] = ()
