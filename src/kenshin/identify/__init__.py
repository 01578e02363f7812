"""Service and version identification (issue 3 §4).

``identify_host(address, ports)`` fills ``PortResult.identity`` for open TCP ports and
UDP ports that answered: nmap's service name, product, version exactly as shown, CPE 2.3
names, confidence (``inferred`` for versions deduced from static resources) and the
evidence. The engine is generic; probes, match rules, web fingerprints, version
inference tables and IKE vendor IDs are YAML files in ``kenshin/identify/data``.
``compare_reported_versions`` turns a disagreement between a vendor-reported firmware
version and what the appliance shows into a configuration finding.
"""

from kenshin.identify.compare import compare_reported_versions
from kenshin.identify.engine import identify_host, identify_port
from kenshin.identify.errors import IdentifyError
from kenshin.identify.rules import Knowledge, load_knowledge
from kenshin.identify.settings import LAB_SETTINGS, IdentifySettings

__all__ = [
    "LAB_SETTINGS",
    "IdentifyError",
    "IdentifySettings",
    "Knowledge",
    "compare_reported_versions",
    "identify_host",
    "identify_port",
    "load_knowledge",
]
