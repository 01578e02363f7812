"""``kenshin vault``: device accounts handed over for path C, encrypted, audited, purged."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kenshin.cli._common import CliError, print_json, say
from kenshin.cli._options import CodeArg, JsonOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._workflow import actor, audit
from kenshin.domain import AuditOutcome
from kenshin.domain.clock import japan_time
from kenshin.store import now_utc
from kenshin.vault import (
    KEY_ENV,
    DeviceAccount,
    Secret,
    Vault,
    VaultError,
    load_key,
    new_key_text,
    purge,
    store_in_keyring,
)

app = typer.Typer(
    no_args_is_help=True,
)

DeviceArg = Annotated[str, typer.Argument()]


@app.command("keygen")
def keygen(
    keyring: Annotated[bool, typer.Option("--keyring")] = False,
) -> None:
    """Create a new vault key (print it, or keep it in the OS keyring)."""
    text = new_key_text()
    if keyring:
        store_in_keyring(text)
        say("cli.vault.keyring_saved")
        return
    say("cli.vault.keygen")
    typer.echo(f"export {KEY_ENV}={text}")


@app.command("put")
def put(
    code: CodeArg,
    device: DeviceArg,
    stdin: Annotated[
        bool,
        typer.Option("--stdin"),
    ] = False,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Store a device account, encrypted. The password is never a command-line argument."""
    if stdin:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            raise VaultError("vault.empty")
        username, password = lines[0].strip(), lines[1]
    else:
        username = typer.prompt(STATE.t("cli.vault.prompt_username"))
        password = typer.prompt(
            STATE.t("cli.vault.prompt_password"), hide_input=True, confirmation_prompt=True
        )
    account = DeviceAccount(Secret(username), Secret(password), note)
    key = load_key()
    with STATE.store().session() as session:
        Vault(session, key).put(code, device, account, actor(), now_utc())
    say("cli.vault.stored", device=device, code=code)


@app.command("list")
def list_entries(
    code: CodeArg,
    as_json: JsonOpt = False,
) -> None:
    """Which devices have an account stored (never the account itself)."""
    key = load_key()
    with STATE.store().session() as session:
        entries = Vault(session, key).entries(code, actor())
    if as_json:
        print_json([e.__dict__ for e in entries])
        return
    if not entries:
        say("cli.vault.none", code=code)
        return
    for entry in entries:
        say(
            "cli.vault.entry",
            device=entry.device_key,
            at=japan_time(entry.created_at),
            by=entry.created_by,
        )


@app.command("show")
def show(
    code: CodeArg,
    device: DeviceArg,
    reveal: Annotated[bool, typer.Option("--reveal")] = False,
) -> None:
    """Show a stored account — only with --reveal; every reveal is audited."""
    if not reveal:
        say("cli.vault.masked", device=device)
        say("vault.need_reveal")
        return
    key = load_key()
    store = STATE.store()
    try:
        with store.session() as session:
            account = Vault(session, key).reveal(code, device, actor())
    except VaultError as exc:
        # The failed attempt is audited too: Vault wrote the event, but the session
        # rolled back with the error, so record it again in a transaction of its own.
        with store.session() as session:
            audit(
                session,
                "vault.reveal",
                code,
                targets=(device,),
                outcome=AuditOutcome.FAILED,
                details={"reason": exc.key},
            )
        raise
    say("cli.vault.revealed", device=device)
    console.print(
        f"  {STATE.t('cli.vault.username')}: {account.username.reveal()}",
        highlight=False,
        markup=False,
    )
    console.print(
        f"  {STATE.t('cli.vault.password')}: {account.password.reveal()}",
        highlight=False,
        markup=False,
    )
    if account.note:
        console.print(
            f"  {STATE.t('cli.vault.note')}: {account.note}", highlight=False, markup=False
        )


@app.command("remove")
def remove(code: CodeArg, device: DeviceArg) -> None:
    """Delete one stored account."""
    key = load_key()
    with STATE.store().session() as session:
        Vault(session, key).remove(code, device, actor())
    say("cli.vault.removed", device=device)


@app.command("purge")
def purge_command(
    code: CodeArg,
    yes: Annotated[bool, typer.Option("--yes", "-y")] = False,
) -> None:
    """Delete every stored account of an engagement (also done when it is closed)."""
    if not yes and not typer.confirm(STATE.t("cli.vault.purge_confirm", code=code)):
        raise CliError("cli.vault.cancelled")
    with STATE.store().session() as session:
        count = purge(session, code, actor())
    say("cli.vault.purged", code=code, count=count)
