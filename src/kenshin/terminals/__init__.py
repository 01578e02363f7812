"""The terminal survey (端末調査): the Windows collector, its file format, the rules.

Public API:

- ``collector_script()`` — the PowerShell 5.1 collector (``collector.ps1``) as text;
- ``parse_collector_file(data)`` — bytes of a collector JSON (or ``systeminfo /fo csv``)
  file to a ``CollectedTerminal``; raises ``TerminalError`` with a catalogue key;
- ``evaluate(collected, today)`` — every rule, as a frozen ``TerminalAssessment``
  (a ``Verdict`` per check and the ``Finding``s they raise);
- ``import_terminal_files(session, code, files, today)`` — check, evaluate and store;
- ``stored_assessments(session, code)`` — what is stored, for reports and the web;
- ``import_demo_terminals(session, code, today)`` — the demo hospital's five terminals.
"""

from __future__ import annotations

from kenshin.terminals.assessment import STATUSES, Status, TerminalAssessment, Verdict
from kenshin.terminals.collector import (
    collector_script,
    demo_terminal_files,
    import_demo_terminals,
    seal_payload,
)
from kenshin.terminals.engine import evaluate
from kenshin.terminals.errors import TerminalError
from kenshin.terminals.knowledge import ChecklistItem, checklist_items
from kenshin.terminals.model import CollectedTerminal
from kenshin.terminals.parse import MAX_FILE_BYTES, parse_collector_file, schema
from kenshin.terminals.rules import RULES, decode_product_state
from kenshin.terminals.storage import (
    assessment_to_json,
    check_files,
    import_terminal_files,
    stored_assessments,
)

__all__ = [
    "MAX_FILE_BYTES",
    "RULES",
    "STATUSES",
    "ChecklistItem",
    "CollectedTerminal",
    "Status",
    "TerminalAssessment",
    "TerminalError",
    "Verdict",
    "assessment_to_json",
    "check_files",
    "checklist_items",
    "collector_script",
    "decode_product_state",
    "demo_terminal_files",
    "evaluate",
    "import_demo_terminals",
    "import_terminal_files",
    "parse_collector_file",
    "schema",
    "seal_payload",
    "stored_assessments",
]
