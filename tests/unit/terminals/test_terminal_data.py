"""The terminal room's knowledge files: sourced, dated, consistent with code and catalogue."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from kenshin.i18n import catalogue
from kenshin.terminals.knowledge import (
    antivirus,
    checkbook,
    checklist_items,
    cumulative_updates,
    lifecycle,
)
from kenshin.terminals.rules import RULES

DATA = resources.files("kenshin.terminals") / "data"
YAML_FILES = sorted(e.name for e in DATA.iterdir() if e.name.endswith(".yaml"))


@pytest.mark.parametrize("name", YAML_FILES)
def test_every_data_file_states_its_source_and_date(name: str) -> None:
    head = (DATA / name).read_text(encoding="utf-8").split("\n\n")[0]
    assert head.startswith("#")
    assert "Source" in head or "source" in head
    assert any(str(year) in head for year in range(2020, 2030))


def test_windows10_end_of_support_is_2025_10_14() -> None:
    entry = lifecycle().find(19045, "home_pro")
    assert entry is not None
    assert entry.end_of_support == date(2025, 10, 14)
    assert entry.esu_until == date(2028, 10, 10)  # commercial ESU (Pro, Enterprise)
    home = lifecycle().find(19045, "home")
    assert home is not None
    assert home.esu_until == date(2026, 10, 13)  # consumer ESU


def test_every_lifecycle_row_names_its_source() -> None:
    assert all(entry.source for entry in lifecycle().products)


def test_every_end_of_support_is_a_patch_tuesday_or_annual_channel_end() -> None:
    """Microsoft ends servicing on the second Tuesday; a typo shows up as another weekday."""
    for entry in lifecycle().products:
        for day in (entry.end_of_support, entry.esu_until):
            if day is None or entry.name == "Windows Server 23H2":
                continue
            assert day.weekday() == 1, (entry.name, day)
            assert 8 <= day.day <= 14, (entry.name, day)


def test_update_data_is_ordered_and_plausible() -> None:
    updates = cumulative_updates()
    for build in updates.builds.values():
        dates = [r.date for r in build.releases]
        assert dates == sorted(dates), build.name
        assert all(r.kb.startswith("KB") for r in build.releases)
        assert build.latest.date <= updates.as_of


def test_product_states_are_words_not_yaml_booleans() -> None:
    knowledge = antivirus()
    assert all(isinstance(v, str) for v in knowledge.states.values())
    assert set(knowledge.states.values()) == {"off", "on", "snoozed", "expired"}


def test_every_rule_has_a_check_and_every_check_a_rule() -> None:
    from terminal_helpers import TODAY, fixture_bytes

    from kenshin.terminals import evaluate, parse_collector_file

    collected = parse_collector_file(fixture_bytes("win10-22h2-no-esu.json"))
    produced = [v.check_id for v in evaluate(collected, TODAY).verdicts]
    assert len(produced) == len(RULES)
    assert sorted(produced) == sorted(checkbook().checks)


def test_every_outcome_has_text_and_remediation() -> None:
    messages = catalogue()
    for check_id, spec in checkbook().checks.items():
        short = check_id.removeprefix("terminal.")
        assert f"terminals.title.{short}" in messages
        for outcome, severity in spec.severity.items():
            assert f"terminals.v.{short}.{outcome}" in messages, (check_id, outcome)
            assert f"terminals.fix.{short}.{outcome}" in messages, (check_id, outcome)
            assert severity in {"critical", "high", "medium", "low", "info"}
        for key in spec.checklist:
            assert key in checkbook().checklist
    assert checklist_items("terminal.os.patch_level")[0].key == "patches"


def test_catalogue_entries_are_bilingual() -> None:
    for key, texts in catalogue().items():
        if key.startswith("terminals."):
            assert texts.get("ja"), key
            assert texts.get("en"), key
