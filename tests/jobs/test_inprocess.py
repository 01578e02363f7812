"""The in-process runner on SQLite (and PostgreSQL): no broker, jobs in a thread pool."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kenshin.domain import PortResult, ScanReport
from kenshin.jobs import (
    InProcessRunner,
    JobError,
    JobKind,
    JobSpec,
    JobState,
    register_job,
    runner_for,
)
from kenshin.jobs.registry import _REGISTRY
from kenshin.scan import PORTS_ONLY, ScanContext, ScanPipeline
from kenshin.scan.storage import ScanRunRepository
from kenshin.scope import Gate
from kenshin.store import Store, open_store


@pytest.fixture
def store(store_url: str, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.delenv("KENSHIN_BROKER_URL", raising=False)
    opened = open_store(store_url)
    yield opened
    opened.dispose()


@pytest.fixture
def listening_port() -> Iterator[int]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def _scan_spec(port: int, **extra: str) -> JobSpec:
    closed = port + 1 if port < 65535 else port - 1
    params = {
        "targets": "127.0.0.1",
        "ports": f"{port},{closed}",
        "mode": "connect",
        "profile": "lab",
        "identify": "false",
        **extra,
    }
    return JobSpec(JobKind.SCAN, None, params, "tester")


def test_runner_for_is_in_process_without_a_broker(store: Store) -> None:
    assert isinstance(runner_for(store, ScanPipeline()), InProcessRunner)


def test_scan_job_runs_in_process_and_stores_its_run(store: Store, listening_port: int) -> None:
    runner = InProcessRunner(store)
    job_id = runner.submit(_scan_spec(listening_port))
    status = runner.wait(job_id, timeout=60)
    assert status.state is JobState.SUCCEEDED, status.error
    assert status.progress == 1.0
    assert status.started_at is not None
    assert status.finished_at is not None
    assert status.result["open"] == "1"
    with store.session() as session:
        found = ScanRunRepository(session).results(status.result["scan_run"])
    open_ports = {key[2] for key, result in found.items() if result.state.value == "open"}
    assert open_ports == {listening_port}
    # the status survives the runner: a new runner (a page reload) reads the same row
    again = InProcessRunner(store).status(job_id)
    assert again.state is JobState.SUCCEEDED
    assert [j.id for j in InProcessRunner(store).list()] == [job_id]


class _Seen:
    """A post-scan stage and an identifier that write down every report and host they get."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reports: list[tuple[str, ...]] = []
        self.hosts: list[str] = []

    async def run(self, report: ScanReport, context: ScanContext) -> ScanReport:
        self.reports.append(tuple(host.address for host in report.hosts))
        return report

    async def __call__(
        self, address: str, ports: Sequence[PortResult], gate: Gate
    ) -> tuple[PortResult, ...]:
        self.hosts.append(address)
        return tuple(ports)


def test_two_runners_in_one_process_run_their_own_pipelines(
    store: Store, listening_port: int
) -> None:
    """Each runner's scans run the pipeline it was given, and no other: composing one
    installs nothing that another runner (or a bare one) would pick up."""
    first, second = _Seen("first"), _Seen("second")
    runners = [
        InProcessRunner(store, ScanPipeline(first, (first,))),
        InProcessRunner(store, ScanPipeline(None, (second,))),
        InProcessRunner(store),
    ]
    assert runners[2].pipeline is PORTS_ONLY
    host = ("127.0.0.1",)
    # after each runner's scan: (what the first stage saw, what the second stage saw)
    expected = [([host], []), ([host], [host]), ([host], [host])]
    for runner, seen in zip(runners, expected, strict=True):
        job_id = runner.submit(_scan_spec(listening_port, identify="true"))
        status = runner.wait(job_id, timeout=60)
        assert status.state is JobState.SUCCEEDED, status.error
        assert (first.reports, second.reports) == seen
    assert first.hosts == ["127.0.0.1"]  # the second runner has no identifier, not the first's
    # a scan asked without identification runs neither the identifier nor the stages
    job_id = runners[0].submit(_scan_spec(listening_port))
    assert runners[0].wait(job_id, timeout=60).state is JobState.SUCCEEDED
    assert (len(first.reports), len(first.hosts)) == (1, 1)


def test_each_celery_app_hands_its_tasks_its_own_pipeline() -> None:
    """A worker's pipeline travels with the Celery app it creates, not a module global."""
    from kenshin.jobs.distributed import app_pipeline, celery_app

    mine = ScanPipeline(None, (_Seen("mine"),))
    worker_app = celery_app("memory://", mine)
    submitting_app = celery_app("memory://")
    assert app_pipeline(worker_app) is mine
    assert app_pipeline(submitting_app) is PORTS_ONLY
    for name in ("kenshin.run_job", "kenshin.scan_unit"):
        assert app_pipeline(worker_app.tasks[name].app) is mine


