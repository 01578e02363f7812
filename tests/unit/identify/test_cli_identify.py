"""``kenshin identify`` as a person runs it: the real console entry point."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

pytestmark = [pytest.mark.usefixtures("isolated_env"), pytest.mark.timeout(120)]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, COLUMNS="200", **env)
    environment.pop("KENSHIN_LAB_TARGETS", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=100,
        check=False,
    )


@pytest.fixture
def ssh_port() -> Iterator[int]:
    """A thread serving an OpenSSH identification string (RFC 4253 §4.2) on loopback."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                continue
            client.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7\r\n")
            client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_identify_json(ssh_port: int) -> None:
    result = run("identify", "127.0.0.1", str(ssh_port), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["service"] == "ssh"
    assert document["product"] == "OpenSSH"
    assert document["version"] == "9.2p1 Debian-2+deb12u7"
    assert document["extra"]["distribution"] == "Debian"


def test_identify_table_in_japanese(ssh_port: int) -> None:
    result = run("identify", "127.0.0.1", f"{ssh_port}/tcp")
    assert result.returncode == 0, result.stderr
    assert "サービス" in result.stdout
    assert "OpenSSH" in result.stdout


def test_foreign_address_is_refused_with_one_sentence() -> None:
    result = run("--lang", "en", "identify", "203.0.113.9", "22")
    assert result.returncode == 2
    assert "limited to loopback" in result.stderr
    assert "Traceback" not in result.stderr


def test_lab_address_needs_the_switch() -> None:
    result = run("--lang", "en", "identify", "198.18.10.10", "443")
    assert result.returncode == 2
    assert "KENSHIN_LAB_TARGETS=1" in result.stderr.replace("\n", " ")


def test_bad_port_is_refused() -> None:
    result = run("--lang", "en", "identify", "127.0.0.1", "70000/sctp")
    assert result.returncode == 2
    assert "Cannot understand the port" in result.stderr
