"""The ministry checklist, item by item: met, not met, or not determinable from this survey.

The items and which evidence bears on each live in ``data/checklist.yaml`` (with the
edition and date). This module reads them and weighs the survey's evidence:

- ``ledger``: every in-scope connection point has a contract holder, and every in-scope
  device its model and either its firmware version or the recorded reason why it cannot
  be told → met; a point without a holder, a device without a model, or one whose
  version is missing without a reason → not met (the ledger lacks it).
- ``remote_access``: a password-only remote entrance answers from the internet (RDP,
  Telnet, VNC, remote-control tools, a default or empty password — the listed check
  prefixes) → not met; only VPN login pages answer → not determinable, naming them
  (whether they ask for a second factor must be confirmed with the vendor); the remote
  diagnosis ran and found no remote entrance → met; not run → not determinable.
- ``remote_maintenance``: each in-scope remote-maintenance line has its contract
  holder, its devices and their versions confirmed → met; a device on such a line whose
  version the vendor has not given → not met; no such line reported → not determinable.
- ``evidence``: an open finding of the listed checks/categories, an affected firmware
  row, or a bad/warning terminal verdict on one of the listed checklist topics (each
  terminal check names its topics in the terminals room's ``data/checks.yaml``) → not
  met; otherwise, when every kind of evidence the item names was actually gathered
  (remote diagnosis ran, every firmware row checked, every chosen terminal surveyed and
  its verdicts known) → met; else not determinable, saying which evidence is missing.
- ``outside``: this survey does not look at it → not determinable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.assess.assess import AssessedFinding
from kenshin.domain import Engagement, FirmwareStatus, PartState
from kenshin.i18n import in_language


class ChecklistStatus(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_DETERMINABLE = "not_determinable"


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    ref: str
    group: str
    text_ja: str
    text_en: str
    basis: str
    finding_prefixes: tuple[str, ...] = ()
    finding_categories: tuple[str, ...] = ()
    finding_exclude: tuple[str, ...] = ()
    firmware: bool = False
    terminal_topics: tuple[str, ...] = ()
    scan: bool = False
    vpn_products: tuple[str, ...] = ()  # lower-case markers of VPN login pages (remote_access)

    def text(self, lang: str) -> str:
        return in_language(lang, self.text_ja, self.text_en)


@dataclass(frozen=True)
class Checklist:
    name_ja: str
    name_en: str
    published: str
    title_ja: str
    title_en: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class ChecklistResult:
    """One item's verdict; ``reason`` is a catalogue key with its parameters."""

    item: ChecklistItem
    status: ChecklistStatus
    reason: str
    params: dict[str, str] = field(default_factory=dict)
    finding_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SurveyEvidence:
    """What evidence was gathered besides findings (None: that part was not done)."""

    remote_done: bool = False  # every in-scope internet address diagnosed (PartState.DONE)
    firmware: Sequence[tuple[str, str]] | None = None  # (device_key, status), devices in scope
    # ("address:port/protocol", "service product") of every open port the diagnosis saw
    open_services: Sequence[tuple[str, str]] = ()
    # (terminal, checklist topic, status): a verdict once per topic its check bears on
    terminal_verdicts: Sequence[tuple[str, str, str]] | None = None
    terminals_left: Sequence[str] = ()  # chosen terminals with no result: evidence incomplete


_BASES = {"ledger", "remote_maintenance", "remote_access", "evidence", "outside"}


