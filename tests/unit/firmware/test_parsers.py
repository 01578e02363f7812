"""Device outputs as vendors paste them.

The samples are written by us in the layout of each vendor's documented command output
(hostnames, serial numbers and addresses are fictitious; addresses are documentation
ranges): FortiOS CLI Reference ``get system status`` / ``get system interface``; YAMAHA
RT series command reference ``show environment`` and the ``show config`` header; Cisco
IOS / IOS XE / ASA command references ``show version``; NEC UNIVERGE IX command
reference ``show version``; PAN-OS CLI ``show system info``; SonicOS 7 CLI reference
``show version``; the Ivanti Connect Secure admin console System > Overview; Juniper
Junos ``show version``; and SNMP sysDescr values as those products report them.
"""

from __future__ import annotations

import pytest

from kenshin.domain import Confidence
from kenshin.firmware import parse_device_output

FORTIOS = """\
FGT60F-HOSP # get system status
Version: FortiGate-60F v7.0.11,build0489,230328 (GA.F)
Firmware Signature: certified
Virus-DB: 91.02412(2023-04-11 09:26)
Serial-Number: FGT60FTK21000000
BIOS version: 05000009
Hostname: FGT60F-HOSP
Operation Mode: NAT
Current virtual domain: root
System time: Thu Nov 26 10:00:00 2026

FGT60F-HOSP # get system interface
== [ wan1 ]
name: wan1   mode: static    ip: 198.51.100.10 255.255.255.248   status: up
== [ internal ]
name: internal   mode: static    ip: 192.168.1.99 255.255.255.0   status: up
"""

YAMAHA_ENV = """\
RTX1210 BootROM Ver. 1.04
RTX1210 FlashROM Table Ver. 1.02
RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)
  main:  RTX1210 ver=00 serial=S00000000 MAC-Address=00:a0:de:00:00:01
CPU:   1%(5sec)   1%(1min)   1%(5min)   Memory:  22% used
Elapsed time from boot: 120days 03:15:40
"""

YAMAHA_CONFIG = """\
# RTX830 Rev.15.02.30 (Tue Oct 10 15:48:25 2023)
# MAC Address : 00:a0:de:00:00:02, 00:a0:de:00:00:03
# Memory 256Mbytes, 2LAN
# main:  RTX830 ver=00 serial=S00000001 MAC-Address=00:a0:de:00:00:02
# Reporting Date: Nov 26 10:00:00 2026
ip route default gateway pp 1
ip lan1 address 192.168.100.1/24
pp select 1
 ip pp address 203.0.113.20/32
"""

CISCO_IOS = """\
Cisco IOS Software, C800 Software (C800-UNIVERSALK9-M), Version 15.9(3)M7, RELEASE SOFTWARE (fc1)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2023 by Cisco Systems, Inc.

ROM: System Bootstrap, Version 15.5(3r)M, RELEASE SOFTWARE (fc1)
router uptime is 10 weeks, 2 days
System image file is "flash:c800-universalk9-mz.SPA.159-3.M7.bin"
cisco C891FJ-K9 (revision 1.0) with 488524K/35763K bytes of memory.
GigabitEthernet8 is the WAN, address 198.51.100.33
"""

CISCO_XE = (
    "Cisco IOS XE Software, Version 17.09.04a\n"
    "Cisco IOS Software [Cupertino], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), "
    "Version 17.9.4a, RELEASE SOFTWARE (fc3)\n"
    """\
cisco ISR4331/K9 (1RU) processor with 1795999K/6147K bytes of memory.
"""
)

CISCO_ASA = """\
Cisco Adaptive Security Appliance Software Version 9.16(4)19
SSP Operating System Version 2.10(1.179)
Device Manager Version 7.16(1)150
Hardware:   ASA5506, 4096 MB RAM, CPU Atom C2000 series 1250 MHz, 1 CPU (4 cores)
 1: Ext: GigabitEthernet1/1  : address is 0000.0000.0001, irq 255
outside interface address 203.0.113.5
"""

NEC_IX = """\
NEC Portable Internetwork Core Operating System Software
IX Series IX2215 (magellan-sec) Software, Version 10.2.16, RELEASE SOFTWARE
Compiled Mar 01-Tue-2022 10:00:00 JST #2 by sw-build, coregen-10.2(16)
ROM: System Bootstrap, Version 25.1
System Diagnostic: PASS
IX2215 uptime is 30 days
"""

