"""Labs that outlive a command: start one in the background, list them, stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from kenshin.lab import _netns
from kenshin.lab._lab import is_root
from kenshin.lab._model import LabError
from kenshin.lab._profile import load_profile


def running_labs() -> list[dict[str, Any]]:
    """The state of every lab whose owner process is alive (slot, profile, pid, hosts, ...)."""
    if not _netns.RUN_DIR.is_dir():
        return []
    labs = []
    for path in sorted(_netns.RUN_DIR.glob("slot-*.json")):
        key = path.stem.removeprefix("slot-")
        state = _netns.read_state(key)
        if state is not None and _netns.slot_in_use(key):
            labs.append(state)
    return labs


def start_detached(profile: str, timeout: float = 90.0) -> dict[str, Any]:
    """Start ``profile`` under a background keeper process; return its state once ready."""
    spec = load_profile(profile)
    if not is_root():
        raise LabError("lab.needs_root")
    if spec.fixed_addresses and _netns.slot_in_use(_netns.DEMO_KEY):
        state = _netns.read_state(_netns.DEMO_KEY) or {}
        raise LabError("lab.demo_busy", pid=state.get("pid", "?"))
    _netns.RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    log_path = _netns.RUN_DIR / f"keeper-{profile}-{time.time_ns()}.log"
    with log_path.open("wb") as log:
        keeper = subprocess.Popen(
            [sys.executable, "-m", "kenshin.lab._keeper", profile],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if keeper.poll() is not None:
            text = log_path.read_text(errors="replace")
            log_path.unlink(missing_ok=True)
            detail = next(
                (line[7:] for line in text.splitlines() if line.startswith("FAILED ")),
                text.strip()[-500:],
            )
            raise LabError("lab.up_failed", detail=detail)
        for state in running_labs():
            if state.get("pid") == keeper.pid and state.get("ready"):
                log_path.unlink(missing_ok=True)
                return state
        time.sleep(0.1)
    stop_pid(keeper.pid)
    log_path.unlink(missing_ok=True)
    raise LabError("lab.up_failed", detail=f"not ready within {timeout:.0f} s")


def stop_pid(pid: int, timeout: float = 30.0) -> None:
    """Ask a keeper to stop (SIGTERM) and wait until it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while _netns.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _netns.pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def stop_detached(slot: str | None = None) -> list[dict[str, Any]]:
    """Stop the labs that ``kenshin lab up`` started (all, or the one in ``slot``).

    Labs owned by other processes (a test run) are not touched; a named slot that is not
    a keeper's raises ``LabError``. (``cleanup_stale()`` removes what dead owners left.)
    """
    stopped = []
    for state in running_labs():
        if slot is not None and state.get("slot") != slot:
            continue
        if not state.get("keeper"):
            if slot is not None:
                raise LabError("lab.down_not_cli", slot=slot, pid=state.get("pid"))
            continue
        stop_pid(int(state["pid"]))
        stopped.append(state)
    return stopped
