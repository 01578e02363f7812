"""Every service of the test lab identified: the right service name, and the product
and version where the service shows them (the lab's ground truth, ``lab.services``)."""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from typing import Any

import pytest
from _probes import LAB_GATE

import kenshin.lab
from kenshin.domain.scan import PortResult, PortState, Protocol
from kenshin.identify import LAB_SETTINGS, identify_host

if not hasattr(kenshin.lab, "Lab"):  # the lab core is merged separately from this room
    if os.environ.get("CI"):
        pytest.fail("kenshin.lab.Lab is missing: the lab must be in the tree CI tests")
    pytest.skip("kenshin.lab.Lab is not in this tree yet", allow_module_level=True)

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.timeout(600)]

# What the ground truth may name differently from nmap's -sV vocabulary, both right.
SERVICE_ALIASES = {"memcached": "memcache", "ssl/http": "https"}

# Services whose product/version the wire does not show to a prober without their
# secret (a random SNMP community, a refusing DNS server): named by port and behaviour
# only. Each entry says why; the test fails if one of them starts to be identified
# (then the entry must go) or if any other service misses its product.
NOT_ON_THE_WIRE = {
    "dns-refusing": "dnsmasq refuses every query, version.bind included",
    "dns-refusing/tcp": "dnsmasq refuses every query, version.bind included",
}
# Versions the wire shows only ambiguously: the identity lists the candidates instead.
AMBIGUOUS_VERSIONS = {
    "citrix-gateway": "13.1-49.13 and 14.1-8.50 were built the same day (Last-Modified)",
}


def _open_services(lab: Any) -> list[Any]:
    from kenshin.lab._model import expected_state  # the lab's own port-state oracle

    hosts = {host.role: host for host in lab.hosts.values()}
    wanted = []
    for service in lab.services:
        host = hosts.get(service.role)
        if (
            host is not None
            and expected_state(host, lab.services, service.protocol, service.port, service.address)
            is PortState.OPEN
        ):
            wanted.append(service)
    return wanted


def _identify_all(services: list[Any]) -> dict[tuple[str, str, int], Any]:
    by_address: dict[str, list[PortResult]] = defaultdict(list)
    for service in services:
        by_address[service.address].append(
            PortResult(Protocol(service.protocol), service.port, PortState.OPEN)
        )

    async def run() -> list[tuple[str, tuple[PortResult, ...]]]:
        results = await asyncio.gather(
            *(
                identify_host(address, ports, LAB_SETTINGS, gate=LAB_GATE)
                for address, ports in by_address.items()
            )
        )
        return list(zip(by_address, results, strict=True))

    found: dict[tuple[str, str, int], Any] = {}
    for address, ports in asyncio.run(run()):
        for port in ports:
            found[(address, port.protocol.value, port.port)] = port.identity
    return found


def _service_matches(expected: str, got: str) -> bool:
    return SERVICE_ALIASES.get(got, got) == SERVICE_ALIASES.get(expected, expected)


def test_every_lab_service_is_identified(lab: Any) -> None:
    services = _open_services(lab)
    assert services, "the lab reports no reachable service"
    found = _identify_all(services)
    wrong_service: list[str] = []
    wrong_product: list[str] = []
    for service in services:
        identity = found[(service.address, str(service.protocol), service.port)]
        where = (
            f"{service.name or service.role} {service.address}:{service.port}/{service.protocol}"
        )
        assert identity is not None, where
        if not _service_matches(service.service, identity.service):
            wrong_service.append(f"{where}: {identity.service!r} != {service.service!r}")
        if service.product and service.name not in NOT_ON_THE_WIRE:
            if service.product.lower() not in identity.product.lower():
                wrong_product.append(f"{where}: {identity.product!r} != {service.product!r}")
            elif service.name in AMBIGUOUS_VERSIONS:
                candidates = dict(identity.extra).get("version_candidates", "")
                if service.version not in candidates.split(", "):
                    wrong_product.append(f"{where}: {service.version!r} not in {candidates!r}")
            elif service.version and service.version not in identity.version:
                wrong_product.append(
                    f"{where}: version {identity.version!r} != {service.version!r}"
                )
    assert not wrong_service, "\n".join(wrong_service)
    assert not wrong_product, "\n".join(wrong_product)


def test_hidden_products_stay_hidden(lab: Any) -> None:
    services = [s for s in _open_services(lab) if s.name in NOT_ON_THE_WIRE]
    found = _identify_all(services)
    for service in services:
        identity = found[(service.address, str(service.protocol), service.port)]
        assert identity is not None
        assert service.product.lower() not in identity.product.lower(), (
            f"{service.name} now shows its product: remove it from NOT_ON_THE_WIRE"
        )
