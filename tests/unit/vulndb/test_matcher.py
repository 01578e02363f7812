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
    index = ProductIndex(scheme=scheme("fortios"))
    for cve, configs in records:
        index.add(cve, configs, [ident])
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
    index = ProductIndex(scheme=scheme("fortios"))
    for cve, configs in records:
        index.add(cve, configs, [ident])
    results = index.match(Target(frozenset({ident}), None, scheme("fortios")))
    assert results
    assert all(r.value in (None, True) for r in results.values())
