"""The product index finds exactly what a per-record scan finds."""

from __future__ import annotations

import random

import pytest

from kenshin.vulndb.cpe import CPE
from kenshin.vulndb.evaluate import Target
from kenshin.vulndb.matcher import ProductIndex, scan_records
from kenshin.vulndb.records import Configuration, CpeMatch, Node
from kenshin.vulndb.versions import scheme


def _random_records(rng: random.Random, count: int) -> list[tuple[str, tuple[Configuration, ...]]]:
    records = []
    for i in range(count):
        matches = []
        for _ in range(rng.randint(1, 4)):
            major, minor = rng.randint(5, 7), rng.choice([0, 2, 4])
            kind = rng.random()
            base = CPE(part="o", vendor="fortinet", product="fortios")
            if kind < 0.2:
                crit = CPE(
                    part="o",
                    vendor="fortinet",
                    product="fortios",
                    version=f"{major}.{minor}.{rng.randint(0, 15)}",
                )
                matches.append(CpeMatch(criteria=crit))
            elif kind < 0.3:
                matches.append(
                    CpeMatch(criteria=base, end_excluding=f"{major}.{minor}.{rng.randint(1, 9)}")
                )
            elif kind < 0.35:
                matches.append(CpeMatch(criteria=base))
            else:
                low = rng.randint(0, 8)
                high = low + rng.randint(0, 8)
                if rng.random() < 0.5:
                    matches.append(
                        CpeMatch(
                            criteria=base,
                            start_including=f"{major}.{minor}.{low}",
                            end_including=f"{major}.{minor}.{high}",
                        )
                    )
                else:
                    matches.append(
                        CpeMatch(
                            criteria=base,
                            start_excluding=f"{major}.{minor}.{low}",
                            end_excluding=f"{major}.{minor + 1}",
                        )
                    )
        other = CpeMatch(criteria=CPE(part="a", vendor="fortinet", product="fortiproxy"))
        records.append(
            (f"CVE-2099-{i:05d}", (Configuration(nodes=(Node(matches=(*matches, other)),)),))
        )
    return records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_agrees_with_scan(seed: int) -> None:
    rng = random.Random(seed)
    records = _random_records(rng, 200)
    ident = ("fortinet", "fortios")
    index = ProductIndex()
    for cve, configs in records:
        index.add(cve, configs)
    for _ in range(60):
        version = f"{rng.randint(5, 7)}.{rng.choice([0, 1, 2, 4])}.{rng.randint(0, 17)}"
        target = Target(frozenset({ident}), version, scheme("fortios"))
        by_index = {k: v.value for k, v in index.match(target).items()}
        by_scan = {k: v.value for k, v in scan_records(records, target).items()}
        assert by_index == by_scan, version
        assert by_scan  # the generated data is dense enough that something matches


def test_unknown_version_evaluates_everything_as_unknown() -> None:
    records = _random_records(random.Random(5), 20)
    ident = ("fortinet", "fortios")
    index = ProductIndex()
    for cve, configs in records:
        index.add(cve, configs)
    results = index.match(Target(frozenset({ident}), None, scheme("fortios")))
    assert results
    assert all(r.value in (None, True) for r in results.values())


# ---------------------------------------------------------------- the fast path, at random
# Knowledge bases drawn at random, checked against the straightforward per-record scan:
# every kind of version test (ranges with each kind of end, open ends, enumerated releases
# with and without an update, any version), AND/OR, negation, "running on" hardware,
# other products in the same record, over the branch-aware vendor schemes. Queries are
# drawn from the bounds themselves and their neighbours, so every boundary is probed.

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kenshin.vulndb.matcher import SegmentTable, build_table  # noqa: E402

