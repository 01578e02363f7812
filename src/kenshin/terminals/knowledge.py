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


def _load(name: str) -> dict[str, Any]:
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
class LifecycleEntry:
    name: str
    builds: frozenset[int]
    editions: frozenset[str]
    end_of_support: date
    esu_until: date | None = None
    esu_first_ubr: int | None = None


@dataclass(frozen=True)
class Lifecycle:
    as_of: date
    products: tuple[LifecycleEntry, ...]

    def find(self, build: int, edition: str) -> LifecycleEntry | None:
        for entry in self.products:
            if build in entry.builds and edition in entry.editions:
                return entry
        return None


@cache
def lifecycle() -> Lifecycle:
    raw = _load("lifecycle.yaml")
    return Lifecycle(
        as_of=_as_date(raw["as_of"]) or date.min,
        products=tuple(
            LifecycleEntry(
                name=p["name"],
                builds=frozenset(int(b) for b in p["builds"]),
                editions=frozenset(p["editions"]),
                end_of_support=_as_date(p["end_of_support"]) or date.min,
                esu_until=_as_date(p.get("esu_until")),
                esu_first_ubr=p.get("esu_first_ubr"),
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
    as_of: date
    builds: dict[int, BuildUpdates]


@cache
def cumulative_updates() -> UpdateCatalogue:
    raw = _load("cumulative_updates.yaml")
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
    return UpdateCatalogue(as_of=_as_date(raw["as_of"]) or date.min, builds=builds)


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
    state_shift: int
    states: dict[int, str]
    signature_shift: int
    signatures: dict[int, str]
    signature_max_age_days: int
    defender_platform_max_age_months: int
    antivirus_products: tuple[ProductPattern, ...]
    device_control_products: tuple[ProductPattern, ...]
    outdated_products: tuple[OutdatedProduct, ...]


def _patterns(items: list[dict[str, str]]) -> tuple[ProductPattern, ...]:
    return tuple(
        ProductPattern(i["vendor"], re.compile(i["pattern"], re.IGNORECASE)) for i in items
    )


@cache
def antivirus() -> AntivirusKnowledge:
    raw = _load("antivirus.yaml")
    state = raw["product_state"]
    return AntivirusKnowledge(
        state_shift=int(state["state_shift"]),
        states={int(k): str(v) for k, v in state["states"].items()},
        signature_shift=int(state["signature_shift"]),
        signatures={int(k): str(v) for k, v in state["signatures"].items()},
        signature_max_age_days=int(raw["thresholds"]["signature_max_age_days"]),
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
    raw = _load("checks.yaml")
    items = _load("checklist.yaml")["items"]
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