@cache
def load_checklist() -> Checklist:
    """The checklist data file, validated."""
    path = resources.files("kenshin.assess") / "data" / "checklist.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    edition = document["edition"]
    items = []
    for raw in document["items"]:
        basis = raw["basis"]
        if basis not in _BASES:
            raise ValueError(f"checklist item {raw['id']}: unknown basis {basis!r}")
        findings = raw.get("findings") or {}
        items.append(
            ChecklistItem(
                id=str(raw["id"]),
                ref=str(raw["ref"]),
                group=str(raw["group"]),
                text_ja=str(raw["text_ja"]),
                text_en=str(raw["text_en"]),
                basis=basis,
                finding_prefixes=tuple(findings.get("prefixes") or ()),
                finding_categories=tuple(findings.get("categories") or ()),
                finding_exclude=tuple(findings.get("exclude") or ()),
                firmware=bool(raw.get("firmware", False)),
                terminal_topics=tuple(raw.get("terminals") or ()),
                scan=bool(raw.get("scan", False)),
                vpn_products=tuple(str(m).lower() for m in raw.get("vpn_products") or ()),
            )
        )
    return Checklist(
        name_ja=str(edition["name_ja"]),
        name_en=str(edition["name_en"]),
        published=str(edition["published"]),
        title_ja=str(edition["title_ja"]),
        title_en=str(edition["title_en"]),
        items=tuple(items),
    )


def _matches(item: ChecklistItem, finding: AssessedFinding) -> bool:
    checks = finding.check_ids
    if item.finding_exclude and all(
        any(check.startswith(prefix) for prefix in item.finding_exclude) for check in checks
    ):
        return False
    if finding.finding.category.value in item.finding_categories:
        return True
    return any(
        check.startswith(prefix) for check in finding.check_ids for prefix in item.finding_prefixes
    )


def _ledger(engagement: Engagement) -> tuple[str, dict[str, str]]:
    points = [p for p in engagement.connection_points if p.in_ehr_scope]
    devices = [d for d in engagement.devices if engagement.device_in_scope(d)]
    if not devices:
        return ("assess.checklist.no_devices", {})
    holderless = [p.key for p in points if p.contract_holder.unknown]
    unknown = [
        d.key
        for d in devices
        if not d.model or not (d.version_known or d.version_unavailable_reason.strip())
    ]
    if unknown or holderless:
        return ("assess.checklist.ledger_gaps", {"devices": ", ".join([*holderless, *unknown])})
    reasoned = [d.key for d in engagement.versions_missing()]
    if reasoned:
        return (
            "assess.checklist.ledger_ok_reasons",
            {"count": str(len(devices)), "devices": ", ".join(reasoned)},
        )
    return ("assess.checklist.ledger_ok", {"count": str(len(devices))})


def evaluate_checklist(
    engagement: Engagement,
    findings: Sequence[AssessedFinding],
    evidence: SurveyEvidence,
    checklist: Checklist | None = None,
) -> tuple[ChecklistResult, ...]:
    """Weigh the survey's evidence against every checklist item."""
    checklist = checklist or load_checklist()
    results: list[ChecklistResult] = []
    open_findings = [f for f in findings if f.is_open]
    for item in checklist.items:
        if item.basis == "outside":
            results.append(
                ChecklistResult(item, ChecklistStatus.NOT_DETERMINABLE, "assess.checklist.outside")
            )
        elif item.basis == "ledger":
            key, params = _ledger(engagement)
            status = (
                ChecklistStatus.MET
                if key.startswith("assess.checklist.ledger_ok")
                else ChecklistStatus.NOT_MET
                if key == "assess.checklist.ledger_gaps"
                else ChecklistStatus.NOT_DETERMINABLE
            )
            results.append(ChecklistResult(item, status, key, params))
        elif item.basis == "remote_maintenance":
            results.append(_remote_maintenance(item, engagement, open_findings))
        elif item.basis == "remote_access":
            results.append(_remote_access(item, open_findings, evidence))
        else:
            results.append(_by_evidence(item, open_findings, evidence))
    return tuple(results)


