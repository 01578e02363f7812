"""The recognisers: per-vendor rule files (``firmware/rules/*.yaml``) read into patterns.

The knowledge of how each vendor's output looks lives in the rule files, one per vendor;
this module only reads them and applies them. A rule names the output format, a list
of version patterns tried in order (the first that matches wins, so a special-build
label can be passed over for the release that follows it), and optionally a model
pattern; every rule carries the samples it was written from, which the tests run.
WAN rules name the line an address of the device's *own* is printed on; no rule takes a
peer's, a gateway's or a DNS server's address, and the address filter drops private,
special and placeholder addresses.

SNMP tool output (``snmpget``/``snmpwalk``: ``SNMPv2-MIB::sysDescr.0 = STRING: "..."``,
numeric OIDs, quoted or not) is unwrapped first: each value is added as a line of its
own after the line it came from, so the rules for CLI text read sysDescr values too,
and rules for the vendors' own MIB objects match the original line.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.domain import Confidence
from kenshin.scope import LAB_NETWORK, is_global_unicast

_SNMP_LINE = re.compile(
    r"^\s*(?:(?P<object>[\w-]+::[A-Za-z][\w-]*(?:\.\d+)*|\.?(?:iso|\d+)(?:\.\d+)+)\s*=\s*"
    r"(?:(?:STRING|OCTET STRING|Opaque)\s*:\s*)?|(?:STRING|OCTET STRING)\s*:\s*)(?P<value>.*?)\s*$"
)
_IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")


@dataclass(frozen=True)
class Sample:
    """A text a rule was written from, and what the rule must read in it."""

    text: str
    model: str | None
    version: str | None
    addresses: tuple[str, ...] | None


@dataclass(frozen=True)
class Rule:
    """One output format of one vendor: where the model and the version are printed."""

    id: str
    vendor: str
    format: str
    kind: str
    confidence: Confidence
    versions: tuple[re.Pattern[str], ...]
    model: re.Pattern[str] | None
    model_default: str
    model_template: str
    transform: str
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class WanRule:
    """A line on which the device prints an address of its own, on the WAN side."""

    id: str
    vendor: str
    pattern: re.Pattern[str]
    samples: tuple[Sample, ...]


@dataclass(frozen=True)
class VendorRules:
    """One rule file: a vendor, the words that name it, its formats and WAN lines."""

    vendor: str
    source: str
    names: tuple[re.Pattern[str], ...]
    rules: tuple[Rule, ...]
    wan: tuple[WanRule, ...]


@dataclass(frozen=True)
class Hit:
    """What one rule read: vendor, model, version, and the line the version came from."""

    rule: Rule
    model: str
    version: str
    line: str


@dataclass(frozen=True)
class WanAddress:
    address: str
    line: str
    rule: str


def _samples(raw: list[dict[str, Any]] | None) -> tuple[Sample, ...]:
    out = []
    for item in raw or []:
        addresses = item.get("addresses")
        out.append(
            Sample(
                text=str(item["text"]),
                model=None if item.get("model") is None else str(item["model"]),
                version=None if item.get("version") is None else str(item["version"]),
                addresses=None if addresses is None else tuple(str(a) for a in addresses),
            )
        )
    return tuple(out)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def _vendor_rules(name: str, data: dict[str, Any]) -> VendorRules:
    vendor = str(data["vendor"])
    rules = tuple(
        Rule(
            id=str(r["id"]),
            vendor=str(r.get("vendor", vendor)),
            format=str(r["format"]),
            kind=str(r.get("kind", "")),
            confidence=Confidence(r.get("confidence", "high")),
            versions=tuple(
                _compile(p)
                for p in ([r["version"]] if isinstance(r["version"], str) else r["version"])
            ),
            model=_compile(r["model"]) if r.get("model") else None,
            model_default=str(r.get("model_default", "")),
            model_template=str(r.get("model_template", "{model}")),
            transform=str(r.get("transform", "")),
            samples=_samples(r.get("samples")),
        )
        for r in data.get("rules", [])
    )
    wan = tuple(
        WanRule(
            id=str(w["id"]),
            vendor=vendor,
            pattern=_compile(w["pattern"]),
            samples=_samples(w.get("samples")),
        )
        for w in data.get("wan", []) or []
    )
    names = tuple(re.compile(n, re.IGNORECASE) for n in data.get("names", []))
    return VendorRules(vendor, str(data.get("source", name)), names, rules, wan)


@cache
def rule_files() -> tuple[VendorRules, ...]:
    """Every vendor's rule file, in file-name order."""
    folder = resources.files("kenshin.firmware") / "rules"
    out = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text("utf-8"))
            out.append(_vendor_rules(entry.name, data))
    return tuple(out)


