"""The engagement file: reading, writing, and refusing bad input with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenshin.domain import AddressAssignment, ConnectionKind, Engagement
from kenshin.intake import IntakeError, dump_text, parse_text, read_file

MINIMAL = """\
schema: kenshin.engagement/1
code: sample-1
title: 見本病院 健診
institution:
  name: 見本病院
connection_points:
  - key: CP-01
    name: インターネット回線
    kind: internet
    in_ehr_scope: true
    internet_reachable: true
    addresses:
      - address: 203.0.113.10
        assignment: fixed
"""


def _error(text: str) -> IntakeError:
    with pytest.raises(IntakeError) as raised:
        parse_text(text)
    return raised.value


def test_demo_hospital_has_what_the_brief_asks_for(demo_engagement: Engagement) -> None:
    kinds = {p.kind for p in demo_engagement.connection_points}
    assert {
        ConnectionKind.INTERNET,
        ConnectionKind.REMOTE_MAINTENANCE,
        ConnectionKind.CLOSED_NETWORK,
        ConnectionKind.WIRELESS,
    } <= kinds
    remote = demo_engagement.point("CP-02")
    assert remote.contract_holder.vendor_key == "V-EHR"
    assert remote.addresses[0].assignment is AddressAssignment.DYNAMIC
    assert not demo_engagement.point("CP-04").in_ehr_scope
    assert demo_engagement.point("CP-04").scope_reason
    assert not demo_engagement.point("CP-03").is_diagnosis_candidate
    assert len(demo_engagement.terminals) == 5


def test_dump_and_parse_round_trip(demo_engagement: Engagement) -> None:
    assert parse_text(dump_text(demo_engagement)) == demo_engagement


def test_minimal_file_reads() -> None:
    engagement = parse_text(MINIMAL)
    assert engagement.point("CP-01").addresses[0].assignment is AddressAssignment.FIXED
    assert engagement.terminal_limit == 5


def test_yaml_syntax_error_names_the_line() -> None:
    error = _error(MINIMAL + "  - key: [unclosed\n")
    assert error.problems[0].line is not None
    assert "YAML" in error.message("ja")


def test_unknown_field_is_named_with_its_line() -> None:
    error = _error(
        MINIMAL.replace("    carrier", "").replace(
            "    internet_reachable: true\n", "    internet_reachable: true\n    carier: X\n"
        )
    )
    problem = error.problems[0]
    assert problem.path == ("connection_points", 0, "carier")
    assert problem.line == 12
    assert "綴り" in error.message("ja")
    assert "Unknown field" in error.message("en")


def test_address_that_is_not_an_ip() -> None:
    error = _error(MINIMAL.replace("203.0.113.10", "203.0.113.999"))
    assert error.problems[0].path == ("connection_points", 0, "addresses", 0, "address")
    assert "203.0.113.999" in error.message("ja")
    assert "IPアドレス" in error.message("ja")


def test_address_marked_fixed_and_dynamic() -> None:
    text = MINIMAL + "      - address: 203.0.113.10\n        assignment: dynamic\n"
    error = _error(text)
    assert error.problems[0].key == "intake.fixed_and_dynamic"
    assert "fixed and dynamic" in error.message("en")


def test_duplicate_connection_point() -> None:
    text = (
        MINIMAL
        + """\
  - key: CP-01
    name: もう一つ
    kind: vpn
    in_ehr_scope: true
"""
    )
    error = _error(text)
    assert error.problems[0].key == "intake.duplicate_key"
    assert error.problems[0].line == 15


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("kind: internet", "kind: satellite"), "intake.not_in_vocabulary"),
        (("in_ehr_scope: true", "in_ehr_scope: perhaps"), "intake.not_bool"),
        (("code: sample-1", "code: 'bad code!'"), "intake.bad_key"),
        (
            ("in_ehr_scope: true\n    internet", "in_ehr_scope: false\n    internet"),
            "intake.out_of_scope_needs_reason",
        ),
    ],
)
def test_other_refusals(change: tuple[str, str], key: str) -> None:
    error = _error(MINIMAL.replace(*change))
    assert [p.key for p in error.problems] == [key]


def test_references_must_exist() -> None:
    text = (
        MINIMAL
        + """\
