"""The appendix: every finding, the knowledge used, and the raw answers behind the cards."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kenshin.assess import Area
from kenshin.report.model import KnowledgeVersion
from kenshin.report.sections.context import ViewContext
from kenshin.report.sections.items import FindingItem

APPENDIX_INDEX_LIMIT = 150


@dataclass(frozen=True)
class EvidenceEntry:
    """The raw answer behind one detailed finding; an answer already shown is referred to."""

    id: str
    title: str
    subject: str
    text: str  # empty when ``same_as`` shows it
    same_as: str


@dataclass(frozen=True)
class Appendix:
    evidence: tuple[EvidenceEntry, ...]
    knowledge: tuple[KnowledgeVersion, ...]  # names as readers know them
    show_index: bool  # whether the list of every finding fits (findings.xlsx always has it)


def build_appendix(context: ViewContext, items: tuple[FindingItem, ...]) -> Appendix:
    return Appendix(
        evidence=_evidence(items),
        knowledge=tuple(
            KnowledgeVersion(_kb_name(context, k.name), k.version)
            for k in context.input.versions.knowledge
        ),
        show_index=len(items) <= APPENDIX_INDEX_LIMIT,
    )


def _kb_name(context: ViewContext, name: str) -> str:
    """A knowledge source's name for readers (kenshin's own snapshot has a label)."""
    key = "report.kb." + re.sub(r"\W+", "_", name.strip().lower())
    label = context.t(key)
    return name if label == key else label


def _evidence(items: tuple[FindingItem, ...]) -> tuple[EvidenceEntry, ...]:
    """The remote diagnosis's raw answers behind the detailed findings; one answer once."""
    entries: list[EvidenceEntry] = []
    first_seen: dict[str, str] = {}
    for item in items:
        if not (item.detailed and item.area == Area.REMOTE.value and item.raw_evidence):
            continue
        evidence = item.raw_evidence[0]
        same = first_seen.setdefault(evidence.text, item.id)
        entries.append(
            EvidenceEntry(
                id=item.id,
                title=item.title,
                subject=evidence.subject,
                text=evidence.text if same == item.id else "",
                same_as=same if same != item.id else "",
            )
        )
    return tuple(entries)
