"""The shared BER codec (kenshin.net.ber): what it writes it reads back, garbage is refused."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kenshin.net import ber


def test_short_and_long_form_lengths() -> None:
    assert ber.tlv(0x04, b"abc") == b"\x04\x03abc"
    long_value = b"x" * 200
    assert ber.tlv(0x04, long_value)[:3] == b"\x04\x81\xc8"
    assert ber.tlv(0x04, b"y" * 300)[:4] == b"\x04\x82\x01\x2c"
    assert ber.read(ber.tlv(0x04, long_value)) == (0x04, long_value, 203)


def test_integers_take_the_fewest_octets_with_a_sign_bit() -> None:
    assert ber.integer(0) == b"\x02\x01\x00"
    assert ber.integer(127) == b"\x02\x01\x7f"
    assert ber.integer(128) == b"\x02\x02\x00\x80"  # a leading zero keeps it positive
    assert ber.integer(-1) == b"\x02\x01\xff"
    assert ber.integer(2, tag=0x0A) == b"\x0a\x01\x02"


def test_a_sequence_reads_back_as_its_children() -> None:
    message = ber.sequence(ber.integer(5), ber.octets("public"), ber.sequence(tag=0xA0))
    tag, value, end = ber.read(message)
    assert (tag, end) == (0x30, len(message))
    assert ber.children(value) == [(0x02, b"\x05"), (0x04, b"public"), (0xA0, b"")]


def test_the_sysdescr_oid_in_both_directions() -> None:
    encoded = bytes([0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00])
    assert ber.oid("1.3.6.1.2.1.1.1.0") == encoded
    assert ber.oid_text(encoded) == "1.3.6.1.2.1.1.1.0"
    assert ber.oid_text(b"") == ""


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x30",  # no length
        b"\x30\x05abc",  # shorter than it says
        b"\x30\x80abc",  # indefinite length: not in SNMP or LDAP
        b"\x30\x85\x01\x02\x03\x04\x05",  # a length of five octets
        b"\x30\x82\x01",  # the length itself cut short
    ],
)
def test_malformed_elements_raise_value_error(garbage: bytes) -> None:
    with pytest.raises(ValueError, match="BER"):
        ber.read(garbage)


def test_children_refuses_a_trailing_fragment() -> None:
    with pytest.raises(ValueError, match="BER"):
        ber.children(ber.integer(1) + b"\x04")


@given(st.lists(st.tuples(st.integers(0, 0xFE), st.binary(max_size=300)), max_size=8))
def test_any_elements_round_trip(elements: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(ber.tlv(tag, value) for tag, value in elements)
    assert ber.children(encoded) == elements


@given(st.integers(-(2**40), 2**40))
def test_any_integer_round_trips(number: int) -> None:
    tag, value, _ = ber.read(ber.integer(number))
    assert tag == 0x02
    assert int.from_bytes(value, "big", signed=True) == number


@given(
    st.integers(0, 2),
    st.integers(0, 39),
    st.lists(st.integers(0, 2**32), max_size=10),
)
def test_any_oid_round_trips(first: int, second: int, rest: list[int]) -> None:
    dotted = ".".join(str(n) for n in (first, second, *rest))
    assert ber.oid_text(ber.oid(dotted)) == dotted


@given(st.binary(max_size=64))
def test_garbage_never_raises_anything_but_value_error(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        ber.children(data)
