"""``kenshin scan``, ``scan-stop``, ``scan-runs`` and ``import nmap`` as a surveyor uses them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest

from kenshin.cli import main
from kenshin.cli._state import STATE
from kenshin.scan import validate_scan_document
from kenshin.store import AuditLog, open_store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "scan"

pytestmark = pytest.mark.usefixtures("isolated_env")


def env_for(db: Path, tmp: Path) -> dict[str, str]:
    return dict(
        os.environ,
        COLUMNS="200",
        KENSHIN_DB_URL=f"sqlite:///{db}",
        KENSHIN_STOP_FILE=str(tmp / "EMERGENCY-STOP"),
    )


def run(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kenshin", *args],
        capture_output=True,
        text=True,
        env=env_for(tmp / "k.sqlite3", tmp),
        timeout=180,
        check=False,
    )


def audit_outcomes(tmp: Path, prefix: str = "scan.") -> list[str]:
    """The audited scan events, oldest first (``kenshin scan`` queues a scan job, so a
    ``job.scan.submit`` event precedes each run's own: ask for it with ``prefix="job."``)."""
    store = open_store(f"sqlite:///{tmp / 'k.sqlite3'}")
    with store.session() as session:
        events = AuditLog(session).events()
    store.dispose()
    return [
        f"{e.action}:{e.outcome.value}" for e in reversed(events) if e.action.startswith(prefix)
    ]


def test_adhoc_loopback_scan_writes_json_and_xml(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "scan",
        "--target",
        "127.0.0.1",
        "--ports",
        "1-200",
        "--udp-top",
        "3",
        "--profile",
        "lab",
        "--json",
        str(tmp_path / "r.json"),
        "--nmap-xml",
        str(tmp_path / "r.xml"),
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    assert "スキャンが終わりました" in result.stdout
    document = json.loads((tmp_path / "r.json").read_text("utf-8"))
    validate_scan_document(document)
    assert document["hosts"][0]["address"] == "127.0.0.1"
    assert document["status"] == "finished"
    coverage = document["coverage"][0]
    assert coverage["address"] == "127.0.0.1"
    assert (coverage["tcp_ports"], coverage["tcp_count"]) == ("1-200", 200)
    assert (coverage["udp_ports"], coverage["udp_count"]) == ("53,123,161", 3)
    assert coverage["profile"] == "lab"
    assert coverage["rate"] == 200_000
    assert coverage["port_choice"] == "TCP: --ports 1-200; UDP: --udp-top 3"
    assert coverage["started_at"]
    assert coverage["finished_at"]
    assert "計画" in result.stdout
    assert "所要時間の見込み" in result.stdout
    assert (tmp_path / "r.xml").read_bytes().startswith(b"<?xml")
    runs = run(tmp_path, "scan-runs", "--json")
    assert json.loads(runs.stdout)[0]["status"] == "finished"
    assert audit_outcomes(tmp_path)[-2:] == ["scan.port:started", "scan.port:succeeded"]


def test_foreign_target_is_refused_and_audited(tmp_path: Path) -> None:
    result = run(tmp_path, "scan", "--target", "192.0.2.10", "--ports", "80")
    assert result.returncode == 2
    assert "ループバック" in result.stderr
    assert "送信しません" in result.stderr
    english = run(tmp_path, "--lang", "en", "scan", "--target", "192.0.2.10", "--ports", "80")
    assert "nothing is sent" in english.stderr
    assert audit_outcomes(tmp_path)[-1] == "scan.port:refused"


class _Clock(datetime):
    """``datetime`` whose ``now`` is a moment the test chooses (the scope's clock)."""

    moment = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # the demo window ended 2026-12-04

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return cls.moment.astimezone(tz) if tz else cls.moment.replace(tzinfo=None)


def test_engagement_outside_its_window_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    monkeypatch.setenv("KENSHIN_DB_URL", f"sqlite:///{tmp_path / 'k.sqlite3'}")
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(tmp_path / "EMERGENCY-STOP"))
    monkeypatch.setattr("kenshin.scope._scope.datetime", _Clock)
    monkeypatch.setattr(sys, "argv", ["kenshin", "--lang", "en", "scan", "demo-2026", "-p", "443"])
    monkeypatch.setattr(STATE, "lang", STATE.lang)  # restored for the tests after this one
    STATE._store = None
    with pytest.raises(SystemExit) as exit_:
        main()  # in this process, so that the clock above is the one the scope reads
    STATE._store = None
    error = " ".join(capsys.readouterr().err.split())
    assert exit_.value.code == 2, error
    assert "outside the diagnosis window" in error
    assert "Now (2026-12-05 21:00 JST)" in error  # the injected moment, in Japan time
    assert audit_outcomes(tmp_path)[-1] == "scan.port:refused"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--ports", "80", "--top-ports", "10"], "--ports"),
        (["--ports", "nosuchname"], "nosuchname"),
        (["--ports", "70000"], "70000"),
        (["--mode", "stealth", "--ports", "80"], "stealth"),
        (["--profile", "fast", "--ports", "80"], "fast"),
        (["--per-host", "999", "--ports", "80"], "999"),
        (["--udp-top", "5000", "--ports", "80"], "5000"),
    ],
)
def test_bad_options_get_one_clear_sentence(tmp_path: Path, args: list[str], expected: str) -> None:
    result = run(tmp_path, "--lang", "en", "scan", "--target", "127.0.0.1", *args)
    assert result.returncode == 2, result.stdout
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_target_spec(tmp_path: Path) -> None:
    result = run(tmp_path, "--lang", "en", "scan", "--target", "localhost", "--ports", "80")
    assert result.returncode == 2
    assert "Host names are not accepted" in result.stderr


