"""From the names people write (``Fortinet`` / ``FortiGate 60F``) to CPE identities.

Reads ``vulndb/data/products.yaml``: each entry maps a vendor pattern and a model
pattern to CPE vendor:product names, a version scheme and hardware CPE templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from kenshin.vulndb.cpe import cpe_name
from kenshin.vulndb.versions import VersionScheme, scheme

Ident = tuple[str, str]


@dataclass(frozen=True)
class ProductRule:
    key: str
    vendor: re.Pattern[str]
    model: re.Pattern[str]
    software: tuple[str, ...]
    scheme: str
    hardware: tuple[str, ...]
    strip: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class ResolvedProduct:
    """A product named by a person, in CPE terms."""

    key: str
    software: frozenset[Ident]
    scheme: VersionScheme
    hardware: frozenset[Ident]
    hardware_known: bool


@cache
def rules() -> tuple[ProductRule, ...]:
    text = (resources.files("kenshin.vulndb") / "data" / "products.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return tuple(
        ProductRule(
            key=item["key"],
            vendor=re.compile(item["vendor"]),
            model=re.compile(item["model"]),
            software=tuple(item["software"]),
            scheme=item.get("scheme", "generic"),
            hardware=tuple(item.get("hardware", ())),
            strip=tuple(item.get("strip", ())),
            name=item.get("name", ""),
        )
        for item in data["products"]
    )


def _model_forms(model: str, vendor: str, strip: tuple[str, ...] = ()) -> dict[str, str]:
    text = model.lower()
    for word in (*vendor.lower().split(), *strip):
        text = re.sub(rf"^\s*{re.escape(word)}\s+", "", text)
    words = re.findall(r"[a-z0-9]+", text)
    return {
        "model": "".join(words),
        "model-": "-".join(words),
        "model_": "_".join(words),
    }


def _fill(template: str, forms: dict[str, str]) -> Ident | None:
    value = template
    for name, form in forms.items():
        value = value.replace("{" + name + "}", form)
    vendor, _, product = value.partition(":")
    if not product or "{" in value or product.startswith("_") or "__" in product:
        return None
    return vendor, product


@lru_cache(maxsize=4096)
def resolve(vendor: str, model: str) -> ResolvedProduct | None:
    """The CPE identities for a vendor and a model/product name, or None when unknown."""
    model_text = model.strip().lower()
    # a scanner often knows only the product ("OpenSSH", "Fortinet FortiGate SSL VPN")
    vendor_text = vendor.strip().lower() or model_text
    for rule in rules():
        if not rule.vendor.search(vendor_text) or not rule.model.search(model_text):
            continue
        forms = _model_forms(model, vendor, rule.strip)
        software = {i for t in rule.software if (i := _fill(t, forms)) is not None}
        hardware = {i for t in rule.hardware if (i := _fill(t, forms)) is not None}
        return ResolvedProduct(
            key=rule.key,
            software=frozenset(software),
            scheme=scheme(rule.scheme),
            hardware=frozenset(hardware),
            hardware_known=bool(hardware) and any(c.isdigit() for c in forms["model"]),
        )
    return None


@cache
def product_name(vendor: str, product: str) -> str:
    """The product as reports name it (``FortiOS``); else the CPE product, readable.

    Only a rule's literal software names count: a template (``{model_}_firmware``)
    would claim other products of the vendor.
    """
    wanted = f"{vendor}:{product}"
    for rule in rules():
        if rule.name and wanted in rule.software:
            return rule.name
    return product.replace("_", " ")


def template_pattern(template: str) -> tuple[str, re.Pattern[str]]:
    """The CPE vendor of a software template and a pattern for its product names."""
    t_vendor, _, t_product = template.partition(":")
    pattern = re.escape(t_product).replace(r"\{model_\}", "[a-z0-9_]+")
    pattern = pattern.replace(r"\{model\-\}", "[a-z0-9-]+").replace(r"\{model\}", "[a-z0-9]+")
    return t_vendor, re.compile(pattern)


def _rule_of(vendor: str, product: str) -> ProductRule | None:
    for rule in rules():
        for template in rule.software:
            t_vendor, pattern = template_pattern(template)
            if t_vendor == vendor and pattern.fullmatch(product):
                return rule
    return None


@lru_cache(maxsize=1 << 16)
def scheme_for(vendor: str, product: str) -> VersionScheme:
    """The version scheme for a CPE vendor:product (generic when not in the table)."""
    rule = _rule_of(vendor, product)
    return scheme(rule.scheme if rule else "generic")


@lru_cache(maxsize=4096)
def siblings(vendor: str, product: str) -> frozenset[Ident]:
    """The other CPE names of the same product line (``netscaler_gateway`` and
    ``application_delivery_controller`` ...): NVD names one product several ways."""
    rule = _rule_of(vendor, product)
    found = {(vendor, product)}
    if rule is not None:
        for template in rule.software:
            if "{" not in template:
                t_vendor, _, t_product = template.partition(":")
                found.add((t_vendor, t_product))
    return frozenset(found)


def identity(vendor: str, product: str) -> Ident:
    return cpe_name(vendor), cpe_name(product)


def software_of(vendor: str, model: str) -> frozenset[Ident]:
    """The CPE products a vendor and model name: the table's, else the names in CPE style
    (how a KEV entry is filed and how coverage looks it up: one rule for both)."""
    resolved = resolve(vendor, model)
    return resolved.software if resolved is not None else frozenset({identity(vendor, model)})
