"""``kenshin identify ADDRESS PORT[/udp]``: what answers on one port, for people.

Ad hoc, so limited to loopback (and the lab range 198.18.0.0/15 when
``KENSHIN_LAB_TARGETS=1``); engagement targets are identified by ``kenshin scan``
inside their authorised scope.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from rich.table import Table

from kenshin.cli._common import print_json, say
from kenshin.cli._state import STATE, console
from kenshin.domain.scan import PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import IdentifyError, IdentifySettings, check_target, identify_port
from kenshin.identify._io import open_tcp

app = typer.Typer()


def parse_port(text: str) -> tuple[int, Protocol]:
    number, _, transport = text.strip().lower().partition("/")
    try:
        port = int(number)
        protocol = Protocol(transport or "tcp")
    except ValueError:
        raise IdentifyError("identify.bad_port", port=text) from None
    if not 0 < port < 65536:
        raise IdentifyError("identify.bad_port", port=text)
    return port, protocol


def identity_document(address: str, result: PortResult) -> dict[str, Any]:
    identity = result.identity
    document: dict[str, Any] = {
        "address": address,
        "protocol": result.protocol.value,
        "port": result.port,
        "state": result.state.value,
    }
    if identity is not None:
        document.update(
            service=identity.service,
            product=identity.product,
            version=identity.version,
            cpe=list(identity.cpe),
            confidence=identity.confidence.value,
            evidence=identity.evidence,
            extra=dict(identity.extra),
        )
    return document


async def _identify(address: str, port: int, protocol: Protocol) -> PortResult:
    settings = IdentifySettings()
    if protocol is Protocol.TCP:
        connection = await open_tcp(address, port, settings)
        if connection is None:
            return PortResult(protocol, port, PortState.CLOSED)
        await connection.close()
    return await identify_port(address, PortResult(protocol, port, PortState.OPEN), settings)


def _show(identity: ServiceIdentity) -> None:
    table = Table(title=STATE.t("identify.cli.title"), title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row(STATE.t("identify.cli.service"), identity.service)
    table.add_row(STATE.t("identify.cli.product"), identity.product or "-")
    table.add_row(STATE.t("identify.cli.version"), identity.version or "-")
    table.add_row(STATE.t("identify.cli.confidence"), identity.confidence.value)
    table.add_row("CPE", "\n".join(identity.cpe) or "-")
    for key, value in identity.extra:
        table.add_row(key, value)
    table.add_row(STATE.t("identify.cli.evidence"), identity.evidence)
    console.print(table)


def identify(
    address: Annotated[str, typer.Argument()],
    port: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Identify the service on one port: service, product, version, CPE, evidence."""
    target = check_target(address)
    number, protocol = parse_port(port)
    result = asyncio.run(_identify(target, number, protocol))
    if as_json:
        print_json(identity_document(target, result))
        return
    if result.identity is None:
        say("identify.cli.not_open", address=target, port=number, protocol=protocol.value)
        raise typer.Exit(1)
    _show(result.identity)


app.command("identify")(identify)
