"""Helpers of the terminal-survey tests: fixture files and a pinned 'today'."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from kenshin.terminals import seal_payload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "terminals"
TODAY = date(2026, 11, 26)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_payload(name: str) -> dict[str, Any]:
    """The payload inside a fixture file, as a dict to modify."""
    envelope = json.loads(parse_text(fixture_bytes(name)))
    payload: dict[str, Any] = json.loads(envelope["payload"])
    return payload


def parse_text(data: bytes) -> str:
    from kenshin.terminals.parse import decode_text

    return decode_text(data)


def sealed(payload: dict[str, Any]) -> bytes:
    return json.dumps(seal_payload(payload), ensure_ascii=False).encode("utf-8")
