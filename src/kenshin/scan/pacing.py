"""Pacing and stopping: a token bucket, per-target spacing, adaptive rate, RTT-based timeouts,
the emergency stop."""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kenshin.config import data_dir

STOP_FILE_ENV = "KENSHIN_STOP_FILE"


class TokenBucket:
    """``rate`` tokens per second with a burst of ``burst``; thread-safe, async-friendly."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, min(rate / 20, 4096.0))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def reserve(self, count: float = 1.0) -> float:
        """Take ``count`` tokens now (possibly going into debt); the seconds to wait before use."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= count
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self, count: float = 1.0) -> None:
        import asyncio  # here: a SYN scan paces its threads without an event loop

        wait = self.reserve(count)
        if wait > 0:
            await asyncio.sleep(wait)

    def take(self, count: float = 1.0) -> None:
        """Blocking variant for sender threads."""
        wait = self.reserve(count)
        if wait > 0:
            time.sleep(wait)

    def observe(self, answered: int = 0, dropped: int = 0) -> None:
        """What came back: answers, and probes known lost (answered only when sent again).

        A plain bucket keeps its rate; ``AdaptiveRate`` reacts.
        """
        return None


class TargetPacing:
    """At most ``rate`` probes a second towards any one target, however many are sent in all.

    The fleet's bucket caps the scan as a whole; this spaces the probes to each target
    (by its index in the plan) at least ``1 / rate`` apart, so a retry pass that only a
    few silent addresses receive, or two sender threads on one address, never go above
    a target's share. One float per target; thread-safe.
    """

    def __init__(self, targets: int, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate
        self._next = array("d", bytes(8 * max(1, targets)))
        self._lock = threading.Lock()

    def take(self, i: int, count: int = 1, now: float | None = None) -> float:
        """Book ``count`` probes to target ``i`` if it is due (0.0), else the seconds until it is.

        Nothing is booked when the answer is above zero: ask again after that long.
        """
        moment = time.monotonic() if now is None else now
        with self._lock:
            due = self._next[i]
            if due > moment:
                return due - moment
            self._next[i] = moment + count * self.interval
            return 0.0

    def wait(self, i: int, count: int = 1) -> None:
        """Blocking variant for sender threads: sleep until target ``i`` is due, then book."""
        while (delay := self.take(i, count)) > 0:
            time.sleep(delay)

    async def acquire(self, i: int, count: int = 1) -> None:
        import asyncio

        while (delay := self.take(i, count)) > 0:
            await asyncio.sleep(delay)


@dataclass(frozen=True)
class RateChange:
    """One change of the sending rate, with why (kept with the scan run)."""

    at: datetime
    old: float
    new: float
    reason: str
    """``loss`` (probes lost: answered only when sent again), ``answers-fell`` (the share
    of answered probes fell to half of what it was: drops or ICMP rate limiting),
    ``recovered`` (calm again, rate raised towards the ceiling)."""

    def as_dict(self) -> dict[str, str | float]:
        return {
            "at": self.at.isoformat(timespec="seconds"),
            "from": round(self.old, 1),
            "to": round(self.new, 1),
            "reason": self.reason,
        }


class AdaptiveRate(TokenBucket):
    """A token bucket whose rate follows the network, never above ``ceiling``.

    Like nmap's congestion control, in rate terms: every ``interval`` seconds it looks
    at what the interval brought. Probes known lost (an answer only to a re-send) or a
    share of answered probes that fell below half of the best share of the last
    ``MEMORY`` intervals (drops, or a router rate-limiting its ICMP errors) halve the
    rate, down to ``floor``; an interval without such signs raises it by an eighth of
    the ceiling, back up to ``ceiling`` and never above it. The best share is that of
    recent intervals only, so a lasting change (a firewall dropping a range of ports
    that used to answer with resets) slows the scan for a few seconds, not for good.
    Each change is logged and kept in ``changes``. The ceiling is the profile's: its
    rate, and its per-target rate times the number of targets.
    """

    MIN_SAMPLE = 20
    """Probes an interval needs before its share of answers counts."""
    MEMORY = 5
    """Intervals whose share of answers the current one is compared with."""

    def __init__(
        self,
        ceiling: float,
        *,
        floor: float | None = None,
        interval: float = 1.0,
        on_change: Callable[[RateChange], None] | None = None,
    ) -> None:
        super().__init__(ceiling)
        self.ceiling = ceiling
        self.floor = floor if floor is not None else max(1.0, ceiling / 16)
        self.interval = interval
        self.on_change = on_change
        self.changes: list[RateChange] = []
        self._sent = 0.0
        self._answered = 0
        self._dropped = 0
        self._shares: deque[float] = deque(maxlen=self.MEMORY)
        self._since = time.monotonic()

    def reserve(self, count: float = 1.0) -> float:
        with self._lock:
            self._sent += count  # a token given back (negative count) was not sent
        self._evaluate()
        return super().reserve(count)

    def observe(self, answered: int = 0, dropped: int = 0) -> None:
        with self._lock:
            self._answered += answered
            self._dropped += dropped
        if dropped:
            self._evaluate()

    def _evaluate(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._since < self.interval:
                return
            sent, answered, dropped = self._sent, self._answered, self._dropped
            self._sent, self._answered, self._dropped = 0.0, 0, 0
            self._since = now
            share = answered / sent if sent >= self.MIN_SAMPLE else None
            best = max(self._shares, default=0.0)
            reason = ""
            if dropped:
                reason = "loss"
            elif share is not None and best >= 0.2 and share < best / 2:
                reason = "answers-fell"
            if share is not None:
                self._shares.append(share)
            old = self.rate
            if reason:
                new = max(self.floor, old / 2)
            elif sent and old < self.ceiling:
                new, reason = min(self.ceiling, old + self.ceiling / 8), "recovered"
            else:
                return
            if new == old:
                return
            self._tokens = min(self._tokens, self.burst)
            self.rate = new
            change = RateChange(datetime.now(UTC), old, new, reason)
            self.changes.append(change)
        import logging  # here: a scan whose rate never changes does not load it

        logging.getLogger("kenshin.scan.pacing").info(
            "scan rate %.1f -> %.1f probes/s (%s)", old, new, reason
        )
        if self.on_change is not None:
            self.on_change(change)


@dataclass
class RttEstimator:
    """RFC 6298 smoothed round-trip time; ``timeout`` is SRTT + 4·RTTVAR, clamped."""

    initial: float
    minimum: float
    maximum: float
    srtt: float | None = None
    rttvar: float = 0.0
    samples: int = 0

    def add(self, rtt: float) -> None:
        if self.srtt is None:
            self.srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt
        self.samples += 1

    @property
    def timeout(self) -> float:
        if self.srtt is None:
            return self.initial
        return max(self.minimum, min(self.maximum, self.srtt + 4 * self.rttvar))


def default_stop_file() -> Path:
    override = os.environ.get(STOP_FILE_ENV)
    return Path(override) if override else data_dir() / "EMERGENCY-STOP"


class EmergencyStop:
    """A global stop: set in-process (``trigger``) or by creating the stop file.

    Senders ask ``is_set()`` before every batch of probes; the file is looked at no more
    than every 50 ms, so a stop takes effect well within a second.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_stop_file()
        self._event = threading.Event()
        self._checked = 0.0

    def trigger(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        if self._event.is_set():
            return True
        now = time.monotonic()
        if now - self._checked >= 0.05:
            self._checked = now
            if self.path.exists():
                self._event.set()
        return self._event.is_set()

    def file_present(self) -> bool:
        return self.path.exists()

    def raise_file(self, reason: str = "") -> None:
        """Create the stop file: every kenshin scan on this machine stops sending."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(reason or "stop\n", encoding="utf-8")

    def clear_file(self) -> bool:
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
