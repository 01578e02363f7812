"""The README's web paragraph, followed as written: demo → user create → serve → log in.

``kenshin demo --summary-only`` stands in for ``kenshin demo``: it is the same first step
(the demo hospital into the store) without the lab, which other tests run end to end.
The password is typed twice at the prompt, as the README says; the server is the real
``kenshin serve`` in its own process on a free loopback port.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("isolated_env")

EMAIL = "surveyor@example.jp"
PASSWORD = "correct horse battery staple 2026"


def _kenshin(*args: str, typed: str = "") -> subprocess.CompletedProcess[str]:
    """The real command; ``typed`` answers its prompts (a new session: no terminal to read)."""
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        input=typed,
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=120,
        check=False,
        start_new_session=True,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(isolated_env: Path) -> Iterator[str]:
    loaded = _kenshin("demo", "--summary-only")
    assert loaded.returncode == 0, loaded.stderr
    created = _kenshin(
        "user",
        "create",
        EMAIL,
        "--role",
        "surveyor",
        "--name",
        "調査 花子",
        typed=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert created.returncode == 0, created.stderr
    assert EMAIL in created.stdout
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kenshin", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail("kenshin serve did not answer within 60 s")
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def test_a_password_typed_differently_twice_creates_no_user(isolated_env: Path) -> None:
    mistyped = _kenshin("user", "create", EMAIL, typed=f"{PASSWORD}\nsomething else\n")
    assert mistyped.returncode != 0
    again = _kenshin("user", "create", EMAIL, "--password-stdin", typed=f"{PASSWORD}\n")
    assert again.returncode == 0, again.stderr  # the mistyped attempt left nothing behind
    twice = _kenshin("user", "create", EMAIL, "--password-stdin", typed=f"{PASSWORD}\n")
    assert twice.returncode != 0
    assert EMAIL in twice.stderr + twice.stdout


def test_the_surveyor_the_readme_creates_sees_the_demo_hospital(served: str) -> None:
    with httpx.Client(base_url=served, follow_redirects=True, timeout=30) as client:
        form = client.get("/login")
        token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
        assert token is not None
        wrong = client.post(
            "/login",
            data={"email": EMAIL, "password": "not it", "login_csrf": token.group(1)},
        )
        assert wrong.status_code == 401
        dashboard = client.post(
            "/login",
            data={"email": EMAIL, "password": PASSWORD, "login_csrf": token.group(1)},
        )
        assert dashboard.status_code == 200
        assert str(dashboard.url).rstrip("/") == served
        assert "デモ総合病院" in dashboard.text
        assert "demo-2026" in dashboard.text
        board = client.get("/board")
        assert board.status_code == 200
        assert "demo-2026" in board.text
