"""One fix per device: the version every table, the summary and findings.xlsx name.

A device's open findings may each carry an ``Upgrade`` (the first fixed version of one
CVE) and its firmware row a fixed version; the update that closes them all is the
highest fixed version of each release line, compared in the vendor's version scheme
(``VersionScheme.highest_per_line``). Computed once here, read everywhere, so the
firmware table cannot say 7.0.12 while the summary says 7.0.17.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kenshin.assess import AssessedFinding
from kenshin.domain import Upgrade
from kenshin.i18n import translate
from kenshin.report.model import FirmwareRow
from kenshin.vulndb import recommended_upgrades


@dataclass(frozen=True)
class DeviceFix:
    """Update ``product`` to ``per_line``'s versions (one per release line)."""

    product: str
    scheme: str
    per_line: dict[tuple[int, ...], str]

    def label(self, lang: str) -> str:
        """ "7.0.17", or "7.0系は 7.0.17、7.2系は 7.2.8" when the fixes sit on several lines."""
        if len(self.per_line) == 1:
            return next(iter(self.per_line.values()))
        parts = [
            translate("report.action.line", lang, line=".".join(map(str, line)), fixed=fixed)
            for line, fixed in self.per_line.items()
        ]
        return ("、" if lang == "ja" else "; ").join(parts)


def upgrades_of(finding: AssessedFinding) -> list[Upgrade]:
    """Every update any merged finding of this issue asks for."""
    return [f.upgrade for f in finding.merged if f.upgrade is not None]


def highest(
    upgrades: Iterable[Upgrade], extra: Iterable[str] = (), fallback: str = "generic"
) -> DeviceFix | None:
    """The update that fixes every one of ``upgrades`` (plus ``extra`` versions, in the
    ``fallback`` scheme): the first of vulndb's ``recommended_upgrades``, the rule the
    CLI's ``kenshin firmware check`` names too. Fixes of another version scheme (another
    product on the device) are not folded into it."""
    found = list(upgrades)
    found.extend(Upgrade("", v, fallback) for v in extra if v)
    recommended = recommended_upgrades(found)
    if not recommended:
        return None
    first = recommended[0]
    return DeviceFix(first.product, first.scheme, first.fixed_per_line)


def device_fixes(
    findings: Iterable[AssessedFinding], rows: Iterable[FirmwareRow] | None
) -> dict[str, DeviceFix]:
    """Per device key: the update that closes every open finding of it and its firmware row."""
    upgrades: dict[str, list[Upgrade]] = {}
    for finding in findings:
        if finding.device_key and finding.is_open:
            upgrades.setdefault(finding.device_key, []).extend(upgrades_of(finding))
    row_fixes: dict[str, tuple[list[str], str, str]] = {}
    for row in rows or ():
        if row.fixed_version:
            versions = [v.strip() for v in row.fixed_version.split(",") if v.strip()]
            product = f"{row.device.vendor} {row.device.model}".strip()
            row_fixes[row.device.key] = (versions, row.scheme, product)
    fixes: dict[str, DeviceFix] = {}
    for key in dict.fromkeys([*upgrades, *row_fixes]):
        versions, row_scheme, product = row_fixes.get(key, ([], "generic", ""))
        fix = highest(upgrades.get(key, []), versions, row_scheme)
        if fix is not None:
            fixes[key] = fix if fix.product else DeviceFix(product, fix.scheme, fix.per_line)
    return fixes
