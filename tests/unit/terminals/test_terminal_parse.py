"""Reading collector files as Windows really produces them, and refusing everything else.

Fixtures: tests/fixtures/terminals (see build.py there for where their format comes from).
"""

from __future__ import annotations

import json
import os

import pytest
from terminal_helpers import fixture_bytes, fixture_payload, sealed

from kenshin.terminals import MAX_FILE_BYTES, TerminalError, parse_collector_file, seal_payload
from kenshin.terminals.parse import decode_text

COLLECTOR_FIXTURES = [
    "win11-24h2-enterprise-ja.json",
    "win10-22h2-esu.json",
    "win10-22h2-no-esu.json",
    "win10-ltsc-2019.json",
    "winserver-2019.json",
    "win7-ehr.json",
]


@pytest.mark.parametrize("name", COLLECTOR_FIXTURES)
def test_every_fixture_parses(name: str) -> None:
    collected = parse_collector_file(fixture_bytes(name))
    assert collected.source == "kenshin.terminal/1"
    assert collected.os.build > 0
    assert len(collected.sha256) == 64


def test_utf16_le_with_bom_as_out_file_writes_it() -> None:
    data = fixture_bytes("win11-24h2-enterprise-ja.json")
    assert data.startswith(b"\xff\xfe")
    collected = parse_collector_file(data)
    assert collected.host == "EHR-W11-JA"
    assert collected.ui_culture == "ja-JP"
    assert collected.os.architecture == "64 ビット"
    assert any(u.name == "受付用" for u in collected.accounts.local_users or ())


def test_utf8_with_and_without_bom() -> None:
    with_bom = fixture_bytes("win10-22h2-esu.json")
    without = fixture_bytes("win10-22h2-no-esu.json")
    assert with_bom.startswith(b"\xef\xbb\xbf")
    assert not without.startswith(b"\xef\xbb\xbf")
    assert parse_collector_file(with_bom).host == "NS-W10-ESU"
    assert parse_collector_file(without).host == "NS-W10-OLD"


def test_utf16_without_bom_is_recognised() -> None:
    text = decode_text(fixture_bytes("win10-ltsc-2019.json"))
    assert parse_collector_file(text.encode("utf-16-le")).host == "LTSC2019-01"


def test_utf16_without_bom_with_ideographic_spaces() -> None:
    payload = fixture_payload("win11-24h2-enterprise-ja.json")
    payload["host"]["manufacturer"] = "架空\u3000電機\u3000\u3000"  # U+3000 has a NUL byte
    data = sealed(payload).decode("utf-8").encode("utf-16-le")
    assert data[:4096][0::2].count(0) > 0  # NULs on "the other side" within the sample
    assert parse_collector_file(data).host == "EHR-W11-JA"


def test_collector_json_in_cp932_is_read() -> None:
    text = decode_text(fixture_bytes("win11-24h2-enterprise-ja.json"))
    assert parse_collector_file(text.encode("cp932")).host == "EHR-W11-JA"


