"""Reported versus observed firmware: a vendor's word checked against the device.

A device's firmware version as the vendor (or hospital, or an on-site worker) reported
it is compared with what the appliance shows or betrays on its connection point's
addresses. Agreement yields nothing; a disagreement is a ``configuration`` finding of
its own, with both versions in the evidence: the vulnerability judgement must rest on
the version that actually runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from kenshin.domain import Component, Device, Engagement, EvidenceSource, HostDevice
from kenshin.domain.enums import FindingCategory, Severity
from kenshin.domain.findings import Finding, FindingSubject
from kenshin.domain.scan import HostResult
from kenshin.i18n import translate
from kenshin.identify.fusion import fuse_host
from kenshin.vulndb.products import scheme_for

CHECK_ID = "identify.version_mismatch"


def compare_reported_versions(engagement: Engagement, hosts: Sequence[HostResult]) -> list[Finding]:
    """One ``configuration`` finding per device whose reported firmware version
    disagrees with the version observed (shown or inferred) on its addresses.

    The comparison is the fusion stage's: the reported version is the best claim of
    the device's firmware, and the first observed claim that disagrees with it in the
    vendor's version scheme is its conflict.
    """
    records = {d.key: d for d in engagement.devices}
    findings: list[Finding] = []
    seen: set[str] = set()
    for host in hosts:
        devices = host.devices or fuse_host(host, engagement)
        for device in devices:
            for component in device.components:
                record = records.get(component.record_key or "")
                best, other = component.version, component.conflict
                if record is None or record.key in seen or best is None or other is None:
                    continue
                if best.source is EvidenceSource.REPORTED:
                    findings.append(_finding(record, device, component))
                    seen.add(record.key)
    return findings


def _finding(record: Device, device: HostDevice, component: Component) -> Finding:
    reported, observed = component.version, component.conflict
    assert reported is not None
    assert observed is not None
    scheme = scheme_for(component.vendor, component.product)
    seen_version, said = scheme.normalise(observed.value), scheme.normalise(reported.value)
    older = seen_version is not None and said is not None and scheme.compare(seen_version, said) < 0
    port, _, protocol_service = observed.where.partition("/")
    params = {
        "device": f"{record.name}（{record.vendor} {record.model}）".strip(),
        "reported": reported.value,
        "observed": observed.value,
        "source": str(record.version_source or "-"),
        "address": device.address,
        "port": port,
        "protocol": protocol_service.split(" ")[0],
        "confidence": observed.confidence.value,
    }
    params_en = {**params, "device": f"{record.name} ({record.vendor} {record.model})".strip()}
    evidence = (
        f"reported: {reported.describe()}; observed: {component.name} {observed.value} on "
        f"{device.address} {observed.where} ({observed.source.value}, confidence: "
        f"{observed.confidence.value})"
    )
    return Finding(
        check_id=CHECK_ID,
        category=FindingCategory.CONFIGURATION,
        severity=Severity.HIGH if older else Severity.MEDIUM,
        title_ja=translate("identify.mismatch.title", "ja", **params),
        title_en=translate("identify.mismatch.title", "en", **params_en),
        subject=FindingSubject(device_key=record.key),
        description_ja=translate("identify.mismatch.description", "ja", **params),
        description_en=translate("identify.mismatch.description", "en", **params_en),
        remediation_ja=translate("identify.mismatch.remediation", "ja"),
        remediation_en=translate("identify.mismatch.remediation", "en"),
        evidence=evidence,
        confidence=observed.confidence,
        device=device.label,
    )
