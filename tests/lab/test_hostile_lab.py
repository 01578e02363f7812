"""A scan of the lab's hostile host (tarpit, flood, drip, TLS nonsense, reset, a 1 MB SSH
banner, a UDP service answering 64 KB): it ends within the budget the scan itself sets,
and nothing it keeps exceeds its bound.

The budget is the scan's own: the plan's recorded upper bound (port scan plus the
identification allowance) and the checks' own timeout, so the comparison is with bounds
kenshin promises, not with how fast this machine happens to be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kenshin.checks.engine import CHECK_TIMEOUT
from kenshin.domain.bounds import NAME_MAX, TEXT_MAX
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import open_store
from kenshin.store.models_scan import ScanPortRow

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.timeout(900)]


def test_hostile_host_scan_is_bounded_in_time_and_in_what_it_keeps(
    lab: Any, tmp_path: Path
) -> None:
    host = lab.host("hostile")
    tcp = sorted(s.port for s in lab.services if s.address == host.address and s.protocol == "tcp")
    udp = sorted(s.port for s in lab.services if s.address == host.address and s.protocol == "udp")
    assert 9006 in tcp  # the giant banner
    assert 9007 in udp  # the 64 KB UDP answers
    db = tmp_path / "k.sqlite3"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kenshin",
            "--lang",
            "en",
            "scan",
            "--target",
            host.address,
            "--ports",
            ",".join(map(str, tcp)),
            "--udp-ports",
            ",".join(map(str, udp)),
            "--profile",
            "lab",
            "--no-progress",
            "--json",
            str(tmp_path / "r.json"),
            "--nmap-xml",
            str(tmp_path / "r.xml"),
        ],
        capture_output=True,
        text=True,
        env=dict(
            os.environ,
            COLUMNS="200",
            KENSHIN_DB_URL=f"sqlite:///{db}",
            KENSHIN_DATA_DIR=str(tmp_path / "data"),
            KENSHIN_LAB_TARGETS="1",
            KENSHIN_STOP_FILE=str(tmp_path / "STOP"),
        ),
        timeout=800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    store = open_store(f"sqlite:///{db}")
    with store.session() as session:
        runs = ScanRunRepository(session)
        run = runs.runs(None)[0]
        rows = list(session.scalars(select(ScanPortRow)))
    store.dispose()
    budget = float(run.options["estimate_seconds"]) + CHECK_TIMEOUT
    assert run.active_seconds <= budget, (run.active_seconds, budget)
    open_rows = [r for r in rows if r.state == "open"]
    assert {r.port for r in open_rows} >= {9002, 9006}  # the flood and the giant banner answer
    for row in rows:
        where = f"{row.port}/{row.protocol}"
        assert len(row.product) <= NAME_MAX, where
        assert len(row.version) <= NAME_MAX, where
        assert len(row.evidence) <= TEXT_MAX, where
        assert row.evidence.isprintable(), where
        for key, value in row.extra:
            assert len(key) <= NAME_MAX, where
            assert len(value) <= TEXT_MAX, where
    giant = next(r for r in rows if r.port == 9006 and r.protocol == "tcp")
    assert giant.service == "ssh"
    assert "bytes seen" in giant.product  # cut, and says so
    document = json.loads((tmp_path / "r.json").read_text("utf-8"))
    for finding in document["hosts"][0].get("findings", []):
        assert len(finding.get("evidence", "")) <= TEXT_MAX
    # the scan's documents stay the size of any small scan's, whatever the host sent
    assert (tmp_path / "r.json").stat().st_size < 128 * 1024
    assert (tmp_path / "r.xml").stat().st_size < 128 * 1024
