"""CPE 2.3 formatted strings and CPE 2.2 URIs (NIST IR 7695)."""

from __future__ import annotations

import pytest

from kenshin.vulndb.cpe import CPE, CPEError, cpe_name


def test_parse_formatted_string() -> None:
    cpe = CPE.parse("cpe:2.3:a:ivanti:connect_secure:9.1:r11.4:*:*:*:*:*:*")
    assert (cpe.part, cpe.vendor, cpe.product, cpe.version, cpe.update) == (
        "a",
        "ivanti",
        "connect_secure",
        "9.1",
        "r11.4",
    )
    assert cpe.edition == "*"


def test_any_and_na_are_kept() -> None:
    cpe = CPE.parse("cpe:2.3:h:yamaha:rtx1210:-:*:*:*:*:*:*:*")
    assert cpe.version == "-"
    assert cpe.update == "*"


def test_escaped_characters_round_trip() -> None:
    text = r"cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*"
    assert CPE.parse(text).bind() == text
    escaped = r"cpe:2.3:a:foo\:bar:big\$money_2010:1.0:*:*:*:*:*:*:*"
    parsed = CPE.parse(escaped)
    assert parsed.vendor == "foo:bar"
    assert parsed.product == "big$money_2010"
    assert parsed.bind() == escaped


def test_sw_edition_of_citrix_record() -> None:
    cpe = CPE.parse("cpe:2.3:a:citrix:netscaler_application_delivery_controller:*:*:*:*:fips:*:*:*")
    assert cpe.sw_edition == "fips"


def test_cpe22_uri_from_jvn() -> None:
    cpe = CPE.parse("cpe:/o:nec:aterm_wg2600hs_firmware")
    assert (cpe.part, cpe.vendor, cpe.product, cpe.version) == (
        "o",
        "nec",
        "aterm_wg2600hs_firmware",
        "*",
    )
    packed = CPE.parse("cpe:/a:vendor:product:1.0:sp1:~~pro~~x64~")
    assert packed.sw_edition == "pro"
    assert packed.target_hw == "x64"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "cpe:2.3:a:too:few",
        "cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*",
        "not a cpe",
        "cpe:2.3:a:vendor:product:1:*:*:*:*:*:*:*:extra",
        "cpe:2.3:a::product:1:*:*:*:*:*:*:*",
    ],
)
def test_malformed_names_are_refused(bad: str) -> None:
    with pytest.raises(CPEError):
        CPE.parse(bad)


def test_cpe_name_from_free_text() -> None:
    assert cpe_name("Palo Alto Networks") == "palo_alto_networks"
    assert cpe_name(" PAN-OS ") == "pan-os"
