"""Importing terminal files into an engagement: matching, the limit, all-or-nothing, re-import."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from sqlalchemy import func, select
from terminal_helpers import TODAY, fixture_bytes, fixture_payload, sealed

from kenshin.domain import Engagement, EngagementStatus, FindingStatus
from kenshin.store import EngagementRepository, FindingRepository, Store, open_store
from kenshin.store.models_terminals import TerminalResultRow, TerminalVerdictRow
from kenshin.terminals import (
    TerminalError,
    check_files,
    demo_terminal_files,
    import_demo_terminals,
    import_terminal_files,
    store_checked_files,
    stored_assessments,
)


@pytest.fixture
def store(store_url: str, demo_engagement: Engagement) -> Store:
    opened = open_store(store_url)
    with opened.session() as session:
        EngagementRepository(session).save(demo_engagement)
    return opened


def _for_host(host: str, name: str = "win10-22h2-no-esu.json") -> bytes:
    payload: dict[str, Any] = fixture_payload(name)
    payload["host"]["name"] = host
    payload["host"]["dns_host_name"] = host
    return sealed(payload)


def _counts(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        results = session.scalar(select(func.count()).select_from(TerminalResultRow)) or 0
        verdicts = session.scalar(select(func.count()).select_from(TerminalVerdictRow)) or 0
        findings = len(FindingRepository(session).list("demo-2026"))
    return results, verdicts, findings


def test_demo_terminals_import_and_read_back(store: Store) -> None:
    with store.session() as session:
        imported = import_demo_terminals(session, "demo-2026", TODAY)
    assert sorted(a.terminal_key or "" for a in imported) == [
        "T-01",
        "T-02",
        "T-03",
        "T-04",
        "T-05",
    ]
    with store.session() as session:
        stored = stored_assessments(session, "demo-2026")
    assert [a.terminal_key for a in stored] == ["T-01", "T-02", "T-03", "T-04", "T-05"]
    by_key = {a.terminal_key: a for a in stored}
    assert by_key["T-02"].verdict("terminal.os.lifecycle").status == "bad"  # Win10, no ESU
    assert by_key["T-02"].verdict("terminal.av.signatures").status == "bad"  # 43 days old
    assert by_key["T-03"].verdict("terminal.usb.mass_storage").status == "bad"  # Windows 7 PACS
    assert by_key["T-03"].os_summary.startswith("Microsoft Windows 7")
    original = {a.terminal_key: a for a in imported}
    for key, assessment in by_key.items():
        assert assessment.verdicts == original[key].verdicts
        assert {f.check_id for f in assessment.findings} == {
            f.check_id for f in original[key].findings
        }
        assert all(f.subject.terminal_key == key for f in assessment.findings)


def test_a_file_for_a_terminal_not_in_the_engagement_is_refused(store: Store) -> None:
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", [("x.json", _for_host("UNKNOWN-PC"))], TODAY)
    message = caught.value.message("ja")
    assert caught.value.key == "terminals.unknown_host"
    assert "UNKNOWN-PC" in message
    assert "EHR-GAIRAI-01" in message
    assert "x.json" in message
    assert _counts(store) == (0, 0, 0)


def test_a_closed_engagement_takes_no_terminal_results(
    store: Store, demo_engagement: Engagement
) -> None:
    """Reading and storing both refuse: the CLI and the web (which reads the files in a
    child and stores afterwards) import through these two steps."""
    data = [("PHARM-01.json", _for_host("PHARM-01"))]
    with store.session() as session:
        checked = check_files(demo_engagement, data)
        EngagementRepository(session).save(
            dataclasses.replace(demo_engagement, status=EngagementStatus.CLOSED)
        )
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", data, TODAY)
    assert caught.value.key == "engagement.closed"
    assert "demo-2026" in caught.value.message("ja")
    with store.session() as session, pytest.raises(TerminalError) as stored:
        store_checked_files(session, "demo-2026", checked, TODAY)
    assert stored.value.key == "engagement.closed"
    assert _counts(store) == (0, 0, 0)


def test_one_bad_file_in_a_batch_stores_nothing(store: Store) -> None:
    good = ("EHR-NS3F-01.json", _for_host("EHR-NS3F-01"))
    bad = ("photo.json", b"\xff\xd8\xff\xe0" + bytes(100))
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", [good, bad], TODAY)
    assert caught.value.message("en").startswith("photo.json: ")
    assert _counts(store) == (0, 0, 0)


def test_two_files_for_one_host_are_refused(store: Store) -> None:
    data = _for_host("PHARM-01")
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", [("a.json", data), ("b.json", data)], TODAY)
    assert caught.value.key == "terminals.duplicate_host"


def test_a_sixth_terminal_is_refused_with_how_to_change_the_limit(store: Store) -> None:
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(
            session, "demo-2026", [("new.json", _for_host("NEW-PC-06"))], TODAY, add_missing=True
        )
    assert caught.value.key == "terminals.limit_reached"
    assert "terminal_limit" in caught.value.message("ja")
    assert "5" in caught.value.message("en")
    assert _counts(store) == (0, 0, 0)


def test_add_missing_registers_a_terminal_within_the_limit(
    store_url: str, demo_engagement: Engagement
) -> None:
    from dataclasses import replace

    store = open_store(store_url)
    fewer = replace(demo_engagement, terminals=demo_engagement.terminals[:4])
    with store.session() as session:
        EngagementRepository(session).save(fewer)
    with store.session() as session:
        imported = import_terminal_files(
            session, "demo-2026", [("new.json", _for_host("NEW-PC-06"))], TODAY, add_missing=True
        )
    assert imported[0].terminal_key == "T-05"
    with store.session() as session:
        terminals = EngagementRepository(session).get("demo-2026").terminals
    assert [t.hostname for t in terminals][-1] == "NEW-PC-06"


def test_reimport_replaces_the_result_and_closes_fixed_findings(store: Store) -> None:
    before = _for_host("EHR-NS3F-01")
    with store.session() as session:
        import_terminal_files(session, "demo-2026", [("a.json", before)], TODAY)
    payload = fixture_payload("win10-22h2-no-esu.json")
    payload["host"]["name"] = payload["host"]["dns_host_name"] = "EHR-NS3F-01"
    payload["firewall"]["profiles"][2]["enabled"] = True  # the hospital fixed the firewall
    with store.session() as session:
        import_terminal_files(session, "demo-2026", [("b.json", sealed(payload))], TODAY)
    results, verdicts, _ = _counts(store)
    assert (results, verdicts) == (1, 15)
    with store.session() as session:
        findings = FindingRepository(session).list("demo-2026")
        firewall = [f for f in findings if f.check_id == "terminal.firewall"]
        assert [f.status for f in firewall] == [FindingStatus.FIXED]
        stored = stored_assessments(session, "demo-2026")[0]
    assert stored.verdict("terminal.firewall").status == "ok"
    assert "terminal.firewall" not in {f.check_id for f in stored.findings}
    # It comes back: the finding opens again.
    with store.session() as session:
        import_terminal_files(session, "demo-2026", [("a.json", before)], TODAY)
        reopened = [
            f
            for f in FindingRepository(session).list("demo-2026")
            if f.check_id == "terminal.firewall"
        ]
    assert [f.status for f in reopened] == [FindingStatus.OPEN]


def test_systeminfo_csv_attaches_by_host_name(store: Store) -> None:
    text = fixture_bytes("systeminfo-en.csv").decode("ascii").replace("OLD-W7-SI", "LAB-LIS-01")
    with store.session() as session:
        imported = import_terminal_files(
            session, "demo-2026", [("si.csv", text.encode("ascii"))], TODAY
        )
    assert imported[0].terminal_key == "T-04"
    assert imported[0].source == "systeminfo.csv"


def test_text_files_of_one_terminal_import_together(store: Store) -> None:
    """systeminfo names the host; the hostless files (reg query, ver) join it."""
    from terminal_helpers import FIXTURES

    text = FIXTURES / "text"
    si = (text / "systeminfo-ja-win10home.txt").read_bytes().decode("cp932")
    files = [
        ("si.txt", si.replace("UKETSUKE-HOME01", "LAB-LIS-01").encode("cp932")),
        ("usb.txt", (text / "reg-usb-ja.txt").read_bytes()),
        ("ver.txt", (text / "winver-ja.txt").read_bytes()),
    ]
    with store.session() as session:
        imported = import_terminal_files(session, "demo-2026", files, TODAY)
    (assessment,) = imported
    assert assessment.terminal_key == "T-04"
    assert assessment.source == "text:systeminfo+reg query+ver"
    assert assessment.verdict("terminal.usb.mass_storage").status == "ok"  # DenyRemovableDevices
    assert assessment.verdict("terminal.rdp").summary_en.startswith("Not examined")
    with store.session() as session:
        (stored,) = [
            a for a in stored_assessments(session, "demo-2026") if a.terminal_key == "T-04"
        ]
    assert stored.source == "text:systeminfo+reg query+ver"


def test_hostless_text_files_alone_cannot_be_imported(store: Store) -> None:
    from terminal_helpers import FIXTURES

    files = [("ver.txt", (FIXTURES / "text" / "ver.txt").read_bytes())]
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", files, TODAY)
    assert caught.value.key == "terminals.text_no_host_at_all"
    assert _counts(store)[0] == 0


def test_demo_files_are_the_five_demo_terminals(demo_engagement: Engagement) -> None:
    hosts = sorted(json.loads(data.decode("utf-8"))["host"] for _, data in demo_terminal_files())
    assert hosts == sorted(t.hostname for t in demo_engagement.terminals)


def test_migration_creates_exactly_the_terminal_tables(store_url: str) -> None:
    """Alembic's comparison of the migrated database with the models finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from kenshin.store.models import Base

    opened = open_store(store_url)
    with opened.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, Base.metadata)
            if "terminal_results" in str(d) or "terminal_verdicts" in str(d)
        ]
    assert differences == []
    with opened.engine.connect() as connection:
        from sqlalchemy import inspect

        tables = set(inspect(connection).get_table_names())
    assert {"terminal_results", "terminal_verdicts"} <= tables


