"""Target specifications: addresses, CIDR blocks and last-octet ranges, expanded with a cap."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, ip_address, ip_network

from kenshin.domain import IPAddress
from kenshin.scan.errors import ScanError

MAX_TARGETS = 65_536


def _expand_one(token: str) -> list[IPAddress]:
    if "/" in token:
        try:
            network = ip_network(token, strict=False)
        except ValueError:
            raise ScanError("scan.bad_target", spec=token) from None
        if network.num_addresses > MAX_TARGETS:
            raise ScanError("scan.too_many_targets", spec=token, maximum=MAX_TARGETS)
        if network.num_addresses <= 2 or network.version == 6:
            return list(network)
        return list(network.hosts()) if network.prefixlen < 31 else list(network)
    head, dash, tail = token.rpartition("-")
    if dash and "." in head and tail.isdigit():
        # 192.0.2.10-20: a range in the last octet (IPv4 only)
        try:
            start = ip_address(head)
        except ValueError:
            raise ScanError("scan.bad_target", spec=token) from None
        if not isinstance(start, IPv4Address):
            raise ScanError("scan.bad_target", spec=token)
        last = int(tail)
        first = int(str(start).rsplit(".", 1)[1])
        if not first <= last <= 255:
            raise ScanError("scan.bad_target", spec=token)
        return [start + offset for offset in range(last - first + 1)]
    try:
        return [ip_address(token)]
    except ValueError:
        raise ScanError("scan.bad_target", spec=token) from None


def parse_targets(specs: Iterable[str]) -> tuple[IPAddress, ...]:
    """Addresses in the order given, once each; names are not resolved (no DNS traffic)."""
    chosen: list[IPAddress] = []
    seen: set[IPAddress] = set()
    for spec in specs:
        for raw in spec.split(","):
            token = raw.strip()
            if not token:
                continue
            for address in _expand_one(token):
                if address not in seen:
                    seen.add(address)
                    chosen.append(address)
                    if len(chosen) > MAX_TARGETS:
                        raise ScanError("scan.too_many_targets", spec=spec, maximum=MAX_TARGETS)
    if not chosen:
        raise ScanError("scan.no_targets")
    return tuple(chosen)
