"""Issue 17: every wrong verdict found with published Windows outputs, now right — both ways.

Each test starts from the healthy Windows 11 fixture and changes what the published output
showed. Today is pinned to 2026-11-26 unless a test says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from terminal_helpers import TODAY

from kenshin.terminals import CollectedTerminal, evaluate
from kenshin.terminals.knowledge import antivirus, cumulative_updates, lifecycle, real_signature_age
from kenshin.terminals.rules import edition_class

Collect = Callable[[dict[str, Any]], CollectedTerminal]


def verdict(collected: CollectedTerminal, check: str, today: date = TODAY) -> tuple[str, str]:
    found = evaluate(collected, today).verdict(f"terminal.{check}")
    return found.status, found.summary_en


def _win10(payload: dict[str, Any], ubr: int | None, edition: str = "Enterprise") -> None:
    payload["os"].update(
        build=19045,
        ubr=ubr,
        version="10.0.19045",
        display_version="22H2",
        edition_id=edition,
        caption=f"Microsoft Windows 10 {'Home' if edition.startswith('Core') else edition}",
    )


# -- the update catalogue and the judgement date ----------------------------------------


def test_catalogue_older_than_its_refresh_interval_is_not_current(
    healthy: dict[str, Any], collect: Collect
) -> None:
    """March 2026 patch level judged in December 2026: not "ok, current"."""
    healthy["os"]["ubr"] = 8037  # 2026-03-10, the newest the catalogue knows
    healthy["updates"]["hotfixes"] = [
        {"id": "KB5079473", "description": "Security Update", "installed_on": None}
    ]
    status, text = verdict(collect(healthy), "os.patch_level", date(2026, 12, 15))
    assert status == "unknown"
    assert "2026-03-10" in text
    assert "update kenshin's data" in text
    # Within the refresh interval the same terminal is current.
    status, text = verdict(collect(healthy), "os.patch_level", date(2026, 3, 20))
    assert status == "ok"


def test_a_recent_install_date_still_speaks_when_the_catalogue_is_old(
    healthy: dict[str, Any], collect: Collect
) -> None:
    """Fully patched (installed 2026-11-12, newer than the catalogue): ok, not unknown."""
    assert verdict(collect(healthy), "os.patch_level")[0] == "ok"


def test_catalogue_dates_and_refresh_intervals() -> None:
    updates = cumulative_updates()
    assert updates.dated.stale_on(date(2026, 12, 1))
    assert not updates.dated.stale_on(updates.as_of)
    for dated in (updates.dated, lifecycle().dated, antivirus().dated):
        assert dated.sources
        assert dated.refresh_days > 0


def test_patch_older_than_the_newest_known_by_more_than_60_days_is_bad(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["updates"]["hotfixes"] = None  # only the UBR speaks
    healthy["os"]["ubr"] = 7840  # 2026-02-10: 28 days behind 2026-03-10
    assert verdict(collect(healthy), "os.patch_level", date(2026, 3, 20))[0] == "warning"
    healthy["os"]["ubr"] = 7623  # 2026-01-13: 56 days behind — still within 60 days, 2 updates
    assert verdict(collect(healthy), "os.patch_level", date(2026, 3, 20))[0] == "bad"
    healthy["os"]["ubr"] = 7462  # 2025-12-09: 91 days behind
    status, text = verdict(collect(healthy), "os.patch_level", date(2026, 3, 20))
    assert status == "bad"
    assert "KB5079473" in text


def test_a_server_last_patched_in_2021_is_bad_not_unknown(
    healthy: dict[str, Any], collect: Collect
) -> None:
    """systeminfo: no UBR, no dates, KB numbers from 2021 only."""
    healthy["os"].update(
        build=14393,
        ubr=None,
        version="10.0.14393",
        caption="Microsoft Windows Server 2016 Standard",
        product_type=3,
        edition_id="ServerStandard",
    )
    healthy["updates"]["hotfixes"] = [
        {"id": kb, "description": "Update", "installed_on": None}
        for kb in ("KB4049065", "KB5001078", "KB5005043")
    ]
    status, text = verdict(collect(healthy), "os.patch_level")
    assert status == "bad"
    assert "KB5005043" in text
    assert "KB5068864" in text
    # A KB numbered after the catalogue's oldest update proves nothing by itself.
    healthy["updates"]["hotfixes"].append(
        {"id": "KB5099001", "description": "Update", "installed_on": None}
    )
    assert verdict(collect(healthy), "os.patch_level")[0] == "unknown"


def test_systeminfo_without_hotfix_lines_is_not_no_updates() -> None:
    from kenshin.terminals import parse_collector_file

    text = (
        "Host Name:                 WARD-3F-PC07\r\n"
        "OS Name:                   Microsoft Windows 11 Pro\r\n"
        "OS Version:                10.0.26100 N/A Build 26100\r\n"
    )
    collected = parse_collector_file(text.encode())
    assert collected.hotfixes is None
    status, text_en = verdict(collected, "os.patch_level")
    assert status == "unknown"
    assert "no updates" not in text_en.lower()
    # An explicit zero is a real "none installed".
    zero = text + "Hotfix(s):                 0 Hotfix(s) Installed.\r\n"
    assert parse_collector_file(zero.encode()).hotfixes == ()
    assert verdict(parse_collector_file(zero.encode()), "os.patch_level")[0] == "bad"


# -- lifecycle ---------------------------------------------------------------------------


def test_esu_is_evidenced_by_an_installed_esu_only_update(
    healthy: dict[str, Any], collect: Collect
) -> None:
    """Windows 10 22H2 without UBR (systeminfo) but with the November 2025 ESU update."""
    _win10(healthy, None)
    healthy["licensing"]["esu"] = None
    healthy["updates"]["hotfixes"] = [
        {"id": "KB5066791", "description": "Security Update", "installed_on": None}
    ]
    assert verdict(collect(healthy), "os.lifecycle")[0] == "bad"  # October 2025: no ESU
    healthy["updates"]["hotfixes"].append(
        {"id": "KB5068781", "description": "Security Update", "installed_on": None}
    )
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert status == "warning"
    assert "Extended Security Updates" in text
    assessment = evaluate(collect(healthy), TODAY)
    assert "KB5068781" in assessment.verdict("terminal.os.lifecycle").evidence


def test_windows10_home_gets_the_consumer_esu_end(
    healthy: dict[str, Any], collect: Collect
) -> None:
    _win10(healthy, 7058, edition="Core")
    assert edition_class(collect(healthy).os) == "home"
    assert verdict(collect(healthy), "os.lifecycle", date(2026, 10, 13))[0] == "warning"
    status, text = verdict(collect(healthy), "os.lifecycle", date(2026, 10, 14))
    assert status == "bad"
    assert "ESU" in text
    assert "2026-10-13" in text
    # Pro and Enterprise keep the commercial ESU (to 2028-10-10).
    _win10(healthy, 7058, edition="Professional")
    assert verdict(collect(healthy), "os.lifecycle", date(2026, 10, 14))[0] == "warning"
    entry = lifecycle().find(19045, "home")
    assert entry is not None
    assert entry.esu_until == date(2026, 10, 13)


@pytest.mark.parametrize(
    ("build", "edition", "caption", "product_type", "ends"),
    [
        (2600, None, "Microsoft Windows XP Embedded", 1, "2016-01-12"),
        (2600, None, "Microsoft Windows Embedded POSReady 2009", 1, "2019-04-09"),
        (7601, "Embedded", "Windows Embedded POSReady 7", 1, "2021-10-12"),
        (9600, "EmbeddedIndustry", "Windows Embedded 8.1 Industry Pro", 1, "2023-07-11"),
        (6003, "ServerStandard", "Microsoft Windows Server 2008 Standard", 3, "2020-01-14"),
        (3790, None, "Microsoft(R) Windows(R) Server 2003, Standard Edition", 3, "2015-07-14"),
        (25398, "ServerDatacenter", "Microsoft Windows Server Datacenter", 3, "2025-10-24"),
    ],
)
def test_embedded_and_old_server_rows_say_unsupported(
    healthy: dict[str, Any],
    collect: Collect,
    build: int,
    edition: str | None,
    caption: str,
    product_type: int,
    ends: str,
) -> None:
    healthy["os"].update(
        build=build, edition_id=edition, caption=caption, product_type=product_type, ubr=None
    )
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert (status, ends in text) == ("bad", True), text


def test_new_rows_are_supported_where_they_should_be(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["os"].update(build=28000, edition_id="Professional", caption="Microsoft Windows 11 Pro")
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert (status, "2028-03-14" in text) == ("ok", True)
    healthy["os"].update(
        build=26100, edition_id="ServerStandard", product_type=3, caption="Windows Server 2025"
    )
    status, text = verdict(collect(healthy), "os.lifecycle")
    assert (status, "2034-11-14" in text) == ("ok", True)


def test_enterprise_multi_session_is_a_client(healthy: dict[str, Any], collect: Collect) -> None:
    healthy["os"].update(
        edition_id="ServerRdsh",
        product_type=3,
        caption="Microsoft Windows 11 Enterprise multi-session",
    )
    collected = collect(healthy)
    assert not collected.os.is_server
    assert edition_class(collected.os) == "enterprise"
    status, text = verdict(collected, "os.lifecycle")
    assert (status, "Windows 11 24H2" in text, "2027-10-12" in text) == ("ok", True, True)
    healthy["os"].update(edition_id="ServerStandard", caption="Microsoft Windows Server 2025")
    assert collect(healthy).os.is_server


# -- antivirus ---------------------------------------------------------------------------

NEW_PRODUCTS = [
    "Bitdefender Endpoint Security Tools",
    "WithSecure Elements Agent",
    "F-Secure Client Security",
    "Cortex XDR 8.5.0.12345",
    "Cisco Secure Endpoint",
    "VMware Carbon Black Cloud Sensor 64-bit",
    "Avast Business Security",
]


@pytest.mark.parametrize("name", NEW_PRODUCTS)
def test_more_antivirus_products_are_known(
    healthy: dict[str, Any], collect: Collect, name: str
) -> None:
    """On a server without Security Center, an installed product is antivirus presence."""
    healthy["os"].update(product_type=3, caption="Microsoft Windows Server 2022", build=20348)
    healthy["antivirus"]["security_center"] = None
    healthy["antivirus"]["defender"].update(antivirus_enabled=False)
    healthy["antivirus"]["installed_products"] = [{"name": name, "version": "1.0"}]
    status, text = verdict(collect(healthy), "av.presence")
    assert (status, name in text) == ("ok", True)


def test_server_without_security_center_and_defender_off_is_not_no_antivirus(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["os"].update(product_type=3, caption="Microsoft Windows Server 2022", build=20348)
    healthy["antivirus"]["security_center"] = None
    healthy["antivirus"]["defender"].update(antivirus_enabled=False)
    status, text = verdict(collect(healthy), "av.presence")
    assert status == "unknown"
    assert "cannot be told" in text
    findings = evaluate(collect(healthy), TODAY).findings
    assert all(f.severity.value != "critical" for f in findings)
    # Where Security Center answers and lists nothing, "no antivirus" stands.
    healthy["os"].update(product_type=1, caption="Microsoft Windows 11 Enterprise", build=26100)
    healthy["antivirus"]["security_center"] = []
    assert verdict(collect(healthy), "av.presence")[0] == "bad"


def test_defender_passive_mode_is_not_realtime_off(
    healthy: dict[str, Any], collect: Collect
) -> None:
    healthy["os"].update(product_type=3, caption="Microsoft Windows Server 2022", build=20348)
    healthy["antivirus"]["security_center"] = None
    healthy["antivirus"]["installed_products"] = [
        {"name": "Cortex XDR 8.5.0.12345", "version": "8.5.0.12345"}
    ]
    healthy["antivirus"]["defender"].update(
        antivirus_enabled=True, real_time_protection_enabled=False, am_running_mode="Normal"
    )
    assert verdict(collect(healthy), "av.realtime")[0] == "bad"  # Defender itself, off
    healthy["antivirus"]["defender"]["am_running_mode"] = "Passive Mode"
    status, text = verdict(collect(healthy), "av.realtime")
    assert status == "unknown"
    assert "passive" in text
    assert "Cortex XDR" in text
    assert verdict(collect(healthy), "av.presence")[0] == "ok"


@pytest.mark.parametrize("age", [4294967295, 65535, 20000])
def test_signature_age_sentinels_are_unknown_never_days(
    healthy: dict[str, Any], collect: Collect, age: int
) -> None:
    healthy["antivirus"]["defender"].update(signature_age_days=age, signature_last_updated=None)
    status, text = verdict(collect(healthy), "av.signatures")
    assert status == "unknown"
    assert str(age) not in text
    assert real_signature_age(age) is None
    assert real_signature_age(3) == 3
    healthy["antivirus"]["defender"]["signature_age_days"] = 12
    assert verdict(collect(healthy), "av.signatures")[0] == "bad"