PANOS = """\
hostname: PA-HOSP
ip-address: 192.168.1.1
public-ip-address: 198.51.100.77
model: PA-440
serial: 000000000000
sw-version: 10.2.9-h1
global-protect-client-package-version: 6.2.3
app-version: 8799-8509
"""

SONICOS = """\
firmware-version "SonicOS 7.0.1-5145-R5175"
rom-version "SonicROM 7.0.0.8"
model "TZ 470"
serial-number "000000000000"
system-uptime "10 Days, 2 Hours"
"""

IVANTI = """\
System > Overview
Software Version: Ivanti Connect Secure 22.7R2.3 (build 3431)
Model: PSA3000
External port: 203.0.113.44
"""

JUNOS = """\
Hostname: srx-hosp
Model: srx300
Junos: 22.4R3-S2.11
JUNOS Software Release [22.4R3-S2.11]
"""

CASES = [
    (FORTIOS, "Fortinet", "FortiGate-60F", "v7.0.11,build0489,230328 (GA.F)", ("198.51.100.10",)),
    (YAMAHA_ENV, "YAMAHA", "RTX1210", "Rev.14.01.38", ()),
    (YAMAHA_CONFIG, "YAMAHA", "RTX830", "Rev.15.02.30", ("203.0.113.20",)),
    (CISCO_IOS, "Cisco", "C891FJ-K9", "15.9(3)M7", ("198.51.100.33",)),
    (CISCO_XE, "Cisco", "ISR4331/K9", "17.9.4a", ()),
    (CISCO_ASA, "Cisco", "ASA5506", "9.16(4)19", ("203.0.113.5",)),
    (NEC_IX, "NEC", "UNIVERGE IX2215", "10.2.16", ()),
    (PANOS, "Palo Alto Networks", "PA-440", "10.2.9-h1", ()),
    (SONICOS, "SonicWall", "TZ 470", "7.0.1-5145-R5175", ()),
    (IVANTI, "Ivanti", "Connect Secure", "22.7R2.3 (build 3431)", ("203.0.113.44",)),
    (JUNOS, "Juniper", "srx300", "22.4R3-S2.11", ()),
]


@pytest.mark.parametrize(
    ("text", "vendor", "model", "version", "wan"), CASES, ids=[c[1] + "-" + c[2] for c in CASES]
)
def test_recognised(text: str, vendor: str, model: str, version: str, wan: tuple[str, ...]) -> None:
    parsed = parse_device_output(text)
    assert parsed.found
    assert (parsed.vendor, parsed.model, parsed.version) == (vendor, model, version)
    assert parsed.wan_addresses == wan
    assert parsed.confidence is Confidence.HIGH
    assert parsed.recognised


@pytest.mark.parametrize(
    ("sysdescr", "vendor", "version"),
    [
        (
            "Cisco IOS Software, C800 Software (C800-UNIVERSALK9-M), Version 15.9(3)M7, RELEASE "
            "SOFTWARE (fc1)\r\nTechnical Support: http://www.cisco.com/techsupport",
            "Cisco",
            "15.9(3)M7",
        ),
        ("RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)", "YAMAHA", "Rev.14.01.38"),
        (
            "NEC Portable Internetwork Core Operating System Software, IX Series IX2215 "
            "(magellan-sec) Software, Version 10.2.16, RELEASE SOFTWARE",
            "NEC",
            "10.2.16",
        ),
        (
            "Juniper Networks, Inc. srx300 internet router, kernel JUNOS 22.4R3-S2.11, Build date: "
            "2023-11-01 00:00:00 UTC",
            "Juniper",
            "22.4R3-S2.11",
        ),
        (
            "FortiGate-60F v7.0.11,build0489,230328 (GA.F)",
            "Fortinet",
            "v7.0.11,build0489,230328 (GA.F)",
        ),
    ],
)
def test_snmp_sysdescr(sysdescr: str, vendor: str, version: str) -> None:
    parsed = parse_device_output(sysdescr)
    assert parsed.found
    assert parsed.vendor == vendor
    assert parsed.version == version


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "hello, please find attached the configuration you asked for",
        "Palo Alto Networks PA-400 series firewall",  # a sysDescr without a version
        "interface wan1 ip 0.0.0.0\nSerial: 12345\n",
        "\x00\x01\x02binary garbage \xff",
    ],
)
def test_no_version_is_said_clearly(text: str) -> None:
    parsed = parse_device_output(text)
    assert not parsed.found
    assert parsed.version is None
    assert "バージョンを見つけられませんでした" in parsed.message_ja
    assert "Could not find a version" in parsed.message_en


