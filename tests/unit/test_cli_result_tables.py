"""The result tables of scan, scan-runs, requests, targets, terminal and vulndb status on an
80-column terminal (columns left out, IDs and addresses whole), with ``--wide`` (every
column) and in a pipe (every column, no cell folded)."""

from __future__ import annotations

import dataclasses
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.cli._state import STATE
from kenshin.cli._tables import Cell, Column, fit_table
from kenshin.cli.demo import demo_file
from kenshin.i18n import translate
from kenshin.intake import dump_text, read_file
from kenshin.scan.storage import ScanRunRepository

TERMINAL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terminals"
DEMO_TERMINALS = (
    Path(__file__).resolve().parents[2] / "src" / "kenshin" / "data" / "demo" / "terminals"
)


def headers(*keys: str) -> list[str]:
    return [translate(key, "ja") for key in keys]


@dataclasses.dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    module: str
    """The kenshin.cli module whose console prints the table."""
    headers: list[str]
    whole: tuple[str, ...]
    """Cells that must stay on one line (IDs and addresses a user copies)."""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Case]]:
    """One store with the demo engagement, drafted requests and an attachment, a scope
    event, the demo terminals, and a loopback scan of one listening port."""
    tmp = tmp_path_factory.mktemp("tables")
    with pytest.MonkeyPatch.context() as patch, socket.socket() as listener:
        patch.setenv("KENSHIN_DATA_DIR", str(tmp / "data"))
        patch.setenv("KENSHIN_DB_URL", f"sqlite:///{tmp / 'k.sqlite3'}")
        patch.setenv("KENSHIN_STOP_FILE", str(tmp / "EMERGENCY-STOP"))
        patch.setenv("KENSHIN_ACTOR", "調査員A")
        patch.delenv("KENSHIN_LANG", raising=False)
        patch.setattr(STATE, "_store", None)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        engagement = read_file(demo_file())
        devices = tuple(
            dataclasses.replace(d, firmware_version="", version_source=None)
            if d.key == "DEV-02"
            else d
            for d in engagement.devices
        )
        file = tmp / "engagement.yaml"
        file.write_text(dump_text(dataclasses.replace(engagement, devices=devices)), "utf-8")
        output = tmp / "show-environment.txt"
        output.write_text("RTX1210 Rev.14.01.42 (Tue Mar  5 10:00:00 2024)\n", encoding="utf-8")
        scan = (
            "scan",
            *("--target", "127.0.0.1", "--ports", str(port), "--udp-ports", "none"),
            *("--profile", "lab", "--no-identify", "--no-progress"),
        )
        for args in (
            ("engagement", "import", str(file)),
            ("requests", "draft", "demo-2026"),
            ("requests", "attach", "REQ-001", str(output), "--skip-firmware-check"),
            ("targets", "authorise", "demo-2026", "--by", "情報システム課長", "--document", "D-1"),
            ("terminal", "import", "demo-2026", *map(str, sorted(DEMO_TERMINALS.glob("*.json")))),
            scan,
        ):
            result = CliRunner().invoke(app, list(args))
            assert result.exit_code == 0, (args, result.output, result.exception)
        run_id = _run_id()
        yield {
            "scan": Case(
                scan,
                "scan",
                headers(*(f"cli.scan.col.{c}" for c in _SCAN)),
                ("127.0.0.1", f"{port}/tcp"),
            ),
            "scan-runs": Case(
                ("scan-runs",),
                "scan",
                headers(*(f"cli.scan.runs_col.{c}" for c in _RUNS)),
                (run_id,),
            ),
            "requests list": Case(
                ("requests", "list", "demo-2026"),
                "requests",
                headers(*(f"cli.requests.col.{c}" for c in _REQUESTS)),
                ("REQ-001",),
            ),
            "requests attachments": Case(
                ("requests", "attachments", "REQ-001"),
                "requests",
                ["ID", *headers(*(f"cli.requests.col.{c}" for c in _ATTACHMENTS))],
                ("show-environment.txt",),
            ),
            "targets list": Case(
                ("targets", "list", "demo-2026"),
                "targets",
                headers(*(f"cli.targets.col.{c}" for c in _TARGETS)),
                ("198.18.10.10",),
            ),
            "targets history": Case(
                ("targets", "history", "demo-2026", "--all"),
                "targets",
                headers(*(f"cli.targets.hcol.{c}" for c in _HISTORY)),
                ("scope.authorise",),
            ),
            "terminal show": Case(
                ("terminal", "show", "demo-2026"),
                "terminals",
                headers(*(f"terminals.cli.col.{c}" for c in _VERDICTS)),
                ("T-01",),
            ),
            "terminal parse": Case(
                (
                    "terminal",
                    "parse",
                    str(TERMINAL_FIXTURES / "win7-ehr.json"),
                    "--as-of",
                    "2026-05-01",
                ),
                "terminals",
                headers(*(f"terminals.cli.col.{c}" for c in _VERDICTS)),
                (),
            ),
            "firmware check": Case(
                FIRMWARE_CHECK,
                "firmware",
                ["CVE", "CVSS", "KEV", *headers(*(f"vulndb.table.{c}" for c in _MATCHES))],
                ("CVE-2023-27997",),
            ),
            "vulndb match": Case(
                ("vulndb", "match", *FIRMWARE_CHECK[2:]),
                "vulndb",
                ["CVE", "CVSS", "KEV", *headers(*(f"vulndb.table.{c}" for c in _MATCHES))],
                ("CVE-2023-27997",),
            ),
            "vulndb status": Case(
                ("vulndb", "status"),
                "vulndb",
                headers(*(f"vulndb.status.col.{c}" for c in _SOURCES)),
                ("NVD", "kenshin snapshot"),
            ),
        }
        if STATE._store is not None:
            STATE._store.dispose()


