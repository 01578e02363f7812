"""One small interface for every vulnerability source, and the HTTP plumbing they share.

Like pip-audit's vulnerability services: a source knows how to fetch (or read) its own
data and hands typed records to a ``Sink``; adding a source touches one module.
The HTTP client honours a rate limit (requests per rolling window), retries with
exponential back-off on 403/429/5xx and network errors (respecting ``Retry-After``),
and bounds every loop in count and time.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from kenshin.vulndb.model import VulnDBError
from kenshin.vulndb.records import VulnRecord
from kenshin.vulndb.store import JvnEntry, KevEntry

RETRY_STATUS = frozenset({403, 429, 500, 502, 503, 504})


class Sink(Protocol):
    """Where a source puts what it read (the knowledge-base writer)."""

    def add_cves(self, records: Iterable[VulnRecord]) -> int: ...

    def add_kev(self, entries: Iterable[KevEntry], catalog_version: str) -> int: ...

    def add_jvn(self, entries: Iterable[JvnEntry]) -> int: ...

    def set_meta(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class SourceResult:
    source: str
    records: int
    detail: str = ""


class VulnSource(ABC):
    """A vulnerability data source (NVD, KEV, JVN), online or from files."""

    name: str = ""

    @abstractmethod
    def load(self, sink: Sink) -> SourceResult:
        """Read everything this source provides into ``sink``; raise ``VulnDBError``."""


@dataclass
class RateLimiter:
    """At most ``limit`` requests in any rolling ``period`` seconds."""

    limit: int
    period: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque)

    def wait(self) -> float:
        """Block until one more request is allowed; returns the seconds waited."""
        waited = 0.0
        now = self.clock()
        while self._sent and now - self._sent[0] >= self.period:
            self._sent.popleft()
        if len(self._sent) >= self.limit:
            pause = self.period - (now - self._sent[0])
            if pause > 0:
                self.sleep(pause)
                waited = pause
            self._sent.popleft()
        self._sent.append(self.clock())
        return waited


@dataclass
class HttpFetcher:
    """GET with rate limiting and bounded retries."""

    limiter: RateLimiter
    retries: int = 5
    backoff: float = 2.0
    max_backoff: float = 60.0
    timeout: float = 60.0
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    client: httpx.Client | None = None
    log: list[str] = field(default_factory=list)

    def _client(self) -> httpx.Client:
        if self.client is None:
            self.client = httpx.Client(
                timeout=self.timeout, headers=self.headers, follow_redirects=False
            )
        return self.client

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        last_reason = ""
        for attempt in range(self.retries + 1):
            self.limiter.wait()
            try:
                response = self._client().get(url, params=params)
            except httpx.HTTPError as exc:
                last_reason = f"{type(exc).__name__}: {exc}"
                response = None
            if response is not None:
                if response.status_code == 200:
                    return response
                last_reason = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUS:
                    break
            if attempt == self.retries:
                break
            pause = min(self.max_backoff, self.backoff * (2**attempt))
            if response is not None:
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    pause = min(self.max_backoff, float(retry_after))
            self.log.append(f"retry {attempt + 1} after {last_reason}, waiting {pause:g}s")
            self.sleep(pause)
        raise VulnDBError("vulndb.http_failed", url=url, reason=last_reason)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
