"""``kenshin lab up / status / down``: a surveyor starts the demo lab by hand."""

from __future__ import annotations

import json
import os
import signal
import socket
import time

import pytest
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.lab._netns import list_namespaces, pid_alive

# xdist: in the own-labs group (XDIST_GROUPS in tests/conftest.py).
pytestmark = pytest.mark.lab


@pytest.mark.usefixtures("needs_root")
def test_lab_up_status_down_serves_the_demo_addresses() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--lang", "en", "lab", "up", "--profile", "demo", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    try:
        assert state["keeper"] is True
        assert state["hosts"]["cp01"] == "198.18.10.10"
        assert state["hosts"]["cp02"] == "198.18.20.20"
        with socket.create_connection(("198.18.10.10", 22), timeout=5) as conn:
            assert conn.recv(64).startswith(b"SSH-2.0-OpenSSH_")
        status = runner.invoke(app, ["lab", "status", "--json"])
        assert status.exit_code == 0
        assert state["pid"] in [lab["pid"] for lab in json.loads(status.output)]
        again = runner.invoke(app, ["--lang", "en", "lab", "up", "--profile", "demo"])
        assert again.exit_code != 0  # one demo lab per machine
    finally:
        down = runner.invoke(app, ["--lang", "en", "lab", "down"])
    assert down.exit_code == 0, down.output
    assert "Stopped the lab (slot d" in down.output
    assert not pid_alive(state["pid"])
    assert not set(state["namespaces"]) & set(list_namespaces())


def test_lab_status_lists_only_labs_whose_owner_lives() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["lab", "status", "--json"])
    assert result.exit_code == 0
    labs = json.loads(result.output)
    assert all(pid_alive(lab["pid"]) for lab in labs)
    text = runner.invoke(app, ["--lang", "en", "lab", "status"])
    assert ("No lab is running" in text.output) == (not labs)


def test_lab_up_with_an_unknown_profile_is_an_error() -> None:
    result = CliRunner().invoke(app, ["--lang", "en", "lab", "up", "--profile", "nope"])
    assert result.exit_code != 0


@pytest.mark.usefixtures("needs_root")
def test_lab_down_removes_a_lab_whose_keeper_was_killed() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--lang", "en", "lab", "up", "--profile", "test", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.output)
    os.kill(state["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert set(state["namespaces"]) <= set(list_namespaces())  # left behind
    down = runner.invoke(app, ["--lang", "en", "lab", "down"])
    assert down.exit_code == 0, down.output
    assert "Removed namespaces of labs whose owner had died" in down.output
    assert not set(state["namespaces"]) & set(list_namespaces())
    assert not [pid for pid in state["processes"].values() if pid_alive(pid)]