# per scheme: product and a pool of real-looking versions (including update fields)
POOLS: dict[str, tuple[tuple[str, str, str], list[str], list[tuple[str, str]]]] = {
    "fortios": (
        ("o", "fortinet", "fortios"),
        ["6.4.9", "7.0", "7.0.0", "7.0.1", "7.0.11", "7.0.12", "7.2", "7.2.4", "7.2.5", "7.4.1"],
        [("7.0.11", "-"), ("7.2.4", "beta1")],
    ),
    "ivanti": (
        ("a", "ivanti", "connect_secure"),
        ["9.0", "9.0R3", "9.0R3.4", "9.1R11.4", "9.1R11.5", "22.7R2", "22.7R2.3", "22.7R2.4"],
        [("9.1", "r11.4"), ("9.1", "r11.5"), ("22.7", "r2.3"), ("9.0", "r3")],
    ),
    "panos": (
        ("o", "paloaltonetworks", "pan-os"),
        ["10.2.9", "10.2.9-h1", "10.2.9-h11", "10.2.10", "11.0.4-h1", "11.1.2-h3", "11.1"],
        [("10.2.9", "h1"), ("11.1.2", "h3")],
    ),
    "citrix": (
        ("a", "citrix", "netscaler_application_delivery_controller"),
        ["13.1-49.15", "13.1-49.13", "13.1-50.1", "14.1-8.50", "14.1-12.35", "13.0-92.19"],
        [("13.1", "49.15")],
    ),
    "cisco": (
        ("o", "cisco", "ios_xe"),
        ["15.9(3)M7", "15.9(3)M8", "16.12.4", "17.3.1a", "17.3.2", "9.16(4)19", "9.16(4)"],
        [("17.3.1a", "-")],
    ),
    "junos": (
        ("o", "juniper", "junos"),
        ["22.4R3-S2", "22.4R3", "22.4R2-S1", "21.4R3-S5", "23.2R1", "22.4"],
        [("22.4", "r3-s2"), ("22.4", "r3")],
    ),
    "yamaha": (
        ("o", "yamaha", "rtx1210_firmware"),
        ["Rev.14.01.38", "Rev.14.01.41", "Rev.15.02.30", "15.02.31", "10.01.78"],
        [("14.01.38", "-")],
    ),
    "sonicos": (
        ("o", "sonicwall", "sonicos"),
        ["7.0.1-5145", "7.0.1-5161", "6.5.4.14-109n", "7.1.1-7040", "7.0.1"],
        [("7.0.1", "r5145")],
    ),
    "generic": (
        ("a", "openbsd", "openssh"),
        ["8.5p1", "8.5", "9.2p1", "9.7", "9.8p1", "4.4", "1.0rc1", "1.0"],
        [("9.2", "p1"), ("8.5", "-")],
    ),
}
OTHER = ("a", "fortinet", "fortiproxy")
HARDWARE = [("fortinet", "fortigate-6000"), ("yamaha", "rtx1210")]


def _cpe(part: str, vendor: str, product: str, version: str = "*", update: str = "*") -> CPE:
    return CPE(part=part, vendor=vendor, product=product, version=version, update=update)


@st.composite
def entries(draw: st.DrawFn, name: str) -> CpeMatch:
    (part, vendor, product), versions, updates = POOLS[name]
    kind = draw(st.sampled_from(["range", "range", "range", "exact", "update", "any", "na"]))
    vulnerable = draw(st.sampled_from([True, True, True, False]))
    if kind == "exact":
        crit = _cpe(part, vendor, product, draw(st.sampled_from(versions)))
        return CpeMatch(criteria=crit, vulnerable=vulnerable)
    if kind == "update":
        version, update = draw(st.sampled_from(updates))
        return CpeMatch(
            criteria=_cpe(part, vendor, product, version, update), vulnerable=vulnerable
        )
    crit = _cpe(part, vendor, product, "-" if kind == "na" else "*")
    if kind in ("any", "na"):
        return CpeMatch(criteria=crit, vulnerable=vulnerable)
    bound = st.none() | st.sampled_from(versions)
    return CpeMatch(
        criteria=crit,
        vulnerable=vulnerable,
        start_including=draw(bound),
        start_excluding=draw(st.none() | st.none() | st.sampled_from(versions)),
        end_including=draw(bound),
        end_excluding=draw(bound),
    )


@st.composite
def nodes(draw: st.DrawFn, name: str) -> Node:
    own = draw(st.lists(entries(name), min_size=0, max_size=4))
    extra: list[CpeMatch] = []
    if draw(st.booleans()):
        extra.append(CpeMatch(criteria=_cpe(*OTHER), vulnerable=draw(st.booleans())))
    if draw(st.booleans()):
        vendor, product = draw(st.sampled_from(HARDWARE))
        extra.append(CpeMatch(criteria=_cpe("h", vendor, product, "-"), vulnerable=False))
    matches = draw(st.permutations([*own, *extra]))
    return Node(
        operator=draw(st.sampled_from(["OR", "OR", "AND"])),
        negate=draw(st.sampled_from([False, False, False, True])),
        matches=tuple(matches),
    )


