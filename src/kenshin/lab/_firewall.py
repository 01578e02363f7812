"""A lab host's nftables ruleset, loaded inside its namespace: its firewall and counters.

Every host gets a table ``inet kenshin_lab`` whose input chain counts, for each of its
services' ports, TCP connection attempts (SYN without ACK) and UDP datagrams in a named
counter ``c_<protocol>_<port>`` — so a test can count, on the lab side, how many
connections a check made. The counters do not use connection tracking: a full-port scan
must not fill the kernel's conntrack table (only a firewalled host tracks connections,
as a real stateful firewall does). A firewalled host's chain also drops by default and
accepts, resets or rejects exactly the listed ports; other hosts' chains accept everything.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path

from kenshin.lab._model import Firewall, LabError

TABLE = "kenshin_lab"


def _set(ports: frozenset[int]) -> str:
    return "{ " + ", ".join(str(p) for p in sorted(ports)) + " }"


def counter_name(protocol: str, port: int) -> str:
    return f"c_{protocol}_{port}"


def ruleset(
    fw: Firewall | None, counted: Iterable[tuple[str, int]] = (), quiet_every: int = 0
) -> str:
    """Count connection attempts to ``counted``; then, with a firewall, drop by default and accept,
    reset or reject with ICMP exactly the listed ports.

    ``quiet_every`` (a power of two up to 256, hosts without a firewall): every n-th
    address drops TCP to any port but the counted (served) ones, so a wide host's block
    mixes resetting and silent edges."""
    ports = sorted(set(counted))
    counters = [f"  counter {counter_name(proto, port)} {{ }}" for proto, port in ports]
    rules = [
        f"tcp dport {port} tcp flags & (syn | ack) == syn counter name {counter_name(proto, port)}"
        if proto == "tcp"
        else f"udp dport {port} counter name {counter_name(proto, port)}"
        for proto, port in ports
    ]
    policy = "accept"
    if quiet_every:
        mask = f"0.0.0.{quiet_every - 1}"
        served = sorted({port for proto, port in ports if proto == "tcp"})
        keep = f"tcp dport != {_set(frozenset(served))} " if served else "meta l4proto tcp "
        rules.append(f"ip daddr & {mask} == {mask} {keep}drop")
    if fw is not None:
        policy = "drop"
        rules += [
            "ct state established,related accept",
            'iif "lo" accept',
            "ip protocol icmp accept",
        ]
        table: list[tuple[frozenset[int], str]] = [
            (fw.tcp_accept, "tcp dport {ports} accept"),
            (fw.tcp_reset, "tcp dport {ports} reject with tcp reset"),
            (fw.tcp_prohibit, "tcp dport {ports} reject with icmp type admin-prohibited"),
            (fw.udp_accept, "udp dport {ports} accept"),
            (fw.udp_unreachable, "udp dport {ports} reject with icmp type port-unreachable"),
            (fw.udp_prohibit, "udp dport {ports} reject with icmp type admin-prohibited"),
        ]
        rules += [template.format(ports=_set(p)) for p, template in table if p]
    body = "\n".join(f"    {rule}" for rule in rules)
    return (
        f"table inet {TABLE} {{\n" + "".join(f"{line}\n" for line in counters) + "  chain input {\n"
        f"    type filter hook input priority 0; policy {policy};\n"
        f"{body}\n"
        "  }\n"
        "}\n"
    )


def _nft(namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def apply(
    namespace: str,
    fw: Firewall | None,
    folder: Path,
    counted: Iterable[tuple[str, int]] = (),
    quiet_every: int = 0,
) -> None:
    path = folder / f"nftables-{namespace}.conf"
    path.write_text(ruleset(fw, counted, quiet_every))
    result = _nft(namespace, "-f", str(path))
    if result.returncode != 0:
        raise LabError("lab.firewall_failed", host=namespace, detail=result.stderr.strip())


def read_counter(namespace: str, protocol: str, port: int) -> int:
    """Connection attempts (TCP SYNs, UDP datagrams) to ``protocol``/``port`` so far."""
    result = _nft(namespace, "-j", "list", "counter", "inet", TABLE, counter_name(protocol, port))
    if result.returncode != 0:
        raise LabError("lab.firewall_failed", host=namespace, detail=result.stderr.strip())
    for item in json.loads(result.stdout).get("nftables", []):
        if "counter" in item:
            return int(item["counter"]["packets"])
    return 0
