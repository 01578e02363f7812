"""Help as a surveyor reads it: Japanese first, English on request, flags without a type."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any, cast

import pytest
from typer.testing import CliRunner

from kenshin.cli import app


def test_flags_show_no_value_type_and_options_keep_theirs() -> None:
    result = CliRunner().invoke(app, ["firmware", "check", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    flag = next(line for line in lines if "--allow-unparsed" in line)
    assert "<bool>" not in result.output
    assert "<" not in flag
    version = next(line for line in lines if line.lstrip("│ ").startswith("--version "))
    assert "<str>" in version  # an option that takes a value still says what kind


def _help(*args: str, lang_env: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "KENSHIN_LANG"}
    if lang_env:
        env["KENSHIN_LANG"] = lang_env
    env["COLUMNS"] = "200"
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


def test_help_is_japanese_by_default_and_english_on_request() -> None:
    japanese = _help("--help")
    assert "医療機関の外部接続点と端末のセキュリティ健診" in japanese
    assert "調査案件" in japanese
    assert "Engagements" not in japanese
    assert "例: kenshin demo" in japanese  # examples in the help
    for english in (_help("--lang", "en", "--help"), _help("--help", lang_env="en")):
        assert "Engagements" in english
        assert "Firmware checks" in english
        assert "調査案件" not in english
    assert "機器ファームウェアの脆弱性確認" in _help("firmware", "--help")
    assert "Firmware checks" in _help("--lang=en", "firmware", "--help")


def test_every_command_loads_with_its_subcommands() -> None:
    """The lazily loaded commands are the ones the modules define (none flattened)."""
    import importlib

    from kenshin.cli import _COMMAND_GROUPS, _COMMANDS

    runner = CliRunner()
    for module, name in _COMMAND_GROUPS:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        typer_app = importlib.import_module(f"kenshin.cli.{module}").app
        for command in typer_app.registered_commands:
            wanted = command.name or (command.callback.__name__ if command.callback else "")
            assert wanted.replace("_", "-") in result.output, (name, wanted)
    for _module, _attr, name in _COMMANDS:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        assert f"kenshin {name}" in " ".join(result.output.split()), name


def _every_command() -> list[tuple[list[str], Any]]:
    """(path, click command) of every registered command and group, loaded as ``kenshin``
    loads them."""
    from kenshin.cli import _LazyGroup, _load

    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    for name in _LazyGroup.list_commands(cast(Any, None), cast(Any, None)):
        walk(_load(name), [name])
    return found


def test_every_command_and_parameter_has_japanese_and_english_help() -> None:
    """Nothing is left English-only: every command, option and argument has its help in
    the catalogue in both languages, and every command that runs has an example."""
    from kenshin.cli import example_key, help_key
    from kenshin.i18n import catalogue

    messages = catalogue()
    missing: list[str] = []
    commands = _every_command()
    assert len(commands) > 70  # the walk really found the command tree
    for path, command in commands:
        keys = [help_key(path)] + [help_key(path, param.name) for param in command.params]
        if not getattr(command, "commands", None):
            keys.append(example_key(path))
        for key in keys:
            texts = messages.get(key, {})
            if not texts.get("ja") or not texts.get("en"):
                missing.append(key)
    assert not missing, missing


def test_examples_use_documentation_addresses_only() -> None:
    """Copy-able examples never name a real address: only 192.0.2.0/24 and 203.0.113.0/24."""
    from kenshin.i18n import catalogue

    address = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
    seen = 0
    for key, texts in catalogue().items():
        if not key.startswith("cli.ex."):
            continue
        for text in texts.values():
            assert text.startswith("kenshin ") or key == "cli.ex.label", key
            for found in address.findall(text):
                seen += 1
                assert found.startswith(("192.0.2.", "203.0.113.")), (key, found)
    assert seen > 0


@pytest.mark.parametrize(
    ("args", "japanese", "english"),
    [
        (
            ["engagement", "show"],
            "調査案件コード（例 demo-2026）",
            "Engagement code, e.g. demo-2026",
        ),
        (["hearing", "import"], "記入済みのブック（.xlsx）", "The filled-in workbook (.xlsx)"),
        (["scan"], "ホストごとの同時接続数", "Connections in flight per host"),
        (
            ["firmware", "check"],
            "表示されたとおりのファームウェアバージョン",
            "Firmware version as shown",
        ),
        (["requests", "answer"], "WAN 側のグローバル IP アドレス", "WAN global IP address"),
        (["targets", "authorise"], "診断を承認した人", "Who approved the diagnosis"),
    ],
)
def test_command_help_is_japanese_by_default_and_english_on_request(
    args: list[str], japanese: str, english: str
) -> None:
    default = " ".join(_help(*args, "--help").split())
    assert japanese in default
    assert english not in default
    assert "例: kenshin " in default  # the examples, one copy-able command each
    for shown in (_help("--lang", "en", *args, "--help"), _help(*args, "--help", lang_env="en")):
        flat = " ".join(shown.split())
        assert english in flat
        assert japanese not in flat
        assert "Examples: kenshin " in flat


def test_command_help_does_not_import_heavy_modules() -> None:
    """A command's help imports its own module, not the scan engine or the web application."""
    code = (
        "import sys; sys.argv = ['kenshin', 'engagement', 'show', '--help']\n"
        "from kenshin.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('kenshin.scan.engine', 'kenshin.web.app', 'kenshin.report.render')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_typer_words_follow_the_help_language() -> None:
    """Panel titles, [required] and the --help line are not left in English either."""
    japanese = _help("targets", "authorise", "--help")
    for word in ("使い方:", "引数", "オプション", "[必須]", "このヘルプを表示して終了する"):
        assert word in japanese, word
    assert "Show this message and exit" not in japanese
    assert "Usage:" not in japanese
    english = _help("--lang", "en", "targets", "authorise", "--help")
    for word in ("Usage:", "Arguments", "Options", "[required]", "Show this message and exit"):
        assert word in english, word
    assert "オプション" not in english
    assert "使い方" not in english


def _usage_error(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "KENSHIN_LANG"}
    result = subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=dict(env, COLUMNS="200"),
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stderr


def test_a_usage_error_speaks_the_help_language() -> None:
    """The usage line, the error panel's title and the hint to --help around Click's error."""
    japanese = _usage_error("engagement", "show")
    for word in ("使い方: python -m kenshin engagement show", "エラー", "engagement show --help"):
        assert word in japanese, word
    assert "引数 'code' がありません。" in japanese
    for word in ("Usage:", "Error", "Try ", "Missing"):
        assert word not in japanese, word
    unknown = _usage_error("engagement", "list", "--jsn")
    assert "オプション --jsn はありません。（使えるオプション: --json）" in unknown
    english = _usage_error("--lang", "en", "engagement", "list", "--no-such-flag")
    for word in ("Usage: python -m kenshin engagement list", "Error", "Try ", "No such option"):
        assert word in english, word
    assert "使い方" not in english
