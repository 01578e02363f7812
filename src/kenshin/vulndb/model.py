"""The public result types of the knowledge base (frozen, JSON-friendly)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

from kenshin.domain import Confidence, FirmwareStatus, Severity, Upgrade
from kenshin.errors import KenshinError
from kenshin.i18n import in_language
from kenshin.vulndb.versions import scheme

MatchStatus = Literal["affected", "possible", "no_version_data"]


class VulnDBError(KenshinError):
    """A knowledge-base problem a user can act on (failed update, unreadable file...)."""


@dataclass(frozen=True)
class ProductQuery:
    """What to look up: a vendor/product/version as people write it, or a CPE."""

    vendor: str = ""
    product: str = ""
    version: str = ""
    cpe: str | None = None


@dataclass(frozen=True, slots=True)
class CveTexts:
    """A CVE's title, description and advice in both languages: a snapshot entry holds
    them, a match passes them on (or its own, where no entry exists)."""

    cve: str
    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    advice_ja: str
    advice_en: str


@dataclass(frozen=True, slots=True)
class VulnMatch(CveTexts):
    cvss: float | None
    severity: Severity
    kev: bool
    kev_date: date | None
    ransomware: bool
    jvn_ids: tuple[str, ...]
    fixed_version: str | None
    confidence: Confidence
    status: MatchStatus
    evidence: str
    # the product as reports name it, the version scheme ``fixed_version`` compares in,
    # and the snapshot entry's steps beyond updating ("stop SSL-VPN until then"), which
    # ``advice_*`` also ends with
    product: str = ""
    scheme: str = "generic"
    extra_advice_ja: str = ""
    extra_advice_en: str = ""

    def upgrade(self) -> Upgrade | None:
        """The update this match asks for, structured; None without a known fixed version."""
        if not self.fixed_version:
            return None
        return Upgrade(
            product=self.product,
            fixed_version=self.fixed_version,
            scheme=self.scheme,
            steps_ja=self.extra_advice_ja,
            steps_en=self.extra_advice_en,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        data["confidence"] = self.confidence.value
        data["kev_date"] = self.kev_date.isoformat() if self.kev_date else None
        data["jvn_ids"] = list(self.jvn_ids)
        return data


@dataclass(frozen=True)
class RecommendedUpgrade:
    """Update ``product`` to ``fixed_per_line``'s version (its release line's highest fix)."""

    product: str
    fixed_per_line: dict[tuple[int, ...], str]
    resolves: int
    scheme: str = "generic"

    def to_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "fixed": {".".join(map(str, line)): v for line, v in self.fixed_per_line.items()},
            "resolves": self.resolves,
        }


def recommended_upgrades(upgrades: Iterable[Upgrade]) -> tuple[RecommendedUpgrade, ...]:
    """The updates that apply every one of ``upgrades``: the one rule the CLI, the stored
    findings and the report name a device's fix by.

    Fixes are grouped by version scheme and each group's release lines get their highest
    fixed version, compared in that scheme: versions of two schemes (FortiOS and
    OpenSSH) are never compared with each other. The group with the most fixes comes
    first (on a device: its firmware); its product is the name most of them give.
    """
    groups: dict[str, list[Upgrade]] = {}
    for upgrade in upgrades:
        if upgrade.fixed_version:
            groups.setdefault(upgrade.scheme, []).append(upgrade)
    found = [
        RecommendedUpgrade(
            product=_most_named(u.product for u in group),
            fixed_per_line=scheme(name).highest_per_line(u.fixed_version for u in group),
            resolves=len(group),
            scheme=name,
        )
        for name, group in groups.items()
    ]
    return tuple(sorted(found, key=lambda u: -u.resolves))


def _most_named(names: Iterable[str]) -> str:
    """The name given most often ("" when none is); the first given on a tie."""
    counted = Counter(n for n in names if n)
    return counted.most_common(1)[0][0] if counted else ""


@dataclass(frozen=True)
class FirmwareCheck:
    vendor: str
    model: str
    version: str | None
    status: FirmwareStatus
    normalised_version: str | None
    message_ja: str
    message_en: str
    matches: tuple[VulnMatch, ...] = field(default=())

    def message(self, lang: str) -> str:
        return in_language(lang, self.message_ja, self.message_en)

    def upgrades(self) -> tuple[RecommendedUpgrade, ...]:
        """What to update to so that every affecting match with a known fix is fixed
        (``recommended_upgrades``); a "possible" match is a missing answer, not a fix to
        ask for, as in the findings and the report."""
        found = recommended_upgrades(
            u for m in self.matches if m.status == "affected" and (u := m.upgrade()) is not None
        )
        return tuple(
            u
            if u.product
            else RecommendedUpgrade(self.model, u.fixed_per_line, u.resolves, u.scheme)
            for u in found
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "upgrades": [u.to_dict() for u in self.upgrades()],
            "vendor": self.vendor,
            "model": self.model,
            "version": self.version,
            "status": self.status.value,
            "normalised_version": self.normalised_version,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
            "matches": [m.to_dict() for m in self.matches],
        }


@dataclass(frozen=True)
class SourceInfo:
    """One source of the knowledge base: whether it is loaded, how many records, its date.

    ``date`` is when the source was loaded (the snapshot's own date for the snapshot);
    ``version`` the source's own edition where it has one (the KEV catalogue version).
    """

    name: str
    loaded: bool
    records: int
    date: str | None
    version: str | None = None


@dataclass(frozen=True)
class Coverage:
    """Whether the knowledge base has any record for a product (line) at all.

    ``covered`` False means "not covered by the knowledge base": kenshin cannot say
    whether the product has known vulnerabilities, and must never say it has none.
    Only records with version data (NVD, JVN, snapshot) cover a product; KEV entries
    alone are counted in ``records`` but do not.
    ``records`` counts the records per source (``nvd``, ``kev``, ``jvn``, ``snapshot``)
    naming one of ``products`` (CPE ``vendor:product`` names).
    """

    key: str
    name: str
    covered: bool
    records: dict[str, int]
    products: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KBStatus:
    path: str | None
    built_at: str | None
    cve_count: int
    kev_count: int
    kev_catalog_version: str | None
    jvn_count: int
    snapshot_date: str
    snapshot_count: int
    last_update: dict[str, Any] | None
    sources: tuple[SourceInfo, ...] = ()
    product_lines: tuple[Coverage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
