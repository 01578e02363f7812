"""The knowledge base: the built SQLite file (NVD, KEV, JVN) plus the shipped snapshot.

``KnowledgeBase`` answers the rooms' questions: what is loaded (``status``), whether a
product is covered at all (``coverage``), a device's firmware verdict (``check_firmware``)
and a product's matches (``match``, from ``kb_match``; records are read in ``kb_reader``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from kenshin.domain import Confidence, FirmwareStatus
from kenshin.i18n import translate
from kenshin.vulndb.evaluate import Target
from kenshin.vulndb.kb_match import Matcher, match_order
from kenshin.vulndb.kb_reader import Ident, default_path, last_update_path
from kenshin.vulndb.model import (
    Coverage,
    FirmwareCheck,
    KBStatus,
    ProductQuery,
    VulnMatch,
)
from kenshin.vulndb.products import (
    identity,
    resolve,
    rules,
    scheme_for,
    software_of,
    template_pattern,
)
from kenshin.vulndb.snapshot import (
    load_kev_facts,
)


class KnowledgeBase(Matcher):
    """Match products and firmware against known vulnerabilities."""

    def status(self) -> KBStatus:
        meta = self._meta()
        last: dict[str, Any] | None = None
        marker = last_update_path(self.requested_path or default_path())
        if marker.exists():
            try:
                last = json.loads(marker.read_text("utf-8"))
            except (OSError, ValueError):
                last = None
        sources = self.sources()
        return KBStatus(
            path=str(self.path) if self.path else None,
            built_at=meta.get("built_at"),
            cve_count=sources[0].records,
            kev_count=sources[1].records,
            kev_catalog_version=meta.get("kev_catalog_version"),
            jvn_count=sources[2].records,
            snapshot_date=self.snapshot.date,
            snapshot_count=len(self.snapshot.entries),
            last_update=last,
            sources=sources,
            product_lines=self.product_lines(),
        )

    def product_lines(self) -> tuple[Coverage, ...]:
        """Every product line kenshin names (``vulndb/data/products.yaml``), covered or not.

        A line with a model template (``yamaha:{model}_firmware``) is covered when any
        model's records are loaded; ``products`` lists the CPE names that have records.
        """
        out = []
        for rule in rules():
            idents: set[Ident] = set()
            for template in rule.software:
                vendor, pattern = template_pattern(template)
                idents |= {
                    (vendor, p) for p in self._known_products(vendor) if pattern.fullmatch(p)
                }
                if "{" not in template:
                    idents.add((vendor, template.partition(":")[2]))
            records = self._records(frozenset(idents))
            named = sorted(
                f"{v}:{p}" for v, p in idents if _versioned(self._records(frozenset({(v, p)})))
            )
            out.append(
                Coverage(rule.key, rule.name or rule.key, bool(named), records, tuple(named))
            )
        return tuple(out)

    def coverage(self, vendor: str, model: str) -> Coverage:
        """Whether the knowledge base has any record for this product: the call to make
        before saying anything about a device's vulnerabilities.

        ``coverage("NEC", "UNIVERGE IX2215").covered`` is False while no source names
        the IX firmware: report "not covered by the knowledge base" (ask the vendor
        for its advisories), never "no known vulnerabilities".
        """
        resolved = resolve(vendor, model)
        idents = software_of(vendor, model)
        records = self._records(idents)
        name = f"{vendor} {model}".strip()
        return Coverage(
            resolved.key if resolved else "",
            name,
            _versioned(records),
            records,
            tuple(sorted(f"{v}:{p}" for v, p in idents)),
        )

    def check_firmware(self, vendor: str, model: str, version: str | None) -> FirmwareCheck:
        """Known vulnerabilities of a device's firmware, or why they cannot be told."""
        product = f"{vendor} {model}".strip()
        resolved = resolve(vendor, model)
        if resolved is not None and not self.coverage(vendor, model).covered:
            texts = _noted(
                _in_both("vulndb.fw.not_covered", product=product),
                "vulndb.fw.not_covered_kev",
                [f.cve for f in load_kev_facts().of_line(resolved.key)],
            )
            return FirmwareCheck(
                vendor, model, version, FirmwareStatus.NOT_COVERED, None, texts["ja"], texts["en"]
            )
        if resolved is None:
            ident = identity(vendor, model)
            known = self._group(ident, scheme_for(*ident).name)
            if not known.source and not known.no_version_data:
                return FirmwareCheck(
                    vendor,
                    model,
                    version,
                    FirmwareStatus.UNKNOWN_PRODUCT,
                    None,
                    translate("vulndb.fw.unknown_product", "ja", product=product),
                    translate("vulndb.fw.unknown_product", "en", product=product),
                )
        query = ProductQuery(vendor=vendor, product=model, version=version or "")
        target, _ = self._target(query)
        if target is None or target.version is None:
            reason = "" if not version else f"（{version}）"
            return FirmwareCheck(
                vendor,
                model,
                version,
                FirmwareStatus.VERSION_UNKNOWN,
                None,
                translate("vulndb.fw.version_unknown", "ja", product=product, reason=reason),
                translate(
                    "vulndb.fw.version_unknown",
                    "en",
                    product=product,
                    reason=f"({version})" if version else "",
                ),
                tuple(self._kev_of_product(target)) if target else (),
            )
        matches = self.match_target(target, raw_version=version or "")
        # as the known-vulnerability check judges a component: only an "affected" match
        # says the version is vulnerable; "possible" and "no version data" cannot be told
        affected = [m for m in matches if m.status == "affected"]
        possible = [m.cve for m in matches if m.status == "possible"]
        no_data = [m.cve for m in matches if m.status == "no_version_data"]
        if affected:
            texts = _in_both(
                "vulndb.fw.affected",
                product=product,
                version=target.version,
                count=len(affected),
                kev=sum(1 for m in affected if m.kev),
            )
            texts = _noted(texts, "vulndb.fw.cannot_tell_note", possible)
            texts = _noted(texts, "vulndb.fw.no_version_data_note", no_data)
            status = FirmwareStatus.AFFECTED
        elif possible or no_data:
            texts = _in_both(
                "vulndb.fw.cannot_tell",
                product=product,
                version=target.version,
                count=len(possible) + len(no_data),
                cves=", ".join([*possible, *no_data]),
            )
            status = FirmwareStatus.CANNOT_TELL
        else:
            texts = _in_both(
                "vulndb.fw.not_affected",
                product=product,
                version=target.version,
                sources=self.sources_text(),
            )
            status = FirmwareStatus.NOT_AFFECTED
        return FirmwareCheck(
            vendor,
            model,
            version,
            status,
            target.version,
            texts["ja"],
            texts["en"],
            tuple(matches),
        )

    def covers(self, query: ProductQuery) -> bool:
        """Whether the knowledge base holds any record of the product (version aside).

        A product it has nothing on is "not covered": never "no known vulnerabilities".
        """
        target, _ = self._target(query)
        if target is None:
            return False
        for ident in target.software:
            group = self._group(ident, target.scheme.name)
            if group.source or group.no_version_data:
                return True
        return False

    def kev_at_stake(self, query: ProductQuery) -> list[VulnMatch]:
        """The KEV-listed CVEs of a product whose version is unknown (what is at stake)."""
        target, _ = self._target(replace(query, version=""))
        if target is None:
            return []
        return self._kev_of_product(replace(target, version=None))

    def _kev_of_product(self, target: Target) -> list[VulnMatch]:
        """KEV-listed CVEs of a product whose version is unknown, as "possible" hints."""
        out: dict[str, VulnMatch] = {}
        for ident in sorted(target.software):
            group = self._group(ident, target.scheme.name)
            for cve in sorted(set(group.source) | group.no_version_data):
                kev, *_ = self._kev(cve)
                if kev and cve not in out:
                    out[cve] = self._compose(
                        cve,
                        ident,
                        "possible",
                        Confidence.LOW,
                        None,
                        None,
                        "firmware version unknown: cannot tell whether this applies",
                        self._info(cve),
                    )
        return sorted(out.values(), key=match_order)


def _in_both(message_key: str, **params: object) -> dict[str, str]:
    """A firmware check's sentence in Japanese and English, keyed by language."""
    return {lang: translate(message_key, lang, **params) for lang in ("ja", "en")}


def _noted(texts: dict[str, str], message_key: str, cves: list[str]) -> dict[str, str]:
    """``texts`` with a note naming ``cves`` added in each language; unchanged when none."""
    if not cves:
        return texts
    listed = ", ".join(cves)
    return {
        lang: f"{text} {translate(message_key, lang, count=len(cves), cves=listed)}"
        for lang, text in texts.items()
    }


def _versioned(records: dict[str, int]) -> bool:
    """Whether some record can place a version in or out of a range: NVD, JVN or the
    snapshot. KEV entries alone name a product, not its affected versions."""
    return any(records[source] for source in ("nvd", "jvn", "snapshot"))


def open_knowledge_base(path: Path | None = None) -> KnowledgeBase:
    """The active knowledge base; the shipped snapshot alone when none was built."""
    return KnowledgeBase(path if path is not None else default_path())
