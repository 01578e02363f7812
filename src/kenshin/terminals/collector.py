"""The collector script as shipped, sealing payloads, and the demo hospital's files."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from kenshin.terminals.assessment import TerminalAssessment

COLLECTOR_FILE = "collector.ps1"


def collector_script() -> str:
    """The PowerShell collector, exactly as kept in the package (``terminals/collector.ps1``)."""
    return (resources.files("kenshin.terminals") / COLLECTOR_FILE).read_text(encoding="utf-8")


def seal_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The ``kenshin.terminal/1`` envelope around a payload, as the collector writes it.

    The payload travels as JSON text; ``payload_sha256`` is the SHA-256 of that text's
    UTF-8 bytes — the same computation ``collector.ps1`` does.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return {
        "schema": "kenshin.terminal/1",
        "host": payload["host"]["name"],
        "collected_at": payload["collector"]["collected_at"],
        "payload_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "payload": text,
    }


def demo_terminal_files() -> list[tuple[str, bytes]]:
    """The demo hospital's five collector files (``data/demo/terminals``), name and bytes."""
    folder = resources.files("kenshin") / "data" / "demo" / "terminals"
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def import_demo_terminals(
    session: Session, engagement_code: str, today: date
) -> list[TerminalAssessment]:
    """Import the demo terminals into the demo engagement (what ``kenshin demo`` calls)."""
    from kenshin.terminals.storage import import_terminal_files

    return import_terminal_files(
        session, engagement_code, demo_terminal_files(), today, actor="demo"
    )
