"""Pacing and stopping: a token bucket, round-trip-time based timeouts, the emergency stop."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
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
        wait = self.reserve(count)
        if wait > 0:
            await asyncio.sleep(wait)

    def take(self, count: float = 1.0) -> None:
        """Blocking variant for sender threads."""
        wait = self.reserve(count)
        if wait > 0:
            time.sleep(wait)


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
