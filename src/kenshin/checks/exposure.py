"""Exposure: management and sensitive services that answer from the internet.

Most of this family is passive (it reads what the scan identified). DNS open recursion
and NTP mode 6/7 need one harmless question each to tell a safe server from an
amplifier.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Sequence
from functools import cache

from kenshin.checks._knowledge import build_finding, load_data
from kenshin.checks._net import udp_exchange
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import Finding, Protocol
from kenshin.domain.scan import WEB_SERVICES


@cache
def _exposure_data() -> tuple[dict[str, str], dict[tuple[str, int], str], tuple[str, ...]]:
    data = load_data("exposure.yaml")
    ports: dict[tuple[str, int], str] = {}
    for spec, service in data["ports"].items():
        protocol, number = spec.split("/")
        ports[(protocol, int(number))] = service
    return dict(data["services"]), ports, tuple(p.lower() for p in data["admin_web_products"])


def exposed_service(target: CheckTarget) -> str:
    """The service name to judge: identified, else the usual one for the port."""
    services, ports, _ = _exposure_data()
    if target.service and target.service in services:
        return target.service
    if not target.service or target.service == "unknown":
        return ports.get((target.protocol.value, target.number), "")
    return ""


class ServiceExposure(Check):
    """A sensitive service answers from the internet (passive: from the scan result)."""

    check_id = "exposure.service"
    intensity = Intensity.PASSIVE

    def applies_to(self, target: CheckTarget) -> bool:
        return bool(exposed_service(target))

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        service = exposed_service(target)
        services, _, _ = _exposure_data()
        identity = target.port.identity
        seen = f"{target.product} {target.version}".strip() or "no product shown"
        evidence = (
            f"{target.number}/{target.protocol.value} {target.port.state.value}; "
            f"service {service}; {seen}"
        )
        if identity is not None and identity.evidence:
            evidence += f"; {identity.evidence[:200]}"
        return [build_finding(services[service], target, evidence=evidence, service=service)]


class AdminWebExposure(Check):
    """A router's or UTM's management web UI answers from the internet."""

    check_id = "exposure.admin_web"
    intensity = Intensity.PASSIVE
    services = WEB_SERVICES

    def applies_to(self, target: CheckTarget) -> bool:
        if target.service not in self.services:
            return False
        _, _, markers = _exposure_data()
        product = target.product.lower()
        return any(marker in product for marker in markers)

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        evidence = f"{target.number}/tcp {target.service}: {target.product} {target.version}"
        return [build_finding("exposure.admin_web", target, evidence=evidence.strip())]


def _dns_query(name: str, query_id: int) -> bytes:
    """A standard query with recursion desired (RFC 1035 §4.1)."""
    header = struct.pack(">HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.split(".") if p)
    return header + labels + b"\x00" + struct.pack(">HH", 1, 1)


class DnsOpenRecursion(Check):
    """The DNS server resolves names it is not authoritative for, for anyone."""

    check_id = "exposure.dns_open_recursion"
    intensity = Intensity.PROBE
    services = frozenset({"domain"})
    ports = frozenset({("udp", 53)})
    protocol = Protocol.UDP

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        query_id = int.from_bytes(os.urandom(2), "big")
        name = settings.dns_probe_name
        reply = await udp_exchange(target, _dns_query(name, query_id), settings, stats)
        if reply is None or len(reply) < 12:
            return []
        reply_id, flags, _qd, answers = struct.unpack(">HHHH", reply[:8])
        recursion_available = bool(flags & 0x0080)
        rcode = flags & 0x000F
        # NOERROR with answers, or NXDOMAIN: either way the server recursed for a stranger.
        if reply_id != query_id or not recursion_available or rcode not in (0, 3):
            return []
        if rcode == 0 and answers == 0:
            return []
        outcome = f"NOERROR, {answers} answer(s)" if rcode == 0 else "NXDOMAIN"
        evidence = f"recursive query for {name}: RA=1, {outcome}"
        return [build_finding(self.check_id, target, evidence=evidence, service="domain")]


_NTP_MODE6_READVAR = struct.pack(">BBHHHHH", 0x16, 0x02, 1, 0, 0, 0, 0)
# mode 7, implementation XNTPD (3), request MON_GETLIST_1 (42): the "monlist" query
_NTP_MODE7_MONLIST = bytes([0x17, 0x00, 0x03, 0x2A]) + b"\x00" * 4


class NtpAmplification(Check):
    """The NTP server answers mode 6 (control) or mode 7 (monlist) queries."""

    check_id = "exposure.ntp_amplification"
    intensity = Intensity.PROBE
    services = frozenset({"ntp"})
    ports = frozenset({("udp", 123)})
    protocol = Protocol.UDP

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        answered: list[str] = []
        reply = await udp_exchange(target, _NTP_MODE6_READVAR, settings, stats, attempts=1)
        if reply and len(reply) >= 12 and reply[0] & 0x07 == 6 and reply[1] & 0x80:
            answered.append(f"mode 6 READVAR answered with {len(reply)} bytes")
        reply = await udp_exchange(target, _NTP_MODE7_MONLIST, settings, stats, attempts=1)
        if reply and len(reply) >= 8 and reply[0] & 0x07 == 7 and reply[3] == 0x2A:
            answered.append(f"mode 7 MON_GETLIST_1 answered with {len(reply)} bytes")
        if not answered:
            return []
        return [build_finding(self.check_id, target, evidence="; ".join(answered), service="ntp")]


_PRINTABLE = re.compile(rb"[^\x20-\x7e]+")


def printable(data: bytes, limit: int = 200) -> str:
    """Bytes as evidence text: printable ASCII, control runs shown as '.'."""
    return _PRINTABLE.sub(b".", data[:limit]).decode("ascii")


CHECKS: tuple[Check, ...] = (
    ServiceExposure(),
    AdminWebExposure(),
    DnsOpenRecursion(),
    NtpAmplification(),
)
