"""``kenshin demo``: the whole check-up of the bundled demo hospital, start to end.

This is the README's first command. Each stage of the survey adds its step here, so
the demo always shows everything kenshin can do on a fresh machine.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import say
from kenshin.cli._state import STATE, console
from kenshin.cli.summary import render_summary
from kenshin.intake import read_file
from kenshin.store import EngagementRepository

DEMO_FILE = "demo-hospital.yaml"


def demo_file() -> Path:
    return Path(str(resources.files("kenshin") / "data" / "demo" / DEMO_FILE))


def demo(
    file: Annotated[
        Path | None, typer.Option("--file", help="Another engagement file to run instead.")
    ] = None,
) -> None:
    """Run the check-up of the demo hospital (デモ総合病院) and show its summary."""
    engagement = read_file(file or demo_file())
    with STATE.store().session() as session:
        created = EngagementRepository(session).save(engagement)
    say(
        "cli.engagement.imported_new" if created else "cli.engagement.imported_update",
        code=engagement.code,
    )
    with STATE.store().session() as session:
        stored = EngagementRepository(session).get(engagement.code)
    render_summary(stored, console, STATE.lang)
