"""Socket helpers of the scan's probes.

Every probe in this room calls ``Gate.permit(address)`` (``kenshin.scope.gate``)
immediately before it connects or sends: the scope decided which addresses a scan
may contact, and the gate asks it again at the moment of sending, so a bug in target
planning (or a caller that bypasses the planner) cannot reach an unauthorised address.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from kenshin.domain import PortState, Protocol

if TYPE_CHECKING:
    from kenshin.scan.pacing import EmergencyStop, TargetPacing, TokenBucket
    from kenshin.scan.settings import ScanSettings
    from kenshin.scan.state import PortTable
    from kenshin.scope import Gate

_T = TypeVar("_T")

ResultSink = Callable[[str, Protocol, int, PortState, str], None]
"""Where probes report: ``(address, protocol, port, state, reason)``."""


@dataclass(frozen=True)
class TableScan:
    """What a scan that writes into a ``PortTable`` (SYN, connect) is given.

    It probes every cell of ``table`` without an outcome and writes each outcome there;
    ``notify(i, j)`` is called (from the scan's threads) for each new one, so the caller
    can pass them on as they come. ``bucket`` paces the probes (None: a plain bucket at
    ``settings.rate``), ``spacing`` the probes to each target (by table index).
    """

    table: PortTable
    settings: ScanSettings
    gate: Gate
    stop: EmergencyStop
    notify: Callable[[int, int], None] | None = None
    bucket: TokenBucket | None = None
    spacing: TargetPacing | None = None


def family_of(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def abortive_close_option() -> bytes:
    """SO_LINGER {on, 0}: close() sends RST, leaving no TIME_WAIT behind."""
    return struct.pack("ii", 1, 0)


def raise_open_file_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``wanted`` (bounded by the hard limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def all_in_threads(
    jobs: list[Callable[[], bool]], name: str, on_error: Callable[[], None] | None = None
) -> bool:
    """Each job in a thread of its own, all joined; True when every job returned True.

    The first exception is raised again here once every thread has ended; ``on_error``
    runs as soon as one fails (e.g. to tell the others to stop)."""
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def work(job: Callable[[], bool]) -> None:
        try:
            outcomes.append(job())
        except BaseException as exc:
            errors.append(exc)
            if on_error is not None:
                on_error()

    threads = [
        threading.Thread(target=work, args=(job,), name=f"{name}{k}", daemon=True)
        for k, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return all(outcomes)


async def in_thread(work: Callable[[], _T], abort: threading.Event) -> _T:
    """``work`` in a thread, so an event loop keeps serving; cancelling it sets ``abort``
    (which the scan polls: its threads stop sending)."""
    import asyncio  # here: a scan from synchronous code needs no event loop

    try:
        return await asyncio.to_thread(work)
    except BaseException:
        abort.set()
        raise
