"""``port_ranges``: the one writing of a port list as ranges (run records, nmap XML, job
parameters), read back by ``parse_ports``."""

from __future__ import annotations

import random

from kenshin.domain import Protocol
from kenshin.scan.ports import ALL_PORTS, parse_ports, port_ranges, top_ports


def test_runs_of_consecutive_ports_become_ranges() -> None:
    assert port_ranges((22, 80, 81, 82, 443)) == "22,80-82,443"
    assert port_ranges((7,)) == "7"
    assert port_ranges(()) == ""
    assert port_ranges(ALL_PORTS) == "1-65535"


def test_sorted_ports_round_trip_through_the_parser() -> None:
    chooser = random.Random(7)
    for _ in range(200):
        ports = tuple(sorted(chooser.sample(range(1, 400), chooser.randint(1, 120))))
        assert parse_ports(port_ranges(ports)) == ports


def test_ranked_ports_keep_their_order() -> None:
    """A plan of top-ranked ports is recorded as ranked; the parser still reads it back."""
    ranked = top_ports(Protocol.UDP, 20)
    text = port_ranges(ranked)
    assert text.split(",")[0].split("-")[0] == str(ranked[0])
    assert parse_ports(text, Protocol.UDP) == tuple(sorted(ranked))
    assert port_ranges((5, 6, 1, 2)) == "5-6,1-2"