def test_systeminfo_csv_japanese_cp932() -> None:
    data = fixture_bytes("systeminfo-ja.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    collected = parse_collector_file(data)
    assert collected.source == "systeminfo.csv"
    assert collected.host == "EHR-W10-SI"
    assert collected.os.build == 19045
    assert collected.os.install_date is not None
    assert collected.os.install_date.year == 2021
    assert [h.id for h in collected.hotfixes or ()] == ["KB5066791", "KB5011048", "KB5015684"]
    assert collected.antivirus is None
    assert collected.usb is None


def test_systeminfo_csv_english() -> None:
    collected = parse_collector_file(fixture_bytes("systeminfo-en.csv"))
    assert collected.host == "OLD-W7-SI"
    assert collected.os.build == 7601
    assert collected.os.service_pack == "Service Pack 1"
    assert collected.os.last_boot is not None
    assert collected.os.last_boot.month == 10
    assert collected.os.install_date is not None
    assert collected.os.install_date.hour == 10


def test_systeminfo_without_needed_columns_is_refused() -> None:
    data = b'"Host Name","Domain"\r\n"X","WORKGROUP"\r\n'
    with pytest.raises(TerminalError) as caught:
        parse_collector_file(data)
    assert caught.value.key == "terminals.systeminfo_incomplete"


def _key(data: bytes) -> str:
    with pytest.raises(TerminalError) as caught:
        parse_collector_file(data)
    message = caught.value.message("ja")
    assert message
    assert "{" not in message
    return caught.value.key


def test_jpeg_renamed_json_is_named_as_jpeg() -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + os.urandom(2000)
    assert _key(jpeg) == "terminals.foreign_file"
    with pytest.raises(TerminalError) as caught:
        parse_collector_file(jpeg)
    assert "JPEG" in caught.value.message("ja")


def test_fifty_megabytes_of_junk_is_refused_by_size() -> None:
    junk = b"\x00\x13junk" * (50 * 1024 * 1024 // 6)
    assert len(junk) > MAX_FILE_BYTES
    assert _key(junk) == "terminals.too_large"


def test_small_binary_junk_is_refused() -> None:
    assert _key(bytes(range(256)) * 4) in ("terminals.bad_encoding", "terminals.not_recognised")


def test_empty_file() -> None:
    assert _key(b"") == "terminals.empty"
    assert _key(b"  \r\n") == "terminals.empty"


def test_truncated_file() -> None:
    data = fixture_bytes("win10-22h2-no-esu.json")
    assert _key(data[: len(data) // 2]) == "terminals.truncated"
    assert _key(data[:-10]) == "terminals.truncated"


def test_malformed_json() -> None:
    assert _key(b'{"schema": "kenshin.terminal/1",, }') == "terminals.malformed_json"


def test_other_json_is_the_wrong_schema() -> None:
    assert _key(b'{"schema": "kenshin.scan/1", "hosts": []}') == "terminals.wrong_schema"
    assert _key(b"[1, 2, 3]") == "terminals.not_recognised"


def test_edited_payload_fails_the_checksum() -> None:
    envelope = json.loads(decode_text(fixture_bytes("win10-22h2-no-esu.json")))
    envelope["payload"] = envelope["payload"].replace('"usbstor_start":3', '"usbstor_start":4')
    assert '"usbstor_start":4' in envelope["payload"]
    assert _key(json.dumps(envelope).encode()) == "terminals.checksum_mismatch"


def test_checksum_survives_reencoding() -> None:
    """The checksum is over the payload text, so UTF-16 and UTF-8 copies both verify."""
    data = fixture_bytes("win7-ehr.json")
    text = decode_text(data)
    for encoded in (text.encode("utf-16"), text.encode("utf-8-sig")):
        assert parse_collector_file(encoded).sha256 == parse_collector_file(data).sha256


def test_host_name_must_match_inside_and_out() -> None:
    envelope = json.loads(decode_text(fixture_bytes("win10-22h2-no-esu.json")))
    envelope["host"] = "SOMEONE-ELSE"
    assert _key(json.dumps(envelope).encode()) == "terminals.host_mismatch"


def test_payload_missing_a_required_section_is_refused() -> None:
    payload = fixture_payload("win10-22h2-no-esu.json")
    del payload["usb"]
    with pytest.raises(TerminalError) as caught:
        parse_collector_file(sealed(payload))
    assert caught.value.key == "terminals.schema_invalid"
    assert "usb" in caught.value.message("en")


def test_envelope_with_extra_fields_is_refused() -> None:
    envelope = seal_payload(fixture_payload("win10-22h2-no-esu.json"))
    envelope["note"] = "hand-made"
    assert _key(json.dumps(envelope).encode()) == "terminals.schema_invalid"


def test_unreadable_sections_become_none() -> None:
    payload = fixture_payload("win10-22h2-no-esu.json")
    payload["collector"]["unreadable"].append({"item": "usb", "reason": "Access denied"})
    collected = parse_collector_file(sealed(payload))
    assert collected.usb is None
    assert collected.why_unreadable("usb") == "Access denied"


def test_product_state_is_decoded_by_the_parser() -> None:
    collected = parse_collector_file(fixture_bytes("win10-22h2-esu.json"))
    assert collected.antivirus is not None
    registered = {p.name: p for p in collected.antivirus.security_center or ()}
    assert registered["Windows Defender"].state == "off"
    assert registered["Trend Micro Apex One Antivirus"].state == "on"
    assert registered["Trend Micro Apex One Antivirus"].signatures == "up_to_date"
    old = parse_collector_file(fixture_bytes("win7-ehr.json"))
    assert old.antivirus is not None
    assert [p.signatures for p in old.antivirus.security_center or ()] == ["out_of_date"]


def test_copied_from_a_console_with_wrapped_lines() -> None:
    """`-Print` output copied from a console window that inserted line breaks."""
    original = decode_text(fixture_bytes("win10-22h2-no-esu.json"))
    one_line = json.dumps(json.loads(original), ensure_ascii=False)
    wrapped = "\r\n".join(one_line[i : i + 120] for i in range(0, len(one_line), 120))
    collected = parse_collector_file(wrapped.encode("utf-16"))
    assert collected.sha256 == parse_collector_file(original.encode()).sha256
    # A line break that swallowed a character is still caught by the checksum.
    damaged = wrapped.replace("Windows 10 Pro", "Windows 10 Pr\r\n", 1)
    with pytest.raises(TerminalError) as caught:
        parse_collector_file(damaged.encode())
    assert caught.value.key == "terminals.checksum_mismatch"