def test_emergency_stop_file_blocks_new_scans(tmp_path: Path) -> None:
    assert run(tmp_path, "scan-stop").returncode == 0
    blocked = run(tmp_path, "scan", "--target", "127.0.0.1", "--ports", "80")
    assert blocked.returncode == 2
    # the message names the stop file, so a long temporary path wraps it: compare words
    assert "kenshin scan-stop --clear" in " ".join(blocked.stderr.split())
    assert "削除しました" in run(tmp_path, "scan-stop", "--clear").stdout


def test_ctrl_c_keeps_results_and_resume_finishes(tmp_path: Path) -> None:
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        pytest.fail(
            "SIGINT is ignored in this process (e.g. the suite was started with '&' from a "
            "script), so the command under test would inherit it and never see Ctrl-C"
        )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kenshin",
            "scan",
            "--target",
            "127.0.0.1",
            "--ports",
            "1-3000",
            "--udp-ports",
            "none",
            "--rate",
            "100",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path / "k.sqlite3", tmp_path),
    )
    try:
        assert process.stdout is not None
        plan = [process.stdout.readline() for _ in range(4)]
        assert "計画" in plan[0]
        assert "所要時間の見込み" in "".join(plan)
        started = ""
        while "スキャンを開始します" not in started:
            started = process.stdout.readline()
            assert started, "the scan never started"
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, (out, err)
    assert "--resume" in out
    runs = json.loads(run(tmp_path, "scan-runs", "--json").stdout)
    assert runs[0]["status"] == "interrupted"
    resumed = run(
        tmp_path,
        "scan",
        "--target",
        "127.0.0.1",
        "--resume",
        "--profile",
        "lab",
        "--no-progress",
        "--json",
        str(tmp_path / "done.json"),
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "再開します" in resumed.stdout
    runs = json.loads(run(tmp_path, "scan-runs", "--json").stdout)
    assert len(runs) == 1
    assert runs[0]["status"] == "finished"
    document = json.loads((tmp_path / "done.json").read_text("utf-8"))
    counted = sum(e["count"] for e in document["hosts"][0].get("extraports", []))
    assert counted + len(document["hosts"][0]["ports"]) == 3000
    assert audit_outcomes(tmp_path)[-4:] == [
        "scan.port:started",
        "scan.port:interrupted",
        "scan.port:started",
        "scan.port:succeeded",
    ]
    assert audit_outcomes(tmp_path, "job.") == ["job.scan.submit:succeeded"] * 2


def test_resume_with_new_ports_is_a_conflict(tmp_path: Path) -> None:
    result = run(
        tmp_path, "--lang", "en", "scan", "--target", "127.0.0.1", "--resume", "--ports", "80"
    )
    assert result.returncode == 2
    assert "--resume" in result.stderr


def test_import_nmap_into_the_demo_engagement(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    result = run(tmp_path, "import", "nmap", str(FIXTURES / "nmap-demo.xml"), "demo-2026")
    assert result.returncode == 0, result.stderr
    assert "取り込みました" in result.stdout
    runs = json.loads(run(tmp_path, "scan-runs", "demo-2026", "--json").stdout)
    assert runs[0]["source"] == "nmap"
    assert runs[0]["status"] == "finished"
    assert audit_outcomes(tmp_path)[-1] == "scan.import_nmap:succeeded"


def test_import_refuses_addresses_outside_the_engagement(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--summary-only").returncode == 0
    foreign = tmp_path / "foreign.xml"
    foreign.write_text(
        (FIXTURES / "nmap-demo.xml").read_text("utf-8").replace("198.18.20.20", "192.0.2.20"),
        encoding="utf-8",
    )
    result = run(tmp_path, "import", "nmap", str(foreign), "demo-2026")
    assert result.returncode == 2
    assert "192.0.2.20" in result.stderr
    assert json.loads(run(tmp_path, "scan-runs", "demo-2026", "--json").stdout) == []


def test_resume_after_sigkill_reports_the_whole_run(tmp_path: Path) -> None:
    """A scan killed outright (no chance to close its run) is resumed; the closing line
    counts the open ports and the time of both parts, not only the resumed one."""
    import re
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kenshin",
                "--lang",
                "en",
                "scan",
                "--target",
                "127.0.0.1",
                "--ports",
                f"{port},1-2000",
                "--udp-ports",
                "none",
                "--rate",
                "100",
                "--no-identify",
                "--no-progress",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path / "k.sqlite3", tmp_path),
        )
        try:
            assert process.stdout is not None
            started = ""
            while "Scanning" not in started:
                started = process.stdout.readline()
                assert started, "the scan never started"
            time.sleep(4)
            process.kill()  # SIGKILL: no handler runs, the run stays "running"
            process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        runs = json.loads(run(tmp_path, "scan-runs", "--json").stdout)
        assert runs[0]["status"] == "running"
        resumed = run(
            tmp_path,
            "--lang",
            "en",
            "scan",
            "--target",
            "127.0.0.1",
            "--resume",
            "--no-progress",
            "--json",
            str(tmp_path / "done.json"),
        )
    finally:
        listener.close()
    assert resumed.returncode == 0, resumed.stderr
    document = json.loads((tmp_path / "done.json").read_text("utf-8"))
    open_ports = [p["port"] for p in document["hosts"][0]["ports"] if p["state"] == "open"]
    assert port in open_ports
    closing = re.search(r"(\d+) open ports, (\d+) s", " ".join(resumed.stdout.split()))
    assert closing is not None, resumed.stdout
    assert int(closing.group(1)) == len(open_ports)
    runs = json.loads(run(tmp_path, "scan-runs", "--json").stdout)
    assert len(runs) == 1
    assert runs[0]["status"] == "finished"
    parts = runs[0]["options"]["parts"]
    assert len(parts) == 2
    from datetime import datetime

    spans = [
        (datetime.fromisoformat(p["until"]) - datetime.fromisoformat(p["started"])).total_seconds()
        for p in parts
    ]
    assert spans[0] > 0  # the killed part counts up to its last stored result
    assert int(closing.group(2)) == round(sum(spans))
