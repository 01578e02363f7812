"""Reported versus observed firmware: a vendor's word checked against the device.

A device's firmware version as the vendor (or hospital, or an on-site worker) reported
it is compared with what the appliance shows or betrays on its connection point's
addresses. Agreement yields nothing; a disagreement is a ``configuration`` finding of
its own, with both versions in the evidence: the vulnerability judgement must rest on
the version that actually runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kenshin.domain.engagement import Device, Engagement
from kenshin.domain.enums import FindingCategory, Severity, VersionSource
from kenshin.domain.findings import Finding, FindingSubject
from kenshin.domain.scan import HostResult, PortResult
from kenshin.i18n import translate
from kenshin.identify.cpe import split_cpe23

CHECK_ID = "identify.version_mismatch"

_VERSION = re.compile(r"(\d+(?:\.\d+)+)(?:\s*[Rr](\d+(?:\.\d+)*))?")
# Sources that are themselves observations of the device: nothing to compare against.
_OBSERVED_SOURCES = frozenset(
    {VersionSource.BANNER, VersionSource.SNMP, VersionSource.NOT_OBTAINED}
)


def version_key(text: str) -> tuple[int, ...] | None:
    """The numeric release of a version string: "v7.0.11,build0489 (GA)" → (7, 0, 11),
    "Rev.14.01.38" → (14, 1, 38), "22.7R2.3" → (22, 7, -1, 2, 3) (R marks a release)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    numbers = tuple(int(p) for p in match.group(1).split("."))
    if match.group(2):
        numbers += (-1, *(int(p) for p in match.group(2).split(".")))
    return numbers


def _same_vendor(device: Device, port: PortResult) -> bool:
    identity = port.identity
    if identity is None or not device.vendor:
        return False
    vendor = device.vendor.lower().split()[0]
    if vendor in identity.product.lower():
        return True
    return any(
        len(fields) > 3 and fields[3].lower() == vendor
        for fields in (split_cpe23(c) for c in identity.cpe)
    )


def _agrees(reported: tuple[int, ...], observed: tuple[int, ...]) -> bool:
    """Equal, or one is a coarser form of the other (7.0 vs 7.0.11)."""
    shorter = min(len(reported), len(observed))
    return reported[:shorter] == observed[:shorter]


def _addresses(engagement: Engagement, device: Device) -> set[str]:
    found: set[str] = set()
    for key in device.connection_points:
        try:
            point = engagement.point(key)
        except KeyError:
            continue
        found.update(str(a.address) for a in point.addresses)
    return found


def compare_reported_versions(engagement: Engagement, hosts: Sequence[HostResult]) -> list[Finding]:
    """One ``configuration`` finding per device whose reported firmware version
    disagrees with the version observed (shown or inferred) on its addresses."""
    findings: list[Finding] = []
    for device in engagement.devices:
        if not device.version_known or device.version_source in _OBSERVED_SOURCES:
            continue
        reported = version_key(device.firmware_version_normalised or device.firmware_version)
        if reported is None:
            continue
        addresses = _addresses(engagement, device)
        for host in hosts:
            if host.address not in addresses:
                continue
            disagreement = next(
                (
                    port
                    for port in host.ports
                    if port.identity is not None
                    and port.identity.version
                    and _same_vendor(device, port)
                    and (observed := version_key(port.identity.version)) is not None
                    and not _agrees(reported, observed)
                ),
                None,
            )
            if disagreement is None:
                continue
            findings.append(_finding(device, host.address, disagreement, reported))
            break
    return findings


def _finding(device: Device, address: str, port: PortResult, reported: tuple[int, ...]) -> Finding:
    identity = port.identity
    assert identity is not None
    observed_key = version_key(identity.version) or ()
    older = observed_key < reported
    params = {
        "device": f"{device.name}（{device.vendor} {device.model}）".strip(),
        "reported": device.firmware_version,
        "observed": identity.version,
        "source": str(device.version_source or "-"),
        "address": address,
        "port": port.port,
        "protocol": port.protocol.value,
        "confidence": identity.confidence.value,
    }
    params_en = {**params, "device": f"{device.name} ({device.vendor} {device.model})".strip()}
    evidence = (
        f"reported: {device.firmware_version} (source: {params['source']}); "
        f"observed: {identity.product} {identity.version} on {address}:{port.port}/"
        f"{port.protocol.value} (confidence: {identity.confidence.value}); {identity.evidence}"
    )
    return Finding(
        check_id=CHECK_ID,
        category=FindingCategory.CONFIGURATION,
        severity=Severity.HIGH if older else Severity.MEDIUM,
        title_ja=translate("identify.mismatch.title", "ja", **params),
        title_en=translate("identify.mismatch.title", "en", **params_en),
        subject=FindingSubject(device_key=device.key),
        description_ja=translate("identify.mismatch.description", "ja", **params),
        description_en=translate("identify.mismatch.description", "en", **params_en),
        remediation_ja=translate("identify.mismatch.remediation", "ja"),
        remediation_en=translate("identify.mismatch.remediation", "en"),
        evidence=evidence,
        confidence=identity.confidence,
    )
