"""Backdoor diagnosis: observe, never trigger.

A bind shell is recognised by the prompt it prints on connect; a marker command is sent
only when the engagement turned on active confirmation, and it is a harmless ``echo``.
Backdoored releases are recognised from the version shown, never by using the backdoor.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from kenshin.checks._knowledge import build_finding, load_data
from kenshin.checks._net import connect
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.checks.exposure import printable
from kenshin.domain import Confidence, Finding, Protocol


@dataclass(frozen=True)
class _Release:
    product: re.Pattern[str]
    version: re.Pattern[str]
    ja: str
    en: str
    cves: tuple[str, ...]


@dataclass(frozen=True)
class _BackdoorData:
    prompts: tuple[re.Pattern[str], ...]
    known_ports: dict[int, tuple[str, str]]
    releases: tuple[_Release, ...]
    vpn_expected: frozenset[str]


@cache
def _data() -> _BackdoorData:
    raw = load_data("backdoors.yaml")
    return _BackdoorData(
        prompts=tuple(re.compile(p) for p in raw["shell_prompts"]),
        known_ports={int(k): (v["ja"], v["en"]) for k, v in raw["known_ports"].items()},
        releases=tuple(
            _Release(
                re.compile(r["product"]),
                re.compile(r["version"]),
                r["ja"],
                r["en"],
                tuple(r["cves"]),
            )
            for r in raw["backdoored_releases"]
        ),
        vpn_expected=frozenset(raw["vpn_expected_services"]),
    )


def looks_like_shell(greeting: str) -> bool:
    """True when what a port sent on connect ends in a shell prompt."""
    tail = greeting.strip("\x00").rstrip("\r\n ")[-200:]
    return any(p.search(tail) for p in _data().prompts)


class BindShell(Check):
    """An interactive shell answers on a port (a bind shell left by an intruder)."""

    check_id = "backdoor.bind_shell"
    intensity = Intensity.PROBE

    def applies_to(self, target: CheckTarget) -> bool:
        # Anything TCP that identification could not name, or named only by its port.
        return target.protocol is Protocol.TCP and target.service in (
            "",
            "unknown",
            "tcpwrapped",
            "bindshell",
        )

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        greeting_text = _greeting(target)
        if not greeting_text:
            try:
                async with connect(target, settings, stats) as connection:
                    greeting_text = (await connection.read(limit=4096, timeout=3.0)).decode(
                        "utf-8", "replace"
                    )
            except (OSError, TimeoutError):
                return []
        if not looks_like_shell(greeting_text):
            return []
        evidence = f"on connect the port printed: {greeting_text.strip()[-120:]!r}"
        confidence = Confidence.MEDIUM
        if settings.active_confirmation:
            marker = f"kenshin-{secrets.token_hex(6)}"
            try:
                async with connect(target, settings, stats) as connection:
                    await connection.read(limit=4096, timeout=2.0)
                    await connection.send(f"echo {marker}\n".encode())
                    answer = await connection.read_until((marker.encode(),), timeout=3.0)
                    await connection.send(b"exit\n")
            except (OSError, TimeoutError):
                answer = b""
            if marker.encode() in answer:
                confidence = Confidence.HIGH
                evidence += f"; active confirmation: 'echo {marker}' was answered with the marker"
            else:
                evidence += "; active confirmation: the marker did not come back"
                confidence = Confidence.LOW
        return [
            build_finding(
                self.check_id, target, evidence=evidence, confidence=confidence, service="shell"
            )
        ]


def _greeting(target: CheckTarget) -> str:
    identity = target.port.identity
    if identity is None:
        return ""
    return dict(identity.extra).get("banner", "")


class KnownBackdoorPort(Check):
    """A port known from backdoors is open and nothing legitimate was identified on it."""

    check_id = "backdoor.known_port"
    intensity = Intensity.PASSIVE

    def applies_to(self, target: CheckTarget) -> bool:
        return (
            target.protocol is Protocol.TCP
            and target.number in _data().known_ports
            and target.service in ("", "unknown", "tcpwrapped")
        )

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        ja, en = _data().known_ports[target.number]
        return [
            build_finding(
                self.check_id,
                target,
                detail_ja=ja,
                detail_en=en,
                evidence=f"{target.number}/tcp open, no service identified",
                confidence=Confidence.MEDIUM,
            )
        ]


class BackdooredRelease(Check):
    """A release known to have shipped with a backdoor, recognised from its version."""

    check_id = "backdoor.backdoored_release"
    intensity = Intensity.PASSIVE

    def applies_to(self, target: CheckTarget) -> bool:
        return bool(target.product and target.version)

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        for release in _data().releases:
            if release.product.search(target.product) and release.version.search(target.version):
                return [
                    build_finding(
                        self.check_id,
                        target,
                        detail_ja=release.ja,
                        detail_en=release.en,
                        evidence=f"banner shows {target.product} {target.version}",
                        cves=release.cves,
                    )
                ]
        return []


class UnexpectedServiceOnVpn(Check):
    """A service a VPN appliance's address does not normally offer."""

    check_id = "backdoor.unexpected_service"
    intensity = Intensity.PASSIVE

    def applies_to(self, target: CheckTarget) -> bool:
        return target.device_role == "vpn_gateway" and target.service not in _data().vpn_expected

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        service = target.service or "unknown"
        seen = f"{target.product} {target.version}".strip()
        evidence = f"{target.number}/{target.protocol.value} {service} {seen}".strip()
        return [
            build_finding(
                self.check_id,
                target,
                evidence=evidence,
                service=service,
                confidence=Confidence.MEDIUM,
            )
        ]


CHECKS: tuple[Check, ...] = (
    BindShell(),
    KnownBackdoorPort(),
    BackdooredRelease(),
    UnexpectedServiceOnVpn(),
)

__all__ = ["CHECKS", "looks_like_shell", "printable"]
