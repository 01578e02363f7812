"""Matching a product version against the records: composing ``VulnMatch`` values.

Per CVE the version data comes from the best source that has it: NVD's analysed
configurations, else kenshin's snapshot, else ranges parsed from JVN's Japanese text.
A CVE that is linked to the product but has none of these is reported as
``no_version_data`` rather than left out.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, insort
from dataclasses import replace

from kenshin.domain import Confidence, Severity
from kenshin.i18n import translate
from kenshin.vulndb.cpe import ANY, CPE, NA
from kenshin.vulndb.evaluate import Evaluation, Target, version_matches
from kenshin.vulndb.kb_reader import CveInfo, Ident, Prepared, RecordGroup, RecordReader
from kenshin.vulndb.matcher import StabbingTree, build_table, locate
from kenshin.vulndb.model import (
    MatchStatus,
    ProductQuery,
    VulnMatch,
)
from kenshin.vulndb.products import (
    ResolvedProduct,
    identity,
    product_name,
    resolve,
    scheme_for,
)
from kenshin.vulndb.records import (
    CpeMatch,
    severity_for,
)
from kenshin.vulndb.snapshot import (
    SnapshotEntry,
    backport_verdict,
    fixed_in,
    last_affected,
)


class Matcher(RecordReader):
    """Known vulnerabilities of a target; each product's segment table prepared once."""

    def _target(self, query: ProductQuery) -> tuple[Target | None, ResolvedProduct | None]:
        if query.cpe:
            cpe = CPE.parse(query.cpe)
            scheme = scheme_for(cpe.vendor, cpe.product)
            version = query.version or None
            if cpe.version not in (ANY, NA):
                version = scheme.combine(cpe.version, cpe.update)
            resolved = resolve(cpe.vendor, cpe.product)
            software = {(cpe.vendor, cpe.product)}
            if resolved is not None:
                software |= set(resolved.software)
            normalised = scheme.normalise(version) if version else None
            return Target(frozenset(software), normalised, scheme), resolved
        resolved = resolve(query.vendor, query.product)
        if resolved is None:
            ident = identity(query.vendor, query.product)
            scheme = scheme_for(*ident)
            normalised = scheme.normalise(query.version) if query.version else None
            return Target(frozenset({ident}), normalised, scheme), None
        normalised = resolved.scheme.normalise(query.version) if query.version.strip() else None
        return (
            Target(
                software=resolved.software,
                version=normalised,
                scheme=resolved.scheme,
                hardware=resolved.hardware,
                hardware_known=resolved.hardware_known,
            ),
            resolved,
        )

    def match(self, query: ProductQuery) -> list[VulnMatch]:
        """Known vulnerabilities of one product version, most severe first."""
        target, _ = self._target(query)
        if target is None:
            return []
        return self.match_target(target, raw_version=query.version)

    def match_target(self, target: Target, raw_version: str = "") -> list[VulnMatch]:
        """Matches for one target; results are remembered (devices repeat versions)."""
        backport = bool(raw_version and _DISTRIBUTION.search(raw_version))
        memo_key = (target, raw_version if backport else "")
        cached = self._result_memo.get(memo_key)
        if cached is None:
            cached = self._match_target(target, raw_version if backport else "")
            if len(self._result_memo) >= 50_000:
                self._result_memo.clear()
            self._result_memo[memo_key] = cached
        return list(cached)

    def _match_target(self, target: Target, raw_version: str) -> tuple[VulnMatch, ...]:
        if len(target.software) == 1:  # the common case, without the merging below
            (ident,) = target.software
            group = self._group(ident, target.scheme.name)
            if not group.no_version_data:
                made, ordered = self._ident_matches(ident, group, target, raw_version)
                return made if ordered else tuple(sorted(made, key=match_order))
        groups = [
            (ident, self._group(ident, target.scheme.name)) for ident in sorted(target.software)
        ]
        unanalysed: dict[str, Ident] = {}
        for ident, group in groups:
            for cve in group.no_version_data:
                if cve not in unanalysed and not any(cve in g.source for _, g in groups):
                    unanalysed[cve] = ident
        per_ident = [
            self._ident_matches(ident, group, target, raw_version) for ident, group in groups
        ]
        found_some = [made for made in per_ident if made[0]]
        if not unanalysed and len(found_some) <= 1 and all(ordered for _, ordered in found_some):
            # the common case: one product with matches, from a prepared segment
            return found_some[0][0] if found_some else ()
        found: dict[str, VulnMatch] = {}
        for made, _ in per_ident:
            for match in made:
                old = found.get(match.cve)
                if old is None or _better(match, old):
                    found[match.cve] = match
        for cve, ident in unanalysed.items():
            if cve not in found:
                found[cve] = self._no_data_match(cve, ident)
        return tuple(sorted(found.values(), key=match_order))

    def _ident_matches(
        self, ident: Ident, group: RecordGroup, target: Target, raw_version: str
    ) -> tuple[tuple[VulnMatch, ...], bool]:
        """One product's matches, and whether they are already in output order."""
        key = target.key()
        evaluations: dict[str, Evaluation]
        if key is not None and not raw_version:
            prepared = self._prepared(ident, group, target)
            segment = locate(prepared.bounds, key)
            if segment is not None:
                numbers = prepared.tree.stab(segment)
                numbers.sort()
                if not prepared.fallback and (not numbers or numbers[0] >= 0):
                    return tuple(map(prepared.ordered.__getitem__, numbers)), True
                with self._lock:
                    index = self._index(ident, group)
                first = bisect_left(numbers, 0)
                evaluations = dict(prepared.per_query[-n - 1] for n in numbers[:first])
                evaluations.update(index.evaluate(prepared.fallback, target))
                ready = list(map(prepared.ordered.__getitem__, numbers[first:]))
                for made in self._make_matches(ident, group, evaluations, target, raw_version):
                    insort(ready, made, key=match_order)  # a few into many already in order
                return tuple(ready), True
        # no version, a distribution banner or an unusual key: every record evaluated
        with self._lock:
            index = self._index(ident, group)
        evaluations = index.evaluate(index.configurations, target)
        return tuple(self._make_matches(ident, group, evaluations, target, raw_version)), False

    def _make_matches(
        self,
        ident: Ident,
        group: RecordGroup,
        evaluations: dict[str, Evaluation],
        target: Target,
        raw_version: str,
    ) -> list[VulnMatch]:
        made = (
            self._make_match(cve, ident, ev, group.source.get(cve, "nvd"), target, raw_version)
            for cve, ev in evaluations.items()
        )
        return [m for m in made if m is not None]

    def _prepared(self, ident: Ident, group: RecordGroup, target: Target) -> Prepared:
        """The product's segment table for this context with every match composed, once."""
        context = target.context()
        prepared = group.prepared.get(context)  # prepared once; reading needs no lock
        if prepared is not None:
            return prepared
        with self._lock:
            prepared = group.prepared.get(context)
            if prepared is None:
                prepared = group.prepared[context] = self._prepare(ident, group, target)
                if not prepared.fallback:
                    group.index = None  # matching needs no record now: let them go
            return prepared

    def _prepare(self, ident: Ident, group: RecordGroup, target: Target) -> Prepared:
        table = build_table(self._index(ident, group).configurations, target)
        base = replace(target, version=None, within=None)
        composed: dict[int, VulnMatch] = {}
        per_query: dict[int, int] = {}
        later: list[tuple[str, Evaluation]] = []
        for _, _, cve, evaluation, within in table.runs:
            if id(evaluation) in composed or id(evaluation) in per_query:
                continue
            if cve in self.snapshot.entries:
                per_query[id(evaluation)] = -len(later) - 1
                later.append((cve, evaluation))
                continue
            made = self._make_match(
                cve,
                ident,
                evaluation,
                group.source.get(cve, "nvd"),
                replace(base, within=within),
                "",
            )
            assert made is not None  # only a distribution banner drops a match
            composed[id(evaluation)] = made
        ordered = sorted({id(m): m for m in composed.values()}.values(), key=match_order)
        number = {id(m): i for i, m in enumerate(ordered)}
        numbers = {ev: number[id(m)] for ev, m in composed.items()} | per_query
        stretches = ((first, last, numbers[id(ev)]) for first, last, _, ev, _ in table.runs)
        return Prepared(
            bounds=table.bounds,
            tree=StabbingTree(table.segments, stretches),
            ordered=tuple(ordered),
            per_query=tuple(later),
            fallback=table.fallback,
        )

    def _make_match(
        self,
        cve: str,
        ident: Ident,
        evaluation: Evaluation,
        source: str,
        target: Target,
        raw_version: str,
    ) -> VulnMatch | None:
        entry = self.snapshot.entries.get(cve)
        info = self._info(cve)
        key = target.key()
        status: MatchStatus = "affected" if evaluation.value is True else "possible"
        confidence = Confidence.HIGH
        notes: list[str] = []
        if source == "snapshot":
            checked = bool(entry and {"nvd", "nvd_feed"} & set(entry.checked))
            confidence = Confidence.HIGH if checked else Confidence.MEDIUM
            if info is not None and not info.has_configurations:
                notes.append(f"NVD: {info.vuln_status or 'no'} analysis, no version data yet")
            notes.append("matched by kenshin snapshot")
        elif source == "jvn":
            confidence = Confidence.MEDIUM
            notes.append("matched by JVN affected-version text")
        if entry is not None and ident in entry.any_version_products:
            status = "possible"
            confidence = Confidence.LOW
            notes.append("the version string does not show the patch level")
        if evaluation.value is None:
            confidence = Confidence.MEDIUM if confidence is Confidence.HIGH else Confidence.LOW
            notes.append("platform or version not confirmed")
        if raw_version:
            verdict = backport_verdict(cve, ident, raw_version)
            if verdict is not None:
                outcome, detail = verdict
                if outcome == "fixed":
                    return None
                notes.append(detail)
                if outcome == "unknown":
                    status = "possible"
                    confidence = Confidence.LOW
                    notes.append(translate("vulndb.match.backport_possible", "en"))
        hits = evaluation.hits
        fixed: str | None = None
        last: str | None = None
        for hit in hits:
            if target.version_known and version_matches(hit, target) is True:
                fixed = fixed or hit.end_excluding
                last = last or hit.end_including
        if entry is not None and key is not None:
            fixed = fixed_in(entry, ident, key) or fixed
            last = last or last_affected(entry, ident, key)
        evidence = sys.intern("; ".join([_describe(hits, target), *notes]))  # often repeated
        return self._compose(
            cve, ident, status, confidence, fixed, last, evidence, info, target.scheme.name
        )

    def _no_data_match(self, cve: str, ident: Ident) -> VulnMatch:
        info = self._info(cve)
        state = info.vuln_status if info and info.vuln_status else "no NVD record"
        evidence = f"linked to {ident[0]}:{ident[1]} by KEV/JVN; NVD: {state}, no version data yet"
        return self._compose(
            cve, ident, "no_version_data", Confidence.LOW, None, None, evidence, info
        )

    def _compose(
        self,
        cve: str,
        ident: Ident,
        status: MatchStatus,
        confidence: Confidence,
        fixed: str | None,
        last: str | None,
        evidence: str,
        info: CveInfo | None,
        scheme: str = "generic",
    ) -> VulnMatch:
        """The match, shared with every equal one (a large snapshot repeats many)."""
        memo_key = (cve, ident, status, confidence, fixed, last, evidence, scheme)
        made = self._compose_memo.get(memo_key)
        if made is not None:
            return made
        entry: SnapshotEntry | None = self.snapshot.entries.get(cve)
        kev, kev_date, ransomware, kev_source = self._kev(cve)
        if kev_source and kev_source != "CISA KEV catalogue":
            evidence += f"; {kev_source}"
        cvss = info.cvss if info and info.cvss is not None else (entry.cvss if entry else None)
        product = ident[1].replace("_", " ")
        jvn_ids, jvn_title, jvn_overview = self._jvn(cve)
        description_en = entry.description_en if entry else (info.description_en if info else "")
        if entry:
            title_ja, title_en = entry.title_ja, entry.title_en
        else:
            titles = self._title_memo.get((cve, product))
            if titles is None:  # shared by all matches of the CVE: they are many
                titles = self._title_memo[(cve, product)] = (
                    jvn_title
                    or translate("vulndb.match.title_generic_ja", "ja", product=product, cve=cve),
                    _first_sentence(description_en)
                    or translate("vulndb.match.title_generic_ja", "en", product=product, cve=cve),
                )
            title_ja, title_en = titles
        advice = self._advice(fixed, last, entry)
        made = VulnMatch(
            cve=cve,
            title_ja=title_ja,
            title_en=title_en,
            description_ja=entry.description_ja if entry else jvn_overview,
            description_en=description_en,
            advice_ja=advice["ja"],
            advice_en=advice["en"],
            cvss=cvss,
            severity=severity_for(cvss, Severity.HIGH if kev else Severity.MEDIUM),
            kev=kev,
            kev_date=kev_date,
            ransomware=ransomware,
            jvn_ids=jvn_ids,
            fixed_version=fixed,
            confidence=confidence,
            status=status,
            evidence=evidence,
            product=product_name(*ident),
            scheme=scheme,
            extra_advice_ja=entry.advice_ja if entry else "",
            extra_advice_en=entry.advice_en if entry else "",
        )
        if len(self._compose_memo) < 20_000:
            self._compose_memo[memo_key] = made
        return made

    def _advice(
        self, fixed: str | None, last: str | None, entry: SnapshotEntry | None
    ) -> dict[str, str]:
        """The advice texts, shared between matches (many matches advise the same)."""
        memo_key = (fixed, last, entry.cve if entry else None)
        known = self._advice_memo.get(memo_key)
        if known is not None:
            return known
        if fixed:
            advice = {
                lang: translate("vulndb.match.advice_fixed", lang, fixed=fixed)
                for lang in ("ja", "en")
            }
        elif last:
            advice = {
                lang: translate("vulndb.match.advice_after", lang, last=last)
                for lang in ("ja", "en")
            }
        else:
            advice = {lang: translate("vulndb.match.advice_vendor", lang) for lang in ("ja", "en")}
        if entry:
            advice = {
                "ja": f"{advice['ja']}{entry.advice_ja}",
                "en": f"{advice['en']} {entry.advice_en}",
            }
        if len(self._advice_memo) < 100_000:
            self._advice_memo[memo_key] = advice
        return advice


