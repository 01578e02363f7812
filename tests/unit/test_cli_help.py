"""Help as a surveyor reads it: Japanese first, English on request, flags without a type."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from kenshin.cli import app


def test_flags_show_no_value_type_and_options_keep_theirs() -> None:
    result = CliRunner().invoke(app, ["firmware", "check", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    flag = next(line for line in lines if "--allow-unparsed" in line)
    assert "<bool>" not in result.output
    assert "<" not in flag
    version = next(line for line in lines if "--version " in line)
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
