"""The collector script's static check, and that the parser reads what it writes.

PSScriptAnalyzer cannot run here, so the script is checked from its text: every field
the kenshin.terminal/1 schema requires is assigned in the section block that names the
Windows command it comes from, and every cmdlet it calls exists in Windows PowerShell 5.1
(allowlist: src/kenshin/terminals/data/ps51_cmdlets.yaml, from Microsoft's 5.1 reference).
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from terminal_helpers import fixture_payload

from kenshin.terminals import collector_script, seal_payload
from kenshin.terminals.collector_check import (
    allowlist,
    bool_casts_of_optional_values,
    check_collector,
    script_cmdlets,
    script_product_filter,
    script_sections,
    unguarded_wmi_calls,
)
from kenshin.terminals.knowledge import antivirus
from kenshin.terminals.parse import schema


def test_collector_passes_the_static_check() -> None:
    assert check_collector(collector_script()) == []


def test_every_required_section_has_a_block() -> None:
    sections = script_sections(collector_script())
    required = set(schema()["$defs"]["payload"]["required"]) - {"schema"}
    assert required <= set(sections)


def test_cmdlets_found_are_the_real_calls() -> None:
    found = script_cmdlets(collector_script())
    assert {"Get-WmiObject", "Get-HotFix", "Get-MpComputerStatus", "Get-ItemProperty"} <= found
    assert "ConvertTo-KenshinJson" not in found  # the script's own function
    assert not any(name.startswith("Client-") for name in found)  # text inside strings


def test_the_check_notices_unbalanced_brackets() -> None:
    script = collector_script().replace("$os = New-Map", "$os = New-Map {", 1)
    assert any("never closed" in p for p in check_collector(script))
    script = collector_script().replace("$os = New-Map", "$os = New-Map )", 1)
    assert any("unexpected ')'" in p for p in check_collector(script))


def test_the_check_refuses_powershell7_cmdlets() -> None:
    script = collector_script() + "\n$x = '{}' | Test-Json\n"
    assert any("Test-Json" in p and "PowerShell 6/7" in p for p in check_collector(script))


def test_the_check_refuses_unknown_cmdlets() -> None:
    script = collector_script() + "\nGet-CimInstance -ClassName Win32_BIOS | Out-Null\n"
    assert any("Get-CimInstance" in p for p in check_collector(script))


def test_the_check_notices_a_missing_field() -> None:
    script = collector_script().replace("$os['ubr'] = $null", "$os['not_ubr'] = $null")
    script = script.replace("$os['ubr'] = ConvertTo-IntOrNull", "$os['x'] = ConvertTo-IntOrNull")
    assert "section os: required field 'ubr' is never assigned" in check_collector(script)


def test_the_check_notices_a_missing_source() -> None:
    script = collector_script().replace("Get-HotFix", "Get-Hotfixes")
    problems = check_collector(script)
    assert any("section updates: source 'Get-HotFix'" in p for p in problems)


def test_the_check_wants_a_guard_for_get_mpcomputerstatus() -> None:
    script = collector_script().replace(
        "if (Get-Command -Name Get-MpComputerStatus -ErrorAction SilentlyContinue)", "if ($true)"
    )
    assert "Get-MpComputerStatus is called without a Get-Command guard" in check_collector(script)


def test_administrators_are_found_by_sid_never_by_localised_name() -> None:
    block = script_sections(collector_script())["accounts"]
    assert "S-1-5-32-544" in block
    code = re.sub(r"#.*", "", block)
    assert "'Administrators'" not in code
    assert "Administrators," not in code


def test_the_collector_never_reads_the_autologon_password() -> None:
    block = script_sections(collector_script())["autologon"]
    assert "GetValueNames" in block
    assert not re.search(r"Get-RegValue\s+\$winlogon\s+'DefaultPassword'", block)


def test_allowlist_names_its_source() -> None:
    data = allowlist()
    assert "Get-WmiObject" in data["cmdlets"]
    assert all("module" in spec for spec in data["cmdlets"].values())


def test_sealing_matches_the_collectors_computation() -> None:
    """SHA-256 over the payload text's UTF-8 bytes, as Get-Sha256Hex does in the script."""
    payload = fixture_payload("win11-24h2-enterprise-ja.json")
    envelope = seal_payload(payload)
    assert (
        envelope["payload_sha256"]
        == hashlib.sha256(envelope["payload"].encode("utf-8")).hexdigest()
    )
    assert json.loads(envelope["payload"]) == payload
    assert "[System.Text.Encoding]::UTF8.GetBytes($Text)" in collector_script()


