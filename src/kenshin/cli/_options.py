"""The Typer arguments and options that many commands declare alike, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

CodeArg = Annotated[str, typer.Argument()]
KeyArg = Annotated[str, typer.Argument()]
Opt = Annotated[str | None, typer.Option()]
JsonOpt = Annotated[bool, typer.Option("--json")]
WideOpt = Annotated[bool, typer.Option("--wide")]
KbOpt = Annotated[Path | None, typer.Option("--kb")]
