"""A stored full-range run reads back compact: closed ports counted, open ones listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenshin.domain import PortResult, PortState, Protocol
from kenshin.domain.scan import ServiceIdentity
from kenshin.scan.engine import RunStatus
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import open_store

pytestmark = pytest.mark.usefixtures("isolated_env")


def test_report_counts_large_groups_and_lists_what_matters(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    address = "127.0.0.1"
    with store.session() as session:
        runs = ScanRunRepository(session)
        uid = runs.create(
            engagement_code=None,
            targets=[address],
            tcp_ports="1-1000",
            udp_ports="",
            options={"profile": "hospital"},
            actor="test",
        )
        ports = [
            (address, PortResult(Protocol.TCP, n, PortState.CLOSED, "reset"))
            for n in range(1, 1001)
            if n not in (22, 443, 444)
        ]
        ports += [
            (address, PortResult(Protocol.TCP, 22, PortState.OPEN, "syn-ack")),
            (address, PortResult(Protocol.TCP, 443, PortState.FILTERED, "no-response")),
            (
                address,
                PortResult(
                    Protocol.TCP, 444, PortState.CLOSED, "reset", ServiceIdentity("unknown")
                ),
            ),
        ]
        runs.add_ports(uid, ports)
        runs.finish(uid, RunStatus.FINISHED)
    with store.session() as session:
        compact = ScanRunRepository(session).report(uid)
        full = ScanRunRepository(session).report(uid, list_limit=None)
    store.dispose()
    host = compact.hosts[0]
    listed = {p.port for p in host.ports}
    assert listed == {22, 443, 444}  # open, a small group, an identified port
    assert [(c.state, c.reason, c.count) for c in host.extraports] == [
        (PortState.CLOSED, "reset", 997)
    ]
    assert len(full.hosts[0].ports) == 1000
    assert not full.hosts[0].extraports
