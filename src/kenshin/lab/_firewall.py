"""A lab host's packet filter as an nftables ruleset loaded inside its namespace."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kenshin.lab._model import Firewall, LabError


def _set(ports: frozenset[int]) -> str:
    return "{ " + ", ".join(str(p) for p in sorted(ports)) + " }"


def ruleset(fw: Firewall) -> str:
    """Drop by default; accept, reset or reject with ICMP exactly the listed ports."""
    rules = [
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
    rules += [template.format(ports=_set(ports)) for ports, template in table if ports]
    body = "\n".join(f"    {rule}" for rule in rules)
    return (
        "table inet kenshin_lab {\n"
        "  chain input {\n"
        "    type filter hook input priority 0; policy drop;\n"
        f"{body}\n"
        "  }\n"
        "}\n"
    )


def apply(namespace: str, fw: Firewall, folder: Path) -> None:
    path = folder / f"nftables-{namespace}.conf"
    path.write_text(ruleset(fw))
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if result.returncode != 0:
        raise LabError("lab.firewall_failed", host=namespace, detail=result.stderr.strip())
