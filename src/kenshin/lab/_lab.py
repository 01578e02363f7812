"""``Lab``: build a profile's hosts in network namespaces, start their services, tear down."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from types import TracebackType
from typing import Any

from kenshin.domain import PortState, Protocol
from kenshin.lab import _daemons, _firewall, _netns
from kenshin.lab._model import Firewall, LabError, LabHost, LabService, LabWarning, expected_state
from kenshin.lab._profile import HostSpec, ProfileSpec, ServiceSpec, load_profile
from kenshin.lab.emulators import EMULATORS

READY_TIMEOUT = 20.0
LOOPBACK_PORT_SHIFT = 20000
RANDOM = "@random"
"""An emulator option given as ``@random`` gets a fresh value per lab (see ``settings``)."""


def is_root() -> bool:
    return os.geteuid() == 0


def registered_emulators() -> dict[str, str]:
    """Emulator name → its transport (``tcp``, ``udp`` or ``tcp+udp``)."""
    return {name: spec.protocol for name, spec in EMULATORS.items()}


def _hex_address(address: str) -> str:
    """An IPv4 address as /proc/net/{tcp,udp} writes it (host byte order, little-endian)."""
    return IPv4Address(address).packed[::-1].hex().upper()


def listening_sockets(pid: int, address: str | None = None) -> set[tuple[str, int]]:
    """(protocol, port) of every listening TCP / bound UDP socket in ``pid``'s namespace.

    With ``address``, only IPv4 sockets bound to that address.
    """
    wanted_address = _hex_address(address) if address else None
    found: set[tuple[str, int]] = set()
    for proto, wanted in (("tcp", "0A"), ("udp", "07")):
        for suffix in ("", "6"):
            try:
                lines = Path(f"/proc/{pid}/net/{proto}{suffix}").read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                parts = line.split()
                if len(parts) <= 3 or parts[3] != wanted:
                    continue
                local, _, port = parts[1].rpartition(":")
                if wanted_address is None or local == wanted_address:
                    found.add((proto, int(port, 16)))
    return found


def _tail(path: Path, limit: int = 800) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip()
    except OSError:
        return ""


@dataclass
class _Running:
    launch: _daemons.Launch
    process: subprocess.Popen[bytes]


def _firewall_of(host: HostSpec) -> Firewall | None:
    if host.firewall is None:
        return None
    f = host.firewall
    return Firewall(
        frozenset(f.tcp_accept),
        frozenset(f.tcp_reset),
        frozenset(f.tcp_prohibit),
        frozenset(f.udp_accept),
        frozenset(f.udp_unreachable),
        frozenset(f.udp_prohibit),
    )


class Lab:
    """A running lab: ``hosts`` (role → ``LabHost``), ``services`` (the ground truth).

    Start with ``Lab.start("test")`` and always ``close()`` it (or use ``with``): that
    stops exactly the processes the lab started and removes its namespaces and links.
    """

    mode: str
    profile: str
    slot: str
    hosts: dict[str, LabHost]
    services: list[LabService]
    missing: list[str]
    """Services of the profile that were not started, with the reason."""
    tmpdir: Path

    def __init__(self) -> None:  # use Lab.start
        self.mode = "netns"
        self.hosts = {}
        self.services = []
        self.missing = []
        self._running: list[_Running] = []
        self._slot: _netns.Slot | None = None
        self._namespaces: list[str] = []
        self._closed = False
        self._keeper = False
        self._settings: dict[str, dict[str, str]] = {}
        self.tmpdir = Path()

    # ----------------------------------------------------------------- start
    @classmethod
    def start(
        cls,
        profile: str | Path = "test",
        *,
        strict: bool | None = None,
        ready_timeout: float = READY_TIMEOUT,
        lock_wait: float = 30.0,
        keeper: bool = False,
        mode: str = "auto",
    ) -> Lab:
        """Build and start ``profile``; raise ``LabError`` (after cleaning up) if it cannot.

        ``profile``: a shipped profile's name (``test``, ``demo``, ``bench``) or the path
        of a profile file of the same format.

        ``strict``: an emulator the profile names but ``kenshin.lab.emulators`` does not
        register is an error (default when env ``CI`` or ``KENSHIN_LAB_STRICT`` is set);
        otherwise it is left out with a ``LabWarning`` and listed in ``missing``.
        ``keeper``: this process only keeps the lab up for ``kenshin lab up``.
        ``mode``: ``netns`` (needs root), ``loopback`` (no namespaces: only the emulators,
        on 127.77.<slot>.<octet>, ports below 1024 moved up by 20000 when not root; real
        daemons and firewalled hosts are left out and listed in ``missing``) or ``auto``
        (``netns`` as root, else ``loopback``).
        """
        spec = load_profile(profile)
        if mode == "auto":
            mode = "netns" if is_root() else "loopback"
        if mode not in ("netns", "loopback"):
            raise LabError("lab.bad_mode", mode=mode)
        if mode == "netns" and not is_root():
            raise LabError("lab.needs_root")
        if mode == "netns" and (shutil.which("ip") is None or shutil.which("nft") is None):
            raise LabError("lab.missing_packages", packages="iproute2, nftables")
        if strict is None:
            strict = bool(os.environ.get("CI") or os.environ.get("KENSHIN_LAB_STRICT"))
        lab = cls()
        lab.mode = mode
        lab.profile = spec.name
        lab._keeper = keeper
        _netns.cleanup_stale()
        lab._slot = _netns.acquire_slot(
            spec.fixed_addresses, wait_seconds=lock_wait, loopback=mode == "loopback"
        )
        lab.slot = lab._slot.key
        atexit.register(lab.close)
        try:
            lab._build(spec, strict, ready_timeout)
        except BaseException:
            lab.close()
            raise
        return lab

    def _build(self, spec: ProfileSpec, strict: bool, ready_timeout: float) -> None:
        slot = self._slot
        assert slot is not None
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"{_netns.TMP_PREFIX}{slot.key}-"))
        self.tmpdir.chmod(0o755)
        if slot.loopback:
            self._build_loopback(spec, strict, ready_timeout)
            return
        plans: list[_netns.HostPlan] = []
        for host in spec.hosts:
            address, wide = self._addresses(slot, host)
            ns = slot.namespace(host.role)
            plans.append(_netns.HostPlan(host.role, ns, address, wide, host.icmp_unlimited))
            self.hosts[host.role] = LabHost(
                host.role,
                str(address),
                ns,
                (str(wide),) if wide else (),
                _firewall_of(host),
                host.quiet_every,
            )
        self._namespaces = [slot.router] + [p.namespace for p in plans]
        self._save_state(ready=False)
        _netns.build_topology(slot, plans)

        wanted = self._select_services(spec, strict)
        kinds = {s.daemon for _, s in wanted if s.daemon}
        absent = _daemons.missing_binaries({k for k in kinds if k})
        if absent:
            raise LabError("lab.missing_packages", packages=", ".join(absent))

        context = _daemons.Context(self.tmpdir, {r: h.address for r, h in self.hosts.items()})
        launches = self._launches(context, spec, wanted)
        counted: dict[str, set[tuple[str, int]]] = {h.role: set() for h in spec.hosts}
        for host, service in wanted:
            counted[host.role].add((service.protocol, service.port))
            if service.daemon == "dnsmasq":
                counted[host.role].add(("tcp", service.port))
            if registered_emulators().get(service.emulator or "") == "tcp+udp":
                counted[host.role] |= {("tcp", service.port), ("udp", service.port)}
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(
                pool.map(
                    lambda role: _firewall.apply(
                        self.hosts[role].namespace,
                        self.hosts[role].firewall,
                        self.tmpdir,
                        counted[role],
                        self.hosts[role].quiet_every,
                    ),
                    [h.role for h in spec.hosts],
                )
            )
        self._start(wanted, launches, ready_timeout)

    def _build_loopback(self, spec: ProfileSpec, strict: bool, ready_timeout: float) -> None:
        """Emulators only, on loopback addresses; what needs a namespace is left out."""
        slot = self._slot
        assert slot is not None
        assert slot.host_net is not None
        for index, host in enumerate(spec.hosts):
            octet = host.octet if host.octet is not None else 10 * (index + 1)
            address = slot.host_net.network_address + octet
            self.hosts[host.role] = LabHost(host.role, str(address), "")
        self._namespaces = []
        self._save_state(ready=False)
        wanted = []
        for host, service in self._select_services(spec, strict):
            if service.daemon is not None:
                self.missing.append(f"{service.name} (a real daemon needs root and a namespace)")
            elif host.firewall is not None:
                self.missing.append(f"{service.name} (its host's firewall needs a namespace)")
            else:
                wanted.append((host, service))
        launches = self._launches(_daemons.Context(self.tmpdir, {}), spec, wanted)
        self._start(wanted, launches, ready_timeout)

    def _start(
        self,
        wanted: list[tuple[HostSpec, ServiceSpec]],
        launches: list[_daemons.Launch],
        ready_timeout: float,
    ) -> None:
        """Spawn the services, wait until they answer, then record what the lab holds."""
        for launch in launches:
            self._spawn(launch)
        self._save_state(ready=False)
        self._wait_ready(ready_timeout)
        self.services = self._ground_truth(wanted, launches)
        self._save_state(ready=True)

    def port_of(self, service: ServiceSpec) -> int:
        """Where a profile's service listens here (moved up by 20000 below 1024 off root)."""
        if self.mode == "loopback" and service.port < 1024 and not is_root():
            return service.port + LOOPBACK_PORT_SHIFT
        return service.port

    @staticmethod
    def _addresses(slot: _netns.Slot, host: HostSpec) -> tuple[IPv4Address, IPv4Network | None]:
        if slot.fixed:
            assert host.address is not None
            return host.address, host.wide_prefix if host.wide else None
        assert slot.host_net is not None
        assert host.octet is not None
        address = slot.host_net.network_address + host.octet
        if host.wide and host.wide_prefixlen < 22:
            return address, slot.take_wide_block(host.wide_prefixlen)
        return address, (slot.wide_net if host.wide else None)

    def _select_services(
        self, spec: ProfileSpec, strict: bool
    ) -> list[tuple[HostSpec, ServiceSpec]]:
        known = registered_emulators()
        wanted: list[tuple[HostSpec, ServiceSpec]] = []
        unknown: list[str] = []
        for host in spec.hosts:
            for service in host.services:
                if service.emulator is not None and service.emulator not in known:
                    unknown.append(service.emulator)
                    self.missing.append(
                        f"{service.name} (emulator '{service.emulator}' is not registered)"
                    )
                    continue
                wanted.append((host, service))
        if unknown:
            names = ", ".join(sorted(set(unknown)))
            if strict:
                raise LabError("lab.unknown_emulator", names=names)
            warnings.warn(
                f"lab profile {spec.name}: emulators not registered in "
                f"kenshin.lab.emulators, left out: {names}",
                LabWarning,
                stacklevel=3,
            )
        return wanted

    def _launches(
        self,
        context: _daemons.Context,
        spec: ProfileSpec,
        wanted: list[tuple[HostSpec, ServiceSpec]],
    ) -> list[_daemons.Launch]:
        known = registered_emulators()
        launches: list[_daemons.Launch] = []
        emulated: dict[str, list[dict[str, Any]]] = {}
        for host, service in wanted:
            lab_host = self.hosts[host.role]
            if service.daemon is not None:
                build = _daemons.BUILDERS[service.daemon]
                launches.append(build(context, lab_host.namespace, lab_host.address, service))
            else:
                assert service.emulator is not None
                options = {
                    key: secrets.token_urlsafe(12) if value == RANDOM else value
                    for key, value in service.options.items()
                }
                self._settings[service.name] = {
                    k: v for k, v in options.items() if service.options[k] == RANDOM
                }
                emulated.setdefault(host.role, []).append(
                    {
                        "name": service.name,
                        "emulator": service.emulator,
                        "host": lab_host.address,
                        "port": self.port_of(service),
                        "options": options,
                        "transport": known.get(service.emulator, service.protocol),
                    }
                )
        for role, items in emulated.items():
            path = self.tmpdir / f"emulators-{role}.json"
            path.write_text(json.dumps(items, indent=2))
            sockets = []
            for item in items:
                transport = item["transport"] or "tcp"
                for proto in ("tcp", "udp"):
                    if proto in transport.split("+"):
                        sockets.append((proto, int(item["port"])))
            launches.append(
                _daemons.Launch(
                    f"emulators-{role}",
                    self.hosts[role].namespace,
                    [sys.executable, "-m", "kenshin.lab._runner", str(path)],
                    sockets,
                    self.tmpdir / f"emulators-{role}.log",
                )
            )
        return launches

    def _spawn(self, launch: _daemons.Launch) -> None:
        launch.log.parent.mkdir(parents=True, exist_ok=True)
        with launch.log.open("ab") as log:
            prefix = ["ip", "netns", "exec", launch.namespace] if launch.namespace else []
            process = subprocess.Popen(
                [*prefix, *launch.argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=launch.env,
                start_new_session=True,
            )
        self._running.append(_Running(launch, process))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self._running)
        delay = 0.01
        while pending:
            for running in list(pending):
                code = running.process.poll()
                if code is not None:
                    raise LabError(
                        "lab.daemon_died",
                        name=running.launch.name,
                        code=code,
                        log=_tail(running.launch.log),
                    )
                have = listening_sockets(running.process.pid, self._only_address(running))
                if all(sock in have for sock in running.launch.sockets):
                    pending.remove(running)
            if not pending:
                return
            if time.monotonic() >= deadline:
                names = ", ".join(r.launch.name for r in pending)
                logs = " | ".join(_tail(r.launch.log, 300) for r in pending)
                raise LabError("lab.not_ready", names=names, seconds=timeout, log=logs)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.2)

    def _only_address(self, running: _Running) -> str | None:
        """Loopback labs share the root namespace: count only sockets on the host's address."""
        if running.launch.namespace:
            return None
        role = running.launch.name.removeprefix("emulators-")
        return self.hosts[role].address

    def _ground_truth(
        self,
        wanted: list[tuple[HostSpec, ServiceSpec]],
        launches: list[_daemons.Launch],
    ) -> list[LabService]:
        by_name = {launch.name: launch for launch in launches}
        known = registered_emulators()

        def version(host: HostSpec, service: ServiceSpec) -> str:
            if service.version != "discover" or service.daemon is None:
                return service.version
            address = self.hosts[host.role].address
            return _daemons.discover_version(service.daemon, address, service.port)

        with ThreadPoolExecutor(max_workers=8) as pool:
            versions = list(pool.map(lambda hs: version(*hs), wanted))
        result: list[LabService] = []
        for (host, service), found in zip(wanted, versions, strict=True):
            launch = by_name.get(service.name)
            made = launch.settings if launch else self._settings.get(service.name, {})
            settings = tuple(sorted(made.items()))
            protocols = [service.protocol]
            transport = known.get(service.emulator or "", "")
            if (launch is not None and launch.extra_tcp) or transport == "tcp+udp":
                protocols += [p for p in ("tcp", "udp") if p != service.protocol]
            lab_host = self.hosts[host.role]
            addresses = [("", lab_host.address)]
            if service.options.get("bind") == "any":
                addresses += [(f"@{a}", str(a)) for p in lab_host.prefixes for a in IPv4Network(p)]
            for (at, address), proto in itertools.product(addresses, protocols):
                suffix = ("" if proto == service.protocol else f"/{proto}") + at
                result.append(
                    LabService(
                        role=host.role,
                        address=address,
                        protocol=Protocol(proto),
                        port=self.port_of(service),
                        service=service.service,
                        product=service.product,
                        version=found,
                        vulnerable=service.vulnerable,
                        twin=f"{service.twin}{suffix}" if service.twin else "",
                        notes=service.notes,
                        name=f"{service.name}{suffix}",
                        kind=service.kind,
                        settings=settings,
                    )
                )
        return result

    def _save_state(self, ready: bool) -> None:
        if self._slot is None:
            return
        main_addresses = {host.address for host in self.hosts.values()}
        _netns.write_state(
            self._slot,
            {
                "pid": os.getpid(),
                "keeper": self._keeper,
                "profile": self.profile,
                "slot": self._slot.key,
                "ready": ready,
                "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "tmpdir": str(self.tmpdir),
                "namespaces": self._namespaces,
                "link": self._slot.link,
                "hosts": {r: h.address for r, h in self.hosts.items()},
                "processes": {r.launch.name: r.process.pid for r in self._running},
                "services": [
                    {
                        "name": s.name,
                        "address": s.address,
                        "protocol": str(s.protocol),
                        "port": s.port,
                        "service": s.service,
                        "product": s.product,
                        "version": s.version,
                    }
                    for s in self.services
                    if s.address in main_addresses  # not each of a wide host's 1,024
                ],
                "missing": self.missing,
            },
        )

    # --------------------------------------------------------------- queries
    def host(self, role: str) -> LabHost:
        try:
            return self.hosts[role]
        except KeyError:
            raise LabError("lab.unknown_host", role=role, known=", ".join(self.hosts)) from None

    def service(self, name: str) -> LabService:
        for service in self.services:
            if service.name == name:
                return service
        raise LabError("lab.unknown_service", name=name)

    def find(self, **fields: object) -> list[LabService]:
        """The services whose attributes equal all of ``fields`` (e.g. ``service="ssh"``)."""
        return [s for s in self.services if all(getattr(s, k) == v for k, v in fields.items())]

    def expected_state(self, address: str, protocol: Protocol | str, port: int) -> PortState:
        """What a correct scanner reports for ``address``/``port`` (from the lab's design)."""
        for host in self.hosts.values():
            if host.address == address or any(
                IPv4Address(address) in IPv4Network(p) for p in host.prefixes
            ):
                return expected_state(host, self.services, Protocol(protocol), port, address)
        raise LabError("lab.unknown_address", address=address)

    def connections(self, name: str) -> int:
        """Connection attempts (TCP SYNs; UDP datagrams) service ``name`` has received so far.

        Counted on the lab side by nftables in the host's namespace (netns mode only), so a
        test can check that a check stayed within its attempt budget.
        """
        service = self.service(name)
        if self.mode != "netns":
            raise LabError("lab.needs_root")
        host = self.hosts[service.role]
        return _firewall.read_counter(host.namespace, str(service.protocol), service.port)

    @property
    def addresses(self) -> list[str]:
        """Every host's main address (a wide host's prefixes are in ``LabHost.prefixes``)."""
        return [host.address for host in self.hosts.values()]

    @property
    def processes(self) -> dict[str, int]:
        """Name → pid of every process the lab started."""
        return {r.launch.name: r.process.pid for r in self._running}

    def listening(self, role: str) -> set[tuple[str, int]]:
        """What actually listens in a host's namespace: (protocol, port)."""
        for running in self._running:
            if running.launch.namespace == self.hosts[role].namespace and (
                running.launch.namespace or running.launch.name == f"emulators-{role}"
            ):
                return listening_sockets(running.process.pid, self._only_address(running))
        return set()

    @property
    def ca_file(self) -> Path | None:
        """The lab CA's certificate (PEM) that signs the current TLS services' certificates."""
        path = self.tmpdir / "lab-ca.pem"
        return path if path.exists() else None

    @property
    def namespaces(self) -> list[str]:
        return list(self._namespaces)

    @property
    def link(self) -> str:
        """The root namespace's interface towards the lab (``ksn<slot>-up``; netns mode)."""
        return self._slot.link if self._slot and self.mode == "netns" else ""

    @property
    def source_address(self) -> str:
        """The root namespace's own address towards the lab (the source of a raw SYN scan)."""
        if self._slot is None or self.mode != "netns":
            return "127.0.0.1"
        return str(self._slot.uplink_root)

    # -------------------------------------------------------------- teardown
    def close(self) -> None:
        """Stop the lab's processes (by pid), remove its namespaces, link and files."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        try:
            _netns.kill_pids([r.process.pid for r in self._running])
            for running in self._running:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    running.process.wait(timeout=2)
            if self._slot is not None:
                _netns.remove_namespaces(self._namespaces, self._slot.link)
        finally:
            if self.tmpdir != Path() and self.tmpdir.exists():
                shutil.rmtree(self.tmpdir, ignore_errors=True)
            if self._slot is not None:
                self._slot.release()

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[LabService]:
        return iter(self.services)
