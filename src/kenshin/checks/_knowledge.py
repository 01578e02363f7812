"""Finding texts and the small lists the checks consult, read from data files."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from kenshin.checks.base import CheckTarget
from kenshin.domain import Confidence, Finding, FindingCategory, FindingSubject, Severity

_CATEGORIES = {
    "exposure": FindingCategory.EXPOSURE,
    "account": FindingCategory.ACCOUNT,
    "backdoor": FindingCategory.BACKDOOR,
    "configuration": FindingCategory.CONFIGURATION,
    "vulnerability": FindingCategory.VULNERABILITY,
}


@dataclass(frozen=True)
class FindingText:
    severity: Severity
    title_ja: str
    title_en: str
    description_ja: str
    description_en: str
    remediation_ja: str
    remediation_en: str


def load_data(name: str) -> Any:
    """A YAML data file from ``kenshin/data/checks``."""
    path = resources.files("kenshin") / "data" / "checks" / name
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def finding_texts() -> dict[str, FindingText]:
    """The entries of ``findings.yaml``, whose keys are ``FindingText``'s fields."""
    return {
        check_id: FindingText(**{**entry, "severity": Severity(entry["severity"])})
        for check_id, entry in load_data("findings.yaml").items()
    }


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def build_finding(
    check_id: str,
    target: CheckTarget,
    *,
    evidence: str,
    detail_ja: str = "",
    detail_en: str = "",
    severity: Severity | None = None,
    confidence: Confidence = Confidence.HIGH,
    service: str | None = None,
    cves: tuple[str, ...] = (),
) -> Finding:
    """A finding about one port, worded from ``findings.yaml``."""
    text = finding_texts()[check_id]
    values = {
        "port": str(target.number),
        "protocol": target.protocol.value,
        "service": service or target.service or "unknown",
        "product": target.product,
        "version": target.version,
    }
    ja = _Blank(values, detail=detail_ja or detail_en)
    en = _Blank(values, detail=detail_en or detail_ja)
    return Finding(
        check_id=check_id,
        category=_CATEGORIES[check_id.split(".", 1)[0]],
        severity=severity or text.severity,
        title_ja=text.title_ja.format_map(ja),
        title_en=text.title_en.format_map(en),
        subject=FindingSubject(
            address=target.address, port=target.number, protocol=target.protocol.value
        ),
        description_ja=text.description_ja.format_map(ja),
        description_en=text.description_en.format_map(en),
        remediation_ja=text.remediation_ja.format_map(ja),
        remediation_en=text.remediation_en.format_map(en),
        evidence=evidence,
        cves=cves,
        confidence=confidence,
    )


def mask(secret: str) -> str:
    """How a credential appears anywhere a person reads: never the value itself."""
    if not secret:
        return "(empty)"
    return "*" * min(len(secret), 8)