def test_mixed_outputs_are_not_guessed() -> None:
    parsed = parse_device_output(FORTIOS + "\n" + YAMAHA_ENV)
    assert not parsed.found
    assert "several devices" in parsed.message_en
    assert "RTX1210" in parsed.message_en
    assert "198.51.100.10" in parsed.wan_addresses


def test_private_and_netmask_addresses_are_not_wan() -> None:
    parsed = parse_device_output(FORTIOS)
    assert "192.168.1.99" not in parsed.wan_addresses
    assert "255.255.255.248" not in parsed.wan_addresses


def test_parsed_versions_feed_the_knowledge_base(tmp_path: object) -> None:
    from pathlib import Path

    from kenshin.vulndb import open_knowledge_base

    kb = open_knowledge_base(Path(str(tmp_path)) / "absent.sqlite3")
    parsed = parse_device_output(FORTIOS)
    result = kb.check_firmware(parsed.vendor, parsed.model, parsed.version)
    assert result.status == "affected"
    assert {"CVE-2023-27997", "CVE-2024-21762"} <= {m.cve for m in result.matches}
    parsed = parse_device_output(PANOS)
    panos = {m.cve for m in kb.check_firmware(parsed.vendor, parsed.model, parsed.version).matches}
    # 10.2.9-h1 is CVE-2024-3400's fix (the hotfix suffix reached the check) but is
    # inside CVE-2024-0012's range
    assert "CVE-2024-3400" not in panos
    assert "CVE-2024-0012" in panos


# ---------------------------------------------------------------- defects of issue 16
def test_ppp_peer_address_is_never_wan() -> None:
    text = (
        "PP[01]:\nPPPoEセッションは接続されています\n"
        "    IPCP Local: IP-Address Primary-DNS(198.51.100.53), Remote: IP-Address\n"
        "    PP IP Address Local: 203.0.113.45, Remote: 198.51.100.1\n"
    )
    parsed = parse_device_output(text)
    assert parsed.wan_addresses == ("203.0.113.45",)
    assert parsed.wan[0].line == "PP IP Address Local: 203.0.113.45, Remote: 198.51.100.1"


@pytest.mark.parametrize(
    "line",
    [
        'RFC1213-MIB::sysDescr.0 = STRING: "RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)"',
        "SNMPv2-MIB::sysDescr.0 = STRING: RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)",
        '.1.3.6.1.2.1.1.1.0 = STRING: "RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)"',
        'iso.3.6.1.2.1.1.1.0 = STRING: "RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)"',
        'STRING: "RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)"',
    ],
)
def test_snmp_tool_output(line: str) -> None:
    parsed = parse_device_output(line)
    assert (parsed.vendor, parsed.model, parsed.version) == ("YAMAHA", "RTX1210", "Rev.14.01.38")


def test_unrecognised_output_names_the_nearest_vendor() -> None:
    parsed = parse_device_output("Palo Alto Networks PA-400 series firewall")
    assert not parsed.found
    assert parsed.nearest_vendor == "Palo Alto Networks"
    assert "Palo Alto Networks" in parsed.message_ja
    assert "closest to Palo Alto Networks" in parsed.message_en
    unknown = parse_device_output("hello, please find attached the configuration")
    assert unknown.nearest_vendor is None
    assert "any vendor kenshin knows" in unknown.message_en


@pytest.mark.parametrize(
    "line",
    [
        " ip pp address 1.2.3.4/32",
        " ip pp address 123.123.123.123/32",
        "ip lan2 address 10.0.0.1/8",
    ],
)
def test_placeholder_and_private_addresses_are_not_wan(line: str) -> None:
    parsed = parse_device_output("# RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)\n" + line)
    assert parsed.found
    assert parsed.wan_addresses == ()


@pytest.mark.parametrize(
    ("version", "affected"),
    [("9.10(1)42", False), ("9.10.1.42", False), ("9.10(1)41", True), ("9.10.1.30", True)],
)
def test_asa_interim_release_is_compared_in_four_parts(
    tmp_path: object, version: str, affected: bool
) -> None:
    from pathlib import Path

    from kenshin.vulndb import open_knowledge_base

    kb = open_knowledge_base(Path(str(tmp_path)) / "absent.sqlite3")
    result = kb.check_firmware("Cisco", "ASA5508", version)
    assert ("CVE-2020-3452" in {m.cve for m in result.matches}) is affected
