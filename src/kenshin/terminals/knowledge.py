"""The terminal room's data files, loaded once and typed.

Code reads data; the data files (``terminals/data/*.yaml``) say where their facts come
from and when they were compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml


def load_data(name: str) -> dict[str, Any]:
    """One of ``terminals/data/*.yaml`` as loaded (every data file of the room is read so)."""
    text = (resources.files("kenshin.terminals") / "data" / name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True)
class Dated:
    """When a catalogue was compiled, how often it must be refreshed, and from where."""

    as_of: date
    refresh_days: int
    sources: tuple[str, ...]

    def stale_on(self, today: date) -> bool:
        """Whether ``today`` is past the catalogue's date plus its refresh interval."""
        return (today - self.as_of).days > self.refresh_days


def _dated(raw: dict[str, Any]) -> Dated:
    return Dated(
        as_of=_as_date(raw["as_of"]) or date.min,
        refresh_days=int(raw["refresh_days"]),
        sources=tuple(str(s) for s in raw["sources"]),
    )


# Edition classes that fall back to a broader class when no row names them.
_EDITION_FALLBACK = {"home": "home_pro"}


@dataclass(frozen=True)
class LifecycleEntry:
    name: str
    builds: frozenset[int]
    editions: frozenset[str]
    end_of_support: date
    esu_until: date | None = None
    esu_first_ubr: int | None = None
    caption: re.Pattern[str] | None = None
    source: str = ""


@dataclass(frozen=True)
class Lifecycle:
    dated: Dated
    products: tuple[LifecycleEntry, ...]

    @property
    def as_of(self) -> date:
        return self.dated.as_of

    def find(self, build: int, edition: str, caption: str = "") -> LifecycleEntry | None:
        """The first row for this build and edition class whose caption pattern fits."""
        for wanted in (edition, _EDITION_FALLBACK.get(edition)):
            if wanted is None:
                continue
            for entry in self.products:
                if build not in entry.builds or wanted not in entry.editions:
                    continue
                if entry.caption is None or entry.caption.search(caption):
                    return entry
        return None


@cache
def lifecycle() -> Lifecycle:
    raw = load_data("lifecycle.yaml")
    return Lifecycle(
        dated=_dated(raw),
        products=tuple(
            LifecycleEntry(
                name=p["name"],
                builds=frozenset(int(b) for b in p["builds"]),
                editions=frozenset(p["editions"]),
                end_of_support=_as_date(p["end_of_support"]) or date.min,
                esu_until=_as_date(p.get("esu_until")),
                esu_first_ubr=p.get("esu_first_ubr"),
                caption=re.compile(p["caption"], re.IGNORECASE) if p.get("caption") else None,
                source=str(p.get("source", "")),
            )
            for p in raw["products"]
        ),
    )


@dataclass(frozen=True)
class UpdateRelease:
    date: date
    kb: str
    ubr: int


@dataclass(frozen=True)
class BuildUpdates:
    build: int
    name: str
    releases: tuple[UpdateRelease, ...]  # oldest first

    @property
    def latest(self) -> UpdateRelease:
        return self.releases[-1]


@dataclass(frozen=True)
class UpdateCatalogue:
    dated: Dated
    builds: dict[int, BuildUpdates]

    @property
    def as_of(self) -> date:
        return self.dated.as_of


@cache
def cumulative_updates() -> UpdateCatalogue:
    raw = load_data("cumulative_updates.yaml")
    builds: dict[int, BuildUpdates] = {}
    for build, entry in raw["builds"].items():
        releases = tuple(
            sorted(
                (
                    UpdateRelease(_as_date(r["date"]) or date.min, r["kb"], int(r["ubr"]))
                    for r in entry["releases"]
                ),
                key=lambda r: r.ubr,
            )
        )
        builds[int(build)] = BuildUpdates(int(build), entry["name"], releases)
    return UpdateCatalogue(dated=_dated(raw), builds=builds)


@dataclass(frozen=True)
class ProductPattern:
    vendor: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class OutdatedProduct:
    pattern: re.Pattern[str]
    reason_ja: str
    reason_en: str
    below: str | None = None


@dataclass(frozen=True)
class AntivirusKnowledge:
    dated: Dated
    state_shift: int
    states: dict[int, str]
    signature_shift: int
    signatures: dict[int, str]
    signature_max_age_days: int
    signature_age_sentinels: frozenset[int]
    signature_age_unknown_from: int
    defender_platform_max_age_months: int
    antivirus_products: tuple[ProductPattern, ...]
    device_control_products: tuple[ProductPattern, ...]
    outdated_products: tuple[OutdatedProduct, ...]


def real_signature_age(days: int | None) -> int | None:
    """A signature age in days, or None for Defender's "no value" sentinels (4294967295...)."""
    knowledge = antivirus()
    if days is None or days < 0 or days in knowledge.signature_age_sentinels:
        return None
    return None if days >= knowledge.signature_age_unknown_from else days


def _patterns(items: list[dict[str, str]]) -> tuple[ProductPattern, ...]:
    return tuple(
        ProductPattern(i["vendor"], re.compile(i["pattern"], re.IGNORECASE)) for i in items
    )


@cache
def antivirus() -> AntivirusKnowledge:
    raw = load_data("antivirus.yaml")
    state = raw["product_state"]
    return AntivirusKnowledge(
        dated=_dated(raw),
        state_shift=int(state["state_shift"]),
        states={int(k): str(v) for k, v in state["states"].items()},
        signature_shift=int(state["signature_shift"]),
        signatures={int(k): str(v) for k, v in state["signatures"].items()},
        signature_max_age_days=int(raw["thresholds"]["signature_max_age_days"]),
        signature_age_sentinels=frozenset(int(v) for v in raw["signature_age_sentinels"]),
        signature_age_unknown_from=int(raw["signature_age_unknown_from"]),
        defender_platform_max_age_months=int(raw["thresholds"]["defender_platform_max_age_months"]),
        antivirus_products=_patterns(raw["antivirus_products"]),
        device_control_products=_patterns(raw["device_control_products"]),
        outdated_products=tuple(
            OutdatedProduct(
                re.compile(o["pattern"], re.IGNORECASE),
                o["reason_ja"],
                o["reason_en"],
                str(o["below"]) if o.get("below") is not None else None,
            )
            for o in raw["outdated_products"]
        ),
    )


@dataclass(frozen=True)
class CheckSpec:
    check_id: str
    category: str
    checklist: tuple[str, ...]
    severity: dict[str, str]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title_ja: str
    title_en: str


@dataclass(frozen=True)
class CheckBook:
    thresholds: dict[str, int]
    checks: dict[str, CheckSpec]
    checklist: dict[str, ChecklistItem]


@cache
def checkbook() -> CheckBook:
    raw = load_data("checks.yaml")
    items = load_data("checklist.yaml")["items"]
    return CheckBook(
        thresholds={str(k): int(v) for k, v in raw["thresholds"].items()},
        checks={
            check_id: CheckSpec(
                check_id=check_id,
                category=spec["category"],
                checklist=tuple(spec["checklist"]),
                severity={str(k): str(v) for k, v in spec["severity"].items()},
            )
            for check_id, spec in raw["checks"].items()
        },
        checklist={
            key: ChecklistItem(key, value["title_ja"], value["title_en"])
            for key, value in items.items()
        },
    )


def checklist_items(check_id: str) -> tuple[ChecklistItem, ...]:
    """The ministry checklist items a terminal check maps to."""
    book = checkbook()
    spec = book.checks.get(check_id)
    if spec is None:
        return ()
    return tuple(book.checklist[key] for key in spec.checklist)
