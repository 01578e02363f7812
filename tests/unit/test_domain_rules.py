"""The engagement's shared rules (issue #20): each is written once in ``kenshin.domain`` and
the CLI, the web, the intake and the report call it."""

from __future__ import annotations

from ipaddress import ip_address

from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    ConnectionPoint,
    GlobalAddress,
    LineAddress,
    next_free_key,
)


def test_next_free_key_takes_the_first_gap() -> None:
    assert next_free_key("T-", []) == "T-01"
    assert next_free_key("T-", ["T-01", "T-03"]) == "T-02"
    assert next_free_key("CP-", iter(["CP-01", "CP-02", "V-03"])) == "CP-03"


def test_address_lines_word_the_assignment_as_asked() -> None:
    point = ConnectionPoint(
        "CP-01",
        "VPN",
        ConnectionKind.VPN,
        True,
        addresses=(GlobalAddress(ip_address("198.18.0.1"), AddressAssignment.DYNAMIC),),
    )
    assert point.address_lines(lambda a: a.value) == (LineAddress("198.18.0.1", "dynamic"),)
    assert point.address_lines(lambda a: f"<{a.value}>") == (
        LineAddress("198.18.0.1", "<dynamic>"),
    )