def _describe(hits: tuple[CpeMatch, ...], target: Target) -> str:
    parts: list[str] = []
    for hit in hits[:3]:
        bounds = []
        if hit.start_including:
            bounds.append(f">= {hit.start_including}")
        if hit.start_excluding:
            bounds.append(f"> {hit.start_excluding}")
        if hit.end_including:
            bounds.append(f"<= {hit.end_including}")
        if hit.end_excluding:
            bounds.append(f"< {hit.end_excluding}")
        c = hit.criteria
        label = f"{c.vendor}:{c.product}"
        if c.version not in (ANY, NA):
            label += f" {c.version}" + (f" {c.update}" if c.update not in (ANY, NA) else "")
        parts.append(label + (" " + " ".join(bounds) if bounds else ""))
    return "matches " + ", ".join(parts)


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    cut = text.find(". ")
    sentence = text if cut < 0 else text[: cut + 1]
    return sentence if len(sentence) <= 160 else sentence[:157] + "..."


_DISTRIBUTION = re.compile(r"debian|ubuntu|raspbian", re.IGNORECASE)


_STATUS_ORDER = {"affected": 0, "possible": 1, "no_version_data": 2}


def match_order(m: VulnMatch) -> tuple[int, int, int, float, str]:
    return (_STATUS_ORDER[m.status], not m.kev, m.severity.rank, -(m.cvss or 0.0), m.cve)


def _better(new: VulnMatch, old: VulnMatch) -> bool:
    return _STATUS_ORDER[new.status] < _STATUS_ORDER[old.status]
