"""SSH configuration: weak algorithms and Terrapin, from the server's own KEXINIT.

The server announces its algorithm lists in SSH_MSG_KEXINIT right after the version
exchange (RFC 4253 §7.1); reading it needs no login and no key exchange.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from kenshin.checks._knowledge import build_finding, load_data
from kenshin.checks._net import connect
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import Finding


@dataclass(frozen=True)
class KexInit:
    kex: tuple[str, ...]
    host_keys: tuple[str, ...]
    ciphers: tuple[str, ...]
    macs: tuple[str, ...]


def parse_kexinit(packet: bytes) -> KexInit | None:
    """Parse one unencrypted binary packet carrying SSH_MSG_KEXINIT (20)."""
    if len(packet) < 6:
        return None
    length, padding = struct.unpack(">IB", packet[:5])
    payload = packet[5 : 4 + length - padding] if length + 4 <= len(packet) else packet[5:]
    if not payload or payload[0] != 20:
        return None
    offset = 17  # message code + 16-byte cookie
    lists: list[tuple[str, ...]] = []
    for _ in range(10):
        if offset + 4 > len(payload):
            return None
        (size,) = struct.unpack(">I", payload[offset : offset + 4])
        offset += 4
        if offset + size > len(payload):
            return None
        names = payload[offset : offset + size].decode("ascii", "replace")
        lists.append(tuple(n for n in names.split(",") if n))
        offset += size
    return KexInit(kex=lists[0], host_keys=lists[1], ciphers=lists[2], macs=lists[4])


@cache
def _algorithms() -> dict[str, Any]:
    data: dict[str, Any] = load_data("ssh_algorithms.yaml")
    return data


def weak_offers(kexinit: KexInit) -> list[str]:
    data = _algorithms()
    weak = [f"kex {k}" for k in kexinit.kex if k in data["weak_kex"]]
    weak += [f"host key {k}" for k in kexinit.host_keys if k in data["weak_host_keys"]]
    weak += [f"cipher {c}" for c in kexinit.ciphers if c in data["weak_ciphers"]]
    weak += [f"MAC {m}" for m in kexinit.macs if m in data["weak_macs"]]
    return weak


def terrapin_exposure(kexinit: KexInit) -> str | None:
    """Why the offer is open to Terrapin, or None (strict kex, or no affected mode)."""
    data = _algorithms()
    marker = str(data["strict_kex_marker"])
    if marker in kexinit.kex:
        return None
    chacha = [c for c in kexinit.ciphers if c in data["terrapin_ciphers"]]
    cbc_etm = [c for c in kexinit.ciphers if c.endswith("-cbc")] and [
        m for m in kexinit.macs if m.endswith("-etm@openssh.com")
    ]
    if chacha:
        return f"offers {chacha[0]} without strict key exchange ({marker})"
    if cbc_etm:
        return f"offers CBC ciphers with EtM MACs without strict key exchange ({marker})"
    return None


class SshAlgorithms(Check):
    """Weak SSH algorithms and Terrapin-susceptible pairs in the server's offer."""

    check_id = "configuration.ssh"
    intensity = Intensity.PROBE
    services = frozenset({"ssh"})
    ports = frozenset({("tcp", 22)})

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        try:
            async with connect(target, settings, stats) as ssh:
                version = await ssh.read_until((b"\n",))
                if not version.startswith(b"SSH-"):
                    return []
                await ssh.send(b"SSH-2.0-kenshin_check\r\n")
                packet = await ssh.read(limit=35000, timeout=settings.read_timeout, idle=0.5)
        except (OSError, TimeoutError):
            return []
        banner_end = version.find(b"\n") + 1
        packet = version[banner_end:] + packet
        kexinit = parse_kexinit(packet)
        if kexinit is None:
            return []
        server = version[:banner_end].strip().decode("ascii", "replace")
        findings: list[Finding] = []
        weak = weak_offers(kexinit)
        if weak:
            detail = ", ".join(weak)
            findings.append(
                build_finding(
                    "configuration.ssh_weak_algorithms",
                    target,
                    service="ssh",
                    detail_ja=f"弱いアルゴリズムを提示しています: {detail}",
                    detail_en=f"The server offers weak algorithms: {detail}",
                    evidence=f"{server}; KEXINIT: {detail}",
                )
            )
        terrapin = terrapin_exposure(kexinit)
        if terrapin:
            findings.append(
                build_finding(
                    "configuration.ssh_terrapin",
                    target,
                    service="ssh",
                    detail_ja=f"サーバが {terrapin}。",
                    detail_en=f"The server {terrapin}.",
                    evidence=f"{server}; {terrapin}",
                    cves=("CVE-2023-48795",),
                )
            )
        return findings


CHECKS: tuple[Check, ...] = (SshAlgorithms(),)
