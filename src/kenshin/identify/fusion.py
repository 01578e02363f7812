"""The fusion stage: every port's identification of an address becomes its devices.

A FortiGate gives its firmware in the SNMP sysDescr and none on its SSL-VPN pages; a
YAMAHA router prints ``Rev.14.01.38`` on telnet and nothing on its web console. Matched
port by port, the silent ports were matched against every CVE of the product. Here the
claims of all ports (and the engagement's record of the device on the address's line)
are gathered per product, ranked by source (``EvidenceSource``: reported > SNMP >
banner/page > inference, then by identification confidence), and the best one is the
component's version. A claim that disagrees with the best one (compared in the vendor's
version scheme from ``kenshin.vulndb.versions``) is kept as the component's conflict.

Components are grouped into devices: each operating system or firmware (CPE part
``o``/``h``) is a device of its own, so two firmwares on one address (port forwarding
to a second appliance) are two devices; server programs join the device of their
vendor, else the first device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from kenshin.domain import (
    Component,
    Confidence,
    Device,
    Engagement,
    Evidence,
    EvidenceSource,
    ExposedPort,
    HostDevice,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    VersionSource,
)
from kenshin.domain.device import FIRMWARE_PARTS
from kenshin.net import cpe as cpe_text
from kenshin.vulndb.products import scheme_for
from kenshin.vulndb.versions import scheme as scheme_named

_REPORTED_SOURCES = {
    VersionSource.VENDOR: EvidenceSource.REPORTED,
    VersionSource.HOSPITAL: EvidenceSource.REPORTED,
    VersionSource.ONSITE: EvidenceSource.REPORTED,
    VersionSource.SNMP: EvidenceSource.SNMP,
    VersionSource.BANNER: EvidenceSource.BANNER,
}


@dataclass
class _Gathered:
    vendor: str
    product: str
    part: str
    name: str
    ports: list[ExposedPort] = field(default_factory=list)
    claims: list[Evidence] = field(default_factory=list)
    models: list[Evidence] = field(default_factory=list)
    confidence: Confidence = Confidence.LOW


def _answered(port: PortResult) -> bool:
    if port.identity is None:
        return False
    if port.state is PortState.OPEN:
        return True
    return port.protocol is Protocol.UDP and bool(port.identity.service)


def _source(port: PortResult) -> EvidenceSource:
    identity = port.identity
    assert identity is not None
    if identity.confidence is Confidence.INFERRED:
        return EvidenceSource.INFERENCE
    if identity.service == "snmp" or (port.protocol is Protocol.UDP and port.port == 161):
        return EvidenceSource.SNMP
    return EvidenceSource.BANNER


def _where(port: PortResult) -> str:
    identity = port.identity
    service = identity.service if identity is not None else ""
    return f"{port.port}/{port.protocol.value}" + (f" {service}" if service else "")


def _product_key(port: PortResult) -> tuple[str, str, str, str]:
    """(part, vendor, product, version-from-CPE) of a port's identification."""
    identity = port.identity
    assert identity is not None
    for cpe in identity.cpe:
        try:
            part, vendor, product, version, update, *_rest = cpe_text.parse_formatted(cpe)
        except ValueError:
            continue
        if vendor not in ("*", "-") and product not in ("*", "-"):
            version = version if version not in ("*", "-") else ""
            if version and update not in ("*", "-"):
                version = scheme_for(vendor, product).combine(version, update)
            return part, vendor, product, version
    return "a", "", identity.product, ""


def _gather(ports: Iterable[PortResult]) -> dict[tuple[str, str], _Gathered]:
    gathered: dict[tuple[str, str], _Gathered] = {}
    for port in ports:
        if not _answered(port):
            continue
        identity = port.identity
        assert identity is not None
        if not identity.product and not identity.cpe:
            continue
        part, vendor, product, cpe_version = _product_key(port)
        if not product:
            continue
        key = (vendor, product if vendor else product.lower())
        item = gathered.get(key)
        if item is None:
            item = gathered[key] = _Gathered(vendor, product, part, identity.product or product)
        item.ports.append(ExposedPort(port.protocol.value, port.port, identity.service))
        if identity.confidence.doubt < item.confidence.doubt:
            item.confidence = identity.confidence
        version = identity.version or cpe_version
        if version:
            item.claims.append(Evidence(version, _source(port), _where(port), identity.confidence))
        model = dict(identity.extra).get("device", "")
        if model and "(" not in model:
            item.models.append(Evidence(model, _source(port), _where(port), identity.confidence))
    return gathered


def _absorb_unversioned(items: list[_Gathered]) -> list[_Gathered]:
    """A firmware named without a version beside a versioned firmware of the same vendor
    is that firmware named less precisely (a portal rule that cannot tell SonicOS from
    SMA): its ports join the versioned one instead of making a second, silent device."""
    kept: list[_Gathered] = []
    for item in items:
        if item.part in FIRMWARE_PARTS and item.vendor and not item.claims:
            home = next(
                (
                    other
                    for other in items
                    if other is not item
                    and other.part in FIRMWARE_PARTS
                    and other.vendor == item.vendor
                    and other.claims
                ),
                None,
            )
            if home is not None:
                home.ports.extend(item.ports)
                home.models.extend(item.models)
                continue
        kept.append(item)
    return kept


def _rank(evidence: Evidence) -> tuple[int, int]:
    return evidence.source.rank, evidence.confidence.doubt


