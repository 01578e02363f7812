"""The network engine: TCP connect and SYN scans, UDP with protocol payloads, pacing, stop.
Names are imported from their modules when first used (PEP 562), so a process that only
scans does not pay for the nmap XML/JSON export (jsonschema), the UDP payload table
(YAML) or asyncio unless it uses them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kenshin.scan.collect import (
        PortKey,
        ScanListener,
    )
    from kenshin.scan.engine import (
        PORTS_ONLY,
        PostScanStage,
        RunStatus,
        ScanContext,
        ScanOutcome,
        ScanPipeline,
        ScanPlan,
        ServiceIdentifier,
        choose_tcp_mode,
        run_scan,
        scan_blocking,
    )
    from kenshin.scan.errors import (
        ScanError,
    )
    from kenshin.scan.export import (
        read_nmap_xml,
        report_document,
        report_nmap_xml,
        scan_schema,
        validate_scan_document,
        write_json,
    )
    from kenshin.scan.pacing import (
        EmergencyStop,
        RttEstimator,
        TokenBucket,
        default_stop_file,
    )
    from kenshin.scan.ports import (
        kenshin_service,
        parse_ports,
        port_ranges,
        ranked_ports,
        service_name,
        top_ports,
    )
    from kenshin.scan.settings import (
        HOSPITAL,
        LAB,
        PROFILES,
        ScanSettings,
        TcpMode,
        profile,
    )
    from kenshin.scan.targets import (
        parse_targets,
    )
    from kenshin.scan.tcp_syn import (
        syn_available,
    )
    from kenshin.scan.udp import (
        UdpSummary,
        payloads_for,
        udp_payloads,
    )

_WHERE = {
    "EmergencyStop": "kenshin.scan.pacing",
    "HOSPITAL": "kenshin.scan.settings",
    "LAB": "kenshin.scan.settings",
    "PORTS_ONLY": "kenshin.scan.engine",
    "PROFILES": "kenshin.scan.settings",
    "PortKey": "kenshin.scan.collect",
    "PostScanStage": "kenshin.scan.engine",
    "RttEstimator": "kenshin.scan.pacing",
    "RunStatus": "kenshin.scan.engine",
    "ScanContext": "kenshin.scan.engine",
    "ScanError": "kenshin.scan.errors",
    "ScanListener": "kenshin.scan.collect",
    "ScanOutcome": "kenshin.scan.engine",
    "ScanPipeline": "kenshin.scan.engine",
    "ScanPlan": "kenshin.scan.engine",
    "ScanSettings": "kenshin.scan.settings",
    "ServiceIdentifier": "kenshin.scan.engine",
    "TcpMode": "kenshin.scan.settings",
    "TokenBucket": "kenshin.scan.pacing",
    "UdpSummary": "kenshin.scan.udp",
    "choose_tcp_mode": "kenshin.scan.engine",
    "default_stop_file": "kenshin.scan.pacing",
    "kenshin_service": "kenshin.scan.ports",
    "parse_ports": "kenshin.scan.ports",
    "parse_targets": "kenshin.scan.targets",
    "port_ranges": "kenshin.scan.ports",
    "payloads_for": "kenshin.scan.udp",
    "profile": "kenshin.scan.settings",
    "ranked_ports": "kenshin.scan.ports",
    "read_nmap_xml": "kenshin.scan.export",
    "report_document": "kenshin.scan.export",
    "report_nmap_xml": "kenshin.scan.export",
    "run_scan": "kenshin.scan.engine",
    "scan_blocking": "kenshin.scan.engine",
    "scan_schema": "kenshin.scan.export",
    "service_name": "kenshin.scan.ports",
    "syn_available": "kenshin.scan.tcp_syn",
    "top_ports": "kenshin.scan.ports",
    "udp_payloads": "kenshin.scan.udp",
    "validate_scan_document": "kenshin.scan.export",
    "write_json": "kenshin.scan.export",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "HOSPITAL",
    "LAB",
    "PORTS_ONLY",
    "PROFILES",
    "EmergencyStop",
    "PortKey",
    "PostScanStage",
    "RttEstimator",
    "RunStatus",
    "ScanContext",
    "ScanError",
    "ScanListener",
    "ScanOutcome",
    "ScanPipeline",
    "ScanPlan",
    "ScanSettings",
    "ServiceIdentifier",
    "TcpMode",
    "TokenBucket",
    "UdpSummary",
    "choose_tcp_mode",
    "default_stop_file",
    "kenshin_service",
    "parse_ports",
    "parse_targets",
    "payloads_for",
    "port_ranges",
    "profile",
    "ranked_ports",
    "read_nmap_xml",
    "report_document",
    "report_nmap_xml",
    "run_scan",
    "scan_blocking",
    "scan_schema",
    "service_name",
    "syn_available",
    "top_ports",
    "udp_payloads",
    "validate_scan_document",
    "write_json",
]