def test_every_fixture_imports_into_an_engagement(
    store_url: str, demo_engagement: Engagement
) -> None:
    from dataclasses import replace

    from terminal_helpers import FIXTURES

    store = open_store(store_url)
    roomy = replace(demo_engagement, code="fixtures-2026", terminals=(), terminal_limit=10)
    with store.session() as session:
        EngagementRepository(session).save(roomy)
    files = [
        (path.name, path.read_bytes())
        for path in sorted(FIXTURES.iterdir())
        if path.suffix in (".json", ".csv")
    ]
    with store.session() as session:
        imported = import_terminal_files(session, "fixtures-2026", files, TODAY, add_missing=True)
    assert len(imported) == len(files) == 8
    with store.session() as session:
        stored = stored_assessments(session, "fixtures-2026")
        engagement = EngagementRepository(session).get("fixtures-2026")
    assert len(stored) == 8
    assert len(engagement.terminals) == 8
    assert {a.host for a in stored} == {t.hostname for t in engagement.terminals}


def test_long_host_names_match_the_15_character_computer_name(
    store_url: str, demo_engagement: Engagement
) -> None:
    """Windows cuts the computer name at 15 characters; the DNS name is whole."""
    from dataclasses import replace

    from kenshin.domain import Terminal, TerminalRole

    store = open_store(store_url)
    long_names = replace(
        demo_engagement,
        terminals=(
            Terminal("T-01", "RADIOLOGY-VIEWER-01", TerminalRole.DEPARTMENTAL),
            Terminal("T-02", "pharmacy-ws.hospital.example", TerminalRole.DEPARTMENTAL),
        ),
    )
    with store.session() as session:
        EngagementRepository(session).save(long_names)
    cut = fixture_payload("win10-22h2-no-esu.json")
    cut["host"]["name"] = "RADIOLOGY-VIEWE"  # what Windows reports
    cut["host"]["dns_host_name"] = None
    dns = fixture_payload("win10-22h2-no-esu.json")
    dns["host"]["name"] = "PHARMACY-WS"
    dns["host"]["dns_host_name"] = "pharmacy-ws.hospital.example"
    with store.session() as session:
        imported = import_terminal_files(
            session, "demo-2026", [("a.json", sealed(cut)), ("b.json", sealed(dns))], TODAY
        )
    assert [a.terminal_key for a in imported] == ["T-01", "T-02"]
    other = fixture_payload("win10-22h2-no-esu.json")
    other["host"]["name"] = "RADIOLOGY-VIEW"  # 14 characters: not a cut name
    other["host"]["dns_host_name"] = "RADIOLOGY-VIEW"
    with store.session() as session, pytest.raises(TerminalError) as caught:
        import_terminal_files(session, "demo-2026", [("c.json", sealed(other))], TODAY)
    assert caught.value.key == "terminals.unknown_host"


def test_an_unknown_stored_verdict_kind_reads_as_unknown() -> None:
    from kenshin.domain import VerdictStatus
    from kenshin.terminals.storage import verdict_status

    assert verdict_status("bad") is VerdictStatus.BAD
    assert verdict_status("catalogue_stale") is VerdictStatus.UNKNOWN
