"""What a report is rendered from: one typed value per survey section.

Each section is optional. ``None`` means "this part of the survey was not carried
out (yet)" and the report says so in words; an empty tuple means "carried out, and
there was nothing to list" — the report says that too. No section is ever an empty
table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from kenshin.domain import (
    Device,
    Engagement,
    Finding,
    FirmwareStatus,
    ScanReport,
    Terminal,
    VerdictStatus,
)
from kenshin.i18n import in_language


@dataclass(frozen=True)
class FirmwareRow:
    """The firmware check's result for one device (from the firmware/vulndb rooms)."""

    device: Device
    status: FirmwareStatus
    cves: tuple[str, ...] = ()
    kev: bool = False
    fixed_version: str = ""  # each release line's highest fix, comma-separated
    advice_ja: str = ""
    advice_en: str = ""
    scheme: str = "generic"  # the vendor version scheme ``fixed_version`` compares in
    # unjudged: KEV-listed CVEs of the product are at stake (what the severity weighs)
    kev_at_stake: bool = False

    def advice(self, lang: str) -> str:
        return in_language(lang, self.advice_ja, self.advice_en)


class TerminalVerdict(NamedTuple):
    """One check on one terminal: ``(status, summary_ja, summary_en, checklist)``.

    ``checklist`` names the checklist topics the check bears on (``patches``,
    ``external_media``, ...: the terminals room's ``data/checks.yaml``).
    """

    status: VerdictStatus
    summary_ja: str
    summary_en: str = ""
    checklist: tuple[str, ...] = ()

    def summary(self, lang: str) -> str:
        return in_language(lang, self.summary_ja, self.summary_en)


@dataclass(frozen=True)
class AuditedTerminal:
    """The terminal audit's result for one terminal (from the terminals room).

    ``verdicts`` maps a check id (``terminal.os.lifecycle``, ``terminal.usb.mass_storage``,
    …: the terminals room's ``data/checks.yaml``) to its verdict, in the room's order of
    checks. Check ids are shown through the room's titles, ``terminals.title.<id>``.
    """

    terminal: Terminal
    os: str
    verdicts: Mapping[str, TerminalVerdict] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestRow:
    """One information request to a vendor (from the requests room) and what became of it.

    ``path`` is A (the vendor reads the device), B (a procedure for the hospital's staff) or
    C (an on-site worker with a handed-over account); ``state`` one of draft, sent,
    answered, difficult, cancelled; ``answer`` maps firmware / wan_ip / assignment / isp /
    note to what came back. Never carries credentials.
    """

    ref: str
    vendor: str
    device_key: str | None
    point_key: str | None
    path: str
    state: str
    wants: tuple[str, ...]
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    answer: Mapping[str, str] = field(default_factory=dict)
    follows: str | None = None


@dataclass(frozen=True)
class KnowledgeVersion:
    """One knowledge source the survey used, and which version/date of it."""

    name: str
    version: str


@dataclass(frozen=True)
class Versions:
    kenshin: str
    knowledge: tuple[KnowledgeVersion, ...] = ()


@dataclass(frozen=True)
class ScanPacing:
    """How the remote diagnosis was paced: the profile, its rate ceiling towards any one
    address, the TCP mode and how often the adaptive pacing changed the rate (from the
    stored run)."""

    profile: str
    rate: float | None
    adaptive: bool
    rate_changes: int
    tcp_mode: str
    port_choice: str


@dataclass(frozen=True)
class ReportInput:
    """Everything one report shows; build it with ``build_report_input``."""

    engagement: Engagement
    versions: Versions
    generated_at: datetime
    findings: tuple[Finding, ...] = ()
    scan: ScanReport | None = None
    firmware: tuple[FirmwareRow, ...] | None = None
    terminals: tuple[AuditedTerminal, ...] | None = None
    diagrams: Mapping[str, str] = field(default_factory=dict)  # lang -> SVG text
    authors: tuple[str, ...] = ()
    requests: tuple[RequestRow, ...] | None = None  # None: not known to this report
    pacing: ScanPacing | None = None

    def diagram(self, lang: str) -> str | None:
        return self.diagrams.get(lang) or self.diagrams.get("ja") or None

    @property
    def terminals_left(self) -> tuple[str, ...]:
        """The engagement's terminals the survey has no result for (every one before any)."""
        audited = {row.terminal.key for row in self.terminals or ()}
        return tuple(t.key for t in self.engagement.terminals if t.key not in audited)
