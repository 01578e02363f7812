"""One kenshin scan in a process of its own, reported as JSON on stdout (``bench/scan.py``).

This is the process whose peak memory the port-scan benchmark compares with nmap's, so it
imports only what a scan needs: no benchmark harness (argparse, statistics, subprocess),
and, for a SYN scan, no event loop (``scan_blocking``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def main(spec: dict[str, Any]) -> None:
    from kenshin.domain import PortState, Protocol
    from kenshin.scan import HOSPITAL, LAB, ScanPlan, TcpMode, scan_blocking
    from kenshin.scope import LabPermission, adhoc_scope

    settings = LAB if spec["profile"] == "lab" else HOSPITAL
    plan = ScanPlan(
        tuple(spec["targets"]),
        tuple(spec.get("tcp", ())),
        tuple(spec.get("udp", ())),
        TcpMode(spec.get("mode", "connect")),
        identify=False,
    )
    started = time.perf_counter()
    outcome = scan_blocking(plan, adhoc_scope(LabPermission("benchmark")), settings, list_limit=100)
    elapsed = time.perf_counter() - started
    found: dict[str, list[list[Any]]] = {}
    for host in outcome.report.hosts:
        found[host.address] = [
            [p.protocol.value, p.port, p.state.value]
            for p in host.ports
            if p.state in (PortState.OPEN, PortState.OPEN_FILTERED)
            or (p.protocol is Protocol.UDP and p.state is PortState.CLOSED)
        ]
    json.dump(
        {
            "seconds": elapsed,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "mode": outcome.tcp_mode.value if outcome.tcp_mode else "",
            "found": found,
            "udp_undetermined": outcome.udp.undetermined if outcome.udp else 0,
            "event_loop": "asyncio" in sys.modules,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(json.loads(Path(sys.argv[1]).read_text()))