# Display names as Windows' "Apps & features" shows them for common products.
PRODUCT_NAMES = [
    "Trend Micro Apex One Security Agent",
    "Trend Micro OfficeScan Agent",
    "ウイルスバスター コーポレートエディション XG",
    "ESET Endpoint Antivirus",
    "ESET Endpoint Security",
    "Symantec Endpoint Protection",
    "Sophos Endpoint Agent",
    "McAfee Endpoint Security Platform",
    "Trellix Endpoint Security",
    "Microsoft Security Essentials",
    "Kaspersky Endpoint Security for Windows",
    "CrowdStrike Windows Sensor",
    "SKYSEA Client View",
    "LanScope Cat MR",
    "MaLion 6",
    "Bitdefender Endpoint Security Tools",
    "WithSecure Elements Agent",
    "F-Secure Client Security",
    "Cortex XDR 8.5.0.12345",
    "Cisco Secure Endpoint",
    "VMware Carbon Black Cloud Sensor 64-bit",
    "Avast Business Security",
]


@pytest.mark.parametrize("name", PRODUCT_NAMES)
def test_the_script_keeps_what_the_rules_recognise(name: str) -> None:
    knowledge = antivirus()
    known = any(
        p.pattern.search(name)
        for p in knowledge.antivirus_products + knowledge.device_control_products
    )
    assert known, name
    assert re.search(script_product_filter(collector_script()), name, re.IGNORECASE), name


def test_the_script_ignores_unrelated_programs() -> None:
    product_filter = script_product_filter(collector_script())
    for name in ("Microsoft Edge", "Adobe Acrobat Reader", "電子カルテ クライアント"):
        assert not re.search(product_filter, name, re.IGNORECASE)  # PowerShell -match


# -- issue 17: the collector keeps going and never turns "unknown" into "no" ---------------


def test_every_wmi_query_is_inside_a_try_block() -> None:
    assert unguarded_wmi_calls(collector_script()) == []
    broken = collector_script().replace(
        "    $wmiOs = Get-WmiObject -Class Win32_OperatingSystem",
        "}\n$wmiOs = Get-WmiObject -Class Win32_OperatingSystem\ntry {",
    )
    assert unguarded_wmi_calls(broken)
    assert any("outside a try block" in p for p in check_collector(broken))


def test_the_os_section_falls_back_to_the_registry_without_wmi() -> None:
    block = script_sections(collector_script())["os"]
    assert "Add-Unreadable 'os_wmi'" in block
    assert "CurrentBuildNumber" in block


def test_no_bool_cast_turns_unknown_into_false() -> None:
    assert bool_casts_of_optional_values(collector_script()) == []
    cast = collector_script().replace(
        "ConvertTo-BoolOrNull $mp.RealTimeProtectionEnabled", "[bool]$mp.RealTimeProtectionEnabled"
    )
    assert bool_casts_of_optional_values(cast)
    assert "function ConvertTo-BoolOrNull" in collector_script()


def test_the_collector_reads_uas_device_installation_and_passive_mode() -> None:
    sections = script_sections(collector_script())
    for field in ("uaspstor_start", "install_restrictions"):
        assert f"$usb['{field}'] =" in sections["usb"]
    for value in ("DenyRemovableDevices", "DenyUnspecified", "DenyDeviceClasses", "DenyDeviceIDs"):
        assert value in sections["usb"]
    assert "AMRunningMode" in sections["antivirus"]
    assert "$CollectorVersion = '1.1'" in collector_script()


def test_constrained_language_mode_stops_with_a_pointer_to_the_manual_commands() -> None:
    script = collector_script()
    check = script.index("$ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage'")
    assert check < script.index("New-Object")  # before the first .NET type is used
    assert "exit 3" in script[check : check + 600]
