"""Fixtures of the terminal-survey tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from terminal_helpers import fixture_payload, sealed

from kenshin.terminals import CollectedTerminal, parse_collector_file


@pytest.fixture
def healthy() -> dict[str, Any]:
    """A copy of the healthy Windows 11 fixture's payload, to vary one setting at a time."""
    return fixture_payload("win11-24h2-enterprise-ja.json")


@pytest.fixture
def collect() -> Callable[[dict[str, Any]], CollectedTerminal]:
    def parse(payload: dict[str, Any]) -> CollectedTerminal:
        return parse_collector_file(sealed(payload))

    return parse
