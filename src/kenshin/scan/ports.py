"""Port sets: explicit lists and ranges, port names, and the ranked top-N lists (data)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

from kenshin.domain import Protocol
from kenshin.scan.errors import ScanError

ALL_PORTS = tuple(range(1, 65536))
MAX_SPEC_LENGTH = 20_000


@cache
def _ranking() -> dict[Protocol, tuple[tuple[int, str], ...]]:
    import yaml  # here, not at the top: the scan engine formats port lists without the YAML

    text = (resources.files("kenshin") / "data" / "scan" / "ports.yaml").read_text("utf-8")
    loaded = yaml.safe_load(text)
    result: dict[Protocol, tuple[tuple[int, str], ...]] = {}
    for protocol in Protocol:
        seen: set[int] = set()
        items: list[tuple[int, str]] = []
        for port, name in loaded[protocol.value]:
            if int(port) not in seen:
                seen.add(int(port))
                items.append((int(port), str(name)))
        result[protocol] = tuple(items)
    return result


def ranked_ports(protocol: Protocol) -> tuple[int, ...]:
    """Every port of the shipped ranking for ``protocol``, most likely first."""
    return tuple(port for port, _ in _ranking()[protocol])


def top_ports(protocol: Protocol, count: int) -> tuple[int, ...]:
    """The ``count`` highest-ranked ports; an error beyond the length of the list."""
    ranking = ranked_ports(protocol)
    if count < 1 or count > len(ranking):
        raise ScanError(
            "scan.top_out_of_range", count=count, protocol=protocol.value, maximum=len(ranking)
        )
    return ranking[:count]


def service_name(protocol: Protocol, port: int) -> str:
    """The conventional service name of a port, nmap's where it fits ("" when there is none)."""
    for number, name in _ranking()[protocol]:
        if number == port:
            return name
    return ""


@cache
def _aliases() -> dict[str, str]:
    import yaml

    path = resources.files("kenshin") / "data" / "scan" / "service-aliases.yaml"
    loaded = yaml.safe_load(path.read_text("utf-8"))
    return {str(nmap): str(ours) for nmap, ours in loaded.items()}


def kenshin_service(name: str) -> str:
    """The name identification and the checks use for the service nmap calls ``name``.

    nmap's port table says ``mongod`` and ``ldapssl`` where the checks read ``mongodb`` and
    ``ldaps``; applied where a name enters kenshin, so the checks know one name per service.
    """
    return _aliases().get(name, name)


@cache
def _names(protocol: Protocol) -> dict[str, int]:
    """Port names ``--ports`` accepts: nmap's, and kenshin's where it spells them otherwise."""
    names: dict[str, int] = {}
    for port, name in _ranking()[protocol]:
        for spelling in dict.fromkeys((name.lower(), kenshin_service(name).lower())):
            if spelling and spelling != "unknown" and spelling not in names:
                names[spelling] = port
    return names


def _port_number(token: str, protocol: Protocol) -> int:
    if token.isdigit():
        number = int(token)
        if not 1 <= number <= 65535:
            raise ScanError("scan.port_out_of_range", port=token)
        return number
    number_or_none = _names(protocol).get(token.lower())
    if number_or_none is None:
        raise ScanError("scan.unknown_port_name", name=token, protocol=protocol.value)
    return number_or_none


def parse_ports(spec: str, protocol: Protocol = Protocol.TCP) -> tuple[int, ...]:
    """Ports from ``22,80,443``, ``1-1024``, ``-`` or ``all`` (1-65535), names (``ssh,https``).

    The result is sorted and free of duplicates; anything unreadable is a ScanError.
    """
    text = spec.strip()
    if not text or len(text) > MAX_SPEC_LENGTH:
        raise ScanError("scan.bad_port_spec", spec=spec[:80])
    if text in ("-", "all", "1-65535"):
        return ALL_PORTS
    chosen: set[int] = set()
    for raw in text.split(","):
        token = raw.strip()
        if not token:
            raise ScanError("scan.bad_port_spec", spec=spec[:80])
        if "-" in token:
            low_text, _, high_text = token.partition("-")
            low = _port_number(low_text.strip() or "1", protocol)
            high = _port_number(high_text.strip() or "65535", protocol)
            if low > high:
                raise ScanError("scan.bad_port_range", spec=token)
            chosen.update(range(low, high + 1))
        else:
            chosen.add(_port_number(token, protocol))
    return tuple(sorted(chosen))


def port_ranges(ports: Sequence[int]) -> str:
    """``22,80-82``: runs of consecutive ports written as ranges, in the order given.

    For sorted ports without duplicates this is the shortest spec ``parse_ports`` reads
    back to the same ports. The order is kept (a plan of ranked ports is written as
    ranked); "" for no ports.
    """
    if not ports:
        return ""
    ranges: list[str] = []
    start = previous = ports[0]
    for port in [*ports[1:], -1]:
        if port == previous + 1:
            previous = port
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = port
    return ",".join(ranges)
