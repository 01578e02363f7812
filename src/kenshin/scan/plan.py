"""The plan of a scan before any packet: what, how fast, how long, and whether it fits.

An engagement's diagnosis covers every TCP port and the top 100 UDP ports unless the
surveyor narrows it. ``estimate`` says how long a plan takes with its basis (probes,
the rate ceiling, retries, waits), and ``fit_to_window`` checks it against the end
of the authorised diagnosis window: a plan that cannot end inside the window is
refused with its estimate, or, when asked, cut to what fits in priority order
(ranked ports first, then the rest in port order).

The estimate is an upper bound for the port scan: it assumes every port stays silent
(every retry sent, every wait waited), as on an internet address behind a firewall.
Identification of open ports gets a fixed allowance per address; it cannot be known
before the open ports are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kenshin.domain import Protocol
from kenshin.domain.clock import japan_time
from kenshin.i18n import t
from kenshin.scan.errors import ScanError
from kenshin.scan.ports import ALL_PORTS, ranked_ports, top_ports
from kenshin.scan.settings import ScanSettings, TcpMode
from kenshin.scan.udp import payloads_for

DEFAULT_UDP_TOP = 100
"""UDP ports of the default coverage: the top 100 (IKE, NAT-T, OpenVPN, L2TP, SNMP, ...)."""


IDENTIFY_ALLOWANCE = 30.0
"""Seconds allowed per address for identifying its open ports (one identification round:
up to eight open ports in parallel, each bounded by the identification's port timeout)."""


def default_ports() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The default coverage of an engagement scan: TCP 1-65535 and the top 100 UDP ports."""
    return ALL_PORTS, top_ports(Protocol.UDP, DEFAULT_UDP_TOP)


@dataclass(frozen=True)
class Estimate:
    """How long a plan takes at most, and what that rests on."""

    targets: int
    tcp_probes: int
    """TCP probes of the first pass, all targets."""
    udp_probes: int
    """UDP ports times targets (first round)."""
    udp_datagrams: int
    """Datagrams of the first UDP round (some ports get several protocol payloads)."""
    rate: float
    """The rate ceiling, probes per second, all targets."""
    tcp_rate: float
    """Probes per second the TCP phase can reach when ports stay silent."""
    udp_rate: float
    """UDP ports per second when they stay silent (datagrams and open sockets bound it)."""
    passes: int
    """Sends per silent port (1 + retries); UDP always re-probes a silent port once."""
    waits: float
    """Seconds of waiting for late answers after each pass or round."""
    identify_seconds: float
    tcp_mode: TcpMode

    @property
    def scan_seconds(self) -> float:
        tcp = self.passes * self.tcp_probes / self.tcp_rate if self.tcp_probes else 0.0
        udp = 2 * self.udp_probes / self.udp_rate if self.udp_probes else 0.0
        return tcp + udp + self.waits

    @property
    def seconds(self) -> float:
        """The whole upper bound: port scan plus the identification allowance."""
        return self.scan_seconds + self.identify_seconds

    def basis(self, lang: str) -> str:
        """One sentence with the numbers the estimate rests on."""
        return t(
            "scan.plan.basis",
            lang,
            tcp=self.tcp_probes,
            udp=self.udp_probes,
            datagrams=self.udp_datagrams,
            mode=self.tcp_mode.value,
            tcp_rate=_rate(self.tcp_rate),
            udp_rate=_rate(self.udp_rate),
            passes=self.passes,
            waits=round(self.waits),
            identify=round(self.identify_seconds),
            targets=self.targets,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds),
            "scan_seconds": round(self.scan_seconds),
            "identify_seconds": round(self.identify_seconds),
            "tcp_probes": self.tcp_probes,
            "udp_probes": self.udp_probes,
            "udp_datagrams": self.udp_datagrams,
            "rate": round(self.rate, 1),
            "tcp_rate": round(self.tcp_rate, 1),
            "udp_rate": round(self.udp_rate, 1),
            "passes": self.passes,
            "tcp_mode": self.tcp_mode.value,
        }


def _rate(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def estimate(
    targets: int,
    tcp_ports: int,
    udp_ports: Sequence[int],
    settings: ScanSettings,
    tcp_mode: TcpMode,
    *,
    identify: bool = True,
) -> Estimate:
    """The upper bound of a scan of ``targets`` addresses (see the module docstring).

    SYN: every probe is paced at the ceiling; each pass ends with one wait of at most
    ``max_timeout``. Connect: a silent port holds one of the open connections for the
    initial timeout, so the connection limits bound the rate too. UDP: each silent
    port holds a socket for ``udp_wait``, and is probed in two rounds.
    """
    ceiling = settings.ceiling(targets)
    tcp_probes = targets * tcp_ports
    udp_probes = targets * len(udp_ports)
    datagrams = targets * sum(len(payloads_for(port)) for port in udp_ports)
    passes = 1 + settings.retries
    if tcp_mode is TcpMode.SYN:
        tcp_rate = ceiling
    else:
        slots = min(settings.global_concurrency, settings.per_host_concurrency * targets)
        tcp_rate = min(ceiling, slots / settings.initial_timeout)
    per_port = datagrams / udp_probes if udp_probes else 1.0
    udp_rate = min(ceiling / per_port, settings.global_concurrency / settings.udp_wait)
    waits = (passes * settings.max_timeout if tcp_probes else 0.0) + (
        2 * settings.udp_wait if udp_probes else 0.0
    )
    return Estimate(
        targets=targets,
        tcp_probes=tcp_probes,
        udp_probes=udp_probes,
        udp_datagrams=datagrams,
        rate=ceiling,
        tcp_rate=tcp_rate,
        udp_rate=udp_rate,
        passes=passes,
        waits=waits,
        identify_seconds=IDENTIFY_ALLOWANCE * targets if identify else 0.0,
        tcp_mode=tcp_mode,
    )


def priority_order(
    tcp_ports: Sequence[int], udp_ports: Sequence[int]
) -> list[tuple[Protocol, int]]:
    """The plan's ports, most valuable first: ranked TCP, ranked UDP, then the rest."""
    chosen = {Protocol.TCP: set(tcp_ports), Protocol.UDP: set(udp_ports)}
    ordered: list[tuple[Protocol, int]] = []
    for protocol in (Protocol.TCP, Protocol.UDP):
        ordered += [(protocol, p) for p in ranked_ports(protocol) if p in chosen[protocol]]
    seen = set(ordered)
    for protocol, ports in ((Protocol.UDP, udp_ports), (Protocol.TCP, tcp_ports)):
        ordered += [(protocol, p) for p in sorted(ports) if (protocol, p) not in seen]
    return ordered


@dataclass(frozen=True)
class WindowCheck:
    """The plan against the window: the estimate, the time left, and any cut made."""

    estimate: Estimate
    window_end: datetime | None
    seconds_left: float | None
    tcp_ports: tuple[int, ...]
    udp_ports: tuple[int, ...]
    cut: bool = False
    """True when ``--fit-window`` dropped ports so that the plan fits."""
    dropped: int = 0
    """Ports (of either protocol) the cut dropped."""

    @property
    def fits(self) -> bool:
        return self.seconds_left is None or self.estimate.seconds <= self.seconds_left


def fit_to_window(
    targets: int,
    tcp_ports: tuple[int, ...],
    udp_ports: tuple[int, ...],
    settings: ScanSettings,
    tcp_mode: TcpMode,
    *,
    now: datetime,
    window_end: datetime | None,
    fit: bool = False,
    identify: bool = True,
    done_fraction: float = 0.0,
) -> WindowCheck:
    """Check the plan against ``window_end``; refuse, or with ``fit`` cut it to what fits.

    ``done_fraction`` (a resumed run) scales the estimate to what is left to probe.
    Raises ``ScanError("scan.plan_exceeds_window")`` with the estimate when it cannot end
    in time and ``fit`` is off, or when not even one port fits.
    """

    def bound(tcp: int, udp: Sequence[int]) -> Estimate:
        full = estimate(targets, tcp, udp, settings, tcp_mode, identify=identify)
        if not done_fraction:
            return full
        left = 1.0 - min(1.0, done_fraction)
        return replace(
            full,
            tcp_probes=math.ceil(full.tcp_probes * left),
            udp_probes=math.ceil(full.udp_probes * left),
            udp_datagrams=math.ceil(full.udp_datagrams * left),
        )

    full = bound(len(tcp_ports), udp_ports)
    left = None if window_end is None else (window_end - now).total_seconds()
    check = WindowCheck(full, window_end, left, tcp_ports, udp_ports)
    if check.fits:
        return check
    assert left is not None
    assert window_end is not None
    if fit and not done_fraction:
        ordered = priority_order(tcp_ports, udp_ports)
        low, high = 0, len(ordered)
        while low < high:  # the longest prefix whose estimate fits
            middle = (low + high + 1) // 2
            tcp = [p for proto, p in ordered[:middle] if proto is Protocol.TCP]
            udp = [p for proto, p in ordered[:middle] if proto is Protocol.UDP]
            if bound(len(tcp), udp).seconds <= left:
                low = middle
            else:
                high = middle - 1
        if low:
            kept = ordered[:low]
            tcp_kept = tuple(sorted(p for proto, p in kept if proto is Protocol.TCP))
            udp_kept = tuple(sorted(p for proto, p in kept if proto is Protocol.UDP))
            return WindowCheck(
                bound(len(tcp_kept), udp_kept),
                window_end,
                left,
                tcp_kept,
                udp_kept,
                cut=True,
                dropped=len(ordered) - low,
            )
    raise ScanError(
        "scan.plan_exceeds_window",
        minutes=math.ceil(full.seconds / 60),
        left=max(0, math.floor(left / 60)),
        end=japan_time(window_end),
        basis=full.basis("en"),
        basis_ja=full.basis("ja"),
    )
