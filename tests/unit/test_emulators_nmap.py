"""nmap -sV — the benchmark peer, a real client with real servers' signatures — names the
TCP emulators as the products they imitate. Loopback only; slow (about 30 s)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest

from kenshin.lab.emulators import running

LOOPBACK = "127.0.0.1"

EXPECTED = {
    # name: (options, service, text in nmap's version column)
    "rdp": ({}, "ms-wbt-server", "Microsoft Terminal Services"),
    "vnc": ({}, "vnc", "VNC (protocol 3.8)"),
    "ftp_banner": ({}, "ftp", "vsftpd 2.3.4"),
    "elasticsearch": ({"version": "7.10.2"}, "http", "Elasticsearch REST API 7.10.2"),
    "docker_api": ({"version": "20.10.24"}, "docker", "Docker 20.10.24"),
    "telnet_router": ({"flavor": "cisco"}, "telnet", "Cisco IOS telnetd"),
    "fortigate": ({}, "ssl/http", "Fortinet security device httpd"),
    "sonicwall_sslvpn": ({}, "ssl/http-proxy", "SonicWALL SSL-VPN"),
    "globalprotect": ({}, "ssl/http", "Palo Alto PanWeb httpd"),
    "citrix_gateway": ({}, "ssl/http", "Citrix NetScaler SSL VPN"),
    "cisco_asa": ({}, "ssl/http", "Cisco ASA"),
}


@pytest.mark.slow
def test_nmap_identifies_the_tcp_emulators() -> None:
    nmap = shutil.which("nmap")
    if nmap is None:
        reason = "nmap is not installed (Debian package nmap; see scripts/apt-packages.txt)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with contextlib.ExitStack() as stack:
        ports = {}
        for name, (options, _, _) in EXPECTED.items():
            emulator = stack.enter_context(running(name, **options))
            ports[emulator.port] = name
        result = subprocess.run(
            [nmap, "-n", "-Pn", "-sV", "-p", ",".join(map(str, ports)), LOOPBACK],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    seen = {}
    for line in result.stdout.splitlines():
        head, _, rest = line.partition("/tcp")
        if rest and head.isdigit():
            fields = rest.split(None, 2)  # state, service, version
            seen[ports[int(head)]] = (fields[1], fields[2] if len(fields) > 2 else "")
    for name, (_, service, version) in EXPECTED.items():
        assert seen[name][0] == service, (name, seen.get(name))
        assert version in seen[name][1], (name, seen.get(name))