def test_unregistered_kind_fails_clearly_before_queueing(store: Store) -> None:
    runner = InProcessRunner(store)
    saved = _REGISTRY.pop(JobKind.REPORT, None)
    try:
        with pytest.raises(JobError) as raised:
            runner.submit(JobSpec(JobKind.REPORT, None, {}, "tester"))
    finally:
        if saved is not None:
            _REGISTRY[JobKind.REPORT] = saved
    assert raised.value.key == "jobs.unregistered"
    assert "report" in raised.value.message("en")
    assert runner.list() == []


def test_failed_job_records_its_error_and_can_be_retried(store: Store) -> None:
    calls: list[str] = []

    def flaky(store: Store, spec: JobSpec, report: object) -> dict[str, str]:
        calls.append(spec.params["n"])
        if len(calls) == 1:
            raise JobError("jobs.bad_param", detail="first try fails")
        return {"n": spec.params["n"]}

    saved = _REGISTRY.get(JobKind.VULNDB_UPDATE)
    register_job(JobKind.VULNDB_UPDATE, flaky)
    try:
        runner = InProcessRunner(store)
        first = runner.submit(JobSpec(JobKind.VULNDB_UPDATE, None, {"n": "7"}, "tester"))
        failed = runner.wait(first, timeout=30)
        assert failed.state is JobState.FAILED
        assert "first try fails" in failed.error
        with pytest.raises(JobError) as not_again:
            runner.retry(runner.submit(JobSpec(JobKind.VULNDB_UPDATE, None, {"n": "8"}, "t")))
        assert not_again.value.key == "jobs.not_retryable"
        second = runner.retry(first)
        done = runner.wait(second, timeout=30)
        assert done.state is JobState.SUCCEEDED
        assert done.result == {"n": "7"}
    finally:
        if saved is None:
            _REGISTRY.pop(JobKind.VULNDB_UPDATE, None)
        else:
            _REGISTRY[JobKind.VULNDB_UPDATE] = saved


def test_cancel_stops_a_running_job(store: Store) -> None:
    import threading

    started = threading.Event()

    def waits(store: Store, spec: JobSpec, report: object) -> dict[str, str]:
        from kenshin.jobs import current_job

        context = current_job()
        assert context is not None
        started.set()
        for _ in range(600):
            if context.stop.is_set():
                raise JobError("jobs.scan_interrupted", run="-")
            threading.Event().wait(0.05)
        return {"stopped": "no"}

    saved = _REGISTRY.get(JobKind.DIAGNOSE)
    register_job(JobKind.DIAGNOSE, waits)
    try:
        runner = InProcessRunner(store)
        job_id = runner.submit(JobSpec(JobKind.DIAGNOSE, None, {}, "tester"))
        assert started.wait(10)
        runner.cancel(job_id)
        status = runner.wait(job_id, timeout=30)
        assert status.state is JobState.CANCELLED
        with pytest.raises(JobError) as again:
            runner.cancel(job_id)
        assert again.value.key == "jobs.already_finished"
    finally:
        if saved is None:
            _REGISTRY.pop(JobKind.DIAGNOSE, None)
        else:
            _REGISTRY[JobKind.DIAGNOSE] = saved


def _cli(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KENSHIN_BROKER_URL", "KENSHIN_DB_URL")}
    env["KENSHIN_DATA_DIR"] = str(tmp / "data")
    return subprocess.run(
        [sys.executable, "-m", "kenshin", "--lang", "en", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_jobs_need_no_broker_and_no_postgres(tmp_path: Path, listening_port: int) -> None:
    done = _cli(
        tmp_path,
        "jobs",
        "scan",
        "-t",
        "127.0.0.1",
        "-p",
        str(listening_port),
        "--mode",
        "connect",
        "--profile",
        "lab",
        "--no-identify",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["state"] == "succeeded"
    assert document["result"]["open"] == "1"
    listed = _cli(tmp_path, "jobs", "list", "--json")
    assert [j["id"] for j in json.loads(listed.stdout)] == [document["id"]]
    assert (tmp_path / "data" / "kenshin.sqlite3").exists()
    refused = _cli(tmp_path, "worker")
    assert refused.returncode != 0
    assert "KENSHIN_BROKER_URL" in refused.stderr
