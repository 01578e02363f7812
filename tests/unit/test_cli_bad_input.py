"""Bad input at the command line: one sentence in the user's language, exit 2, nothing stored.

Each case runs the real entry point in both languages and checks the exit code, the
sentence (naming the file, line or key), that no traceback is shown without ``--debug``,
and that the store is the same afterwards. Output goes to a pipe here, as in a script:
it must not be hard-wrapped, even with ``COLUMNS=80``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kenshin.cli.demo import demo_file

pytestmark = pytest.mark.usefixtures("isolated_env")


def run(tmp: Path, *args: str, lang: str = "ja") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="80", KENSHIN_DB_URL=f"sqlite:///{tmp / 'k.sqlite3'}")
    return subprocess.run(
        [sys.executable, "-m", "kenshin", "--lang", lang, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp,
        timeout=120,
        check=False,
    )


def store_digest(tmp: Path) -> str:
    return hashlib.sha256((tmp / "k.sqlite3").read_bytes()).hexdigest()


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    """A store holding the demo engagement."""
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    return tmp_path


def refused(tmp: Path, args: list[str], ja: list[str], en: list[str]) -> None:
    """``args`` fails with exit 2 and the given words (one line each), store unchanged."""
    before = store_digest(tmp)
    for lang, words in (("ja", ja), ("en", en)):
        result = run(tmp, *args, lang=lang)
        assert result.returncode == 2, (lang, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert "予期しない" not in result.stderr
        assert "unexpected" not in result.stderr.lower()
        first = next(line for line in result.stderr.splitlines() if words[0] in line)
        for word in words:
            assert word in first, (lang, word, result.stderr)  # one line: never hard-wrapped
    assert store_digest(tmp) == before


def test_hearing_import_of_a_text_file(loaded: Path) -> None:
    (loaded / "notes.txt").write_text("ヒアリングのメモ\n", "utf-8")
    refused(
        loaded,
        ["hearing", "import", "demo-2026", "notes.txt"],
        ["notes.txt", "Excel ブック（.xlsx）として読めません", ".xlsx 形式のまま保存"],
        ["notes.txt", "cannot be read as an Excel workbook (.xlsx)", "saved by Excel"],
    )


def test_hearing_import_of_a_workbook_named_txt_is_read_by_its_content(loaded: Path) -> None:
    sheet = loaded / "sheet.xlsx"
    assert run(loaded, "hearing", "template", "demo-2026", "-o", str(sheet)).returncode == 0
    renamed = loaded / "sheet.txt"
    sheet.rename(renamed)
    result = run(loaded, "hearing", "import", "demo-2026", str(renamed), "--partial")
    assert result.returncode == 0, result.stderr


def test_hearing_import_of_a_missing_file(loaded: Path) -> None:
    refused(
        loaded,
        ["hearing", "import", "demo-2026", "answers.xlsx"],
        ["ファイル answers.xlsx がありません", "ファイル名と場所を確認してください"],
        ["There is no file answers.xlsx", "Check the file name and folder"],
    )


def test_firmware_check_with_an_unreadable_version(loaded: Path) -> None:
    args = ["firmware", "check", "--vendor", "fortinet", "--product", "fortigate"]
    refused(
        loaded,
        [*args, "--version", "garbage"],
        [
            "「garbage」は fortinet fortigate のファームウェアバージョンとして読めません",
            "--allow-unparsed",
        ],
        [
            "'garbage' cannot be read as a firmware version of fortinet fortigate",
            "--allow-unparsed",
        ],
    )
    kept = run(loaded, *args, "--version", "garbage", "--allow-unparsed")
    assert kept.returncode == 0, kept.stderr
    assert "判定できません" in kept.stdout
    assert "garbage" in kept.stdout
    fine = run(loaded, *args, "--version", "7.0.11")
    assert fine.returncode == 0, fine.stderr
    assert "7.0.11 には既知の脆弱性" in fine.stdout


def test_firmware_parse_of_a_missing_file(loaded: Path) -> None:
    refused(
        loaded,
        ["firmware", "parse", "show-version.txt"],
        ["ファイル show-version.txt がありません"],
        ["There is no file show-version.txt"],
    )


@pytest.mark.parametrize(
    ("text", "line", "ja", "en"),
    [
        (
            "schema: kenshin.engagement/1\ncode: x\ninstitution:\n  name: a\n bad: b\n",
            5,
            "字下げ（インデント）がそろっていません",
            "The indentation does not line up",
        ),
        ("code: x\ntitle: 'unclosed\nother: 1\n", 2, "引用符が閉じられていません", "never closed"),
        ("code: x\ntitle\nother: 1\n", 2, "「:」がありません", "has no ':'"),
        ("code: x\ntitle: a: b\n", 2, "引用符", "in quotes"),
        ("code: x\n\ttitle: a\n", 2, "タブ文字は使えません", "tab character"),
        ("code: x\ncode: y\n", 2, "項目「code」が同じ階層に二度", "'code' is written twice"),
        ("code: x\ntitle: [a\n  b: c\n", 3, "[ ] の一覧が閉じられていない", "A [ ] list"),
    ],
    ids=["indent", "quote", "no-colon", "colon-in-value", "tab", "duplicate", "open-list"],
)
def test_yaml_syntax_errors_in_the_users_words(
    loaded: Path, text: str, line: int, ja: str, en: str
) -> None:
    (loaded / "bad.yaml").write_text(text, "utf-8")
    refused(
        loaded,
        ["engagement", "import", "bad.yaml"],
        [f"{line}行目", ja],
        [f"line {line}", en],
    )
    result = run(loaded, "engagement", "import", "bad.yaml")
    assert "expected" not in result.stderr  # not the parser's English
    assert "YAMLとして読めません。何も保存しませんでした。" in result.stderr


def test_field_paths_name_items_by_their_keys(loaded: Path) -> None:
    text = demo_file().read_text("utf-8")
    assert text.count("    kind: internet\n") == 1
    (loaded / "typo.yaml").write_text(text.replace("    kind: internet\n", "    kind: net\n"))
    refused(
        loaded,
        ["engagement", "import", "typo.yaml"],
        ["connection_points[CP-01].kind（", "行目）", "「net」は使えません"],
        ["connection_points[CP-01].kind (line ", "'net' is not allowed"],
    )
    result = run(loaded, "engagement", "import", "typo.yaml")
    assert "connection_points.0" not in result.stderr


def test_missing_engagement_file(loaded: Path) -> None:
    refused(
        loaded,
        ["engagement", "import", "engagement-2027.yaml"],
        ["ファイル engagement-2027.yaml がありません"],
        ["There is no file engagement-2027.yaml"],
    )


def test_a_folder_instead_of_a_file(loaded: Path) -> None:
    (loaded / "folder.yaml").mkdir()
    refused(
        loaded,
        ["engagement", "import", "folder.yaml"],
        ["folder.yaml はフォルダです"],
        ["folder.yaml is a folder"],
    )


def test_tables_and_sentences_are_not_wrapped_in_a_pipe(loaded: Path) -> None:
    result = run(loaded, "demo", "--summary-only")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "CP-04" in line]
    assert rows, result.stdout
    assert "患者・来院者向けWi-Fi" in rows[0]
    assert "対象外（調査範囲外）" in rows[0]
    assert max(len(line) for line in result.stdout.splitlines()) > 80  # COLUMNS=80 ignored
    missing = run(loaded, "engagement", "show", "nope-2099", lang="en")
    assert missing.returncode != 0
    hint = [line for line in missing.stderr.splitlines() if "nope-2099" in line]
    assert hint, missing.stderr
    assert "kenshin engagement list" in hint[0]  # the suggested command on the same line


def test_a_survey_date_is_refused_naming_what_was_typed(loaded: Path) -> None:
    """``requests send --due`` and the web named the date typed; ``engagement create`` named
    Python's own words for it ("Invalid isoformat string: ...")."""
    refused(
        loaded,
        [
            *("engagement", "create", "new-1", "--title", "x", "--institution", "x"),
            *("--survey-start", "2026-13-40"),
        ],
        ["「2026-13-40」は日付"],
        ["'2026-13-40' is not a date"],
    )
