"""The terminal survey (端末調査): the Windows collector, its file format, the rules.

Public API:

- ``collector_script()`` — the PowerShell 5.1 collector (``collector.ps1``) as text;
- ``parse_collector_file(data)`` — bytes of a collector JSON file (or of one built-in
  command's text: systeminfo, Get-HotFix, reg query, ...) to a ``CollectedTerminal``;
  raises ``TerminalError`` with a catalogue key;
- ``group_terminal_files(files)`` — several files to one ``TerminalFiles`` per terminal
  (text files grouped by the host they name);
- ``evaluate(collected, today)`` — every rule, as a frozen ``TerminalAssessment``
  (a ``Verdict`` per check and the ``Finding``s they raise);
- ``import_terminal_files(session, code, files, today)`` — check, evaluate and store;
- ``stored_assessments(session, code)`` — what is stored, for reports and the web;
- ``import_demo_terminals(session, code, today)`` — the demo hospital's five terminals.
"""

from __future__ import annotations

from kenshin.terminals.assessment import STATUSES, TerminalAssessment, Verdict
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
from kenshin.terminals.parse import (
    MAX_FILE_BYTES,
    TerminalFiles,
    group_terminal_files,
    parse_collector_file,
    schema,
)
from kenshin.terminals.rules import RULES, decode_product_state
from kenshin.terminals.storage import (
    CheckedFile,
    assessment_to_json,
    check_files,
    import_terminal_files,
    reading_to_json,
    store_checked_files,
    stored_assessments,
)

__all__ = [
    "MAX_FILE_BYTES",
    "RULES",
    "STATUSES",
    "CheckedFile",
    "ChecklistItem",
    "CollectedTerminal",
    "TerminalAssessment",
    "TerminalError",
    "TerminalFiles",
    "Verdict",
    "assessment_to_json",
    "check_files",
    "checklist_items",
    "collector_script",
    "decode_product_state",
    "demo_terminal_files",
    "evaluate",
    "group_terminal_files",
    "import_demo_terminals",
    "import_terminal_files",
    "parse_collector_file",
    "reading_to_json",
    "schema",
    "seal_payload",
    "store_checked_files",
    "stored_assessments",
]