@st.composite
def knowledge_bases(draw: st.DrawFn) -> tuple[str, dict[str, tuple[Configuration, ...]]]:
    name = draw(st.sampled_from(sorted(POOLS)))
    records: dict[str, tuple[Configuration, ...]] = {}
    for i in range(draw(st.integers(1, 12))):
        configs = tuple(
            Configuration(
                nodes=tuple(draw(st.lists(nodes(name), min_size=1, max_size=3))),
                operator=draw(st.sampled_from(["OR", "AND"])),
                negate=draw(st.sampled_from([False, False, False, True])),
            )
            for _ in range(draw(st.integers(1, 2)))
        )
        records[f"CVE-2099-{i:05d}"] = configs
    return name, records


def _queries(name: str, records: dict[str, tuple[Configuration, ...]]) -> list[str]:
    """Every version the records name (bounds, releases) and the pool: all the edges."""
    _, versions, updates = POOLS[name]
    found = set(versions)
    s = scheme(name)
    for configs in records.values():
        for config in configs:
            for node in config.nodes:
                for m in node.matches:
                    found.update(
                        v for v in (m.start_including, m.start_excluding, m.end_including) if v
                    )
                    if m.end_excluding:
                        found.add(m.end_excluding)
                    if m.criteria.version not in ("*", "-"):
                        found.add(s.combine(m.criteria.version, m.criteria.update))
    found.update(s.combine(v, u) for v, u in updates)
    return sorted(found)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kb=knowledge_bases(),
    with_other=st.booleans(),
    hardware=st.sampled_from([(), (HARDWARE[0],), (HARDWARE[1],)]),
    hardware_known=st.booleans(),
)
def test_fast_path_agrees_with_per_record_evaluation(
    kb: tuple[str, dict[str, tuple[Configuration, ...]]],
    with_other: bool,
    hardware: tuple[tuple[str, str], ...],
    hardware_known: bool,
) -> None:
    name, records = kb
    (_, vendor, product), _, _ = POOLS[name]
    software = {(vendor, product)} | ({OTHER[1:]} if with_other else set())
    index = ProductIndex()
    for cve, configs in records.items():
        index.add(cve, configs)
    s = scheme(name)
    for version in [*_queries(name, records), None]:
        target = Target(
            frozenset(software),
            s.normalise(version) if version else None,
            s,
            hardware=frozenset(hardware),
            hardware_known=hardware_known,
        )
        assert index.match(target) == scan_records(records.items(), target), version


def test_segments_are_built_from_bounds_and_points() -> None:
    """A range's ends and an enumerated release cut the line; a query binary-searches it."""
    ident = ("ivanti", "connect_secure")
    s = scheme("ivanti")
    crit = CPE(part="a", vendor=ident[0], product=ident[1])
    records = {
        "CVE-2099-00001": (
            Configuration(
                nodes=(
                    Node(
                        matches=(
                            CpeMatch(criteria=crit, start_including="9.0", end_excluding="9.1R3"),
                        )
                    ),
                )
            ),
        ),
        "CVE-2099-00002": (
            Configuration(
                nodes=(Node(matches=(CpeMatch(criteria=CPE("a", *ident, "9.1", "r11.4")),)),)
            ),
        ),
    }
    table: SegmentTable = build_table(records, Target(frozenset({ident}), None, s))
    assert len(table.bounds) == 3
    assert table.segments == 7
    assert not table.fallback
    index = ProductIndex()
    for cve, configs in records.items():
        index.add(cve, configs)
    expect = {
        "9.0": {"CVE-2099-00001"},
        "9.1R2": {"CVE-2099-00001"},
        "9.1R3": set(),
        "9.1R11.4": {"CVE-2099-00002"},
        "9.1R11.5": set(),
        "8.9": set(),
    }
    for version, cves in expect.items():
        assert set(index.match(Target(frozenset({ident}), version, s))) == cves, version