_SCAN = ("host", "port", "state", "reason", "service", "product")
_RUNS = ("uid", "source", "status", "started", "mode", "targets")
_REQUESTS = ("ref", "subject", "recipient", "path", "wants", "state", "due")
_ATTACHMENTS = ("file", "kind", "size", "read", "by")
_TARGETS = ("address", "point", "assignment", "status")
_HISTORY = ("at", "actor", "action", "targets", "details")
_VERDICTS = ("check", "status", "summary")
_SOURCES = ("source", "loaded", "records", "date")
_MATCHES = ("status", "fixed", "title")
FIRMWARE_CHECK = (
    *("firmware", "check", "--vendor", "fortinet", "--product", "fortigate"),
    *("--version", "7.0.11"),
)


def _run_id() -> str:
    with STATE.store().session() as session:
        return ScanRunRepository(session).runs(None)[0].uid


def shown(case: Case, patch: pytest.MonkeyPatch, width: int | None, *extra: str) -> str:
    """What the command prints: on a terminal of ``width`` columns, or (None) to a pipe."""
    if width is None:
        result = CliRunner().invoke(app, [*case.args, *extra])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output
    terminal = Console(file=io.StringIO(), width=width, force_terminal=True, record=True)
    patch.setattr(f"kenshin.cli.{case.module}.console", terminal)
    result = CliRunner().invoke(app, [*case.args, *extra])
    assert result.exit_code == 0, (result.output, result.exception)
    return terminal.export_text()


def first_table(text: str) -> tuple[int, str]:
    """The number of columns of the first table and its header line."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("┏"))
    return lines[at].count("┳") + 1, lines[at + 1]


def longest_line(text: str) -> int:
    return max(Text(line).cell_len for line in text.splitlines())


CASES = [
    "scan",
    "scan-runs",
    "requests list",
    "requests attachments",
    "targets list",
    "targets history",
    "terminal show",
    "terminal parse",
    "firmware check",
    "vulndb match",
    "vulndb status",
]


@pytest.mark.parametrize("name", CASES)
def test_an_80_column_terminal_keeps_ids_whole_and_names_what_it_leaves_out(
    prepared: dict[str, Case], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    case = prepared[name]
    text = shown(case, monkeypatch, 80)
    assert longest_line(text) <= 80
    for whole in case.whole:
        assert any(whole in line for line in text.splitlines()), whole
    count, _ = first_table(text)  # a table, not a block per row
    if count < len(case.headers):
        note = next(line for line in text.splitlines() if "--wide" in line)
        assert sum(header in note for header in case.headers) == len(case.headers) - count


@pytest.mark.parametrize("name", CASES)
def test_wide_shows_every_column_on_80(
    prepared: dict[str, Case], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    case = prepared[name]
    text = shown(case, monkeypatch, 80, "--wide")
    assert first_table(text)[0] == len(case.headers)
    assert "--wide" not in text


@pytest.mark.parametrize("name", CASES)
def test_a_pipe_gets_every_column_unwrapped(
    prepared: dict[str, Case], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    case = prepared[name]
    text = shown(case, monkeypatch, None)
    count, header_line = first_table(text)
    assert count == len(case.headers)
    for header in case.headers:  # no header folded onto a second line
        assert header in header_line, header
    assert "--wide" not in text


def test_the_request_list_leaves_the_path_out_first_on_80(
    prepared: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven columns do not fit 80: the path goes first, the request number stays."""
    text = shown(prepared["requests list"], monkeypatch, 80)
    count, header_line = first_table(text)
    assert count < len(_REQUESTS)
    assert translate("cli.requests.col.path", "ja") not in header_line
    assert translate("cli.requests.col.ref", "ja") in header_line


@pytest.mark.parametrize("width", [80, 20])
def test_a_row_keeps_its_style_in_the_table_and_in_the_block_per_row(width: int) -> None:
    """An overdue request stays red on a terminal wide enough for a table and on one that
    prints a block per row."""
    columns = [Column("ID", whole=True), Column("due")]
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system="standard")
    rows: list[list[Cell]] = [["REQ-001", "2026-01-01"], ["REQ-002", "2026-12-31"]]
    console.print(fit_table(console, columns, rows, lang="en", styles=["bold red", ""]))
    lines = out.getvalue().splitlines()
    red = "\x1b[1;31m"
    assert any(red in line and "REQ-001" in line for line in lines)
    assert not any(red in line and "REQ-002" in line for line in lines)
    assert any(line.startswith("┏") for line in lines) is (width == 80)
