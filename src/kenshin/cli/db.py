"""``kenshin db``: the engagement store's schema."""

from __future__ import annotations

import typer

from kenshin.cli._common import say
from kenshin.cli._state import STATE

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date (created from empty if needed)."""
    store = STATE.store()
    say("cli.db.upgraded", revision=store.current_revision(), url=store.display_url())


@app.command("status")
def status() -> None:
    """Show which database is used and its schema version."""
    store = STATE.store()
    say(
        "cli.db.status",
        url=store.display_url(),
        current=store.current_revision(),
        head=store.head_revision(),
    )
