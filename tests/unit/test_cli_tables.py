"""Result tables on a terminal of 80 and of 200 columns, with ``--wide``, on a very narrow
one (a block per row), and in a pipe (every column, as before)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from kenshin.cli._tables import Column, fit_table
from kenshin.cli.summary import render_summary
from kenshin.domain import Engagement
from kenshin.i18n import translate

POINT_HEADERS = [
    translate(f"summary.col.{c}", "ja")
    for c in ("key", "name", "kind", "scope", "carrier", "holder", "addresses", "diagnosis")
]
DEVICE_HEADERS = [
    translate(f"summary.col.{c}", "ja")
    for c in ("key", "name", "role", "vendor", "model", "firmware", "source", "points", "managed")
]


def rendered(engagement: Engagement, width: int, *, wide: bool = False, lang: str = "ja") -> str:
    console = terminal(width)
    render_summary(engagement, console, lang, wide)
    return console.export_text()


def terminal(width: int) -> Console:
    """A terminal of ``width`` columns whose output is kept for the test."""
    return Console(file=io.StringIO(), width=width, force_terminal=True, record=True)


def longest_line(text: str) -> int:
    return max(Text(line).cell_len for line in text.splitlines())


def test_an_80_column_terminal_leaves_columns_out_and_says_which(
    demo_engagement: Engagement,
) -> None:
    text = rendered(demo_engagement, 80)
    assert longest_line(text) <= 80
    # the essential cells stay whole: keys, addresses, firmware versions
    for whole in ("CP-01", "198.18.10.10 (固定IP)", "DEV-01", "v7.0.11,build0489 (GA)"):
        assert whole in text, whole
    header_line = next(line for line in text.splitlines() if "グローバルIP" in line)
    assert "回線事業者" not in header_line
    notes = [line for line in text.splitlines() if "--wide" in line]
    assert len(notes) >= 2  # points and devices
    assert "回線事業者" in notes[0]
    assert "管理者" in notes[1]


def test_a_200_column_terminal_shows_every_column(demo_engagement: Engagement) -> None:
    text = rendered(demo_engagement, 200)
    assert longest_line(text) <= 200
    for header in POINT_HEADERS + DEVICE_HEADERS:
        assert header in text, header
    assert "--wide" not in text


def test_wide_shows_every_column_on_80(demo_engagement: Engagement) -> None:
    def column_count(text: str, title: str) -> int:
        lines = text.splitlines()
        at = next(i for i, line in enumerate(lines) if line.strip() == title)
        top = lines[at + 1]  # the table's top border, under its title
        return top.count("┳") + 1

    narrow, wide = rendered(demo_engagement, 80), rendered(demo_engagement, 80, wide=True)
    for title, headers in (
        ("外部接続点", POINT_HEADERS),
        ("機器（ルータ・UTM・FW等）", DEVICE_HEADERS),
    ):
        assert column_count(narrow, title) < len(headers)
        assert column_count(wide, title) == len(headers)
    assert "--wide" not in wide


def test_a_very_narrow_terminal_prints_a_block_per_row(demo_engagement: Engagement) -> None:
    text = rendered(demo_engagement, 40, lang="en")
    assert longest_line(text) <= 40
    # every column of every point is there, one "header value" line each
    assert text.count("Carrier") == len(demo_engagement.connection_points)
    assert "Key               CP-04" in text


@pytest.mark.parametrize("width", [80, 200])
def test_fit_table_keeps_what_fits_and_drops_the_least_useful_first(width: int) -> None:
    columns = [
        Column("key"),
        Column("name"),
        Column("note", drop=2),
        Column("extra", drop=3),
        Column("size", drop=1),
    ]
    rows = [["K-1", "n" * 60, "x" * 60, "y" * 60, "12"]]
    console = terminal(width)
    console.print(fit_table(console, columns, rows, lang="en"))
    text = console.export_text()
    header = text.splitlines()[1]
    for kept in ("key", "name", "note", "size"):
        assert kept in header, kept
    assert ("extra" in header) is (width == 200)
    assert ("Columns left out for the terminal's width: extra" in text) is (width == 80)
    assert longest_line(text) <= width


def test_an_id_to_copy_is_never_wrapped() -> None:
    job = "fca1bd51-fba5-460d-a51f-17443da6b4c7"
    columns = [Column("ID", whole=True), Column("state"), Column("message", drop=1)]
    console = terminal(50)
    console.print(fit_table(console, columns, [[job, "failed", "m" * 80]], lang="en"))
    text = console.export_text()
    assert job in text
    assert "message" in text.splitlines()[-1]  # left out, and said so
    assert longest_line(text) <= 50


def test_a_pipe_gets_every_column_unwrapped(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        KENSHIN_DB_URL=f"sqlite:///{tmp_path / 'k.sqlite3'}",
        KENSHIN_DATA_DIR=str(tmp_path / "data"),
        KENSHIN_LANG="ja",
        COLUMNS="80",
    )

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "kenshin", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    shown = run("demo", "--summary-only")
    for header in POINT_HEADERS + DEVICE_HEADERS:
        assert header in shown, header
    assert "--wide" not in shown
    assert "デモ総合病院 外部接続点・端末セキュリティ健診（2026年度）" in run("engagement", "list")
    assert "回線契約者" in run("engagement", "show", "demo-2026", "--wide")
