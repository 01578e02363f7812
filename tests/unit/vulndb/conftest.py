"""Fixtures for the knowledge-base tests: the real public records (as facts), built knowledge bases,
and a local HTTP server on 127.0.0.1 that plays NVD, CISA and MyJVN."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from kenshin.vulndb.sources import HttpFetcher, RateLimiter
from kenshin.vulndb.update import sources_from_files, update_knowledge_base

REPO_ROOT = Path(__file__).resolve().parents[3]


PUBLIC_DATA = REPO_ROOT / "tests" / "fixtures" / "public"
"""Real NVD, KEV and JVN records as facts (scripts/make-public-fixtures.py; README there)."""


def public_data_dir() -> Path:
    """The fact-only public records in the repository; a clear failure when they are gone."""
    if not (PUBLIC_DATA / "nvd").is_dir():
        pytest.fail(
            f"the public-record fixtures are missing ({PUBLIC_DATA}): "
            "run scripts/make-public-fixtures.py (see its README)",
            pytrace=False,
        )
    return PUBLIC_DATA


@pytest.fixture(scope="session")
def public_data() -> Path:
    return public_data_dir()


@pytest.fixture(scope="session")
def real_kb_path(public_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built from every real NVD, KEV and JVN file."""
    path = tmp_path_factory.mktemp("kb") / "kb.sqlite3"
    update_knowledge_base(path, sources_from_files(public_data, ["nvd", "kev", "jvn"]))
    return path


Handler = Callable[[str, dict[str, list[str]], dict[str, str]], tuple[int, bytes, dict[str, str]]]


@dataclass
class FakeServer:
    """A loopback HTTP server whose answers the test decides, recording every request."""

    base: str
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def http_server() -> Iterator[FakeServer]:
    server_state = FakeServer(base="")

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            query = parse_qs(parsed.query)
            headers = {k: v for k, v in self.headers.items()}
            server_state.requests.append((parsed.path, query, headers))
            route = server_state.routes.get(parsed.path)
            if route is None:
                status, body, extra = 404, b"not found", {}
            else:
                status, body, extra = route(parsed.path, query, headers)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server_state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@dataclass
class FakeClock:
    """Time that only moves when someone sleeps: rate limits and back-off without waiting."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


def make_fetcher(
    clock: FakeClock, *, limit: int = 5, period: float = 30.0, retries: int = 3
) -> HttpFetcher:
    return HttpFetcher(
        RateLimiter(limit=limit, period=period, clock=clock.clock, sleep=clock.sleep),
        retries=retries,
        backoff=1.0,
        sleep=clock.sleep,
        timeout=10.0,
    )
