#!/usr/bin/env python3
"""Select the CISA KEV entries of the edge products kenshin checks and write their facts.

Usage: scripts/kev_edge_facts.py KEV_JSON [OUT_YAML]
(default OUT_YAML: src/kenshin/vulndb/data/kev_edge.yaml)

KEV_JSON is CISA's catalogue (known_exploited_vulnerabilities.json). Only facts are
written: the CVE id, the date added, the vendor and product as CISA names them, the
ransomware flag, and the kenshin product line (vulndb/data/products.yaml key) the
entry belongs to. No text of the catalogue is copied. The product lines are chosen by
the table below (vendor, product pattern, product-line key); entries of other products
of those vendors (e-mail gateways, management servers...) are left out.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from kenshin.vulndb.sources.kev import parse_json

LINES: tuple[tuple[str, str, str], ...] = (
    ("Fortinet", r"^FortiOS", "fortios"),
    ("Palo Alto Networks", r"^PAN-OS", "panos"),
    ("Ivanti", r"Connect Secure", "ivanti_connect_secure"),
    ("Pulse Secure", r"Connect Secure", "ivanti_connect_secure"),
    ("Citrix", r"ADC|NetScaler ADC|NetScaler Gateway|Application Delivery", "citrix_adc"),
    ("SonicWall", r"^SonicOS", "sonicos"),
    ("SonicWall", r"SMA ?100|SSLVPN SMA100", "sonicwall_sma"),
    ("Cisco", r"Adaptive Security Appliance", "cisco_asa"),
    (
        "Cisco",
        r"IOS XE|IOS and IOS XE|IOS Software and Cisco IOS XE|IOS, IOS XR, and IOS XE"
        r"|IOS, XR, and XE",
        "cisco_ios_xe",
    ),
    ("Cisco", r"^IOS(?: Software| software)?$", "cisco_ios"),
    ("Juniper", r"^Junos", "junos"),
    ("Sophos", r"^(?:SFOS|XG Firewall|Firewall)$", "sophos_firewall"),
    ("Sophos", r"UTM", "sophos_utm"),
    ("WatchGuard", r"Firebox", "watchguard_fireware"),
    ("Check Point", r"Security Gateway", "checkpoint_gateway"),
    # CISA files the BUFFALO routers' firmware (made by Arcadyan) under Arcadyan.
    ("Arcadyan", r"Buffalo", "buffalo_router"),
)


def select(catalogue: dict[str, object]) -> list[dict[str, object]]:
    """The facts of every catalogue entry on one of the product lines, newest first.

    The entries are read by the knowledge base's own KEV reader, so the ransomware flag
    and the date added mean here exactly what they mean in a built knowledge base.
    """
    entries, _version = parse_json(json.dumps(catalogue), "KEV catalogue")
    out: list[dict[str, object]] = []
    for entry in entries:
        if entry.date_added is None:
            continue  # a fact needs its date
        for vendor, pattern, line in LINES:
            if entry.vendor_project == vendor and re.search(pattern, entry.product):
                out.append(
                    {
                        "cve": entry.cve,
                        "date_added": entry.date_added.isoformat(),
                        "vendor": entry.vendor_project,
                        "product": entry.product,
                        "ransomware": entry.ransomware,
                        "line": line,
                    }
                )
                break
    return sorted(out, key=lambda e: (str(e["date_added"]), str(e["cve"])), reverse=True)


def render(catalogue: dict[str, object], facts: list[dict[str, object]]) -> str:
    header = [
        "# CISA Known Exploited Vulnerabilities of the edge products kenshin checks: facts",
        "# only (id, date added, vendor/product as CISA names them, ransomware flag) and the",
        "# kenshin product line. Written by scripts/kev_edge_facts.py from the CISA KEV",
        f"# catalogue version {catalogue['catalogVersion']} "
        f"(released {str(catalogue['dateReleased'])[:10]}); do not edit by hand.",
        f'catalog_version: "{catalogue["catalogVersion"]}"',
        f'date_released: "{str(catalogue["dateReleased"])[:10]}"',
        "entries:",
    ]
    rows = [
        f'  - {{cve: {e["cve"]}, date_added: "{e["date_added"]}", '
        f"vendor: {json.dumps(e['vendor'])}, product: {json.dumps(e['product'])}, "
        f"ransomware: {str(e['ransomware']).lower()}, line: {e['line']}}}"
        for e in facts
    ]
    return "\n".join(header + rows) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    catalogue = json.loads(Path(argv[1]).read_text("utf-8"))
    default = Path(__file__).resolve().parents[1] / "src/kenshin/vulndb/data/kev_edge.yaml"
    out = Path(argv[2]) if len(argv) == 3 else default
    facts = select(catalogue)
    out.write_text(render(catalogue, facts), "utf-8")
    print(f"{len(facts)} KEV entries written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
