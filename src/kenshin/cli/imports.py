"""``kenshin import nmap FILE ENGAGEMENT``: results survey teams already hold, into a scan run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import print_json, say
from kenshin.cli._options import JsonOpt
from kenshin.cli._state import STATE
from kenshin.domain import PortState
from kenshin.scan import RunStatus, ScanError, read_nmap_xml
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import current_actor
from kenshin.store import AuditLog, EngagementRepository

app = typer.Typer(no_args_is_help=True)

MAX_XML_BYTES = 200 * 1024 * 1024


@app.command("nmap")
def nmap(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    engagement: Annotated[str, typer.Argument()],
    as_json: JsonOpt = False,
) -> None:
    """nmap の XML 結果を調査案件に取り込む / Import nmap XML results into an engagement."""
    if file.stat().st_size > MAX_XML_BYTES:
        raise ScanError("scan.nmap_unreadable", detail=f"larger than {MAX_XML_BYTES} bytes")
    imported = read_nmap_xml(file.read_bytes())
    store = STATE.store()
    with store.session() as session:
        loaded = EngagementRepository(session).get(engagement)
        known = {
            str(address.address)
            for point in loaded.connection_points
            for address in point.addresses
        }
        foreign = sorted({h.address for h in imported.report.hosts} - known)
        if foreign:
            raise ScanError(
                "scan.import_foreign_address", addresses=", ".join(foreign[:5]), code=engagement
            )
        repository = ScanRunRepository(session)
        ports = [(h.address, p) for h in imported.report.hosts for p in h.ports]
        uid = repository.create(
            engagement_code=engagement,
            targets=[h.address for h in imported.report.hosts],
            tcp_ports="",
            udp_ports="",
            options={
                "nmap_args": imported.args,
                "scan_types": list(imported.scan_types),
                "file": file.name,
                "not_listed": imported.uncounted,
            },
            actor=current_actor(),
            source="nmap",
            started_at=imported.report.started_at,
        )
        repository.add_ports(uid, ports)
        repository.finish(uid, RunStatus.FINISHED, finished_at=imported.report.finished_at)
        AuditLog(session).note(
            current_actor(),
            "scan.import_nmap",
            engagement,
            targets=[h.address for h in imported.report.hosts],
            details={"file": file.name, "ports": str(len(ports)), "run": uid},
        )
    states = Counter(p.state for _, p in ports)
    if as_json:
        print_json(
            {
                "code": engagement,
                "run": uid,
                "hosts": len(imported.report.hosts),
                "ports": len(ports),
                "open": states[PortState.OPEN],
                "not_listed": imported.uncounted,
            }
        )
        return
    say(
        "cli.import.nmap_done",
        code=engagement,
        uid=uid,
        hosts=len(imported.report.hosts),
        ports=len(ports),
        open=states[PortState.OPEN],
    )
    if imported.uncounted:
        say(
            "cli.import.nmap_uncounted",
            detail=", ".join(f"{k} {v}" for k, v in sorted(imported.uncounted.items())),
        )