devices:
  - key: DEV-01
    name: UTM
    role: utm
    connection_points: [CP-09]
    managed_by: {kind: vendor, vendor: V-NONE}
"""
    )
    keys = {p.key for p in _error(text).problems}
    assert keys == {"intake.unknown_point", "intake.unknown_vendor"}


def test_terminal_limit_is_enforced() -> None:
    terminals = "".join(f"  - {{key: T-{i}, hostname: PC-{i}, role: ehr}}\n" for i in range(6))
    error = _error(MINIMAL + "terminals:\n" + terminals)
    assert "terminal_limit" in error.message("en")
    assert "6" in error.message("ja")


def test_not_a_mapping_and_not_utf8(tmp_path: Path) -> None:
    assert _error("- just\n- a list\n").key == "intake.not_engagement_file"
    binary = tmp_path / "photo.yaml"
    binary.write_bytes(b"\xff\xd8\xff\xe0JFIF\x00\x01")
    with pytest.raises(IntakeError) as raised:
        read_file(binary)
    assert raised.value.key == "intake.not_utf8"
    with pytest.raises(IntakeError) as missing:
        read_file(tmp_path / "absent.yaml")
    assert missing.value.key == "intake.no_such_file"


def test_a_contact_email_without_at_is_refused_wherever_it_comes_from() -> None:
    """The hearing sheet refused an institution contact's e-mail without '@'; the file,
    the web's vendor form and a vendor row of the sheet took it."""
    text = MINIMAL.replace(
        "connection_points:",
        "vendors:\n  - key: V-1\n    company: 見本ベンダ\n"
        "    contacts: [{name: 担当, email: sec.vendor.example}]\nconnection_points:",
    )
    error = _error(text)
    assert [(p.key, p.shown) for p in error.problems] == [
        ("intake.bad_email", "vendors[V-1].contacts[#1].email")
    ]
    assert "sec.vendor.example" in error.message("ja")
    assert parse_text(text.replace("sec.vendor", "sec@vendor")).vendors[0].contacts[0].email


def test_host_names_differing_only_in_case_are_one_terminal() -> None:
    """The terminal import matches host names without case (PC-01 is pc-01), and the
    hearing sheet writes them in capitals; the file and the web took both as two."""
    terminals = (
        "  - {key: T-01, hostname: PC-01, role: ehr}\n  - {key: T-02, hostname: pc-01, role: ehr}\n"
    )
    error = _error(MINIMAL + "terminals:\n" + terminals)
    assert [(p.key, p.shown) for p in error.problems] == [
        ("intake.duplicate_key", "terminals[T-02].hostname")
    ]


def test_full_width_versions_and_names_are_folded_as_the_hearing_sheet_folds_them() -> None:
    """The hearing sheet stored Ｖ７．２．５ as V7.2.5 (a version the firmware check reads);
    the web's device form, the CLI and the file kept the full-width text, which no
    version scheme reads ("cannot tell")."""
    text = (
        MINIMAL
        + "devices:\n  - key: DEV-01\n    name: UTM\n    role: utm\n"
        + "    vendor: Ｆｏｒｔｉｎｅｔ\n    model: ＦｏｒｔｉＧａｔｅ ６０Ｆ\n"
        + "    firmware_version: Ｖ７．２．５\n"
        + "terminals:\n  - {key: T-01, hostname: ＰＣ－０１, role: ehr}\n"
    )
    engagement = parse_text(text)
    device = engagement.devices[0]
    assert (device.vendor, device.model, device.firmware_version) == (
        "Fortinet",
        "FortiGate 60F",
        "V7.2.5",
    )
    assert engagement.terminals[0].hostname == "PC-01"
