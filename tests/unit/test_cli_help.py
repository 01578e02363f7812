"""Help as a surveyor reads it: on/off flags are shown without a value type."""

from __future__ import annotations

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