def unwrap(text: str) -> str:
    """The text with line endings made plain and every SNMP value added as its own line."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        lines.append(line)
        m = _SNMP_LINE.match(line)
        if m is None:
            continue
        value = m.group("value")
        if value.startswith('"'):
            value = value[1:]
        if value.endswith('"'):
            value = value[:-1]
        if value:
            lines.append(value)
    return "\n".join(lines)


def _line_of(text: str, position: int) -> str:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start : None if end < 0 else end].strip()


def _transform(version: str, how: str) -> str:
    if how == "strip_leading_zeros":  # IOS XE prints 17.09.04a; advisories say 17.9.4a
        return ".".join(re.sub(r"^0+(?=\d)", "", part) for part in version.split("."))
    return version


def apply_rule(rule: Rule, text: str) -> list[Hit]:
    """What ``rule`` reads in ``text`` (already unwrapped): every distinct version found."""
    hits: list[Hit] = []
    for pattern in rule.versions:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            version = _transform(groups["version"].strip(), rule.transform)
            model = groups.get("model") or ""
            if not model and rule.model is not None:
                found = rule.model.search(text)
                model = (found.group("model") if found else "") or ""
            model = model.strip() or rule.model_default
            if model and model != rule.model_default:
                model = rule.model_template.format(model=model)
            hit = Hit(rule, model, version, _line_of(text, m.start("version")))
            if (hit.model, hit.version) not in {(h.model, h.version) for h in hits}:
                hits.append(hit)
        if hits:
            return hits  # the first pattern that reads anything wins
    return hits


_PLACEHOLDERS = frozenset(
    {
        "1.2.3.4",
        "4.3.2.1",
        "1.1.1.1",
        "2.2.2.2",
        "11.22.33.44",
        "12.34.56.78",
        "123.45.67.89",
        "123.123.123.123",
        "111.111.111.111",
        "1.2.3.5",
        "5.6.7.8",
        "8.8.8.8",
        "8.8.4.4",
    }
)


def own_public_address(raw: str) -> bool:
    """Whether ``raw`` can be a device's own public address (documentation ranges count).

    Private, shared (100.64/10), loopback, link-local, multicast, reserved and
    unspecified addresses are not; nor are placeholders people type when they mask an
    address (``1.2.3.4``, ``123.123.123.123``, four equal octets) and well-known public
    resolvers, which a device output names only as a DNS server.
    """
    try:
        address = ipaddress.IPv4Address(raw)
    except ValueError:
        return False
    if any(address in net for net in _DOCUMENTATION):
        return True
    octets = raw.split(".")
    if raw in _PLACEHOLDERS or len(set(octets)) == 1:
        return False
    return is_global_unicast(address)


_DOCUMENTATION = (
    *(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")),
    LAB_NETWORK,
)


def apply_wan(rule: WanRule, text: str) -> list[WanAddress]:
    """The device's own public addresses ``rule`` finds, each with its line."""
    out: list[WanAddress] = []
    for m in rule.pattern.finditer(text):
        address = m.group("address")
        if _IPV4.fullmatch(address) and own_public_address(address):
            out.append(WanAddress(address, _line_of(text, m.start("address")), rule.id))
    return out


def nearest_vendor(text: str) -> str | None:
    """The known vendor whose names the text mentions most, for "not recognised" answers."""
    best: tuple[int, str] | None = None
    for vendor in rule_files():
        count = sum(len(n.findall(text)) for n in vendor.names)
        if count and (best is None or count > best[0]):
            best = (count, vendor.vendor)
    return best[1] if best else None
