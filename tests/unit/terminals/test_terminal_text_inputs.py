"""Built-in commands' text, per terminal: what kenshin reads and the verdicts, as of 2026-11-26.

Fixtures: tests/fixtures/terminals/text/ (README there names each format's source). What no
file covers is "not examined", never "bad".
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from terminal_helpers import FIXTURES, TODAY
from typer.testing import CliRunner

from kenshin.terminals import (
    TerminalError,
    evaluate,
    group_terminal_files,
    parse_collector_file,
)
from kenshin.terminals.parse import read_input
from kenshin.terminals.textinputs import TextReading

TEXT = FIXTURES / "text"


def _files(*names: str) -> list[tuple[str, bytes]]:
    return [(name, (TEXT / name).read_bytes()) for name in names]


def _reading(name: str) -> TextReading:
    found = read_input((TEXT / name).read_bytes())
    assert isinstance(found, TextReading)
    return found


# -- each kind, recognised by content, in its encoding ------------------------------------

KINDS = {
    "systeminfo-ja-win10home.txt": "systeminfo",  # CP932
    "systeminfo-en-server2016.txt": "systeminfo",  # UTF-16 LE with BOM
    "systeminfo-en-cut.txt": "systeminfo",
    "computerinfo-win10ent.txt": "Get-ComputerInfo",
    "hotfix-ja.txt": "Get-HotFix",
    "wmic-qfe-en.txt": "Get-HotFix",
    "mpstatus-passive-en.txt": "Get-MpComputerStatus",
    "securitycenter-ja.txt": "SecurityCenter2",
    "reg-usb-ja.txt": "reg query",
    "reg-usbstor-only-en.txt": "reg query",
    "localgroup-ja.txt": "net localgroup",
    "localgroup-en.txt": "net localgroup",
    "ver.txt": "ver",
    "winver-ja.txt": "ver",
}


@pytest.mark.parametrize(("name", "kind"), sorted(KINDS.items()))
def test_each_file_is_recognised_by_its_content(name: str, kind: str) -> None:
    assert _reading(name).kind == kind


def test_systeminfo_list_japanese() -> None:
    reading = _reading("systeminfo-ja-win10home.txt")
    assert reading.host == "UKETSUKE-HOME01"
    assert reading.os["caption"] == "Microsoft Windows 10 Home"
    assert (reading.os["build"], reading.os["version"]) == (19045, "10.0.19045")
    assert reading.domain == "WORKGROUP"
    assert [h.id for h in reading.hotfixes or ()] == [
        "KB5066133",
        "KB5011048",
        "KB5015684",
        "KB5068781",
    ]
    assert reading.os["install_date"].date() == date(2020, 6, 15)


def test_systeminfo_list_english_utf16_server() -> None:
    reading = _reading("systeminfo-en-server2016.txt")
    assert reading.host == "PACS-SRV-01"
    assert reading.os["product_type"] == 3
    assert reading.os["last_boot"].date() == date(2026, 11, 2)


def test_systeminfo_csv_still_reads() -> None:
    collected = parse_collector_file((FIXTURES / "systeminfo-ja.csv").read_bytes())
    assert collected.host == "EHR-W10-SI"
    assert collected.source == "systeminfo.csv"


def test_computerinfo_has_the_ubr_and_edition() -> None:
    reading = _reading("computerinfo-win10ent.txt")
    assert reading.host == "EHR-GAIRAI-07"
    assert reading.os["ubr"] == 7058
    assert reading.os["edition_id"] == "Enterprise"
    assert reading.os["display_version"] == "22H2"
    assert reading.hotfixes is None  # OsHotFixes is cut ("...") in the list: not believed


def test_hotfix_tables_with_dates() -> None:
    ja = _reading("hotfix-ja.txt")
    assert ja.host == "EHR-GAIRAI-07"
    dates = {h.id: h.installed_on for h in ja.hotfixes or ()}
    assert dates["KB5078885"] == date(2026, 11, 12)
    wmic = _reading("wmic-qfe-en.txt")
    assert {h.id: h.installed_on for h in wmic.hotfixes or ()}["KB5005043"] == date(2021, 8, 12)


def test_mpstatus_passive_and_sentinel() -> None:
    defender = _reading("mpstatus-passive-en.txt").defender
    assert defender is not None
    assert defender.passive
    assert defender.signature_age_days == 4294967295  # read as printed; the rule calls it unknown
    assert defender.real_time_protection_enabled is False


def test_security_center_products_decoded() -> None:
    products = _reading("securitycenter-ja.txt").security_center or ()
    assert [(p.name.split()[0], p.state) for p in products] == [
        ("Windows", "off"),
        ("Bitdefender", "on"),
    ]


def test_reg_query_transcript() -> None:
    usb = _reading("reg-usb-ja.txt").usb
    assert usb is not None
    assert (usb.usbstor_start, usb.uaspstor_start) == (4, 3)
    assert usb.restrictions.deny_removable_devices == 1
    # Queried and answered "not found": examined, nothing configured.
    assert "RemovableStorageDevices" in usb.examined
    only = _reading("reg-usbstor-only-en.txt").usb
    assert only is not None
    assert only.examined == frozenset({"USBSTOR"})


def test_localgroup_any_language() -> None:
    ja = _reading("localgroup-ja.txt").administrators or ()
    assert [m.display for m in ja] == [
        "Administrator",
        "HOSPITAL\\Domain Admins",
        "HOSPITAL\\ehr-vendor",
    ]
    en = _reading("localgroup-en.txt").administrators or ()
    assert en[-1].sid == "S-1-5-11"  # Authenticated Users


def test_ver_and_winver() -> None:
    assert _reading("ver.txt").os == {"version": "10.0.19045", "build": 19045, "ubr": 7058}
    assert _reading("winver-ja.txt").os == {"build": 19045, "ubr": 6575, "display_version": "22H2"}


# -- terminals made of several files, and their verdicts -------------------------------

TERMINALS: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    # Windows 10 Home: consumer ESU ended 2026-10-13; the Nov 2025 ESU update is the newest.
    "UKETSUKE-HOME01": (
        ("systeminfo-ja-win10home.txt", "winver-ja.txt"),
        {"os.lifecycle": "bad", "os.patch_level": "bad"},
    ),
    # A PACS server last patched in 2021, Defender passive, an all-users group as admin.
    "PACS-SRV-01": (
        (
            "systeminfo-en-server2016.txt",
            "wmic-qfe-en.txt",
            "mpstatus-passive-en.txt",
            "localgroup-en.txt",
            "reg-usbstor-only-en.txt",
        ),
        {
            "os.lifecycle": "warning",
            "os.patch_level": "bad",
            "av.presence": "unknown",
            "av.realtime": "unknown",
            "av.signatures": "unknown",
            "av.product": "warning",
            "usb.mass_storage": "unknown",
            "accounts.administrators": "bad",
        },
    ),
    # An EHR terminal on Windows 10 Enterprise with ESU, Bitdefender, USB blocked by policy.
    "EHR-GAIRAI-07": (
        (
            "computerinfo-win10ent.txt",
            "hotfix-ja.txt",
            "securitycenter-ja.txt",
            "reg-usb-ja.txt",
            "localgroup-ja.txt",
        ),
        {"os.lifecycle": "warning", "usb.wpd": "warning"},
    ),
}
NEVER_FROM_TEXT = {"accounts.local", "rdp", "smb1", "firewall", "autologon", "bitlocker"}


@pytest.mark.parametrize("host", sorted(TERMINALS))
def test_terminal_verdicts_as_of_a_fixed_date(host: str) -> None:
    names, expected = TERMINALS[host]
    (group,) = group_terminal_files(_files(*names))
    assert group.collected.host == host
    assessment = evaluate(group.collected, TODAY)
    judged = {v.check_id.removeprefix("terminal."): v for v in assessment.verdicts}
    not_examined = {k for k, v in judged.items() if v.summary_en.startswith("Not examined")}
    decided = {k: v.status for k, v in judged.items() if v.status != "ok" and k not in not_examined}
    assert decided == expected
    assert not_examined >= NEVER_FROM_TEXT
    # "Not examined" is never bad, and says so in Japanese too.
    for key in not_examined:
        assert judged[key].status == "unknown"
        assert "未確認" in judged[key].summary_ja


def test_only_a_systeminfo_leaves_the_rest_not_examined() -> None:
    (group,) = group_terminal_files(_files("systeminfo-en-cut.txt"))
    assessment = evaluate(group.collected, TODAY)
    statuses = {v.check_id.removeprefix("terminal."): v.status for v in assessment.verdicts}
    assert statuses["os.lifecycle"] == "bad"  # Windows 11 Pro 24H2 ended 2026-10-13
    assert {s for k, s in statuses.items() if k != "os.lifecycle"} == {"unknown"}


def test_files_of_two_terminals_are_grouped_by_host() -> None:
    groups = group_terminal_files(
        _files("systeminfo-ja-win10home.txt", "computerinfo-win10ent.txt", "hotfix-ja.txt")
    )
    assert sorted(g.collected.host for g in groups) == ["EHR-GAIRAI-07", "UKETSUKE-HOME01"]


def test_a_hostless_file_among_two_terminals_is_refused() -> None:
    with pytest.raises(TerminalError) as caught:
        group_terminal_files(
            _files("systeminfo-ja-win10home.txt", "computerinfo-win10ent.txt", "ver.txt")
        )
    assert caught.value.key == "terminals.text_no_host"
    assert "ver.txt" in caught.value.message("en")


def test_without_any_os_version_the_error_says_what_to_add() -> None:
    with pytest.raises(TerminalError) as caught:
        group_terminal_files(_files("mpstatus-passive-en.txt", "localgroup-ja.txt"))
    assert caught.value.key == "terminals.text_no_os"


def test_unrelated_text_is_not_recognised() -> None:
    with pytest.raises(TerminalError) as caught:
        parse_collector_file("今日の外来受付は 8:30 からです。\r\n".encode("cp932"))
    assert caught.value.key == "terminals.not_recognised"


# -- kenshin terminal parse ---------------------------------------------------------------


def test_parse_command_prints_reading_and_verdicts_as_json(tmp_path: Path) -> None:
    from kenshin.cli import app

    paths = [str(TEXT / n) for n in TERMINALS["PACS-SRV-01"][0]]
    result = CliRunner().invoke(
        app, ["terminal", "parse", *paths, "--json", "--as-of", "2026-11-26"]
    )
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    read = entry["read"]
    assert read["host"] == "PACS-SRV-01"
    assert read["os"]["build"] == 14393
    assert [h["id"] for h in read["hotfixes"]][-1] == "KB5005043"
    assert read["antivirus"]["defender"]["am_running_mode"] == "Passive Mode"
    assert read["usb"]["usbstor_start"] == 3
    assert read["accounts"]["administrators"][0]["name"] == "Administrator"
    verdicts = {v["check_id"]: v["status"] for v in entry["assessment"]["verdicts"]}
    assert verdicts["terminal.os.patch_level"] == "bad"
    assert entry["assessment"]["evaluated_on"] == "2026-11-26"
    assert "4294967295" not in json.dumps(entry["assessment"])


def test_parse_command_refuses_a_bad_date() -> None:
    from kenshin.cli import app

    result = CliRunner().invoke(
        app, ["terminal", "parse", str(TEXT / "ver.txt"), "--as-of", "26/11/2026"]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, TerminalError)
    assert "YYYY-MM-DD" in result.exception.message("en")


def test_parse_command_reads_a_collector_file_and_prints_a_table() -> None:
    from kenshin.cli import app

    result = CliRunner().invoke(
        app,
        [
            "--lang",
            "en",
            "terminal",
            "parse",
            str(FIXTURES / "win7-ehr.json"),
            "--as-of",
            "2026-11-26",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "win7-ehr.json" in result.output
    assert "judged on 2026-11-26" in result.output


# -- other layouts of the same commands ---------------------------------------------------


def test_hotfix_list_format() -> None:
    text = (
        "\r\nSource        : PHARM-02\r\nDescription   : Security Update\r\n"
        "HotFixID      : KB5078885\r\nInstalledBy   : NT AUTHORITY\\SYSTEM\r\n"
        "InstalledOn   : 2026/11/12 0:00:00\r\n\r\n"
    )
    reading = read_input(text.encode("utf-8"))
    assert isinstance(reading, TextReading)
    assert reading.host == "PHARM-02"
    assert reading.hotfixes is not None
    assert reading.hotfixes[0].installed_on == date(2026, 11, 12)


def test_security_center_from_wmic_table() -> None:
    text = (
        "displayName                    productState  \r\n"
        "Windows Defender               393472        \r\n"
        "Cortex XDR                     266240        \r\n"
    )
    reading = read_input(text.encode("utf-8"))
    assert isinstance(reading, TextReading)
    assert [(p.name, p.state) for p in reading.security_center or ()] == [
        ("Windows Defender", "off"),
        ("Cortex XDR", "on"),
    ]


def test_systeminfo_of_a_domain_controller_is_a_server() -> None:
    text = (
        "ホスト名:                   DC01\r\n"
        "OS 名:                      Microsoft Windows Server 2019 Standard\r\n"
        "OS バージョン:              10.0.17763 N/A ビルド 17763\r\n"
        "OS 構成:                    プライマリ ドメイン コントローラー\r\n"
    )
    collected = parse_collector_file(text.encode("cp932"))
    assert collected.os.product_type == 2
    assert collected.os.is_server


def test_registry_keys_of_one_user_are_not_machine_policy() -> None:
    text = (
        "HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Microsoft\\Windows\\RemovableStorageDevices\r\n"
        "    Deny_All    REG_DWORD    0x1\r\n"
    )
    with pytest.raises(TerminalError) as caught:
        read_input(text.encode("utf-8"))
    assert caught.value.key == "terminals.text_incomplete"
