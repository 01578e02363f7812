"""One kenshin scan in a process of its own, reported as JSON lines on stdout (``bench/scan.py``).

This is the process whose peak memory the port-scan benchmark compares with nmap's, so it
imports only what a scan needs: no benchmark harness (argparse, statistics, subprocess),
and no event loop (``scan_blocking`` runs SYN, connect and UDP in threads). Each host's
result is written as one line when the engine hands it over (as nmap writes its XML as it
goes), so neither the engine nor this process holds the whole report; the last line is
the summary.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kenshin.domain import HostResult


def main(spec: dict[str, Any]) -> None:
    from kenshin.domain import PortState, Protocol
    from kenshin.scan import HOSPITAL, LAB, ScanPlan, TcpMode, scan_blocking
    from kenshin.scope import LabPermission, adhoc_scope

    settings = LAB if spec["profile"] == "lab" else HOSPITAL
    plan = ScanPlan(
        tuple(spec.pop("targets")),
        tuple(spec.get("tcp", ())),
        tuple(spec.get("udp", ())),
        TcpMode(spec.get("mode", "connect")),
        identify=False,
    )
    out = sys.stdout
    found = (PortState.OPEN, PortState.OPEN_FILTERED)

    def host(result: HostResult) -> None:
        listed = [
            [p.protocol.value, p.port, p.state.value]
            for p in result.ports
            if p.state in found or (p.protocol is Protocol.UDP and p.state is PortState.CLOSED)
        ]
        out.write(json.dumps({"host": result.address, "found": listed}) + "\n")

    started = time.perf_counter()
    outcome = scan_blocking(
        plan, adhoc_scope(LabPermission("benchmark")), settings, list_limit=100, hosts=host
    )
    elapsed = time.perf_counter() - started
    json.dump(
        {
            "seconds": elapsed,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "mode": outcome.tcp_mode.value if outcome.tcp_mode else "",
            "udp_undetermined": outcome.udp.undetermined if outcome.udp else 0,
            "event_loop": "asyncio" in sys.modules,
        },
        out,
    )
    out.write("\n")


if __name__ == "__main__":
    main(json.loads(Path(sys.argv[1]).read_text()))
