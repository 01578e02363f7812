"""``kenshin identify ADDRESS PORT[/udp]``: what answers on one port, for people.

Ad hoc, so it passes the scope's gate with the ad-hoc policy (loopback, and the lab
range when ``KENSHIN_LAB_TARGETS=1``), audited like a scan; engagement targets are
identified by ``kenshin scan`` inside their authorised scope.
"""

from __future__ import annotations

import asyncio
from ipaddress import ip_address
from typing import Annotated, Any

import typer
from rich.table import Table

from kenshin.cli._common import print_json, say
from kenshin.cli._options import JsonOpt
from kenshin.cli._state import STATE, console
from kenshin.domain import AuditOutcome
from kenshin.domain.scan import PortResult, PortState, Protocol, ServiceIdentity
from kenshin.identify import IdentifyError, IdentifySettings, identify_port
from kenshin.net.stream import open_tcp
from kenshin.scan.export import port_document
from kenshin.scan.session import store_audit
from kenshin.scope import Gate

app = typer.Typer()


def parse_address(text: str) -> str:
    """The address as written, normalised (``[::1]`` -> ``::1``); IdentifyError otherwise."""
    try:
        return str(ip_address(text.strip().strip("[]")))
    except ValueError:
        raise IdentifyError("identify.bad_address", address=text) from None


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
    """The port as the scan's JSON writes it, with its address."""
    return {"address": address, **port_document(result)}


async def _identify(gate: Gate, address: str, port: int, protocol: Protocol) -> PortResult:
    settings = IdentifySettings()
    if protocol is Protocol.TCP:
        connection = await open_tcp(gate.permit(address), port, timeout=settings.connect_timeout)
        if connection is None:
            return PortResult(protocol, port, PortState.CLOSED)
        await connection.close()
    opened = PortResult(protocol, port, PortState.OPEN)
    return await identify_port(address, opened, settings, gate=gate)


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
    as_json: JsonOpt = False,
) -> None:
    """Identify the service on one port: service, product, version, CPE, evidence."""
    target = parse_address(address)
    number, protocol = parse_port(port)
    gate = Gate.adhoc(store_audit(STATE.store()))
    gate.permit(target)
    where = [target]
    gate.started(where, {"port": f"{number}/{protocol.value}"})
    try:
        result = asyncio.run(_identify(gate, target, number, protocol))
    except BaseException as exc:
        gate.ended(where, AuditOutcome.FAILED, {"error": type(exc).__name__})
        raise
    gate.ended(where, AuditOutcome.SUCCEEDED, {"state": result.state.value})
    if as_json:
        print_json(identity_document(target, result))
        return
    if result.identity is None:
        say("identify.cli.not_open", address=target, port=number, protocol=protocol.value)
        raise typer.Exit(1)
    _show(result.identity)


app.command("identify")(identify)
