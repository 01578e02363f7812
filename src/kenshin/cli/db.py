"""``kenshin db``: the engagement store's schema."""

from __future__ import annotations

import typer

from kenshin.cli._common import print_json, say
from kenshin.cli._options import JsonOpt
from kenshin.cli._state import STATE

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the database schema up to date (created from empty if needed)."""
    store = STATE.store()
    say("cli.db.upgraded", revision=store.current_revision(), url=store.display_url())


@app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Show which database is used and its schema version."""
    store = STATE.store()
    if as_json:
        current, head = store.current_revision(), store.head_revision()
        print_json(
            {
                "url": store.display_url(),
                "current": current,
                "head": head,
                "current_is_head": current == head,
            }
        )
        return
    say(
        "cli.db.status",
        url=store.display_url(),
        current=store.current_revision(),
        head=store.head_revision(),
    )
