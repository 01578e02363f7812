"""The survey-workflow commands as a surveyor uses them: hearing, requests, targets, diagram."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlalchemy import inspect
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.cli._state import STATE
from kenshin.domain import AddressConfirmation, Engagement, VersionSource
from kenshin.intake import dump_text
from kenshin.requests import RequestError
from kenshin.store import AuditLog, EngagementRepository, open_store
from kenshin.store.models import Base

WORKFLOW_TABLES = {
    "vendor_requests",
    "vendor_request_events",
    "vault_entries",
    "request_attachments",
}


@pytest.fixture
def cli(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    db = isolated_env / "cli.sqlite3"
    monkeypatch.setenv("KENSHIN_DB_URL", f"sqlite:///{db}")
    monkeypatch.setenv("KENSHIN_ACTOR", "調査員A")
    monkeypatch.setenv("COLUMNS", "200")
    STATE._store = None
    yield CliRunner()
    if STATE._store is not None:
        STATE._store.dispose()
    STATE._store = None


def invoke(runner: CliRunner, *args: str, ok: bool = True) -> tuple[str, BaseException | None]:
    result = runner.invoke(app, list(args), catch_exceptions=True)
    if ok:
        assert result.exit_code == 0, (result.output, result.exception)
    return result.output, result.exception


def _load(path: Path, runner: CliRunner, engagement: Engagement) -> None:
    file = path / "engagement.yaml"
    file.write_text(dump_text(engagement), encoding="utf-8")
    invoke(runner, "engagement", "import", str(file))


def _events(action_prefix: str) -> list[str]:
    with STATE.store().session() as session:
        return [
            e.action
            for e in AuditLog(session).events("demo-2026")
            if e.action.startswith(action_prefix)
        ]


def test_migration_matches_the_workflow_tables(store_url: str) -> None:
    store = open_store(store_url)
    assert set(inspect(store.engine).get_table_names()) >= WORKFLOW_TABLES
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if any(t in repr(d) for t in WORKFLOW_TABLES)]
    assert ours == []
    store.dispose()


def test_hearing_template_and_import(cli: CliRunner, isolated_env: Path) -> None:
    invoke(cli, "demo", "--summary-only")
    sheet = isolated_env / "hearing.xlsx"
    out, _ = invoke(cli, "hearing", "template", "demo-2026", "-o", str(sheet))
    assert "ヒアリングシート" in out
    workbook = load_workbook(sheet)
    points = workbook["外部接続点"]
    points["E7"] = "198.18.10.999"
    points["B11"] = "新しい回線"
    points["C11"] = "インターネット回線"
    points["D11"] = "はい"
    points["E11"] = "２０３．０．１１３．７０"
    points["F11"] = "固定IP"
    workbook.save(sheet)
    out, error = invoke(cli, "hearing", "import", "demo-2026", str(sheet), ok=False)
    assert error is not None
    message = getattr(error, "message")("ja")  # noqa: B009
    assert "外部接続点!E7: IPアドレスの形式が正しくありません" in message
    shown, _ = invoke(cli, "engagement", "show", "demo-2026", "--json")
    assert "新しい回線" not in shown  # nothing stored
    out, _ = invoke(cli, "hearing", "import", "demo-2026", str(sheet), "--partial", "--json")
    report = json.loads(out)
    assert report["added"] == {"connection_points": 1}
    assert report["skipped"][0]["row"] == "外部接続点!7行目"
    shown, _ = invoke(cli, "engagement", "show", "demo-2026", "--json")
    assert "203.0.113.70" in shown
    assert "scope.address_added" in _events("scope.")
    again, _ = invoke(cli, "hearing", "import", "demo-2026", str(sheet), "--partial", "--json")
    assert json.loads(again)["added"] == {}  # re-import never duplicates


def test_requests_flow_through_the_command_line(
    cli: CliRunner, isolated_env: Path, demo_engagement: Engagement
) -> None:
    devices = tuple(
        dataclasses.replace(d, firmware_version="", version_source=None) if d.key == "DEV-02" else d
        for d in demo_engagement.devices
    )
    _load(isolated_env, cli, dataclasses.replace(demo_engagement, devices=devices))
    out, _ = invoke(cli, "requests", "draft", "demo-2026", "--json")
    drafted = {r["device"]: r for r in json.loads(out)}
    assert set(drafted) == {"DEV-02", "DEV-03"}
    assert drafted["DEV-03"]["recipient"]["email"] == "remote-care@ehr-vendor.example"
    router = drafted["DEV-02"]["ref"]
    yesterday = (datetime.now(UTC) + timedelta(hours=9) - timedelta(days=1)).date()
    invoke(cli, "requests", "send", router, "--due", yesterday.isoformat())
    listed = json.loads(invoke(cli, "requests", "list", "--json")[0])
    overdue = {r["ref"]: r["overdue"] for r in listed}
    assert overdue[router] is True
    assert overdue[drafted["DEV-03"]["ref"]] is False
    table, _ = invoke(cli, "requests", "list", "demo-2026")
    assert "期限超過" in table
    assert router in table
    letter, _ = invoke(cli, "requests", "show", router)
    assert "件名: 【ご依頼】デモ総合病院" in letter
    out, _ = invoke(
        cli,
        "requests",
        "answer",
        router,
        "--firmware",
        "Rev.14.01.41",
        "--wan-ip",
        "198.18.20.21",
        "--assignment",
        "dynamic",
        "--skip-firmware-check",
    )
    assert "反映しました" in out
    shown = json.loads(invoke(cli, "engagement", "show", "demo-2026", "--json")[0])
    router_doc = next(d for d in shown["devices"] if d["key"] == "DEV-02")
    assert router_doc["firmware_version"] == "Rev.14.01.41"
    assert router_doc["version_source"] == VersionSource.VENDOR.value
    cp02 = next(p for p in shown["connection_points"] if p["key"] == "CP-02")
    assert [a["address"] for a in cp02["addresses"]] == ["198.18.20.21"]
    scope = _events("scope.")
    assert "scope.address_added" in scope
    assert "scope.address_removed" in scope
    assert "requests.answer" in _events("requests.")

    # The Ivanti request goes A → B, and its workbook answer is imported.
    ivanti = drafted["DEV-03"]["ref"]
    out, _ = invoke(cli, "requests", "difficult", ivanti, "--reason", "保守契約の範囲外")
    assert "B:" in out
    listed = json.loads(invoke(cli, "requests", "list", "demo-2026", "--json")[0])
    follow_up = next(r for r in listed if r["follows"] == ivanti)
    assert follow_up["path"] == "B"
    book = isolated_env / "requests.xlsx"
    invoke(cli, "requests", "export", "demo-2026", "-o", str(book), "--ref", follow_up["ref"])
    workbook = load_workbook(book)
    assert "手順案" in workbook.sheetnames
    workbook["ご回答"]["D4"] = "22.7R2.3"
    workbook.save(book)
    out, _ = invoke(cli, "requests", "import", str(book), "--skip-firmware-check")
    assert "1 件" in out
    again, _ = invoke(cli, "requests", "import", str(book), "--skip-firmware-check")
    assert "0 件" in again
    shown = json.loads(invoke(cli, "engagement", "show", "demo-2026", "--json")[0])
    ivanti_doc = next(d for d in shown["devices"] if d["key"] == "DEV-03")
    assert ivanti_doc["version_source"] == VersionSource.HOSPITAL.value  # path B


def test_targets_confirm_list_and_authorise(
    cli: CliRunner, isolated_env: Path, demo_engagement: Engagement
) -> None:
    closed = demo_engagement.point("CP-03")
    from ipaddress import ip_address

    from kenshin.domain import GlobalAddress

    with_closed_address = dataclasses.replace(
        closed, addresses=(GlobalAddress(ip_address("203.0.113.99")),)
    )
    old = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    cp02 = demo_engagement.point("CP-02")
    stale = dataclasses.replace(
        cp02,
        addresses=(
            dataclasses.replace(
                cp02.addresses[0], confirmations=(AddressConfirmation(old, "昨日の人"),)
            ),
        ),
    )
    points = tuple(
        {"CP-03": with_closed_address, "CP-02": stale}.get(p.key, p)
        for p in demo_engagement.connection_points
    )
    _load(isolated_env, cli, dataclasses.replace(demo_engagement, connection_points=points))
    listed = json.loads(invoke(cli, "targets", "list", "demo-2026", "--json")[0])
    status = {a["address"]: a["status"] for a in listed["addresses"]}
    assert status == {
        "198.18.10.10": "fixed",
        "198.18.20.20": "not_confirmed",  # confirmed on another day only
        "203.0.113.99": "closed_network",
    }
    table, _ = invoke(cli, "targets", "list", "demo-2026")
    # the console may wrap the hint (its width is fixed when the process first imports it)
    assert "kenshin targets confirm demo-2026 198.18.20.20" in " ".join(table.split())
    out, error = invoke(cli, "targets", "confirm", "demo-2026", "203.0.113.99", ok=False)
    assert error is not None
    assert "閉域網" in getattr(error, "message")("ja")  # noqa: B009
    out, _ = invoke(cli, "targets", "confirm", "demo-2026", "198.18.10.10")
    assert "確認は不要" in out
    out, _ = invoke(cli, "targets", "confirm", "demo-2026", "198.18.20.20", "--by", "情報 太郎")
    assert "情報 太郎" in out
    listed = json.loads(invoke(cli, "targets", "list", "demo-2026", "--json")[0])
    confirmed = next(a for a in listed["addresses"] if a["address"] == "198.18.20.20")
    assert confirmed["status"] == "confirmed_today"
    assert confirmed["confirmed_by"] == "情報 太郎"
    assert confirmed["target_today"] is True
    invoke(
        cli,
        "targets",
        "authorise",
        "demo-2026",
        "--by",
        "院長 健診 一郎",
        "--document",
        "承諾書 2",
        "--window-start",
        "2026-12-10T20:00",
        "--window-end",
        "2026-12-11T06:00",
    )
    with STATE.store().session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
    assert engagement.authorisation is not None
    assert engagement.authorisation.document_ref == "承諾書 2"
    assert engagement.window is not None
    assert engagement.window.starts_at == datetime(2026, 12, 10, 11, 0, tzinfo=UTC)
    history = json.loads(invoke(cli, "targets", "history", "demo-2026", "--json")[0])
    actions = [h["action"] for h in history]
    assert actions[:3] == ["scope.window", "scope.authorise", "scope.confirm"]
    assert history[2]["actor"] == "調査員A"
    assert history[2]["details"]["confirmed_by"] == "情報 太郎"


def test_diagram_command(cli: CliRunner, isolated_env: Path) -> None:
    invoke(cli, "demo", "--summary-only")
    target = isolated_env / "diagram.svg"
    invoke(cli, "diagram", "render", "demo-2026", "-o", str(target))
    assert "凡例" in target.read_text(encoding="utf-8")
    _, error = invoke(cli, "diagram", "render", "demo-2026", "-o", str(target), ok=False)
    assert error is not None


@pytest.mark.parametrize(
    ("confirmed_utc", "expected"),
    [
        (datetime(2026, 12, 3, 15, 30, tzinfo=UTC), "confirmed_today"),  # 12-04 00:30 JST
        (datetime(2026, 12, 3, 14, 59, tzinfo=UTC), "not_confirmed"),  # 12-03 23:59 JST
        (datetime(2026, 12, 4, 14, 0, tzinfo=UTC), "not_confirmed"),  # 12-04 23:00 JST, future
    ],
)
def test_today_is_the_japan_date(
    demo_engagement: Engagement, confirmed_utc: datetime, expected: str
) -> None:
    from kenshin.cli.targets import address_statuses

    now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 2026-12-04 10:00 in Japan
    cp02 = demo_engagement.point("CP-02")
    confirmed = dataclasses.replace(
        cp02.addresses[0], confirmations=(AddressConfirmation(confirmed_utc, "情報 太郎"),)
    )
    engagement = dataclasses.replace(
        demo_engagement,
        connection_points=tuple(
            dataclasses.replace(p, addresses=(confirmed,)) if p.key == "CP-02" else p
            for p in demo_engagement.connection_points
        ),
    )
    statuses = {s.address: s.status.value for s in address_statuses(engagement, now)}
    assert statuses["198.18.20.20"] == expected
    assert statuses["198.18.10.10"] == "fixed"


def test_requests_attach_list_and_extract_files(
    cli: CliRunner, isolated_env: Path, demo_engagement: Engagement
) -> None:
    """The command line attaches through the web's own path: content checks, the
    firmware parser on device outputs, SHA-256 on the way out."""
    devices = tuple(
        dataclasses.replace(d, firmware_version="", version_source=None) if d.key == "DEV-02" else d
        for d in demo_engagement.devices
    )
    _load(isolated_env, cli, dataclasses.replace(demo_engagement, devices=devices))
    drafted = {
        r["device"]: r
        for r in json.loads(invoke(cli, "requests", "draft", "demo-2026", "--json")[0])
    }
    router = drafted["DEV-02"]["ref"]
    output = isolated_env / "show-environment.txt"
    output.write_text("RTX1210 Rev.14.01.42 (Tue Mar  5 10:00:00 2024)\n", encoding="utf-8")
    renamed = isolated_env / "procedure.txt"
    renamed.write_bytes(b"MZ\x90\x00 an executable")
    _, refused = invoke(cli, "requests", "attach", router, str(renamed), ok=False)
    assert refused is not None
    assert json.loads(invoke(cli, "requests", "attachments", router, "--json")[0]) == []
    out, _ = invoke(cli, "requests", "attach", router, str(output), "--skip-firmware-check")
    assert "Rev.14.01.42" in out
    listed = json.loads(invoke(cli, "requests", "attachments", router, "--json")[0])
    assert [(a["filename"], a["kind"]) for a in listed] == [("show-environment.txt", "text")]
    assert listed[0]["parsed"]["version"] == "Rev.14.01.42"
    shown = json.loads(invoke(cli, "requests", "show", router, "--json")[0])
    assert shown["state"] == "answered"
    assert shown["answer"]["firmware"] == "Rev.14.01.42"
    again, _ = invoke(cli, "requests", "attach", router, str(output), "--skip-firmware-check")
    assert "REQ" in again  # the same bytes twice: told, nothing stored
    assert len(json.loads(invoke(cli, "requests", "attachments", router, "--json")[0])) == 1
    target = isolated_env / "copy.txt"
    invoke(cli, "requests", "extract", router, str(listed[0]["id"]), "-o", str(target))
    assert target.read_bytes() == output.read_bytes()
    _, exists = invoke(
        cli, "requests", "extract", router, str(listed[0]["id"]), "-o", str(target), ok=False
    )
    assert exists is not None
    assert "requests.attach" in _events("requests.")


def test_request_numbers_count_per_engagement_on_the_command_line(
    cli: CliRunner, isolated_env: Path, demo_engagement: Engagement
) -> None:
    """REQ-001 in two hospitals: the bare number is refused with both codes named, the
    code-qualified one and the returned workbook (which carries its engagement) work."""
    _load(isolated_env, cli, demo_engagement)
    _load(isolated_env, cli, dataclasses.replace(demo_engagement, code="other-2026"))
    for code in ("demo-2026", "other-2026"):
        drafted = json.loads(invoke(cli, "requests", "draft", code, "--json")[0])
        assert drafted[0]["ref"] == "REQ-001"
    _, refused = invoke(cli, "requests", "show", "REQ-001", ok=False)
    assert isinstance(refused, RequestError)
    assert "demo-2026, other-2026" in refused.message("ja")
    assert "案件コード:REQ-001" in refused.message("ja")
    letter, _ = invoke(cli, "requests", "show", "other-2026:REQ-001")
    assert "件名" in letter
    book = isolated_env / "other.xlsx"
    invoke(cli, "requests", "export", "other-2026", "-o", str(book), "--ref", "REQ-001")
    workbook = load_workbook(book)
    workbook["ご回答"]["D4"] = "22.7R2.3"
    workbook.save(book)
    out, _ = invoke(cli, "requests", "import", str(book), "--skip-firmware-check")
    assert "1 件" in out
    listed = json.loads(invoke(cli, "requests", "list", "--json")[0])
    answered = {(r["engagement"], r["ref"]): r["state"] for r in listed}
    assert answered[("other-2026", "REQ-001")] == "answered"
    assert answered[("demo-2026", "REQ-001")] != "answered"
