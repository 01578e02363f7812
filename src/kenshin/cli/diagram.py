"""``kenshin diagram``: draw the connection-point diagram (構成図) as SVG or PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import CliError, load, say
from kenshin.cli._state import STATE
from kenshin.diagram import render_png, render_svg

app = typer.Typer(no_args_is_help=True)


@app.command("render")
def render(
    code: Annotated[str, typer.Argument()],
    output: Annotated[Path, typer.Option("-o", "--output")],
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Draw the diagram of an engagement to an SVG or PNG file."""
    suffix = output.suffix.lower()
    if suffix not in (".svg", ".png"):
        raise CliError("cli.diagram.bad_suffix", path=str(output))
    if output.exists() and not force:
        raise CliError("cli.file_exists", path=str(output))
    engagement = load(code)
    if suffix == ".png":
        render_png(engagement, output, STATE.lang)
    else:
        output.write_text(render_svg(engagement, STATE.lang), encoding="utf-8")
    say("cli.diagram.written", code=code, path=str(output))
