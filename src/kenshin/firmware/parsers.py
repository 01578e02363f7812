"""Reading what vendors paste from their devices: vendor, model, firmware version, WAN addresses.

The formats are data: one rule file per vendor in ``firmware/rules/`` (see its README),
read and applied by ``firmware/recognisers.py``. This module turns what the rules read
into one answer: the device (vendor, model, version in the vendor's own notation, the
line the version came from), its own WAN addresses with their lines, or - when no rule
reads a version - a clear "not recognised" naming the nearest vendor kenshin knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.domain import Confidence
from kenshin.firmware.recognisers import (
    Hit,
    WanAddress,
    apply_rule,
    apply_wan,
    nearest_vendor,
    rule_files,
    unwrap,
)
from kenshin.i18n import in_language, translate


@dataclass(frozen=True)
class Recognised:
    """One reading of the output by one rule."""

    vendor: str
    model: str
    version: str | None
    format: str
    confidence: Confidence
    line: str = ""
    kind: str = ""


@dataclass(frozen=True)
class ParsedDeviceOutput:
    """What a pasted device output says about the device."""

    vendor: str = ""
    model: str = ""
    version: str | None = None
    wan_addresses: tuple[str, ...] = ()
    recognised: tuple[str, ...] = ()
    confidence: Confidence | None = None
    message_ja: str = ""
    message_en: str = ""
    candidates: tuple[Recognised, ...] = ()
    version_line: str = ""
    kind: str = ""
    wan: tuple[WanAddress, ...] = ()
    nearest_vendor: str | None = None

    @property
    def found(self) -> bool:
        return self.version is not None

    def message(self, lang: str) -> str:
        return in_language(lang, self.message_ja, self.message_en)

    def to_dict(self) -> dict[str, object]:
        return {
            "found": self.found,
            "vendor": self.vendor,
            "model": self.model,
            "version": self.version,
            "version_line": self.version_line,
            "kind": self.kind,
            "wan_addresses": list(self.wan_addresses),
            "wan": [{"address": w.address, "line": w.line, "rule": w.rule} for w in self.wan],
            "recognised": list(self.recognised),
            "confidence": self.confidence.value if self.confidence else None,
            "nearest_vendor": self.nearest_vendor,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }


def _recognised(hit: Hit) -> Recognised:
    rule = hit.rule
    return Recognised(
        rule.vendor, hit.model, hit.version, rule.format, rule.confidence, hit.line, rule.kind
    )


def _wan(text: str, vendors: set[str]) -> tuple[WanAddress, ...]:
    """Own addresses by the WAN rules of the vendors recognised (all when none was)."""
    found: dict[str, WanAddress] = {}
    for vendor in rule_files():
        if vendors and vendor.vendor and vendor.vendor not in vendors:
            continue
        for rule in vendor.wan:
            for address in apply_wan(rule, text):
                found.setdefault(address.address, address)
    return tuple(sorted(found.values(), key=lambda a: text.find(a.line)))


def _best(candidates: list[Recognised]) -> Recognised:
    """The surest reading, the first of equals (callers pass those that name a model)."""
    return min(enumerate(candidates), key=lambda p: (p[1].confidence.doubt, p[0]))[1]


def parse_device_output(text: str) -> ParsedDeviceOutput:
    """Vendor, model, firmware version and WAN addresses found in a pasted output."""
    plain = unwrap(text or "")
    candidates = [
        _recognised(hit)
        for vendor in rule_files()
        for rule in vendor.rules
        for hit in apply_rule(rule, plain)
    ]
    wan = _wan(plain, {c.vendor for c in candidates})
    addresses = tuple(w.address for w in wan)
    recognised = tuple(dict.fromkeys(c.format for c in candidates))
    devices = {(c.vendor, c.version) for c in candidates}
    if len(devices) == 1:
        named = [c for c in candidates if c.model and c.model != _default_model(c)]
        best = _best(named or candidates)
        texts = {
            lang: translate(
                "firmware.parse.found",
                lang,
                vendor=best.vendor,
                model=best.model,
                version=best.version,
                confidence=best.confidence.value,
                recognised=best.format,
            )
            + (translate("firmware.parse.switch", lang) if best.kind == "switch" else "")
            for lang in ("ja", "en")
        }
        return ParsedDeviceOutput(
            vendor=best.vendor,
            model=best.model,
            version=best.version,
            wan_addresses=addresses,
            recognised=recognised,
            confidence=best.confidence,
            message_ja=texts["ja"],
            message_en=texts["en"],
            candidates=tuple(candidates),
            version_line=best.line,
            kind=best.kind,
            wan=wan,
        )
    reason_ja = translate("firmware.parse.none", "ja")
    reason_en = translate("firmware.parse.none", "en")
    nearest = None
    if len(devices) > 1:
        listed = "; ".join(
            sorted({f"{c.vendor} {c.model} {c.version}" for c in candidates}, key=str)
        )
        reason_ja += f"（複数の機器の出力が混在しています: {listed}。1 台ずつ貼り付けてください）"
        reason_en += f" (outputs of several devices are mixed: {listed}; paste one at a time)"
    else:
        nearest = nearest_vendor(plain)
        key = "firmware.parse.nearest" if nearest else "firmware.parse.no_vendor"
        reason_ja += translate(key, "ja", vendor=nearest or "")
        reason_en += " " + translate(key, "en", vendor=nearest or "")
    return ParsedDeviceOutput(
        wan_addresses=addresses,
        recognised=recognised,
        message_ja=reason_ja,
        message_en=reason_en,
        candidates=tuple(candidates),
        wan=wan,
        nearest_vendor=nearest,
    )


def _default_model(candidate: Recognised) -> str:
    for vendor in rule_files():
        for rule in vendor.rules:
            if rule.format == candidate.format:
                return rule.model_default
    return ""
