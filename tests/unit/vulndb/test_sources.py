"""The download code against a loopback server that serves the real records.

NVD pages are assembled from the real ``cve`` objects in tests/fixtures/public/nvd, the way
the NVD CVE API 2.0 wraps them (``resultsPerPage``, ``startIndex``, ``totalResults``,
``vulnerabilities: [{"cve": ...}]``); MyJVN answers are the real example responses.
Hand-made answers cover paging, errors, rate limiting and hostile XML.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenshin.vulndb import ProductQuery, VulnDBError, open_knowledge_base
from kenshin.vulndb.sources import (
    JvnApiSource,
    JvnFilesSource,
    KevUrlSource,
    NvdApiSource,
    NvdFilesSource,
)
from kenshin.vulndb.sources.jvn import parse_overview, parse_vuldef
from kenshin.vulndb.sources.nvd import windows
from kenshin.vulndb.update import sources_from_files, update_knowledge_base

from .conftest import FakeClock, FakeServer, make_fetcher


def _nvd_items(public: Path) -> list[dict[str, object]]:
    return [
        {"cve": json.loads(p.read_text("utf-8"))} for p in sorted((public / "nvd").glob("*.json"))
    ]


def _nvd_route(items: list[dict[str, object]], failures: dict[int, list[int]] | None = None):
    """An NVD API imitation; ``failures[startIndex]`` lists statuses to answer first."""
    failures = failures if failures is not None else {}

    def route(path: str, query: dict[str, list[str]], headers: dict[str, str]):
        start = int(query.get("startIndex", ["0"])[0])
        size = int(query.get("resultsPerPage", ["2000"])[0])
        pending = failures.get(start)
        if pending:
            status = pending.pop(0)
            extra = {"Retry-After": "7"} if status == 429 else {}
            return status, b"slow down", extra
        page = items[start : start + size]
        body = {
            "resultsPerPage": len(page),
            "startIndex": start,
            "totalResults": len(items),
            "format": "NVD_CVE",
            "version": "2.0",
            "timestamp": "2026-11-26T00:00:00.000",
            "vulnerabilities": page,
        }
        return 200, json.dumps(body).encode(), {"Content-Type": "application/json"}

    return route


def _kb_cves(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM cve")}
    finally:
        conn.close()


def test_nvd_full_download_pages_through_everything(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    items = _nvd_items(public_data)
    http_server.routes["/rest/json/cves/2.0"] = _nvd_route(items)
    source = NvdApiSource(
        state_dir=tmp_path / "state",
        base_url=http_server.url("/rest/json/cves/2.0"),
        page_size=10,
        fetcher=make_fetcher(fake_clock, limit=2, period=30.0),
    )
    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, [source])
    assert len(_kb_cves(path)) == len(items) == 26
    starts = [int(q["startIndex"][0]) for _, q, _ in http_server.requests]
    assert starts == [0, 10, 20]
    assert fake_clock.sleeps == [30.0]  # the third request waited for the rolling window
    assert not (tmp_path / "state").exists()  # download state removed after the swap


def test_nvd_api_key_is_sent_as_header(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    http_server.routes["/nvd"] = _nvd_route(_nvd_items(public_data))
    fetcher = make_fetcher(fake_clock)
    fetcher.headers = {"apiKey": "test-key-not-real"}
    source = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url=http_server.url("/nvd"),
        api_key="test-key-not-real",
        fetcher=fetcher,
    )
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert http_server.requests[0][2].get("apiKey") == "test-key-not-real"


def test_incremental_update_uses_120_day_windows(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    http_server.routes["/nvd"] = _nvd_route(_nvd_items(public_data)[:3])
    since = datetime(2026, 1, 1, tzinfo=UTC)
    until = datetime(2026, 11, 26, tzinfo=UTC)
    source = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url=http_server.url("/nvd"),
        since=since,
        until=until,
        fetcher=make_fetcher(fake_clock),
    )
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    spans = []
    for _, query, _ in http_server.requests:
        start = datetime.fromisoformat(query["lastModStartDate"][0])
        end = datetime.fromisoformat(query["lastModEndDate"][0])
        assert end - start <= timedelta(days=120)
        spans.append((start, end))
    assert spans[0][0] == since
    assert spans[-1][1] == until
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert len(spans) == len(windows(since, until)) == 3


def test_rate_limited_then_served(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    http_server.routes["/nvd"] = _nvd_route(_nvd_items(public_data), {0: [429, 503]})
    source = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url=http_server.url("/nvd"),
        fetcher=make_fetcher(fake_clock, limit=50),
    )
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert 7.0 in fake_clock.sleeps  # Retry-After honoured
    assert 2.0 in fake_clock.sleeps  # then exponential back-off
    assert len(_kb_cves(tmp_path / "kb.sqlite3")) == 26


def test_failure_keeps_the_previous_knowledge_base_and_resumes(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["kev"]))
    before = path.read_bytes()
    items = _nvd_items(public_data)
    http_server.routes["/nvd"] = _nvd_route(items, {10: [503, 503, 503, 503]})
    source = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url=http_server.url("/nvd"),
        page_size=10,
        fetcher=make_fetcher(fake_clock, retries=3),
    )
    with pytest.raises(VulnDBError) as failure:
        update_knowledge_base(path, [source])
    assert "HTTP 503" in failure.value.message("en")
    assert path.read_bytes() == before  # untouched
    status = open_knowledge_base(path).status()
    assert status.kev_count == 1404
    assert status.cve_count == 0
    assert status.last_update is not None
    assert status.last_update["ok"] is False
    assert "503" in status.last_update["reason"]
    assert not list(tmp_path.glob("kb.sqlite3.building-*"))
    # the next run resumes at page 2: page 1 is not asked for again
    http_server.requests.clear()
    source2 = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url=http_server.url("/nvd"),
        page_size=10,
        fetcher=make_fetcher(fake_clock),
    )
    update_knowledge_base(path, [source2])
    assert [int(q["startIndex"][0]) for _, q, _ in http_server.requests] == [10, 20]
    assert len(_kb_cves(path)) == 26
    assert open_knowledge_base(path).status().kev_count == 1404


def test_malformed_page_fails_cleanly(
    http_server: FakeServer, tmp_path: Path, fake_clock: FakeClock
) -> None:
    http_server.routes["/nvd"] = lambda p, q, h: (
        200,
        b'{"totalResults": 5, "vulnerabilities": [',
        {},
    )
    source = NvdApiSource(
        state_dir=tmp_path / "s", base_url=http_server.url("/nvd"), fetcher=make_fetcher(fake_clock)
    )
    with pytest.raises(VulnDBError) as failure:
        update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert "Cannot read" in failure.value.message("en")
    assert not (tmp_path / "kb.sqlite3").exists()


def test_network_error_is_reported(tmp_path: Path, fake_clock: FakeClock) -> None:
    # a loopback port with nothing listening
    source = NvdApiSource(
        state_dir=tmp_path / "s",
        base_url="http://127.0.0.1:9/nvd",
        fetcher=make_fetcher(fake_clock, retries=1),
    )
    with pytest.raises(VulnDBError) as failure:
        update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert "ConnectError" in failure.value.message("en")


def test_kev_over_http(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    body = (public_data / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
    http_server.routes["/kev.json"] = lambda p, q, h: (200, body, {})
    source = KevUrlSource(url=http_server.url("/kev.json"), fetcher=make_fetcher(fake_clock))
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert open_knowledge_base(tmp_path / "kb.sqlite3").status().kev_catalog_version == "2025.08.25"


def test_myjvn_overview_then_details(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    hnd = public_data / "jvn" / "hnd"
    overview = (hnd / "getVulnOverviewList_hnd.xml").read_bytes()
    details = {
        p.stem.split("_hnd_")[1]: p.read_bytes() for p in hnd.glob("getVulnDetailInfo_hnd_*.xml")
    }

    def route(path: str, query: dict[str, list[str]], headers: dict[str, str]):
        method = query["method"][0]
        if method == "getVulnOverviewList":
            return 200, overview, {}
        ids = query["vulnId"][0].split("+")
        known = [i for i in ids if i in details]
        return (200, details[known[0]], {}) if known else (200, details["JVNDB-2022-000097"], {})

    http_server.routes["/myjvn"] = route
    source = JvnApiSource(base_url=http_server.url("/myjvn"), fetcher=make_fetcher(fake_clock))
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    methods = [q["method"][0] for _, q, _ in http_server.requests]
    assert methods[0] == "getVulnOverviewList"
    assert "getVulnDetailInfo" in methods
    ids, total = parse_overview(overview)
    assert total == 6
    assert len(ids) >= 2
    assert open_knowledge_base(tmp_path / "kb.sqlite3").status().jvn_count >= 1


XML_BOMB = textwrap.dedent("""\
    <?xml version="1.0"?>
    <!DOCTYPE lolz [
      <!ENTITY lol "lol">
      <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
    ]>
    <VULDEF-Document xmlns="http://jvn.jp/vuldef/"><Vulinfo><VulinfoID>&lol3;</VulinfoID></Vulinfo></VULDEF-Document>
    """).encode()


def test_xml_bomb_is_refused_and_the_old_kb_stays(
    http_server: FakeServer, public_data: Path, tmp_path: Path, fake_clock: FakeClock
) -> None:
    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["jvn"]))
    before = path.read_bytes()
    http_server.routes["/myjvn"] = lambda p, q, h: (200, XML_BOMB, {})
    source = JvnApiSource(base_url=http_server.url("/myjvn"), fetcher=make_fetcher(fake_clock))
    with pytest.raises(VulnDBError) as failure:
        update_knowledge_base(path, [source])
    assert "dangerous XML" in failure.value.message("en")
    assert path.read_bytes() == before
    with pytest.raises(VulnDBError):
        parse_vuldef(XML_BOMB)


def test_malformed_upstream_files_fail_with_a_reason(public_data: Path, tmp_path: Path) -> None:
    bad = public_data / "jvn" / "malformed_upstream"
    with pytest.raises(VulnDBError) as xml_failure:
        parse_overview((bad / "dataFeed_jvndb_rss_hnd.xml").read_bytes(), "rss")
    assert "Cannot read" in xml_failure.value.message("en")
    with pytest.raises(VulnDBError) as json_failure:
        update_knowledge_base(tmp_path / "kb.sqlite3", [JvnFilesSource(bad)])
    assert "Expecting value" in json_failure.value.message("en")
    assert not (tmp_path / "kb.sqlite3").exists()
    status = open_knowledge_base(tmp_path / "kb.sqlite3").status()
    assert status.last_update is not None
    assert not status.last_update["ok"]


def test_every_published_example_parses(public_data: Path) -> None:
    entries = [
        *JvnFilesSource(public_data / "jvn" / "hnd").entries(),
        *JvnFilesSource(public_data / "jvn" / "oka").entries(),
    ]
    ids = {e.id for e in entries}
    assert {"JVNDB-2025-000002", "JVNDB-2022-000097", "JVNDB-2021-002774"} <= ids
    aterm = next(e for e in entries if e.id == "JVNDB-2025-000002")
    wg2600hs = [a for a in aterm.affected if a.product == "aterm_wg2600hs_firmware"]
    assert wg2600hs
    assert wg2600hs[0].end_excluding == "1.7.2"
    assert wg2600hs[0].parsed
    assert set(wg2600hs[0].cves) == {"CVE-2025-0354", "CVE-2025-0355"}
    trend = next(e for e in entries if e.id == "JVNDB-2021-002774")
    assert trend.cves == ("CVE-2021-36745",)
    assert any(not a.parsed and "NetApp" in a.text for a in trend.affected)  # kept as text


def test_nvd_files_reader_takes_pages_too(public_data: Path, tmp_path: Path) -> None:
    page = {
        "resultsPerPage": 2,
        "startIndex": 0,
        "totalResults": 2,
        "vulnerabilities": _nvd_items(public_data)[:2],
    }
    (tmp_path / "nvd-page.json").write_text(json.dumps(page))
    (tmp_path / "nvd-broken-record.json").write_text(json.dumps({"id": "not-a-cve"}))
    source = NvdFilesSource(tmp_path)
    update_knowledge_base(tmp_path / "kb.sqlite3", [source])
    assert len(_kb_cves(tmp_path / "kb.sqlite3")) == 2
    assert len(source.skipped) == 1


KILLED_UPDATE = """
import sys, time
from pathlib import Path
from kenshin.vulndb.records import parse_nvd_record
from kenshin.vulndb.sources import SourceResult, VulnSource
from kenshin.vulndb.update import update_knowledge_base