def versions_agree(vendor: str, product: str, left: str, right: str) -> bool:
    """Equal in the vendor's scheme, or one a coarser form of the other (7.0 / 7.0.11)."""
    scheme = scheme_for(vendor, product)
    a, b = scheme.normalise(left), scheme.normalise(right)
    if a is None or b is None:
        return a == b
    if scheme.compare(a, b) == 0:
        return True
    # a coarser claim ("7.0" for "7.0.11") agrees: compared as written, before the
    # scheme fills in missing parts ("7.0" -> "7.0.0")
    plain = scheme_named("generic")
    short, long = sorted((plain.normalise(left) or a, plain.normalise(right) or b), key=len)
    return long.startswith(short) and bool(re.match(r"[.\-_ R]", long[len(short) :]))


def _component(item: _Gathered, reported: Sequence[Evidence]) -> Component:
    claims = sorted([*reported, *item.claims], key=_rank)
    unique: list[Evidence] = []
    for claim in claims:
        if all(claim.value != u.value or claim.source != u.source for u in unique):
            unique.append(claim)
    best = unique[0] if unique else None
    conflict = None
    if best is not None:
        conflict = next(
            (
                c
                for c in unique[1:]
                if not versions_agree(item.vendor, item.product, best.value, c.value)
            ),
            None,
        )
    return Component(
        vendor=item.vendor,
        product=item.product,
        name=item.name,
        part=item.part,
        version=best,
        versions=tuple(unique),
        ports=tuple(sorted(set(item.ports), key=lambda p: (p.protocol, p.port))),
        conflict=conflict,
        confidence=item.confidence,
    )


def records_for(engagement: Engagement | None, address: str) -> tuple[Device, ...]:
    """The engagement's devices on the line(s) that hold ``address``."""
    if engagement is None:
        return ()
    found: list[Device] = []
    for point in engagement.connection_points:
        if any(str(a.address) == address for a in point.addresses):
            found.extend(d for d in engagement.devices_on(point.key) if d not in found)
    return tuple(found)


def _record_matches(record: Device, item: _Gathered) -> bool:
    if not record.vendor:
        return False
    vendor = record.vendor.lower().split()[0]
    return vendor in item.vendor.lower() or vendor in item.name.lower()


def _reported(record: Device) -> Evidence | None:
    if not record.version_known or record.version_source is None:
        return None
    source = _REPORTED_SOURCES.get(record.version_source)
    if source is None:
        return None
    return Evidence(
        record.firmware_version,
        source,
        f"{record.key} ({record.version_source.value})",
        Confidence.HIGH,
    )


def fuse_host(host: HostResult, engagement: Engagement | None = None) -> tuple[HostDevice, ...]:
    """The devices behind one address, fused from its ports and the engagement's records."""
    gathered = _gather(host.ports)
    if not gathered:
        return ()
    records = records_for(engagement, host.address)
    items = sorted(
        _absorb_unversioned(list(gathered.values())),
        key=lambda g: (g.part not in FIRMWARE_PARTS, min(map(_pk, g.ports))),
    )
    matched: dict[int, Device] = {}
    for candidate in records:
        found = [
            i for i, g in enumerate(items) if i not in matched and _record_matches(candidate, g)
        ]
        if found:
            matched[found[0]] = candidate
    components = []
    for index, item in enumerate(items):
        owner = matched.get(index)
        reported = _reported(owner) if owner is not None else None
        component = _component(item, [reported] if reported is not None else [])
        components.append(replace(component, record_key=owner.key if owner else None))
    # a device per firmware, and per product the engagement's records put on the line
    # (an appliance behind port forwarding); server programs join the device of their
    # brand, else the first device
    heads = sorted(
        {i for i, item in enumerate(items) if item.part in FIRMWARE_PARTS} | set(matched)
    )
    if not heads:
        heads = [0]
    groups: dict[int, list[Component]] = {i: [components[i]] for i in heads}
    brands = {i: _brand(items[i], matched.get(i)) for i in heads}
    for index, item in enumerate(items):
        if index in groups:
            continue
        text = f"{item.vendor} {item.name}".lower()
        home = next((i for i in heads if brands[i] and brands[i] in text), heads[0])
        groups[home].append(components[index])
    devices = []
    for number, (index, members) in enumerate(groups.items()):
        item = items[index]
        record = matched.get(index)
        devices.append(
            HostDevice(
                address=host.address,
                index=number,
                vendor=_vendor(item, record),
                model=_model(item, record),
                components=tuple(members),
                record_key=record.key if record is not None else None,
            )
        )
    return tuple(devices)


def _brand(item: _Gathered, record: Device | None) -> str:
    """The vendor word that names a device's programs ("fortinet", "yamaha")."""
    if record is not None and record.vendor:
        return record.vendor.lower().split()[0]
    if item.vendor:
        return item.vendor.lower().split("_")[0]
    words = item.name.lower().split()
    return words[0] if words else ""


def _pk(port: ExposedPort) -> tuple[str, int]:
    return port.protocol, port.port


def _vendor(item: _Gathered, record: Device | None) -> Evidence | None:
    if record is not None and record.vendor:
        return Evidence(record.vendor, EvidenceSource.REPORTED, record.key)
    if not item.vendor:
        return None
    port = item.ports[0]
    return Evidence(
        item.vendor.replace("_", " ").title(),
        EvidenceSource.BANNER,
        f"{port.port}/{port.protocol}",
        item.confidence,
    )


def _model(item: _Gathered, record: Device | None) -> Evidence | None:
    if record is not None and record.model:
        return Evidence(record.model, EvidenceSource.REPORTED, record.key)
    models = sorted(item.models, key=_rank)
    return models[0] if models else None


def fuse(
    hosts: Sequence[HostResult], engagement: Engagement | None = None
) -> tuple[HostResult, ...]:
    """Every host with its ``devices`` filled in (the stage between identify and checks)."""
    return tuple(replace(host, devices=fuse_host(host, engagement)) for host in hosts)
