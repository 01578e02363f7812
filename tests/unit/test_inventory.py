"""The inventory edits the CLI and the web share: whole-document validation, removals that
say what still needs an item, addresses that keep their day-of-diagnosis confirmations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.test_cli import run

from kenshin import inventory
from kenshin.domain import Engagement
from kenshin.intake import IntakeError, parse_text
from kenshin.store import EngagementRepository, StoreError, open_store


@pytest.fixture
def store(tmp_path: Path, demo_engagement: Engagement):  # type: ignore[no-untyped-def]
    opened = open_store(f"sqlite:///{tmp_path / 'inventory.sqlite3'}")
    with opened.session() as session:
        EngagementRepository(session).save(demo_engagement)
    yield opened
    opened.dispose()


def test_removal_names_what_still_refers_to_the_item(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session, pytest.raises(inventory.InventoryError) as point:
        inventory.remove_item(session, "demo-2026", "connection_points", "CP-01")
    assert "DEV-01" in point.value.message("en")
    with store.session() as session, pytest.raises(inventory.InventoryError) as vendor:
        inventory.remove_item(session, "demo-2026", "vendors", "V-NET")
    assert "CP-01" in vendor.value.message("ja") or "DEV-01" in vendor.value.message("ja")
    with store.session() as session, pytest.raises(inventory.InventoryError):
        inventory.remove_item(session, "demo-2026", "devices", "DEV-99")


def test_edits_are_validated_as_a_whole_file(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session, pytest.raises(IntakeError) as refused:
        inventory.edit_item(
            session, "demo-2026", "devices", "DEV-01", {"connection_points": ["CP-99"]}
        )
    assert refused.value.problems[0].path[:2] == ("devices", 0)
    with store.session() as session, pytest.raises(inventory.InventoryError):
        inventory.add_item(
            session, "demo-2026", "vendors", {"key": "V-NET", "company": "重複株式会社"}
        )
    with store.session() as session:
        device = EngagementRepository(session).get("demo-2026").devices[0]
    assert device.connection_points == ("CP-01",)


def test_kept_dynamic_address_keeps_its_confirmations(store) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    with store.session() as session:

        def confirm(document: dict) -> None:  # type: ignore[type-arg]
            entry = document["connection_points"][1]["addresses"][0]
            entry["confirmations"] = [
                {"confirmed_at": datetime(2026, 12, 3, 11, tzinfo=UTC), "confirmed_by": "情報"}
            ]

        inventory.edit_engagement(session, "demo-2026", confirm)
    with store.session() as session:
        edited = inventory.edit_item(
            session,
            "demo-2026",
            "connection_points",
            "CP-02",
            {
                "addresses": [
                    {"address": "198.18.20.20", "assignment": "dynamic"},
                    {"address": "198.18.20.21", "assignment": "fixed"},
                ]
            },
        )
    kept, added = edited.point("CP-02").addresses
    assert [c.confirmed_by for c in kept.confirmations] == ["情報"]
    assert added.confirmations == ()
    with store.session() as session:
        fixed = inventory.edit_item(
            session,
            "demo-2026",
            "connection_points",
            "CP-02",
            {"addresses": [{"address": "198.18.20.20", "assignment": "fixed"}]},
        )
    assert fixed.point("CP-02").addresses[0].confirmations == ()  # only dynamic ones are confirmed


def test_create_export_and_parsers(store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session:
        created = inventory.create_engagement(session, "new-2027", "新規", "新病院", beds=10)
        text = inventory.export_text(session, "new-2027")
    assert parse_text(text) == created
    with store.session() as session, pytest.raises(StoreError):
        inventory.create_engagement(session, "new-2027", "x", "x")
    assert inventory.parse_address("2001:db8::1:dynamic") == {
        "address": "2001:db8::1",
        "assignment": "dynamic",
    }
    assert inventory.parse_holder("vendor:V-NET") == {"kind": "vendor", "vendor": "V-NET"}
    with pytest.raises(inventory.InventoryError):
        inventory.parse_address("198.18.0.300")
    with pytest.raises(inventory.InventoryError):
        inventory.parse_holder("nobody")


@pytest.mark.usefixtures("isolated_env")
def test_cli_remove_explains_what_refers_to_the_point() -> None:
    assert run("demo", "--summary-only").returncode == 0
    refused = run("--lang", "en", "point", "remove", "demo-2026", "CP-01")
    assert refused.returncode != 0
    assert "DEV-01" in refused.stdout + refused.stderr
    added = run("point", "add", "demo-2026", "CP-09", "--name", "予備", "--kind", "vpn")
    assert added.returncode == 0, added.stderr
    shown = run("engagement", "show", "demo-2026", "--json")
    points = json.loads(shown.stdout)["connection_points"]
    point = next(p for p in points if p["key"] == "CP-09")
    assert point["internet_reachable"] is True
    assert run("point", "remove", "demo-2026", "CP-09").returncode == 0
