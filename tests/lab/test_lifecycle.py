"""The lab comes up and goes down cleanly: nothing of it is left, whatever happens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from kenshin.lab import Lab, LabError, LabWarning, cleanup_stale
from kenshin.lab._netns import (
    PREFIX,
    link_exists,
    list_namespaces,
    our_namespaces,
    pid_alive,
    slot_in_use,
)

# xdist: in the own-labs group (XDIST_GROUPS in tests/conftest.py).
pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("needs_root")]

REPO = Path(__file__).resolve().parents[2]


def _gone(namespaces: list[str], link: str, pids: list[int]) -> None:
    present = set(list_namespaces())
    assert not present & set(namespaces)
    assert not link_exists(link)
    assert not [pid for pid in pids if pid_alive(pid)]


def test_up_and_down_leaves_nothing_behind() -> None:
    with Lab.start("test") as lab:
        namespaces, link = lab.namespaces, lab.link
        pids = list(lab.processes.values())
        assert set(namespaces) <= set(list_namespaces())
        assert link_exists(link)
        assert pids
        assert all(pid_alive(pid) for pid in pids)
        tmpdir = lab.tmpdir
        assert tmpdir.is_dir()
    _gone(namespaces, link, pids)
    assert not tmpdir.exists()


def test_two_labs_at_once_get_different_slots_and_addresses() -> None:
    with Lab.start("test") as first, Lab.start("test") as second:
        assert first.slot != second.slot
        assert not set(first.namespaces) & set(second.namespaces)
        assert first.host("vuln").address != second.host("vuln").address
        for lab in (first, second):
            service = lab.service("redis-open")
            from _probes import redis_command

            assert redis_command(service.address, "PING") == b"+PONG\r\n"


def test_keyboard_interrupt_inside_the_lab_still_tears_down() -> None:
    recorded: list[Lab] = []

    def use_lab_and_interrupt() -> None:
        with Lab.start("test") as lab:
            recorded.append(lab)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        use_lab_and_interrupt()
    lab = recorded[0]
    _gone(lab.namespaces, lab.link, list(lab.processes.values()))


def _orphans_since(before: set[str]) -> set[str]:
    """Namespaces that appeared since ``before`` and that no living lab holds.

    Other labs (another xdist worker, another person's run) may come and go meanwhile;
    theirs are held by their slot's lock, a leak of ours is not.
    """
    appeared = set(our_namespaces()) - before
    return {name for name in appeared if not slot_in_use(name.removeprefix(PREFIX).split("-")[0])}


def _run_pytest(tmp_path: Path, body: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    record = tmp_path / "record.txt"
    test_file = tmp_path / "test_inner.py"
    test_file.write_text(textwrap.dedent(body).replace("RECORD", str(record)))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(REPO),
            "-c",
            str(REPO / "pyproject.toml"),
            "--confcutdir",
            str(REPO / "tests"),
            str(test_file),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO / "tests",
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "tests")},
    )
    lines = record.read_text().split() if record.exists() else []
    return result, lines


def test_a_failing_test_inside_the_lab_still_tears_down(tmp_path: Path) -> None:
    result, recorded = _run_pytest(
        tmp_path,
        """
        import pytest
        pytest_plugins = ["lab.conftest"]

        @pytest.mark.lab
        def test_fails(lab):
            with open("RECORD", "w") as f:
                f.write(" ".join(lab.namespaces + [lab.link]
                                 + [str(p) for p in lab.processes.values()]))
            assert False, "a test that fails inside the lab"
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "a test that fails inside the lab" in result.stdout
    assert recorded
    namespaces = [r for r in recorded if r.startswith("ksn") and not r.endswith("-up")]
    link = next(r for r in recorded if r.endswith("-up"))
    pids = [int(r) for r in recorded if r.isdigit()]
    _gone(namespaces, link, pids)


def test_a_killed_owner_is_cleaned_up_as_stale(tmp_path: Path) -> None:
    record = tmp_path / "record.txt"
    script = textwrap.dedent(
        f"""
        import time
        from kenshin.lab import Lab
        lab = Lab.start("test")
        with open({str(record)!r}, "w") as f:
            pids = [str(p) for p in lab.processes.values()]
            f.write(" ".join(lab.namespaces + [lab.link] + pids))
        time.sleep(120)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not record.exists() and time.monotonic() < deadline and owner.poll() is None:
            time.sleep(0.1)
        assert record.exists(), "the owner did not start its lab"
        time.sleep(0.1)
        recorded = record.read_text().split()
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
    namespaces = [r for r in recorded if r.startswith("ksn") and not r.endswith("-up")]
    link = next(r for r in recorded if r.endswith("-up"))
    pids = [int(r) for r in recorded if r.isdigit()]
    assert set(namespaces) <= set(list_namespaces())  # the dead owner left them
    removed = cleanup_stale()
    assert set(namespaces) <= set(removed)
    _gone(namespaces, link, pids)


PROFILE_WITH_UNKNOWN_EMULATOR = """
name: unknown-emulator
description: one real daemon and an emulator nobody registered
hosts:
  - role: a
    octet: 10
    services:
      - {name: a-redis, daemon: redis, port: 6379, service: redis, product: Redis key-value store}
      - {name: a-ghost, emulator: no_such_emulator, port: 7, service: echo}
"""


def test_an_unregistered_emulator_is_named_and_left_out_or_refused(tmp_path: Path) -> None:
    profile = tmp_path / "unknown-emulator.yaml"
    profile.write_text(PROFILE_WITH_UNKNOWN_EMULATOR)
    with pytest.raises(LabError, match=r"not registered in kenshin\.lab\.emulators: no_such"):
        Lab.start(profile, strict=True)
    with pytest.warns(LabWarning, match="no_such_emulator"):
        lab = Lab.start(profile, strict=False)
    with lab:
        assert [s.name for s in lab.services] == ["a-redis"]
        assert lab.missing == ["a-ghost (emulator 'no_such_emulator' is not registered)"]


def test_loopback_mode_serves_the_emulators_without_namespaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As a user without root would get it: ports below 1024 move up by 20000.
    monkeypatch.setattr("kenshin.lab._lab.is_root", lambda: False)
    before = set(list_namespaces())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LabWarning)
        lab = Lab.start("demo", mode="auto")
    with lab:
        assert lab.mode == "loopback"
        assert _orphans_since(before) == set()
        assert not [n for n in list_namespaces() if n.startswith(f"{PREFIX}{lab.slot}-")]
        assert lab.services
        for service in lab.services:
            assert service.address.startswith("127.77.")
            assert service.kind.startswith("emulator:")
        ssl_vpn = lab.service("cp01-sslvpn")
        assert ssl_vpn.port == 20443
        with socket.create_connection((ssl_vpn.address, ssl_vpn.port), timeout=5):
            pass
        assert any("cp01-ssh" in m and "needs root" in m for m in lab.missing)
        pids = list(lab.processes.values())
    assert not [pid for pid in pids if pid_alive(pid)]


PROFILE_WITH_A_BAD_EMULATOR_OPTION = """
name: bad-option
description: a registered emulator given an option it does not have
hosts:
  - role: a
    octet: 10
    services:
      - {name: a-rdp, emulator: rdp, port: 3389, options: {no_such_option: "1"},
         service: ms-wbt-server}
"""


def test_a_failing_emulator_is_reported_and_the_lab_cleaned(tmp_path: Path) -> None:
    profile = tmp_path / "bad-option.yaml"
    profile.write_text(PROFILE_WITH_A_BAD_EMULATOR_OPTION)
    before = set(list_namespaces())
    with pytest.raises(LabError, match="emulators-a") as caught:
        Lab.start(profile, mode="netns")
    assert "no_such_option" in caught.value.message("en")
    assert _orphans_since(before) == set()


NOT_ROOT_TEST = """
import pytest
pytest_plugins = ["lab.conftest"]

def test_needs_the_lab(monkeypatch, request):
    monkeypatch.setattr("lab.conftest.is_root", lambda: False)
    request.getfixturevalue("needs_root")
"""


@pytest.mark.parametrize("ci", ["", "1"])
def test_without_root_lab_tests_skip_or_fail_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    result, _ = _run_pytest(tmp_path, NOT_ROOT_TEST)
    output = result.stdout + result.stderr
    assert "needs root for network namespaces" in output
    if ci:
        assert result.returncode == 1
        assert "1 failed" in output
    else:
        assert result.returncode == 0
        assert "1 skipped" in output
