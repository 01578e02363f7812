"""Network namespaces, links and routes for the lab; slots and their locks; stale clean-up.

Layout of one lab (slot ``s``, non-demo):

    root namespace                      ksn<s>-lab (router)            ksn<s>-<role>
    ksn<s>-up 198.19.8s.1/30  <-veth->  up 198.19.8s.2/30
    route 198.19.8s.0/21 via .2         h<i> (.2/32)        <-veth->   eth0 <address>/32
                                        route <address>/32 dev h<i>    default via .2 onlink

Each slot owns 198.19.(8s).0/21: the /30 uplink, hosts in 198.19.(8s+1).0/24 and a wide
block 198.19.(8s+4).0/22 for a host that answers on 1,024 addresses. The demo profile uses
the fixed 198.18.x addresses under a machine-wide lock (slot key ``d``, uplink
198.18.0.0/30). A slot is held by ``flock`` on ``/run/kenshin-lab/slot-<key>.lock`` for
as long as the lab lives; a slot whose lock is free but whose namespaces remain belonged
to a process that died, and is cleaned (its processes killed, namespaces and link removed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from kenshin.lab._model import LabError


def _run_dir() -> Path:
    if "KENSHIN_LAB_RUN_DIR" in os.environ:
        return Path(os.environ["KENSHIN_LAB_RUN_DIR"])
    if os.geteuid() == 0:
        return Path("/run/kenshin-lab")
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"kenshin-lab-{os.getuid()}"


RUN_DIR = _run_dir()
SLOT_COUNT = 32
WIDE_POOL = IPv4Network("198.18.128.0/17")
"""Blocks for wide hosts larger than a slot's /22, each held by one lab at a time."""
LOOPBACK = "l"
"""Slot keys ``l<n>``: loopback labs (no namespaces) on 127.77.<n>.0/24."""
DEMO_KEY = "d"
PREFIX = "ksn"
_OUR_NAMESPACE = re.compile(rf"^{PREFIX}(\d+|{DEMO_KEY})-[a-z0-9]+$")
TMP_PREFIX = "kenshin-lab-"


def run_ip(args: list[str], stdin: str | None = None, check: bool = True) -> str:
    """Run ``ip`` with fixed arguments; a failure becomes a LabError with ip's own words."""
    result = subprocess.run(
        ["ip", *args], input=stdin, capture_output=True, text=True, check=False, timeout=30
    )
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise LabError("lab.ip_failed", command="ip " + " ".join(args), detail=detail)
    return result.stdout


