"""``kenshin serve`` and ``kenshin user``: the web application and its accounts."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kenshin.cli._common import choice, print_json, say
from kenshin.cli._options import JsonOpt, Opt
from kenshin.cli._state import STATE

app = typer.Typer(no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    https_proxy: Annotated[bool, typer.Option("--https-proxy")] = False,
) -> None:
    """Start the web application (Japanese; English switchable on every page)."""
    import uvicorn

    from kenshin.web import WebSettings, create_app  # here: FastAPI costs every command 2 s

    plain_http = not https_proxy and _loopback(host)
    web_app = create_app(STATE.store(), WebSettings(secure_cookies=not plain_http))
    say("cli.serve.starting", host=host, port=port)
    say("cli.serve.plain_http" if plain_http else "cli.serve.secure_cookies")
    uvicorn.run(web_app, host=host, port=port, log_level="info", proxy_headers=https_proxy)


def _loopback(host: str) -> bool:
    """Whether ``host`` is reached only from this machine (plain HTTP is safe there only)."""
    from ipaddress import ip_address

    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt(STATE.t("web.password"), hide_input=True)
    second = typer.prompt(STATE.t("web.password"), hide_input=True)
    if first != second:
        raise typer.BadParameter(STATE.t("cli.user.password_mismatch"))
    return str(first)


@app.command("create")
def create(
    email: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option()] = "surveyor",
    name: Annotated[str, typer.Option()] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Create a user directly (the first surveyor; others are best invited)."""
    from kenshin.web import Accounts, Role

    password = _password(password_stdin)
    with STATE.store().session() as session:
        user = Accounts(session).create_user(email, password, choice(Role, role), name)
    say("cli.user.created", email=user.email, role=user.role.value)


@app.command("invite")
def invite(
    email: Annotated[str, typer.Argument()],
    by: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option()] = "hospital",
    engagement: Opt = None,
    vendor: Opt = None,
    base_url: Annotated[str, typer.Option()] = "http://127.0.0.1:8000",
    as_json: JsonOpt = False,
) -> None:
    """Print a one-time invitation link for a hospital, vendor or surveyor user."""
    from kenshin.web import Accounts, Role

    with STATE.store().session() as session:
        accounts = Accounts(session)
        token = accounts.invite(
            accounts.user_by_email(by), email, choice(Role, role), engagement, vendor
        )
    link = f"{base_url.rstrip('/')}/invite/{token}"
    if as_json:
        print_json({"email": email, "role": role, "link": link})
        return
    say("cli.user.invited", link=link)
