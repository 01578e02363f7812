"""Lab profiles and the lab's design rules; these run without root."""

from __future__ import annotations

from ipaddress import IPv4Network
from pathlib import Path

import pytest
from pydantic import ValidationError

from kenshin.domain import PortState, Protocol
from kenshin.lab import (
    Firewall,
    Lab,
    LabError,
    LabHost,
    LabService,
    _netns,
    load_profile,
    profile_names,
)
from kenshin.lab._firewall import ruleset
from kenshin.lab._model import expected_state
from kenshin.lab._netns import DEMO_KEY, _slot_for
from kenshin.lab._profile import ProfileSpec

LAB_NET = IPv4Network("198.18.0.0/15")


def test_shipped_profiles_load() -> None:
    assert {"test", "demo", "bench"} <= set(profile_names())
    for name in profile_names():
        assert load_profile(name).hosts


def test_demo_profile_serves_the_demo_hospital_addresses() -> None:
    demo = load_profile("demo")
    assert demo.fixed_addresses
    addresses = {str(h.address) for h in demo.hosts}
    assert {"198.18.10.10", "198.18.20.20"} <= addresses
    assert all(h.address in LAB_NET for h in demo.hosts if h.address)


def test_test_profile_has_twins_both_ways() -> None:
    services = {s.name: s for h in load_profile("test").hosts for s in h.services}
    for service in services.values():
        if service.twin:
            assert services[service.twin].twin == service.name
            assert services[service.twin].vulnerable != service.vulnerable


def test_bench_profile_has_four_hosts_one_firewalled_and_two_wide_hosts() -> None:
    bench = load_profile("bench")
    plain = [h for h in bench.hosts if not h.wide]
    assert len(plain) == 4
    assert sum(1 for h in plain if h.firewall) == 1
    assert sorted(h.wide_prefixlen for h in bench.hosts if h.wide) == [18, 22]
    assert [h.quiet_every for h in bench.hosts if h.wide_prefixlen == 18] == [16]


def test_wide_pool_blocks_are_held_by_one_lab_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_netns, "RUN_DIR", tmp_path)
    first, second, third = (_slot_for(str(k), -1) for k in (0, 1, 2))
    block = first.take_wide_block(18)
    assert block.num_addresses == 16384
    assert block.subnet_of(_netns.WIDE_POOL)
    other = second.take_wide_block(18)
    assert not other.overlaps(block)
    with pytest.raises(LabError):
        third.take_wide_block(17)  # the pool's two /18s are both held
    first.release()
    assert third.take_wide_block(18) == block
    second.release()
    third.release()


def test_quiet_addresses_drop_closed_tcp_ports_and_the_truth_says_so() -> None:
    host = LabHost("sweep", "198.18.128.60", "ns", ("198.18.128.0/18",), None, 16)
    web = LabService("sweep", "198.18.128.15", Protocol.TCP, 80, "http", name="s-http")
    assert host.quiet("198.18.128.15")
    assert not host.quiet("198.18.128.14")
    assert expected_state(host, [web], Protocol.TCP, 80, "198.18.128.15") is PortState.OPEN
    assert expected_state(host, [web], Protocol.TCP, 81, "198.18.128.15") is PortState.FILTERED
    assert expected_state(host, [web], Protocol.TCP, 81, "198.18.128.14") is PortState.CLOSED
    text = ruleset(None, [("tcp", 80), ("tcp", 22)], quiet_every=16)
    assert "ip daddr & 0.0.0.15 == 0.0.0.15 tcp dport != { 22, 80 } drop" in text
    assert "drop" not in ruleset(None, [("tcp", 80)])
    with pytest.raises(ValidationError, match="power of two"):
        ProfileSpec.model_validate(_doc(quiet_every=12))


def test_unknown_profile_is_a_clear_error() -> None:
    with pytest.raises(LabError, match="no lab profile 'nope'"):
        load_profile("nope")


def _doc(**host: object) -> dict[str, object]:
    base: dict[str, object] = {"role": "a", "octet": 10, "services": []}
    base.update(host)
    return {"name": "x", "description": "x", "hosts": [base]}


def test_profile_rules_refuse_bad_data() -> None:
    service = {"name": "s", "daemon": "sshd", "port": 22, "service": "ssh"}
    ProfileSpec.model_validate(_doc(services=[service]))
    with pytest.raises(ValidationError, match="exactly one"):
        ProfileSpec.model_validate(_doc(services=[{**service, "emulator": "rdp"}]))
    with pytest.raises(ValidationError, match="two services on one port"):
        ProfileSpec.model_validate(_doc(services=[service, {**service, "name": "t"}]))
    with pytest.raises(ValidationError, match="unknown twin"):
        ProfileSpec.model_validate(_doc(services=[{**service, "twin": "ghost"}]))
    with pytest.raises(ValidationError, match="octet"):
        ProfileSpec.model_validate(_doc(octet=None))
    fixed = _doc(octet=None, address="192.0.2.10")
    fixed["fixed_addresses"] = True
    with pytest.raises(ValidationError, match=r"198\.18\.0\.0/15"):
        ProfileSpec.model_validate(fixed)


