"""Every terminal rule, both ways: it fires where it should and stays quiet where not.

Each test starts from the healthy Windows 11 fixture (every check "ok") and changes one
setting, the way a Windows administrator would break it. Today is pinned to 2026-11-26.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from terminal_helpers import TODAY, fixture_bytes

from kenshin.domain import FindingCategory, Severity
from kenshin.terminals import (
    CollectedTerminal,
    checklist_items,
    decode_product_state,
    evaluate,
    parse_collector_file,
)

Collect = Callable[[dict[str, Any]], CollectedTerminal]


def verdict(collected: CollectedTerminal, check: str, today: date = TODAY) -> tuple[str, str]:
    found = evaluate(collected, today).verdict(f"terminal.{check}")
    return found.status, found.summary_en


def test_healthy_terminal_is_ok_everywhere(healthy: dict[str, Any], collect: Collect) -> None:
    assessment = evaluate(collect(healthy), TODAY)
    assert {v.check_id: v.status for v in assessment.verdicts if v.status != "ok"} == {}
    assert assessment.findings == ()
    assert assessment.worst == "ok"


# -- lifecycle ------------------------------------------------------------------------


def test_lifecycle_supported_and_ending(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "os.lifecycle")[0] == "ok"
    status, text = verdict(collect(healthy), "os.lifecycle", date(2027, 9, 1))
    assert status == "warning"
    assert "2027-10-12" in text


def test_lifecycle_unsupported_edition(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"]["edition_id"] = "Professional"  # Windows 11 Pro 24H2 ended 2026-10-13
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert status == "bad"
    assert "2026-10-13" in text
    assert verdict(collect(healthy), "os.lifecycle", date(2026, 1, 5))[0] == "ok"


def test_windows10_after_2025_10_14(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"].update(
        build=19045,
        ubr=6456,
        version="10.0.19045",
        display_version="22H2",
        caption="Microsoft Windows 10 Enterprise",
    )
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert status == "bad"
    assert "2025-10-14" in text
    assert "ESU" in text
    assert verdict(collect(healthy), "os.lifecycle", date(2025, 10, 14))[0] == "warning"
    healthy["licensing"]["esu"] = [{"name": "Client-ESU-Year2", "id": None, "license_status": 1}]
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert status == "warning"
    assert "only with Extended Security Updates" in text
    healthy["licensing"]["esu"][0]["license_status"] = 5  # notification, not licensed
    assert verdict(collect(healthy), "os.lifecycle")[0] == "bad"
    healthy["os"]["ubr"] = 7058  # an update only ESU machines receive
    assert verdict(collect(healthy), "os.lifecycle")[0] == "warning"
    assert verdict(collect(healthy), "os.lifecycle", date(2028, 10, 11))[0] == "bad"


@pytest.mark.parametrize(
    ("build", "edition", "product_type", "expected", "ends"),
    [
        (17763, "EnterpriseS", 1, "ok", "2029-01-09"),  # LTSC 2019
        (17763, "Professional", 1, "bad", "2020-11-10"),  # Windows 10 1809 Pro
        (14393, "EnterpriseS", 1, "bad", "2026-10-13"),  # LTSB 2016, ended last month
        (19044, "EnterpriseS", 1, "warning", "2027-01-12"),  # LTSC 2021, ends in 47 days
        (19044, "IoTEnterpriseS", 1, "ok", "2032-01-13"),
        (9600, "ServerStandard", 3, "bad", "2023-10-10"),  # Server 2012 R2 (ESU over)
        (14393, "ServerStandard", 3, "warning", "2027-01-12"),  # Server 2016
        (20348, "ServerDatacenter", 3, "ok", "2031-10-14"),
        (26100, "ServerStandard", 3, "ok", "2034-11-14"),  # Server 2025
        (7601, "Professional", 1, "bad", "2020-01-14"),
        (9600, "Professional", 1, "bad", "2023-01-10"),  # Windows 8.1
    ],
)
def test_lifecycle_table(
    healthy: dict[str, Any],
    collect: Collect,
    build: int,
    edition: str,
    product_type: int,
    expected: str,
    ends: str,
) -> None:
    healthy["os"].update(build=build, edition_id=edition, product_type=product_type, ubr=None)
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert (status, ends in text) == (expected, True), text


def test_lifecycle_unknown_build(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"]["build"] = 99999
    assert verdict(collect(healthy), "os.lifecycle")[0] == "unknown"


# -- patch level ----------------------------------------------------------------------


def test_patch_level_current_behind_far_behind(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "os.patch_level")[0] == "ok"
    healthy["os"]["ubr"] = 7840  # one monthly update behind 8037 (KB5079473)
    status, text = verdict(collect(healthy), "os.patch_level")
    assert status == "warning"
    assert "1 monthly" in text
    assert "KB5079473" in text
    healthy["os"]["ubr"] = 7171  # four behind
    status, text = verdict(collect(healthy), "os.patch_level")
    assert status == "bad"
    assert "4 monthly" in text
    healthy["os"]["ubr"] = 1742  # older than anything in the data
    assert verdict(collect(healthy), "os.patch_level")[0] == "bad"


def test_patch_level_by_last_update_date(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"]["ubr"] = None
    fixes = healthy["updates"]["hotfixes"]
    assert verdict(collect(healthy), "os.patch_level")[0] == "ok"
    fixes[-1]["installed_on"] = "2026-09-20T00:00:00+09:00"  # 61 days before collection
    assert verdict(collect(healthy), "os.patch_level")[0] == "warning"
    fixes[-1]["installed_on"] = "2026-06-01T00:00:00+09:00"
    assert verdict(collect(healthy), "os.patch_level")[0] == "bad"
    healthy["updates"]["hotfixes"] = []
    assert verdict(collect(healthy), "os.patch_level")[0] == "bad"
    healthy["updates"]["hotfixes"] = None
    assert verdict(collect(healthy), "os.patch_level")[0] == "unknown"


def test_stale_update_data_does_not_hide_an_unpatched_terminal(
    healthy: dict[str, Any], collect: Collect
) -> None:
    """UBR equal to the newest release kenshin knows, but nothing installed for months."""
    healthy["os"]["ubr"] = 8037
    healthy["updates"]["hotfixes"] = [
        {
            "id": "KB5079473",
            "description": "Security Update",
            "installed_on": "2026-03-12T00:00:00+09:00",
        }
    ]
    status, text = verdict(collect(healthy), "os.patch_level")
    assert status == "bad"
    assert "KB5079473" in text


# -- antivirus ------------------------------------------------------------------------


def test_product_state_decoding() -> None:
    assert decode_product_state(397568).state == "on"
    assert decode_product_state(397568).signatures == "up_to_date"
    assert decode_product_state(393472).state == "off"
    assert decode_product_state(397584).signatures == "out_of_date"
    assert decode_product_state(266240).state == "on"
    assert decode_product_state(262144).state == "off"


def test_no_antivirus(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["antivirus"]["security_center"] = []
    healthy["antivirus"]["defender"]["antivirus_enabled"] = False
    assert verdict(collect(healthy), "av.presence")[0] == "bad"
    finding = next(
        f
        for f in evaluate(collect(healthy), TODAY).findings
        if f.check_id == "terminal.av.presence"
    )
    assert finding.severity is Severity.CRITICAL
    assert finding.remediation_ja


def test_several_products_at_once(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["antivirus"]["security_center"].append(
        {
            "name": "ESET Endpoint Security",
            "product_state": 266240,
            "exe_path": None,
            "timestamp": None,
        }
    )
    status, text = verdict(collect(healthy), "av.presence")
    assert status == "warning"
    assert "ESET" in text
    healthy["antivirus"]["security_center"][0]["product_state"] = 393472  # Defender passive
    assert verdict(collect(healthy), "av.presence")[0] == "ok"


def test_realtime_protection(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "av.realtime")[0] == "ok"
    healthy["antivirus"]["defender"]["real_time_protection_enabled"] = False
    assert verdict(collect(healthy), "av.realtime")[0] == "bad"
    healthy["antivirus"]["defender"]["real_time_protection_enabled"] = True
    healthy["antivirus"]["security_center"][0]["product_state"] = 393472  # off
    status, text = verdict(collect(healthy), "av.realtime")
    assert status == "bad"
    assert "off" in text


def test_realtime_on_server_without_security_center(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["antivirus"]["security_center"] = None
    assert verdict(collect(healthy), "av.realtime")[0] == "ok"
    assert verdict(collect(healthy), "av.presence")[0] == "ok"
    healthy["antivirus"]["defender"]["real_time_protection_enabled"] = False
    assert verdict(collect(healthy), "av.realtime")[0] == "bad"


def test_signature_age_threshold(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["antivirus"]["defender"]["signature_age_days"] = 7
    assert verdict(collect(healthy), "av.signatures")[0] == "ok"
    healthy["antivirus"]["defender"]["signature_age_days"] = 8
    status, text = verdict(collect(healthy), "av.signatures")
    assert status == "bad"
    assert "8 days" in text


def test_third_party_signature_state(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["antivirus"]["security_center"] = [
        {
            "name": "Trend Micro Apex One Antivirus",
            "product_state": 266240,
            "exe_path": None,
            "timestamp": None,
        }
    ]
    assert verdict(collect(healthy), "av.signatures")[0] == "ok"
    healthy["antivirus"]["security_center"][0]["product_state"] = 266256
    assert verdict(collect(healthy), "av.signatures")[0] == "bad"


def test_outdated_product(healthy: dict[str, Any], collect: Collect) -> None:
    products = healthy["antivirus"]["installed_products"]
    products.append(
        {
            "name": "Symantec Endpoint Protection",
            "version": "14.3.8289.5000",
            "publisher": "Broadcom",
        }
    )
    assert verdict(collect(healthy), "av.product")[0] == "ok"
    products[0]["version"] = "14.2.5323.2000"
    status, text = verdict(collect(healthy), "av.product")
    assert status == "bad"
    assert "14.3" in text
    products[0] = {
        "name": "Microsoft Security Essentials",
        "version": "4.10.209.0",
        "publisher": "Microsoft Corporation",
    }
    assert verdict(collect(healthy), "av.product")[0] == "bad"


def test_old_defender_platform(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["antivirus"]["defender"]["am_product_version"] = (
        "4.18.25110.5"  # 2025-11, twelve months old
    )
    assert verdict(collect(healthy), "av.product")[0] == "ok"
    healthy["antivirus"]["defender"]["am_product_version"] = "4.18.24050.7"  # 2024-05
    assert verdict(collect(healthy), "av.product")[0] == "warning"


# -- USB --------------------------------------------------------------------------------


def _usb(payload: dict[str, Any], **machine: Any) -> None:
    policy = payload["usb"]["machine_policy"]
    policy["deny_all"] = machine.get("deny_all")
    policy["disk"] = {"deny_read": machine.get("read"), "deny_write": machine.get("write")}


def test_usb_blocked_by_policy_or_driver(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "ok"  # Deny_All
    _usb(healthy, read=1, write=1)
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "ok"
    _usb(healthy)
    healthy["usb"]["usbstor_start"] = 4
    healthy["usb"]["uaspstor_start"] = 4
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "ok"


def test_usbstor_alone_leaves_uas_disks_open(healthy: dict[str, Any], collect: Collect) -> None:
    """Issue 17: USBSTOR Start=4 was called blocked although UAS disks load UASPStor."""
    _usb(healthy)
    healthy["usb"]["usbstor_start"] = 4
    healthy["usb"]["uaspstor_start"] = 3
    status, text = verdict(collect(healthy), "usb.mass_storage")
    assert status == "warning"
    assert "UASPStor" in text
    healthy["usb"]["uaspstor_start"] = None  # not collected (collector 1.0)
    status, text = verdict(collect(healthy), "usb.mass_storage")
    assert (status, "not examined" in text) == ("warning", True)
    # Windows 7 has no UASPStor: USBSTOR alone is the whole story there.
    healthy["os"].update(build=7601, version="6.1.7601", caption="Microsoft Windows 7 Professional")
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "ok"


@pytest.mark.parametrize(
    "restrictions",
    [
        {"deny_removable_devices": 1},
        {"deny_unspecified": 1},
        {"deny_device_classes": 1, "denied_classes": ["{4d36e967-e325-11ce-bfc1-08002be10318}"]},
        {"deny_device_ids": 1, "denied_ids": ["USBSTOR\\Disk*"]},
    ],
)
def test_device_installation_restrictions_block_usb_storage(
    healthy: dict[str, Any], collect: Collect, restrictions: dict[str, Any]
) -> None:
    """Issue 17: DeviceInstall\\Restrictions blocking was not read (called "not blocked")."""
    _usb(healthy)
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "bad"
    healthy["usb"]["install_restrictions"].update(restrictions)
    status, text = verdict(collect(healthy), "usb.mass_storage")
    assert status == "ok"
    assert "DeviceInstall" in text


def test_device_installation_restrictions_of_other_classes_do_not_block(
    healthy: dict[str, Any], collect: Collect
) -> None:
    _usb(healthy)
    healthy["usb"]["install_restrictions"].update(
        deny_device_classes=1,
        denied_classes=["{6bdd1fc6-810f-11d0-bec7-08002be2092f}"],  # imaging devices
        deny_device_ids=1,
        denied_ids=["PCI\\VEN_8086"],
        deny_removable_devices=0,
    )
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "bad"


def test_usb_write_blocked_only(healthy: dict[str, Any], collect: Collect) -> None:
    _usb(healthy, write=1)
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "warning"
    _usb(healthy)
    healthy["usb"]["write_protect"] = 1
    status, text = verdict(collect(healthy), "usb.mass_storage")
    assert status == "warning"
    assert "WriteProtect" in text


def test_usb_not_blocked(healthy: dict[str, Any], collect: Collect) -> None:
    _usb(healthy)
    status, _ = verdict(collect(healthy), "usb.mass_storage")
    assert status == "bad"
    finding = next(
        f
        for f in evaluate(collect(healthy), TODAY).findings
        if f.check_id == "terminal.usb.mass_storage"
    )
    assert finding.severity is Severity.HIGH
    assert "USBSTOR Start=3" in finding.evidence


def test_usb_blocked_for_one_user_only(healthy: dict[str, Any], collect: Collect) -> None:
    _usb(healthy)
    healthy["usb"]["user_policy"]["deny_all"] = 1
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "warning"


def test_usb_device_control_product(healthy: dict[str, Any], collect: Collect) -> None:
    _usb(healthy)
    healthy["antivirus"]["installed_products"].append(
        {"name": "SKYSEA Client View", "version": "19.2", "publisher": "Sky Co., LTD."}
    )
    status, text = verdict(collect(healthy), "usb.mass_storage")
    assert status == "warning"
    assert "SKYSEA" in text


def test_wpd_separately(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "usb.wpd")[0] == "ok"
    _usb(healthy)
    healthy["usb"]["usbstor_start"] = 4
    healthy["usb"]["uaspstor_start"] = 4
    assert verdict(collect(healthy), "usb.mass_storage")[0] == "ok"
    assert verdict(collect(healthy), "usb.wpd")[0] == "warning"
    healthy["usb"]["machine_policy"]["wpd"] = {"deny_read": 1, "deny_write": 1}
    assert verdict(collect(healthy), "usb.wpd")[0] == "ok"


# -- accounts and services --------------------------------------------------------------


def _admin(name: str, sid: str) -> dict[str, Any]:
    return {"name": name, "domain": "HOSPITAL", "kind": "group", "sid": sid, "local": False}


def test_many_administrators(healthy: dict[str, Any], collect: Collect) -> None:
    admins = healthy["accounts"]["administrators"]
    assert verdict(collect(healthy), "accounts.administrators")[0] == "ok"
    admins.append(_admin("nurse01", "S-1-5-21-1-2-3-1401"))
    status, text = verdict(collect(healthy), "accounts.administrators")
    assert status == "warning"
    assert "4 members" in text


@pytest.mark.parametrize(
    "sid", ["S-1-5-21-3623811015-3361044348-30300820-513", "S-1-5-11", "S-1-1-0", "S-1-5-32-545"]
)
def test_everyone_is_an_administrator(healthy: dict[str, Any], collect: Collect, sid: str) -> None:
    healthy["accounts"]["administrators"].append(_admin("all users", sid))
    assert verdict(collect(healthy), "accounts.administrators")[0] == "bad"


def test_guest_and_passwordless_accounts(healthy: dict[str, Any], collect: Collect) -> None:
    users = healthy["accounts"]["local_users"]
    assert verdict(collect(healthy), "accounts.local")[0] == "ok"
    users[-1]["password_required"] = False
    assert verdict(collect(healthy), "accounts.local")[0] == "warning"
    users[1]["enabled"] = True  # Guest (RID 501)
    assert verdict(collect(healthy), "accounts.local")[0] == "bad"


def test_rdp(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "rdp")[0] == "ok"
    healthy["rdp"]["deny_connections"] = 0
    assert verdict(collect(healthy), "rdp")[0] == "warning"
    healthy["rdp"]["user_authentication"] = 0
    assert verdict(collect(healthy), "rdp")[0] == "bad"
    healthy["rdp"]["policy_user_authentication"] = 1  # Group Policy requires NLA
    assert verdict(collect(healthy), "rdp")[0] == "warning"
    healthy["rdp"]["policy_deny_connections"] = 1  # Group Policy forbids RDP
    assert verdict(collect(healthy), "rdp")[0] == "ok"


def test_smb1(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "smb1")[0] == "ok"
    healthy["smb1"]["feature_state"] = 1
    assert verdict(collect(healthy), "smb1")[0] == "bad"
    healthy["smb1"]["server_smb1"] = 0
    healthy["smb1"]["client_driver_start"] = 3
    assert verdict(collect(healthy), "smb1")[0] == "bad"  # the client is still on
    healthy["smb1"]["client_driver_start"] = 4
    assert verdict(collect(healthy), "smb1")[0] == "ok"


def test_smb1_on_windows7_defaults_on(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"].update(build=7601, ubr=None)
    healthy["smb1"] = {"server_smb1": None, "client_driver_start": 4, "feature_state": None}
    assert verdict(collect(healthy), "smb1")[0] == "bad"
    healthy["smb1"]["server_smb1"] = 0
    assert verdict(collect(healthy), "smb1")[0] == "ok"


def test_firewall(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "firewall")[0] == "ok"
    healthy["firewall"]["profiles"][2]["enabled"] = False
    status, text = verdict(collect(healthy), "firewall")
    assert status == "bad"
    assert "public" in text
    healthy["firewall"]["profiles"][2]["policy_enabled"] = True  # policy wins
    assert verdict(collect(healthy), "firewall")[0] == "ok"


def test_autologon(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "autologon")[0] == "ok"
    healthy["autologon"] = {
        "auto_admin_logon": "1",
        "default_user": "nurse",
        "password_stored": False,
    }
    status, text = verdict(collect(healthy), "autologon")
    assert status == "bad"
    assert "nurse" in text
    healthy["autologon"]["password_stored"] = True
    finding = next(
        f for f in evaluate(collect(healthy), TODAY).findings if f.check_id == "terminal.autologon"
    )
    assert finding.severity is Severity.HIGH
    assert finding.category is FindingCategory.ACCOUNT


def test_bitlocker(healthy: dict[str, Any], collect: Collect) -> None:
    assert verdict(collect(healthy), "bitlocker")[0] == "ok"
    healthy["bitlocker"]["volumes"][0]["protection_status"] = 0
    assert verdict(collect(healthy), "bitlocker")[0] == "warning"
    healthy["bitlocker"]["volumes"] = None
    assert verdict(collect(healthy), "bitlocker")[0] == "unknown"


def test_unreadable_items_are_unknown_with_an_info_finding(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["accounts"]["administrators"] = None
    healthy["collector"]["unreadable"].append({"item": "administrators", "reason": "RPC error"})
    assessment = evaluate(collect(healthy), TODAY)
    found = assessment.verdict("terminal.accounts.administrators")
    assert found.status == "unknown"
    assert found.evidence == "RPC error"
    finding = next(
        f for f in assessment.findings if f.check_id == "terminal.accounts.administrators"
    )
    assert finding.severity is Severity.INFO


def test_findings_carry_subject_remediation_and_checklist(
    healthy: dict[str, Any], collect: Collect
) -> None:
    _usb(healthy)
    assessment = evaluate(collect(healthy), TODAY, terminal_key="T-09")
    finding = assessment.findings[0]
    assert finding.subject.terminal_key == "T-09"
    assert finding.title_ja
    assert finding.title_en
    assert finding.remediation_ja
    usb = assessment.verdict("terminal.usb.mass_storage")
    assert usb.checklist == ("external_media",)
    assert next(i.title_ja for i in checklist_items("terminal.usb.mass_storage")).startswith(
        "端末PC"
    )


# -- the fixtures, as a Windows administrator would judge them ----------------------------

EXPECTED: dict[str, dict[str, str]] = {
    "win11-24h2-enterprise-ja.json": {},
    "win10-22h2-esu.json": {
        "os.lifecycle": "warning",
        "usb.wpd": "warning",
        "rdp": "warning",
        "bitlocker": "warning",
    },
    "win10-22h2-no-esu.json": {
        "os.lifecycle": "bad",
        "os.patch_level": "bad",
        "av.product": "warning",
        "usb.mass_storage": "warning",
        "usb.wpd": "warning",
        "accounts.administrators": "bad",
        "rdp": "bad",
        "smb1": "bad",
        "firewall": "bad",
        "autologon": "bad",
        "bitlocker": "unknown",
    },
    "win10-ltsc-2019.json": {
        "os.patch_level": "bad",
        "av.product": "bad",
        "bitlocker": "warning",
    },
    "winserver-2019.json": {
        "av.signatures": "bad",
        "usb.mass_storage": "bad",
        "usb.wpd": "warning",
        "accounts.administrators": "warning",
        "rdp": "warning",
        "bitlocker": "unknown",
    },
    "win7-ehr.json": {
        "os.lifecycle": "bad",
        "os.patch_level": "bad",
        "av.signatures": "bad",
        "av.product": "bad",
        "usb.mass_storage": "bad",
        "usb.wpd": "warning",
        "accounts.local": "warning",
        "smb1": "bad",
        "autologon": "bad",
        "bitlocker": "unknown",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_verdicts(name: str) -> None:
    assessment = evaluate(parse_collector_file(fixture_bytes(name)), TODAY)
    not_ok = {
        v.check_id.removeprefix("terminal."): v.status
        for v in assessment.verdicts
        if v.status != "ok"
    }
    assert not_ok == EXPECTED[name]
    assert len(assessment.findings) == len(not_ok)


def test_windows7_has_no_defender_status() -> None:
    collected = parse_collector_file(fixture_bytes("win7-ehr.json"))
    assert collected.antivirus is not None
    assert collected.antivirus.defender is None
    assert "Get-MpComputerStatus" in collected.why_unreadable("defender")
    assessment = evaluate(collected, TODAY)
    assert assessment.verdict("terminal.av.realtime").status == "ok"  # OfficeScan is on


def test_systeminfo_fallback_judges_what_it_can() -> None:
    assessment = evaluate(parse_collector_file(fixture_bytes("systeminfo-en.csv")), TODAY)
    assert assessment.verdict("terminal.os.lifecycle").status == "bad"
    assert assessment.verdict("terminal.usb.mass_storage").status == "unknown"


def test_patch_level_from_installed_kb_numbers_without_ubr() -> None:
    """systeminfo has no UBR: the newest known monthly update among the KBs decides."""
    collected = parse_collector_file(fixture_bytes("systeminfo-ja.csv"))
    found = evaluate(collected, TODAY).verdict("terminal.os.patch_level")
    assert found.status == "bad"
    assert "19045.6456" in found.summary_en
    assert "KB5066791" in found.evidence


def test_patch_level_from_kb_numbers_can_be_current(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["os"]["ubr"] = None
    fix = {
        "id": "KB5079473",
        "description": "Security Update",  # 2026-03, the newest known
        "installed_on": "2026-11-12T00:00:00+09:00",
    }
    healthy["updates"]["hotfixes"] = [fix]
    assert verdict(collect(healthy), "os.patch_level")[0] == "ok"
    fix["id"] = "KB5077181"  # 2026-02: one monthly update behind
    assert verdict(collect(healthy), "os.patch_level")[0] == "warning"