class Slow(VulnSource):
    name = "nvd"
    def load(self, sink):
        def records():
            print("writing", flush=True)
            for i in range(10_000):
                yield parse_nvd_record({"id": f"CVE-2099-{i:05d}"})
                time.sleep(0.01)
        return SourceResult("nvd", sink.add_cves(records()))

update_knowledge_base(Path(sys.argv[1]), [Slow()])
"""


def test_killed_update_leaves_the_previous_knowledge_base(
    public_data: Path, tmp_path: Path
) -> None:
    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["nvd"]))
    before = path.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_UPDATE, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
        assert list(tmp_path.glob("kb.sqlite3.building-*"))
    finally:
        child.kill()
        child.wait(timeout=30)
    assert path.read_bytes() == before
    kb = open_knowledge_base(path)
    assert kb.status().cve_count == 26
    kb.close()
    update_knowledge_base(path, sources_from_files(public_data, ["kev"]))  # next build cleans up
    assert not list(tmp_path.glob("kb.sqlite3.building-*"))


def test_interrupted_update_says_so(public_data: Path, tmp_path: Path) -> None:
    class Interrupting(NvdFilesSource):
        def load(self, sink):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

    path = tmp_path / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["kev"]))
    with pytest.raises(KeyboardInterrupt):
        update_knowledge_base(path, [Interrupting(public_data / "nvd")])
    status = open_knowledge_base(path).status()
    assert status.kev_count == 1404
    assert status.last_update is not None
    assert "interrupted" in status.last_update["reason"]


def _page(cve: str, product: str) -> dict[str, object]:
    criteria = f"cpe:2.3:a:acme:{product}:*:*:*:*:*:*:*:*"
    match = {"vulnerable": True, "criteria": criteria, "versionEndExcluding": "2.0"}
    record = {
        "id": cve,
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "x"}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": False, "cpeMatch": [match]}]}],
    }
    return {"resultsPerPage": 1, "totalResults": 1, "vulnerabilities": [{"cve": record}]}


@pytest.mark.parametrize("first_build", [True, False])
def test_a_cve_listed_twice_keeps_only_its_last_products(tmp_path: Path, first_build: bool) -> None:
    """A first build skips deleting from empty tables, but a repeated CVE still replaces."""
    folder = tmp_path / "nvd"
    folder.mkdir()
    (folder / "nvd-page-0000.json").write_text(json.dumps(_page("CVE-2099-0001", "old_name")))
    (folder / "nvd-page-0001.json").write_text(json.dumps(_page("CVE-2099-0001", "new_name")))
    kb = tmp_path / "kb.sqlite3"
    if not first_build:
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "nvd-page-0000.json").write_text(
            json.dumps(_page("CVE-2099-0002", "other"))
        )
        update_knowledge_base(kb, sources_from_files(tmp_path / "other", ["nvd"]))
    update_knowledge_base(kb, sources_from_files(tmp_path, ["nvd"]))
    conn = sqlite3.connect(kb)
    links = conn.execute("SELECT product FROM cve_product WHERE cve = 'CVE-2099-0001'").fetchall()
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.close()
    assert links == [("new_name",)]
    assert "cve_product_cve" in indexes
    matches = open_knowledge_base(kb).match(
        ProductQuery(vendor="acme", product="new_name", version="1.0")
    )
    assert [m.cve for m in matches] == ["CVE-2099-0001"]
