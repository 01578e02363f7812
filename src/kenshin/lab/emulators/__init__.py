"""Faithful protocol emulators for the test lab: servers no Debian package provides.

Each emulator is a module ``kenshin.lab.emulators.<name>`` with
``async def serve(host: str, port: int, **options: str) -> None`` that runs until
cancelled. ``EMULATORS`` lists them (name → ``EmulatorSpec``); ``start()`` runs one
in-process and says where it listens; ``python -m kenshin.lab.emulators NAME --host H
--port P [--option key=value ...]`` runs one as a process.

What each emulator says comes from public protocol specifications and vendors'
documentation; the per-product data (banners, paths, headers, per-release values) lives
in ``data/*.yaml``, each file naming its source and date.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kenshin.lab.emulators._common import on_listening
from kenshin.lab.emulators._errors import EmulatorError

Transport = Literal["tcp", "udp", "tcp+udp"]
Serve = Callable[..., Coroutine[Any, Any, None]]
#: Seconds ``start()`` waits for an emulator to listen.
START_SECONDS = 15.0


@dataclass(frozen=True)
class EmulatorSpec:
    """What the registry knows about one emulator."""

    name: str
    module: str
    protocol: Transport
    default_port: int
    description: str
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: the service name nmap's vocabulary gives what it imitates (for the lab's ground truth)
    service: str = ""

    def serve_function(self) -> Serve:
        serve: Serve = importlib.import_module(self.module).serve
        return serve


#: nmap's service name for what each emulator imitates ("tcpwrapped"/"unknown" where a
#: scanner can tell nothing more).
_SERVICES = {
    "fortigate": "https",
    "fgfm": "unknown",
    "ivanti_ics": "https",
    "globalprotect": "https",
    "citrix_gateway": "https",
    "sonicwall_sslvpn": "https",
    "cisco_asa": "https",
    "http_login": "http",
    "telnet_router": "telnet",
    "rdp": "ms-wbt-server",
    "ike": "isakmp",
    "vnc": "vnc",
    "bind_shell": "bindshell",
    "line_service": "unknown",
    "ftp_banner": "ftp",
    "memcached": "memcache",
    "mongodb": "mongodb",
    "elasticsearch": "http",
    "docker_api": "docker",
    "ntp_mode6": "ntp",
    "ssdp": "upnp",
    "netbios_ns": "netbios-ns",
    "tftp": "tftp",
    "sip": "sip",
    "openvpn": "openvpn",
    "l2tp": "l2tp",
    "radius": "radius",
    "portmapper": "rpcbind",
    "mssql_browser": "ms-sql-m",
    "cldap": "ldap",
    "ws_discovery": "ws-discovery",
    "mdns": "mdns",
    "tarpit": "tcpwrapped",
    "garbage": "unknown",
    "udp_flood": "unknown",
    "tls_nonsense": "unknown",
    "reset": "tcpwrapped",
    "slow": "ssh",
}


def _spec(
    name: str,
    protocol: Transport,
    port: int,
    description: str,
    /,
    **options: str,
) -> tuple[str, EmulatorSpec]:
    return name, EmulatorSpec(
        name=name,
        module=f"kenshin.lab.emulators.{name}",
        protocol=protocol,
        default_port=port,
        description=description,
        options=MappingProxyType(dict(options)),
        service=_SERVICES[name],
    )


EMULATORS: Mapping[str, EmulatorSpec] = MappingProxyType(
    dict(
        [
            _spec(
                "fortigate",
                "tcp",
                443,
                "Fortinet FortiGate SSL-VPN portal (optionally the admin UI) over HTTPS",
                version="7.0.11",
                model="FGT60F",
                admin_ui="false",
                serial="",
                static="shown",
            ),
            _spec(
                "fgfm",
                "tcp",
                541,
                "Fortinet FortiGate FGFM (fgfmd, FortiManager link) over TLS",
                model="FGT60F",
                serial="",
            ),
            _spec(
                "ivanti_ics",
                "tcp",
                443,
                "Ivanti/Pulse Connect Secure sign-in page with version-revealing resources",
                version="22.7R2.3",
                hostname="vpn.hospital.example",
                expose_gina="true",
                static="shown",
            ),
            _spec(
                "globalprotect",
                "tcp",
                443,
                "Palo Alto GlobalProtect portal (login.esp, prelogin.esp, dated static files)",
                version="10.2.9",
                hostname="gp.hospital.example",
                static="shown",
            ),
            _spec(
                "citrix_gateway",
                "tcp",
                443,
                "Citrix (NetScaler) Gateway logon page /vpn/index.html",
                version="13.1-49.13",
            ),
            _spec(
                "sonicwall_sslvpn",
                "tcp",
                443,
                "SonicWall SMA 100 SSL-VPN portal (Virtual Office)",
                version="10.2.1.9-57sv",
                hostname="sslvpn.hospital.example",
                tls="true",
                https_redirect="false",
            ),
            _spec(
                "cisco_asa",
                "tcp",
                443,
                "Cisco ASA AnyConnect/WebVPN portal /+CSCOE+/logon.html",
                version="9.16(4)",
                anyconnect="enabled",
                static="shown",
            ),
            _spec(
                "telnet_router",
                "tcp",
                23,
                "Telnet login of a router (YAMAHA RTX, NEC UNIVERGE IX or Cisco IOS)",
                flavor="yamaha",
                password="",
                model="",
                firmware="",
                banner_first="false",
            ),
            _spec(
                "rdp",
                "tcp",
                3389,
                "Microsoft RDP listener: X.224 Connection Confirm with RDP_NEG_RSP",
                nla="true",
                hostname="WIN-7K2QH4M1R0B",
            ),
            _spec(
                "ike",
                "udp",
                500,
                "IPsec IKE responder (IKEv1 Main Mode, IKEv2 IKE_SA_INIT; NAT-T on 4500)",
                vendor="generic",
                natt="auto",
                policy="any",
            ),
            _spec(
                "tarpit",
                "tcp",
                8443,
                "Accepts connections and never speaks (holds them open)",
                hold="600",
            ),
            _spec(
                "garbage",
                "tcp",
                9000,
                "Greets with megabytes of random bytes (or a prefix and one repeated "
                "character), then closes",
                megabytes="4",
                prefix="",
                fill="random",
            ),
            _spec(
                "udp_flood",
                "udp",
                9999,
                "Answers every UDP datagram with about 64 KB of random bytes",
                kilobytes="63.9",
            ),
            _spec(
                "tls_nonsense",
                "tcp",
                4443,
                "Answers a TLS ClientHello with junk",
                bytes="4096",
            ),
            _spec("reset", "tcp", 8081, "Accepts, then resets at once (RST via SO_LINGER 0)"),
            _spec(
                "slow",
                "tcp",
                2222,
                "Sends its banner one byte per `delay` seconds",
                banner="SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\\r\\n",
                delay="1",
            ),
            _spec(
                "http_login",
                "tcp",
                80,
                "Admin web page behind HTTP Basic or a form login; counts attempts",
                username="admin",
                password="admin",  # noqa: S106 - the factory default the lab must expose
                kind="basic",
                product="router",
                tls="false",
            ),
            _spec(
                "bind_shell",
                "tcp",
                31337,
                "Fake bind shell: root prompt, answers only `echo <marker>` and `exit`",
                prompt="root@localhost:~# ",
            ),
            _spec(
                "line_service",
                "tcp",
                31338,
                "Ordinary line-based status service (the bind shell's hardened twin)",
                name="lab-status",
            ),
            _spec(
                "ftp_banner",
                "tcp",
                21,
                "FTP control connection with a configurable greeting; no backdoor",
                banner="220 (vsFTPd 2.3.4)",
                anonymous="false",
            ),
            _spec("vnc", "tcp", 5900, "VNC RFB 3.8 handshake", auth="none", name="reception-pc"),
            _spec(
                "memcached",
                "tcp+udp",
                11211,
                "memcached text protocol (stats, version) on TCP and UDP",
                version="1.4.25",
                udp="true",
            ),
            _spec(
                "mongodb",
                "tcp",
                27017,
                "MongoDB wire protocol: hello/isMaster, buildInfo, listDatabases",
                version="4.4.6",
                auth="none",
                hostname="emr-db01",
            ),
            _spec(
                "elasticsearch",
                "tcp",
                9200,
                "Elasticsearch HTTP root JSON with the version",
                version="7.10.2",
                auth="none",
                cluster="elasticsearch",
            ),
            _spec(
                "docker_api",
                "tcp",
                2375,
                "Docker Engine API without TLS: /_ping, /version, /info",
                version="20.10.24",
                hostname="build-host",
            ),
            _spec(
                "ntp_mode6",
                "udp",
                123,
                "Old ntpd answering mode 6 READVAR and mode 7 MON_GETLIST_1 (amplification)",
                version="ntpd 4.2.6p5@1.2349-o Fri Jul 22 17:30:51 UTC 2016 (1)",
                mode6="true",
                monlist="true",
            ),
            _spec(
                "ssdp",
                "udp",
                1900,
                "UPnP device answering SSDP M-SEARCH",
                server="Linux/3.14.0 UPnP/1.0 miniupnpd/1.9",
                location="",
            ),
            _spec(
                "netbios_ns",
                "udp",
                137,
                "Windows NetBIOS name service (node status, name query)",
                name="RECEPTION-PC",
                workgroup="WORKGROUP",
                mac="00:15:5d:01:02:03",
            ),
            _spec(
                "tftp",
                "udp",
                69,
                "TFTP server (RRQ → DATA or ERROR from a new port)",
                files="startup-config",
                reply_port="new",
            ),
            _spec(
                "sip", "udp", 5060, "SIP PBX answering OPTIONS", user_agent="Asterisk PBX 16.28.0"
            ),
            _spec(
                "openvpn",
                "udp",
                1194,
                "OpenVPN server: HARD_RESET_SERVER_V2 reply",
                tls_auth="false",
            ),
            _spec(
                "l2tp",
                "udp",
                1701,
                "L2TP LNS answering SCCRQ with SCCRP",
                host_name="rtx1210",
                vendor="YAMAHA Corporation",
                firmware="0e01",
            ),
            _spec(
                "radius",
                "udp",
                1812,
                "RADIUS server rejecting every Access-Request",
                secret="testing123",  # noqa: S106 - FreeRADIUS's example secret, lab only
            ),
            _spec(
                "portmapper",
                "udp",
                111,
                "ONC RPC port mapper / rpcbind (GETPORT, DUMP)",
                nfs="true",
            ),
            _spec(
                "mssql_browser",
                "udp",
                1434,
                "SQL Server Browser (SVR_RESP)",
                server_name="SQL01",
                instance="MSSQLSERVER",
                version="15.0.2000.5",
                tcp_port="1433",
            ),
            _spec(
                "cldap",
                "udp",
                389,
                "Connectionless LDAP rootDSE (searchResEntry)",
                domain="hospital.example",
                dc_name="DC01",
            ),
            _spec(
                "ws_discovery",
                "udp",
                3702,
                "WS-Discovery ProbeMatches (camera or printer)",
                device="camera",
                model="IPC-HFW2431S",
            ),
            _spec(
                "mdns",
                "udp",
                5353,
                "mDNS/DNS-SD responder (services query, legacy unicast)",
                hostname="printer-2f",
                services="_http._tcp,_ipp._tcp,_printer._tcp",
            ),
        ]
    )
)


def settings(name: str, given: Mapping[str, str]) -> dict[str, str]:
    """The options of emulator ``name``: its defaults overlaid with ``given``.

    Raises ``EmulatorError`` for an unknown emulator or option.
    """
    spec = spec_of(name)
    unknown = sorted(set(given) - set(spec.options))
    if unknown:
        raise EmulatorError(
            "lab_emulators.unknown_option",
            name=name,
            option=unknown[0],
            known=", ".join(sorted(spec.options)) or "-",
        )
    merged = dict(spec.options)
    merged.update({key: str(value) for key, value in given.items()})
    return merged


def spec_of(name: str) -> EmulatorSpec:
    try:
        return EMULATORS[name]
    except KeyError:
        raise EmulatorError(
            "lab_emulators.unknown", name=name, known=", ".join(sorted(EMULATORS))
        ) from None


@dataclass
class RunningEmulator:
    """An emulator running as a task of the current event loop."""

    name: str
    task: asyncio.Task[None]
    #: (protocol, host, port) of every socket it listens on.
    addresses: list[tuple[str, str, int]]

    @property
    def port(self) -> int:
        return self.addresses[0][2]

    @property
    def host(self) -> str:
        return self.addresses[0][1]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def start(
    name: str, host: str = "127.0.0.1", port: int = 0, /, **options: str
) -> RunningEmulator:
    """Run emulator ``name`` in this event loop and return once it listens.

    ``port=0`` picks a free port (for ``tcp+udp`` emulators, the same number for both).
    """
    spec = spec_of(name)
    settings(name, options)  # fail early on a bad option name
    serve = spec.serve_function()
    expected = 1
    if spec.protocol == "tcp+udp":
        # both sockets, unless told to skip UDP (e.g. memcached's hardened twin)
        skip_udp = options.get("udp", "true").lower() in ("false", "no", "0", "off")
        expected = 1 if skip_udp else 2
    addresses: list[tuple[str, str, int]] = []
    ready = asyncio.Event()

    def listening(_name: str, protocol: str, address: tuple[Any, ...]) -> None:
        addresses.append((protocol, str(address[0]), int(address[1])))
        if len(addresses) >= expected:
            ready.set()

    token = on_listening.set(listening)
    try:
        task = asyncio.create_task(serve(host, port, **options), name=f"emulator-{name}")
    finally:
        on_listening.reset(token)
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=START_SECONDS, return_when="FIRST_COMPLETED"
    )
    waiter.cancel()
    if task in done:
        task.result()  # raises what made it stop
        raise EmulatorError("lab_emulators.stopped", name=name)
    if not ready.is_set():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise TimeoutError(f"emulator {name} did not listen within {START_SECONDS} s")
    return RunningEmulator(name=name, task=task, addresses=addresses)


def command_line(
    name: str, host: str, port: int, /, python: str | None = None, **options: str
) -> list[str]:
    """The argument list that runs emulator ``name`` as a process (e.g. in a namespace)."""
    settings(name, options)
    argv = [python or sys.executable, "-m", "kenshin.lab.emulators", name]
    argv += ["--host", host, "--port", str(port)]
    for key, value in options.items():
        argv += ["--option", f"{key}={value}"]
    return argv


def parse_ready(line: str) -> tuple[str, str, str, int] | None:
    """(name, protocol, host, port) from a ``READY ...`` line of the runner, else None."""
    parts = line.split()
    if len(parts) != 5 or parts[0] != "READY" or not parts[4].isdigit():
        return None
    return parts[1], parts[2], parts[3], int(parts[4])


@contextmanager
def running(
    name: str, host: str = "127.0.0.1", port: int = 0, /, **options: str
) -> Iterator[RunningEmulator]:
    """Run emulator ``name`` on its own event loop in a background thread.

    For blocking callers (tests, benchmarks, the loopback lab): yields once the emulator
    listens and stops it (and its thread) on exit.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"emulator-{name}", daemon=True)
    thread.start()
    try:
        emulator = asyncio.run_coroutine_threadsafe(
            start(name, host, port, **options), loop
        ).result(30)
        try:
            yield emulator
        finally:
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


__all__ = [
    "EMULATORS",
    "EmulatorError",
    "EmulatorSpec",
    "RunningEmulator",
    "command_line",
    "parse_ready",
    "running",
    "settings",
    "spec_of",
    "start",
]
