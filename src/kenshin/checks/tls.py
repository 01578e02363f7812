"""TLS configuration through sslyze: old protocols, weak ciphers, certificate problems.

sslyze (nabla-c0d3/sslyze) is the well-kept scanner for this; kenshin only turns its
results into findings. It runs in a worker thread because sslyze is synchronous.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.utils import CryptographyDeprecationWarning
from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import (
    AllScanCommandsAttempts,
    ScanCommandsExtraArguments,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum
from sslyze.scanner.scanner import Scanner
from sslyze.server_setting import ServerNetworkLocation

from kenshin.checks._knowledge import build_finding, load_data
from kenshin.checks.base import Check, CheckSettings, CheckStats, CheckTarget, Intensity
from kenshin.domain import Confidence, Finding, Severity
from kenshin.i18n import translate

_OLD_PROTOCOLS = (
    ("ssl_2_0_cipher_suites", "SSL 2.0"),
    ("ssl_3_0_cipher_suites", "SSL 3.0"),
    ("tls_1_0_cipher_suites", "TLS 1.0"),
    ("tls_1_1_cipher_suites", "TLS 1.1"),
)
_ALL_PROTOCOLS = (
    *_OLD_PROTOCOLS,
    ("tls_1_2_cipher_suites", "TLS 1.2"),
    ("tls_1_3_cipher_suites", "TLS 1.3"),
)


@cache
def weak_cipher_markers() -> tuple[str, ...]:
    """Parts of a suite's name that make it weak (``data/checks/tls_ciphers.yaml``)."""
    return tuple(str(m) for m in load_data("tls_ciphers.yaml")["weak_cipher_markers"])


def _scan(address: str, port: int, custom_ca: Path | None) -> AllScanCommandsAttempts | None:
    location = ServerNetworkLocation(hostname=address, port=port, ip_address=address)
    commands = {
        ScanCommand.CERTIFICATE_INFO,
        ScanCommand.HEARTBLEED,
        *(ScanCommand(name) for name, _ in _ALL_PROTOCOLS),
    }
    extra = (
        ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=custom_ca)
        )
        if custom_ca
        else ScanCommandsExtraArguments()
    )
    scanner = Scanner(per_server_concurrent_connections_limit=4, concurrent_server_scans_limit=1)
    # sslyze's bundled trust stores hold old roots that cryptography warns about; the
    # warning says nothing about the server being checked.
    warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    scanner.queue_scans(
        [
            ServerScanRequest(
                server_location=location,
                scan_commands=commands,
                scan_commands_extra_arguments=extra,
            )
        ]
    )
    for result in scanner.get_results():
        if result.scan_status is ServerScanStatusEnum.COMPLETED:
            return result.scan_result
    return None


def _accepted(scan_result: AllScanCommandsAttempts, name: str) -> list[str]:
    attempt = getattr(scan_result, name)
    if attempt.status is not ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
        return []
    return [s.cipher_suite.name for s in attempt.result.accepted_cipher_suites]


@dataclass(frozen=True)
class _CertificateProblem:
    """One problem of the leaf certificate: its catalogue key (``checks.tls.cert.*``)."""

    key: str
    params: dict[str, object] = field(default_factory=dict)
    weak_key: bool = False  # a short key raises the finding's severity

    def text(self, lang: str) -> str:
        return translate(f"checks.tls.cert.{self.key}", lang, **self.params)


def _certificate_problems(
    scan_result: AllScanCommandsAttempts, now: datetime
) -> list[_CertificateProblem]:
    """The problems of the leaf certificate, in the order they are reported."""
    attempt = scan_result.certificate_info
    if attempt.status is not ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
        return []
    deployments = attempt.result.certificate_deployments
    if not deployments or not deployments[0].received_certificate_chain:
        return []
    deployment = deployments[0]
    leaf = deployment.received_certificate_chain[0]
    problems: list[_CertificateProblem] = []
    if leaf.not_valid_after_utc < now:
        problems.append(
            _CertificateProblem("expired", {"date": f"{leaf.not_valid_after_utc:%Y-%m-%d}"})
        )
    if leaf.issuer == leaf.subject:
        problems.append(_CertificateProblem("self_signed"))
    elif not any(r.was_validation_successful for r in deployment.path_validation_results):
        problems.append(_CertificateProblem("untrusted"))
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey) and key.key_size < 2048:
        problems.append(_CertificateProblem("weak_key", {"bits": key.key_size}, weak_key=True))
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 224:
        problems.append(
            _CertificateProblem("weak_ec_key", {"bits": key.curve.key_size}, weak_key=True)
        )
    return problems


class TlsConfiguration(Check):
    """Protocol versions, cipher suites and the certificate of a TLS service."""

    check_id = "configuration.tls"
    intensity = Intensity.PROBE

    def __init__(self, custom_ca: Path | None = None) -> None:
        self.custom_ca = custom_ca

    def applies_to(self, target: CheckTarget) -> bool:
        return target.protocol.value == "tcp" and target.over_tls

    async def run(
        self, target: CheckTarget, settings: CheckSettings, stats: CheckStats
    ) -> Sequence[Finding]:
        custom_ca = settings.extra_ca_file or self.custom_ca
        result = await asyncio.to_thread(
            _scan, target.address, target.number, Path(custom_ca) if custom_ca else None
        )
        stats.connections += 12  # sslyze's handshakes: one per protocol/cipher family, roughly
        if result is None:
            return []
        findings: list[Finding] = []
        old = [label for name, label in _OLD_PROTOCOLS if _accepted(result, name)]
        if old:
            findings.append(
                build_finding(
                    "configuration.tls_old_protocol",
                    target,
                    detail_ja=", ".join(old),
                    detail_en=", ".join(old),
                    severity=Severity.HIGH if {"SSL 2.0", "SSL 3.0"} & set(old) else None,
                    evidence="accepted: " + ", ".join(old),
                )
            )
        weak = sorted(
            {
                suite
                for name, _ in _ALL_PROTOCOLS
                for suite in _accepted(result, name)
                if any(marker in suite for marker in weak_cipher_markers())
            }
        )
        if weak:
            listed = ", ".join(weak[:8]) + (" ..." if len(weak) > 8 else "")
            findings.append(
                build_finding(
                    "configuration.tls_weak_cipher",
                    target,
                    detail_ja=listed,
                    detail_en=listed,
                    evidence=f"{len(weak)} weak suite(s) accepted: {listed}",
                )
            )
        problems = _certificate_problems(result, datetime.now(UTC))
        if problems:
            ja = [p.text("ja") for p in problems]
            en = [p.text("en") for p in problems]
            weak_key = any(p.weak_key for p in problems)
            findings.append(
                build_finding(
                    "configuration.tls_certificate",
                    target,
                    detail_ja="、".join(ja) + "。",
                    detail_en="; ".join(en).capitalize() + ".",
                    severity=Severity.MEDIUM if weak_key else None,
                    confidence=Confidence.HIGH,
                    evidence="certificate: " + "; ".join(en),
                )
            )
        heartbleed = result.heartbleed
        if (
            heartbleed.status is ScanCommandAttemptStatusEnum.COMPLETED
            and heartbleed.result
            and heartbleed.result.is_vulnerable_to_heartbleed
        ):
            findings.append(
                build_finding(
                    "configuration.tls_heartbleed",
                    target,
                    evidence="sslyze: Heartbleed test positive",
                    cves=("CVE-2014-0160",),
                )
            )
        return findings


CHECKS: tuple[Check, ...] = (TlsConfiguration(),)