def list_namespaces() -> list[str]:
    if shutil.which("ip") is None:
        return []
    out = run_ip(["netns", "list"], check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def our_namespaces() -> list[str]:
    return [n for n in list_namespaces() if _OUR_NAMESPACE.match(n)]


def namespace_pids(namespace: str) -> list[int]:
    out = run_ip(["netns", "pids", namespace], check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def link_exists(name: str) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


@dataclass
class Slot:
    """A held lab slot: its lock, its names and its addresses."""

    key: str
    lock_fd: int
    uplink_root: IPv4Address
    uplink_lab: IPv4Address
    host_net: IPv4Network | None
    wide_net: IPv4Network | None
    block: IPv4Network | None
    wide_locks: list[int] = field(default_factory=list)

    @property
    def fixed(self) -> bool:
        return self.key == DEMO_KEY

    @property
    def loopback(self) -> bool:
        return self.key.startswith(LOOPBACK)

    @property
    def link(self) -> str:
        return f"{PREFIX}{self.key}-up"

    @property
    def router(self) -> str:
        return self.namespace("lab")

    def namespace(self, role: str) -> str:
        return f"{PREFIX}{self.key}-{role}"

    @property
    def state_file(self) -> Path:
        return RUN_DIR / f"slot-{self.key}.json"

    def take_wide_block(self, prefixlen: int) -> IPv4Network:
        """A block of ``WIDE_POOL`` for this lab alone, held until the slot is released.

        For wide hosts larger than the slot's own /22 (the 16,384-address benchmark); each /22
        of the pool has its own lock file, so blocks of any size never overlap.
        """
        for block in WIDE_POOL.subnets(new_prefix=prefixlen):
            pieces = [_open_lock(f"wide-{p.network_address}") for p in block.subnets(new_prefix=22)]
            if all(_try_lock(fd) for fd in pieces):
                self.wide_locks += pieces
                return block
            for fd in pieces:
                os.close(fd)
        raise LabError("lab.no_slot", count=len(list(WIDE_POOL.subnets(new_prefix=prefixlen))))

    def release(self) -> None:
        for fd in self.wide_locks:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.wide_locks.clear()
        if self.lock_fd >= 0:
            with contextlib.suppress(OSError):
                self.state_file.unlink(missing_ok=True)
            os.close(self.lock_fd)
            self.lock_fd = -1


def _slot_for(key: str, fd: int) -> Slot:
    if key.startswith(LOOPBACK):
        net = IPv4Network(f"127.77.{int(key[1:])}.0/24")
        return Slot(key, fd, net.network_address, net.network_address, net, None, None)
    if key == DEMO_KEY:
        return Slot(
            key,
            fd,
            IPv4Address("198.18.0.1"),
            IPv4Address("198.18.0.2"),
            None,
            None,
            None,
        )
    index = int(key)
    base = int(IPv4Address("198.19.0.0")) + index * 8 * 256
    return Slot(
        key,
        fd,
        IPv4Address(base + 1),
        IPv4Address(base + 2),
        IPv4Network(f"{IPv4Address(base + 256)}/24"),
        IPv4Network(f"{IPv4Address(base + 4 * 256)}/22"),
        IPv4Network(f"{IPv4Address(base)}/21"),
    )


def _open_lock(key: str) -> int:
    RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    return os.open(RUN_DIR / f"slot-{key}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def read_state(key: str) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads((RUN_DIR / f"slot-{key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return loaded


def write_state(slot: Slot, state: dict[str, Any]) -> None:
    tmp = slot.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(slot.state_file)


def slot_in_use(key: str) -> bool:
    """Whether a living process holds the slot ``key``."""
    fd = _open_lock(key)
    try:
        if _try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


def acquire_slot(fixed: bool, wait_seconds: float = 30.0, loopback: bool = False) -> Slot:
    """Take a free slot (or, for fixed-address profiles, the machine-wide demo lock)."""
    if loopback:
        for index in range(SLOT_COUNT):
            fd = _open_lock(f"{LOOPBACK}{index}")
            if _try_lock(fd):
                _clean_leftovers(f"{LOOPBACK}{index}")
                return _slot_for(f"{LOOPBACK}{index}", fd)
            os.close(fd)
        raise LabError("lab.no_slot", count=SLOT_COUNT)
    if fixed:
        fd = _open_lock(DEMO_KEY)
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                state = read_state(DEMO_KEY) or {}
                raise LabError("lab.demo_busy", pid=state.get("pid", "?"))
            time.sleep(0.2)
        _clean_leftovers(DEMO_KEY)
        return _slot_for(DEMO_KEY, fd)
    for index in range(SLOT_COUNT):
        fd = _open_lock(str(index))
        if _try_lock(fd):
            _clean_leftovers(str(index))
            return _slot_for(str(index), fd)
        os.close(fd)
    raise LabError("lab.no_slot", count=SLOT_COUNT)


def kill_pids(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM the given processes, then SIGKILL whichever still lives after ``grace``."""
    alive = [p for p in pids if p > 1]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive and time.monotonic() < deadline:
        for pid in list(alive):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                alive.remove(pid)
        if alive:
            time.sleep(0.02)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def remove_namespaces(namespaces: list[str], link: str) -> None:
    """Kill what still runs in our namespaces, then delete them and the root link."""
    present = set(list_namespaces())
    mine = [n for n in namespaces if n in present and _OUR_NAMESPACE.match(n)]
    leftovers = [pid for n in mine for pid in namespace_pids(n)]
    if leftovers:
        kill_pids(leftovers, grace=1.0)
    commands = [f"netns del {n}" for n in mine]
    if link_exists(link):
        commands.append(f"link del {link}")
    if commands:
        run_ip(["-force", "-batch", "-"], stdin="\n".join(commands) + "\n", check=False)


def _clean_leftovers(key: str) -> list[str]:
    """Remove what a dead lab in slot ``key`` left (we hold the slot's lock)."""
    prefix = f"{PREFIX}{key}-"
    state = read_state(key) or {}
    if key.startswith(LOOPBACK):  # no namespaces: stop the dead owner's emulator runners
        recorded = state.get("processes", {})
        kill_pids([int(p) for p in recorded.values() if _is_lab_runner(int(p))], grace=1.0)
        stale = []
    else:
        stale = [n for n in our_namespaces() if n.startswith(prefix)]
        remove_namespaces(stale, f"{prefix}up")
    tmpdir = state.get("tmpdir")
    if isinstance(tmpdir, str):
        path = Path(tmpdir)
        if path.parent == Path(tempfile.gettempdir()) and path.name.startswith(TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        (RUN_DIR / f"slot-{key}.json").unlink(missing_ok=True)
    return stale


def _is_lab_runner(pid: int) -> bool:
    try:
        return b"kenshin.lab._runner" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cleanup_stale() -> list[str]:
    """Clean every lab slot whose owner is gone; return the namespaces removed.

    Only namespaces named with our prefix are touched, and only when no living process
    holds their slot's lock.
    """
    keys = []
    if os.geteuid() == 0:  # namespaces are root's; a user's run directory holds no locks for them
        keys = sorted({m.group(1) for n in our_namespaces() if (m := _OUR_NAMESPACE.match(n))})
    if RUN_DIR.is_dir():
        keys += sorted(p.stem.removeprefix("slot-") for p in RUN_DIR.glob(f"slot-{LOOPBACK}*.json"))
    removed: list[str] = []
    for key in keys:
        fd = _open_lock(key)
        try:
            if _try_lock(fd):
                removed += _clean_leftovers(key)
        finally:
            os.close(fd)
    return removed


@dataclass(frozen=True)
class HostPlan:
    role: str
    namespace: str
    address: IPv4Address
    wide: IPv4Network | None
    icmp_unlimited: bool = False


def build_topology(slot: Slot, hosts: list[HostPlan]) -> None:
    """Create the router namespace, one namespace per host, the veths and the routes."""
    lab = slot.router
    root = [f"netns add {lab}"] + [f"netns add {h.namespace}" for h in hosts]
    root.append(f"link add {slot.link} type veth peer name uplink netns {lab}")
    root += [
        f"link add h{i} netns {lab} type veth peer name eth0 netns {h.namespace}"
        for i, h in enumerate(hosts)
    ]
    root += [f"addr add {slot.uplink_root}/30 dev {slot.link}", f"link set {slot.link} up"]
    if slot.block is not None:
        root.append(f"route add {slot.block} via {slot.uplink_lab} dev {slot.link}")
        for h in hosts:
            if h.wide is not None and not h.wide.subnet_of(slot.block):  # a pool block
                root.append(f"route add {h.wide} via {slot.uplink_lab} dev {slot.link}")
    else:
        for h in hosts:
            root.append(f"route add {h.address}/32 via {slot.uplink_lab} dev {slot.link}")
            if h.wide is not None:
                root.append(f"route add {h.wide} via {slot.uplink_lab} dev {slot.link}")
    run_ip(["-batch", "-"], stdin="\n".join(root) + "\n")

    router = [
        "link set lo up",
        f"addr add {slot.uplink_lab}/30 dev uplink",
        "link set uplink up",
        f"route add default via {slot.uplink_root} dev uplink",
    ]
    for i, h in enumerate(hosts):
        router += [
            f"addr add {slot.uplink_lab}/32 dev h{i}",
            f"link set h{i} up",
            f"route add {h.address}/32 dev h{i}",
        ]
        if h.wide is not None:
            router.append(f"route add {h.wide} via {h.address} dev h{i}")
    run_ip(["-n", lab, "-batch", "-"], stdin="\n".join(router) + "\n")
    subprocess.run(
        ["ip", "netns", "exec", lab, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    for h in hosts:
        commands = [
            "link set lo up",
            f"addr add {h.address}/32 dev eth0",
            "link set eth0 up",
            f"route add default via {slot.uplink_lab} dev eth0 onlink",
        ]
        if h.wide is not None:
            commands.append(f"route add local {h.wide} dev lo")
        run_ip(["-n", h.namespace, "-batch", "-"], stdin="\n".join(commands) + "\n")
        if h.icmp_unlimited:
            subprocess.run(
                ["ip", "netns", "exec", h.namespace, "sysctl", "-qw", "net.ipv4.icmp_ratemask=0"],
                check=True,
                capture_output=True,
                timeout=30,
            )
