"""Every real NVD record in tests/fixtures/public/nvd: imported, and its ranges honoured.

For each record with configurations, every vulnerable CPE entry yields test points: the
range's own bounds, versions just inside them, versions just outside (the first fixed
release of an ``end excluding`` range, the release after an ``end including`` one, the
release before the start), and every enumerated release. A point inside an entry must
be affected; a point outside must be affected only if another vulnerable entry of the
same record contains it (checked by a deliberately plain reference comparison).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from kenshin.vulndb import ProductQuery, open_knowledge_base
from kenshin.vulndb.cpe import ANY, NA
from kenshin.vulndb.evaluate import Target, evaluate_all
from kenshin.vulndb.products import scheme_for
from kenshin.vulndb.records import CpeMatch, VulnRecord, parse_nvd_record

from .conftest import public_data_dir


def _records() -> list[VulnRecord]:
    folder = public_data_dir() / "nvd"
    return [
        parse_nvd_record(json.loads(p.read_text("utf-8"))) for p in sorted(folder.glob("*.json"))
    ]


def _bump(version: str, step: int) -> str | None:
    """The same version with its last number moved by ``step`` (None below zero)."""
    numbers = list(re.finditer(r"\d+", version))
    if not numbers:
        return None
    last = numbers[-1]
    value = int(last.group()) + step
    if value < 0:
        return None
    width = len(last.group()) if last.group().startswith("0") else 0
    return version[: last.start()] + str(value).zfill(width) + version[last.end() :]


def _version_of(m: CpeMatch) -> str:
    s = scheme_for(m.criteria.vendor, m.criteria.product)
    return s.combine(m.criteria.version, m.criteria.update)


def _reference_contains(m: CpeMatch, version: str) -> bool:
    """A plain per-entry check, independent of the evaluator and the index."""
    s = scheme_for(m.criteria.vendor, m.criteria.product)
    k = s.key(version)
    if m.criteria.version not in (ANY, NA):
        base = s.key(m.criteria.version)
        if m.criteria.update == ANY:
            return k == base or (
                k[: len(base) - 1] == base[:-1]
                and len(k) > len(base)
                and k[len(base) - 1][0] in (0, 1)
            )
        return k == s.key(_version_of(m))
    if not m.has_range:
        return True
    checks = [
        (m.start_including, lambda b: k >= b),
        (m.start_excluding, lambda b: k > b),
        (m.end_including, lambda b: k <= b),
        (m.end_excluding, lambda b: k < b),
    ]
    return all(check(s.key(bound)) for bound, check in checks if bound)


@dataclass(frozen=True)
class Point:
    cve: str
    product: tuple[str, str]
    version: str
    inside: bool  # inside the entry the point was made from
    why: str

    def __str__(self) -> str:
        return f"{self.cve}:{self.product[1]}:{self.version}:{self.why}"


def _points() -> list[Point]:
    points: list[Point] = []
    for record in _records():
        for config in record.configurations or ():
            for node in config.nodes:
                for m in node.matches:
                    if not m.vulnerable:
                        continue
                    ident = (m.criteria.vendor, m.criteria.product)
                    cve = record.cve
                    if m.criteria.version not in (ANY, NA):
                        release = _version_of(m)
                        points.append(Point(cve, ident, release, True, "enumerated"))
                        after = _bump(release, 1)
                        if after:
                            points.append(Point(cve, ident, after, False, "after-enumerated"))
                        continue
                    if m.start_including:
                        points.append(Point(cve, ident, m.start_including, True, "start"))
                        before = _bump(m.start_including, -1)
                        if before:
                            points.append(Point(cve, ident, before, False, "before-start"))
                    if m.end_including:
                        points.append(Point(cve, ident, m.end_including, True, "end-incl"))
                        after = _bump(m.end_including, 1)
                        if after:
                            points.append(Point(cve, ident, after, False, "after-end-incl"))
                    if m.end_excluding:
                        points.append(Point(cve, ident, m.end_excluding, False, "first-fixed"))
                        before = _bump(m.end_excluding, -1)
                        lower = m.start_including or m.start_excluding
                        if before and (
                            lower is None
                            or scheme_for(*ident).key(before) > scheme_for(*ident).key(lower)
                        ):
                            points.append(Point(cve, ident, before, True, "before-fixed"))
    return points


POINTS = _points()
RECORDS = {r.cve: r for r in _records()}


def _target(point: Point, record: VulnRecord) -> Target:
    hardware: set[tuple[str, str]] = set()
    for config in record.configurations or ():
        for node in config.nodes:
            for m in node.matches:
                if m.criteria.part == "h":
                    hardware.add((m.criteria.vendor, m.criteria.product))
    return Target(
        software=frozenset({point.product}),
        version=point.version,
        scheme=scheme_for(*point.product),
        hardware=frozenset(hardware),
        hardware_known=True,
    )


def test_there_are_many_points() -> None:
    assert len(POINTS) > 400
    assert {p.why for p in POINTS} >= {
        "enumerated",
        "start",
        "end-incl",
        "first-fixed",
        "before-fixed",
        "after-end-incl",
    }


@pytest.mark.parametrize("point", POINTS, ids=str)
def test_version_point(point: Point) -> None:
    record = RECORDS[point.cve]
    evaluation = evaluate_all(record.configurations or (), _target(point, record))
    vulnerable_entries = [
        m
        for config in record.configurations or ()
        for node in config.nodes
        for m in node.matches
        if m.vulnerable and (m.criteria.vendor, m.criteria.product) == point.product
    ]
    expected = point.inside or any(
        _reference_contains(m, point.version) for m in vulnerable_entries
    )
    assert (evaluation.value is True and bool(evaluation.hits)) is expected


def test_every_record_is_imported(real_kb_path: Path, public_data: Path) -> None:
    files = sorted((public_data / "nvd").glob("CVE-*.json"))
    conn = sqlite3.connect(real_kb_path)
    try:
        stored = {row[0] for row in conn.execute("SELECT id FROM cve")}
    finally:
        conn.close()
    assert stored == {p.stem for p in files}


def test_unanalysed_record_has_no_configurations(real_kb_path: Path) -> None:
    conn = sqlite3.connect(real_kb_path)
    try:
        row = conn.execute(
            "SELECT vuln_status, configurations FROM cve WHERE id = 'CVE-2024-3400'"
        ).fetchone()
    finally:
        conn.close()
    assert row == ("Awaiting Analysis", None)


@pytest.mark.parametrize(
    ("cve", "vendor", "product", "version", "expected"),
    [
        # firmware on hardware: YAMAHA RTX1210 firmware needs the RTX1210 box
        ("CVE-2021-20843", "YAMAHA", "RTX1210", "Rev.14.01.38", True),
        ("CVE-2021-20843", "YAMAHA", "RTX1210", "Rev.14.01.39", False),
        ("CVE-2021-20843", "YAMAHA", "RTX830", "Rev.14.01.38", True),  # 830 range is 15.02.17
        ("CVE-2020-5548", "YAMAHA", "RTX1210", "Rev.14.01.33", True),
        ("CVE-2020-5548", "YAMAHA", "RTX1210", "Rev.14.01.34", False),
        # enumerated releases in the update field
        ("CVE-2019-11510", "Pulse Secure", "Pulse Connect Secure", "9.0R3.3", True),
        ("CVE-2019-11510", "Ivanti", "Connect Secure", "9.0R3.4", False),
        ("CVE-2023-46805", "Ivanti", "Connect Secure", "9.1R11.4", True),
        ("CVE-2023-46805", "Ivanti", "Connect Secure", "9.0R6", True),  # 9.0:* = any 9.0
        # Citrix build numbers
        ("CVE-2023-4966", "Citrix", "NetScaler ADC", "13.1-49.13", True),
        ("CVE-2023-4966", "Citrix", "NetScaler ADC", "13.1-49.15", False),
        # SonicOS builds with letters
        ("CVE-2024-40766", "SonicWall", "TZ 470", "7.0.1-5035", True),
        ("CVE-2024-40766", "SonicWall", "TZ 470", "7.0.1-5145", False),
        ("CVE-2024-40766", "SonicWall", "NSA 2650", "6.5.4.15-116n", False),
        ("CVE-2024-40766", "SonicWall", "NSA 2650", "6.5.4.14-109n", True),
    ],
)
def test_real_records_through_the_public_api(
    real_kb_path: Path, cve: str, vendor: str, product: str, version: str, expected: bool
) -> None:
    kb = open_knowledge_base(real_kb_path)
    try:
        found = {m.cve: m for m in kb.match(ProductQuery(vendor, product, version))}
    finally:
        kb.close()
    hit = found.get(cve)
    assert (hit is not None and hit.status == "affected") is expected, found.get(cve)


def test_yamaha_model_not_matching_hardware_is_not_affected(real_kb_path: Path) -> None:
    kb = open_knowledge_base(real_kb_path)
    try:
        # the NVR510 has its own firmware line; an RTX1210 revision on it means nothing
        found = {m.cve for m in kb.match(ProductQuery("YAMAHA", "RTX5000", "Rev.14.01.38"))}
    finally:
        kb.close()
    assert "CVE-2021-20843" not in found