def test_slots_use_disjoint_blocks_inside_the_benchmark_range() -> None:
    blocks = []
    for index in range(32):
        slot = _slot_for(str(index), -1)
        assert slot.block is not None
        assert slot.host_net is not None
        assert slot.wide_net is not None
        assert slot.block.subnet_of(IPv4Network("198.19.0.0/16"))
        assert slot.host_net.subnet_of(slot.block)
        assert slot.wide_net.subnet_of(slot.block)
        assert not slot.host_net.overlaps(slot.wide_net)
        assert slot.wide_net.num_addresses == 1024
        blocks.append(slot.block)
    assert all(not a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    demo = _slot_for(DEMO_KEY, -1)
    assert demo.uplink_root in LAB_NET
    assert demo.block is None


def test_expected_states_follow_the_firewall() -> None:
    fw = Firewall(
        tcp_accept=frozenset({22, 8080}),
        tcp_reset=frozenset({113}),
        tcp_prohibit=frozenset({8443}),
        udp_accept=frozenset({161, 123}),
        udp_unreachable=frozenset({137}),
        udp_prohibit=frozenset({69}),
    )
    host = LabHost("fw", "198.19.1.40", "ksn0-fw", firewall=fw)
    services = [
        LabService("fw", "198.19.1.40", Protocol.TCP, 22, "ssh"),
        LabService("fw", "198.19.1.40", Protocol.UDP, 161, "snmp"),
    ]
    cases = {
        (Protocol.TCP, 22): PortState.OPEN,
        (Protocol.TCP, 8080): PortState.CLOSED,
        (Protocol.TCP, 113): PortState.CLOSED,
        (Protocol.TCP, 8443): PortState.FILTERED,
        (Protocol.TCP, 1): PortState.FILTERED,
        (Protocol.UDP, 161): PortState.OPEN,
        (Protocol.UDP, 123): PortState.CLOSED,
        (Protocol.UDP, 137): PortState.CLOSED,
        (Protocol.UDP, 69): PortState.FILTERED,
        (Protocol.UDP, 9): PortState.OPEN_FILTERED,
    }
    for (protocol, port), state in cases.items():
        assert expected_state(host, services, protocol, port) is state
    plain = LabHost("a", "198.19.1.10", "ksn0-a")
    assert expected_state(plain, services, Protocol.TCP, 22) is PortState.CLOSED
    assert expected_state(plain, services, Protocol.UDP, 9) is PortState.CLOSED


def test_firewall_ruleset_drops_by_default_and_lists_each_action() -> None:
    text = ruleset(Firewall(tcp_accept=frozenset({22}), udp_prohibit=frozenset({69})))
    assert "policy drop" in text
    assert "tcp dport { 22 } accept" in text
    assert "udp dport { 69 } reject with icmp type admin-prohibited" in text
    assert "reset" not in text  # no empty sets for actions without ports
    counting = ruleset(None, [("tcp", 21), ("udp", 161)])
    assert "policy accept" in counting
    assert "drop" not in counting
    assert "tcp dport 21 tcp flags & (syn | ack) == syn counter name c_tcp_21" in counting
    assert "udp dport 161 counter name c_udp_161" in counting
    assert "ct " not in counting  # no connection tracking on hosts without a firewall
    assert "counter c_udp_161 { }" in counting


def test_not_root_says_it_needs_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root for network namespaces"):
        Lab.start("test", mode="netns")


def test_emulator_services_agree_with_the_emulator_registry() -> None:
    from kenshin.lab.emulators import EMULATORS

    # 4500/udp is IKE's NAT traversal port, which nmap calls nat-t-ike.
    allowed = {("ike", 4500)}
    for name in profile_names():
        for host in load_profile(name).hosts:
            for service in host.services:
                spec = EMULATORS.get(service.emulator or "")
                known = getattr(spec, "service", None)
                if known and (service.emulator, service.port) not in allowed:
                    # an HTTPS appliance served without TLS (its port-80 redirect) is http;
                    # garbage that starts as an SSH banner is read as ssh
                    plain = known == "https" and service.options.get("tls") == "false"
                    ssh = service.options.get("prefix", "").startswith("SSH-")
                    expected = "http" if plain else "ssh" if ssh else known
                    assert service.service == expected, service.name
