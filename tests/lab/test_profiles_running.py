"""The bench and demo profiles come up as designed (the wide host, the demo addresses)."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from _probes import dns_query, tcp_state

from kenshin.domain import PortState, Protocol
from kenshin.lab import Lab

# xdist: in the own-labs group (XDIST_GROUPS in tests/conftest.py).
pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("needs_root")]


def test_bench_wide_host_answers_on_all_1024_addresses() -> None:
    with Lab.start("bench") as lab:
        wide = lab.host("wide")
        (prefix,) = wide.prefixes
        network = IPv4Network(prefix)
        assert network.num_addresses == 1024
        for address in (network[0], network[517], network[-1]):
            assert tcp_state(str(address), 80) is PortState.OPEN
            assert lab.expected_state(str(address), Protocol.TCP, 80) is PortState.OPEN
            assert tcp_state(str(address), 81) is PortState.CLOSED
        assert len(lab.find(role="wide", port=22)) == 1 + 1024
        assert lab.expected_state(str(network[3]), Protocol.TCP, 81) is PortState.CLOSED
        assert lab.expected_state(str(network[3]), Protocol.TCP, 22) is PortState.OPEN
        firewalled = [h for h in lab.hosts.values() if h.firewall is not None]
        assert len(firewalled) == 1
        assert tcp_state(firewalled[0].address, 8080, timeout=1) is PortState.FILTERED


def test_bench_sweep_host_answers_on_a_pool_18_some_addresses_silent() -> None:
    with Lab.start("bench") as lab:
        sweep = lab.host("sweep")
        (prefix,) = sweep.prefixes
        network = IPv4Network(prefix)
        assert network.num_addresses == 16384
        assert network.subnet_of(IPv4Network("198.18.128.0/17"))
        resetting, quiet = str(network[1000]), str(network[1007])  # every 16th is quiet
        for address in (resetting, quiet, str(network[-1])):
            assert tcp_state(address, 443) is PortState.OPEN
        assert tcp_state(resetting, 81) is PortState.CLOSED
        assert tcp_state(quiet, 81, timeout=1) is PortState.FILTERED
        assert lab.expected_state(quiet, Protocol.TCP, 81) is PortState.FILTERED
        assert lab.expected_state(resetting, Protocol.TCP, 81) is PortState.CLOSED
        assert lab.expected_state(quiet, Protocol.TCP, 22) is PortState.OPEN


def test_demo_profile_serves_an_open_resolver_on_cp02() -> None:
    with Lab.start("demo") as lab:
        assert lab.host("cp01").address == "198.18.10.10"
        rcode, answers, recursion = dns_query("198.18.20.20", "www.example.com")
        assert (rcode, recursion) == (0, 1)
        assert answers == 1
        assert lab.service("cp01-ssh").version
