"""The network engine: TCP connect and SYN scans, UDP with protocol payloads, pacing, stop."""

from kenshin.scan.engine import (
    PORTS_ONLY,
    PortKey,
    PostScanStage,
    RunStatus,
    ScanContext,
    ScanListener,
    ScanOutcome,
    ScanPipeline,
    ScanPlan,
    ServiceIdentifier,
    choose_tcp_mode,
    run_scan,
)
from kenshin.scan.errors import ScanError
from kenshin.scan.export import (
    read_nmap_xml,
    report_document,
    report_nmap_xml,
    scan_schema,
    validate_scan_document,
    write_json,
)
from kenshin.scan.pacing import EmergencyStop, RttEstimator, TokenBucket, default_stop_file
from kenshin.scan.ports import parse_ports, ranked_ports, service_name, top_ports
from kenshin.scan.settings import HOSPITAL, LAB, PROFILES, ScanSettings, TcpMode, profile
from kenshin.scan.targets import parse_targets
from kenshin.scan.tcp_syn import syn_available
from kenshin.scan.udp import UdpSummary, payloads_for, udp_payloads

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
    "parse_ports",
    "parse_targets",
    "payloads_for",
    "profile",
    "ranked_ports",
    "read_nmap_xml",
    "report_document",
    "report_nmap_xml",
    "run_scan",
    "scan_schema",
    "service_name",
    "syn_available",
    "top_ports",
    "udp_payloads",
    "validate_scan_document",
    "write_json",
]
