"""Every recogniser rule and WAN rule against the samples it was written from.

The samples live beside the rules (``src/kenshin/firmware/rules/*.yaml``): each says
what the rule must read in it, or that it must stay quiet (``version: null``,
``addresses: []``).
"""

from __future__ import annotations

import pytest

from kenshin.firmware.recognisers import (
    Rule,
    Sample,
    WanRule,
    apply_rule,
    apply_wan,
    own_public_address,
    rule_files,
    unwrap,
)

RULES = [(r, s) for v in rule_files() for r in v.rules for s in r.samples]
WAN = [(w, s) for v in rule_files() for w in v.wan for s in w.samples]


def test_every_rule_has_a_sample_it_reads() -> None:
    for vendor in rule_files():
        for rule in vendor.rules:
            assert any(s.version is not None for s in rule.samples), rule.id
        for wan in vendor.wan:
            assert any(s.addresses for s in wan.samples), wan.id


def test_every_vendor_of_the_issue_has_a_rule_file() -> None:
    vendors = {v.vendor for v in rule_files() if v.rules}
    assert vendors >= {
        "Fortinet", "YAMAHA", "NEC", "Cisco", "Palo Alto Networks", "Juniper", "SonicWall",
        "Ivanti", "Sophos", "Allied Telesis", "WatchGuard", "Check Point",
        "FURUKAWA ELECTRIC", "Century Systems", "IIJ", "BUFFALO", "I-O DATA",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "sample"), RULES, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(RULES)]
)
def test_rule_reads_its_sample(rule: Rule, sample: Sample) -> None:
    hits = apply_rule(rule, unwrap(sample.text))
    if sample.version is None:
        assert hits == []
        return
    assert [(h.model, h.version) for h in hits] == [(sample.model or "", sample.version)]
    assert hits[0].line
    assert hits[0].line in unwrap(sample.text)  # the line the version was read from


@pytest.mark.parametrize(
    ("rule", "sample"), WAN, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(WAN)]
)
def test_wan_rule_reads_its_sample(rule: WanRule, sample: Sample) -> None:
    found = apply_wan(rule, unwrap(sample.text))
    assert tuple(a.address for a in found) == sample.addresses
    for address in found:
        assert address.address in address.line


@pytest.mark.parametrize(
    ("address", "own"),
    [
        ("203.0.113.9", True),
        ("198.51.100.1", True),
        ("192.168.1.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("100.64.0.1", False),
        ("1.2.3.4", False),
        ("123.123.123.123", False),
        ("8.8.8.8", False),
        ("0.0.0.0", False),
        ("255.255.255.248", False),
        ("999.1.1.1", False),
    ],
)
def test_only_own_public_addresses(address: str, own: bool) -> None:
    assert own_public_address(address) is own