def _remote_maintenance(
    item: ChecklistItem, engagement: Engagement, findings: Sequence[AssessedFinding]
) -> ChecklistResult:
    lines = [
        p for p in engagement.connection_points if p.in_ehr_scope and p.kind.is_remote_entrance
    ]
    if not lines:
        return ChecklistResult(
            item, ChecklistStatus.NOT_DETERMINABLE, "assess.checklist.no_remote_lines"
        )
    gaps: list[str] = []
    for line in lines:
        devices = engagement.devices_on(line.key)
        if not devices:
            gaps.append(line.key)
        gaps.extend(d.key for d in devices if not d.version_known)
    related = tuple(
        f.id
        for f in findings
        if f.point_key in {line.key for line in lines} and f.asset.value == "remote_entrance"
    )
    if gaps:
        return ChecklistResult(
            item,
            ChecklistStatus.NOT_MET,
            "assess.checklist.remote_gaps",
            {"keys": ", ".join(dict.fromkeys(gaps))},
            related,
        )
    return ChecklistResult(
        item,
        ChecklistStatus.MET,
        "assess.checklist.remote_ok",
        {"lines": ", ".join(line.key for line in lines)},
        related,
    )


def _remote_access(
    item: ChecklistItem, findings: Sequence[AssessedFinding], evidence: SurveyEvidence
) -> ChecklistResult:
    """Two-factor remote access, judged from what answers from the internet."""
    hits = tuple(f.id for f in findings if f.internet_exposed and _matches(item, f))
    if hits:
        where = sorted({f.target for f in findings if f.id in hits})
        return ChecklistResult(
            item,
            ChecklistStatus.NOT_MET,
            "assess.checklist.remote_access_open",
            {"count": str(len(hits)), "targets": ", ".join(where)},
            hits,
        )
    portals = [
        target
        for target, product in evidence.open_services
        if any(marker in product.lower() for marker in item.vpn_products)
    ]
    if portals:
        return ChecklistResult(
            item,
            ChecklistStatus.NOT_DETERMINABLE,
            "assess.checklist.remote_access_vpn",
            {"portals": ", ".join(portals)},
        )
    if evidence.remote_done:
        # nothing answers from the internet; closed-network maintenance lines are not seen
        return ChecklistResult(
            item, ChecklistStatus.NOT_DETERMINABLE, "assess.checklist.remote_access_none"
        )
    return ChecklistResult(
        item,
        ChecklistStatus.NOT_DETERMINABLE,
        "assess.checklist.no_evidence",
        {"sources": "remote"},
    )


def _by_evidence(
    item: ChecklistItem, findings: Sequence[AssessedFinding], evidence: SurveyEvidence
) -> ChecklistResult:
    hits = tuple(f.id for f in findings if _matches(item, f))
    firmware_bad: list[str] = []
    firmware_checked = False
    if item.firmware and evidence.firmware is not None:
        firmware_bad = [key for key, status in evidence.firmware if status == "affected"]
        judged = sum(1 for _, status in evidence.firmware if FirmwareStatus(status).judged)
        firmware_checked = PartState.of(judged, len(evidence.firmware)) is PartState.DONE
    terminal_bad: list[str] = []
    terminal_checked = False
    if item.terminal_topics and evidence.terminal_verdicts is not None:
        relevant = [v for v in evidence.terminal_verdicts if v[1] in item.terminal_topics]
        terminal_bad = sorted({t for t, _, s in relevant if s in ("bad", "warning")})
        terminal_checked = (
            bool(relevant)
            and all(s != "unknown" for _, _, s in relevant)
            and not evidence.terminals_left
        )
    if hits or firmware_bad or terminal_bad:
        where = [*firmware_bad, *terminal_bad]
        return ChecklistResult(
            item,
            ChecklistStatus.NOT_MET,
            "assess.checklist.not_met",
            {"count": str(len(hits)), "where": ", ".join(where)},
            hits,
        )
    needed = []
    if item.scan:
        needed.append("remote")
    if item.firmware:
        needed.append("firmware")
    if item.terminal_topics:
        needed.append("terminals")
    gathered = {
        "remote": item.scan and evidence.remote_done,
        "firmware": firmware_checked,
        "terminals": terminal_checked,
    }
    missing = [kind for kind in needed if not gathered[kind]]
    if needed and not missing:
        return ChecklistResult(
            item, ChecklistStatus.MET, "assess.checklist.met", {"sources": ",".join(needed)}
        )
    return ChecklistResult(
        item,
        ChecklistStatus.NOT_DETERMINABLE,
        "assess.checklist.no_evidence",
        {"sources": ",".join(missing)},
    )
