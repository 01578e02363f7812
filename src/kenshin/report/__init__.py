"""The check-up report: PDF/HTML (ja, en), findings.xlsx, findings.json, defectdojo.json.

Public names:

- ``ReportInput`` and its parts ``FirmwareRow``, ``FirmwareStatus``, ``AuditedTerminal``,
  ``TerminalVerdict``, ``VerdictStatus``, ``Versions``, ``KnowledgeVersion``: what a report
  is rendered from (``model.py``).
- ``build_report_input(session, engagement_code, *, scan=, firmware=, terminals=,
  diagram_svg=, ...)``: gathers it from the store and the other rooms' results.
- ``write_report(report_input, directory, lang)`` → ``ReportFiles``: every output.
- ``build_view(report_input, lang)`` / ``render_html(view)``: the content and the HTML.
"""

from kenshin.domain import FirmwareStatus, VerdictStatus
from kenshin.report.build import build_report_input
from kenshin.report.errors import ReportError
from kenshin.report.html import render_html
from kenshin.report.model import (
    AuditedTerminal,
    FirmwareRow,
    KnowledgeVersion,
    ReportInput,
    RequestRow,
    TerminalVerdict,
    Versions,
)
from kenshin.report.render import OUTPUT_NAMES, ReportFiles, write_report
from kenshin.report.view import ReportView, build_view

__all__ = [
    "OUTPUT_NAMES",
    "AuditedTerminal",
    "FirmwareRow",
    "FirmwareStatus",
    "KnowledgeVersion",
    "ReportError",
    "ReportFiles",
    "ReportInput",
    "ReportView",
    "RequestRow",
    "TerminalVerdict",
    "VerdictStatus",
    "Versions",
    "build_report_input",
    "build_view",
    "render_html",
    "write_report",
]
