"""Real ``kenshin worker`` processes on Redis / RabbitMQ and PostgreSQL scanning the test lab.

The workers are started by these tests (``python -m kenshin worker``) and stopped by
their pids. Ground truth is a single-process scan of the same targets and ports.
SYNs are counted at the lab side, inside the lab host's network namespace. Each fleet
uses queues of its own (``KENSHIN_QUEUE``), so test runs sharing a broker (other
checkouts on this machine) never take or purge each other's tasks.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from kenshin.cli.demo import demo_file
from kenshin.domain import AddressAssignment, DiagnosisWindow, GlobalAddress
from kenshin.intake import read_file
from kenshin.jobs import JobError, JobKind, JobSpec, JobState, JobStatus
from kenshin.jobs.distributed import QUEUE_ENV, CeleryRunner
from kenshin.jobs.registry import _REGISTRY
from kenshin.lab import Lab
from kenshin.scan import LAB, TcpMode
from kenshin.scan.session import ScanRequest, scan_and_store
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import EngagementRepository, Store, open_store
from kenshin.store.models_jobs import JobUnitRow

# xdist: in the celery group (XDIST_GROUPS in tests/conftest.py): one broker's queues.
pytestmark = [pytest.mark.lab, pytest.mark.postgres, pytest.mark.slow]

REDIS_URL = os.environ.get("KENSHIN_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
AMQP_URL = os.environ.get("KENSHIN_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
COUNTER = Path(__file__).with_name("syn_counter.py")
PORTS = "1-1024"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _check_broker(url: str) -> None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        _unavailable(f"broker {make_url_safe(url)} is not reachable: {exc}")


def make_url_safe(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", url)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    admin = os.environ.get("KENSHIN_TEST_PG_URL")
    if not admin:
        _unavailable("KENSHIN_TEST_PG_URL is not set: no PostgreSQL server to test against")
    assert admin is not None
    admin_url = make_url(admin).set(drivername="postgresql+psycopg")
    name = f"kenshin_jobs_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        _unavailable(f"PostgreSQL is not usable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class Fleet:
    """Worker processes this test started; stopped by their pids only."""

    def __init__(self, broker: str, db_url: str, data_dir: Path, queue: str) -> None:
        self.broker = broker
        self.env = {
            **os.environ,
            "KENSHIN_BROKER_URL": broker,
            "KENSHIN_DB_URL": db_url,
            "KENSHIN_DATA_DIR": str(data_dir),
            "KENSHIN_LAB_TARGETS": "1",
            "KENSHIN_QUEUE": queue,
            # long: a killed worker's unit must come back through the units table's
            # reaper, whatever the broker's own re-delivery does
            "KENSHIN_VISIBILITY_TIMEOUT": "600",
            "KENSHIN_LEASE_SECONDS": "6",
            "KENSHIN_WINDOW_RECHECK": "1",
        }
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.started = 0
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, count: int) -> None:
        for _ in range(count):
            self.started += 1
            label = f"w{self.started}"
            log = (self.logs / f"{label}.log").open("wb")
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kenshin",
                    "worker",
                    "--label",
                    label,
                    "-c",
                    "2",
                    "--loglevel",
                    "INFO",
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            self.processes[process.pid] = process

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker has logged that it is ready (Celery's "ready." line).

        Not with ``control.ping``: on Redis, a broadcast to the workers was seen to stop
        their restoring of a dead worker's unacknowledged tasks.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            logs = [p.read_bytes() for p in self.logs.glob("w*.log")]
            if len(logs) >= len(self.processes) and all(b" ready." in log for log in logs):
                return
            time.sleep(0.2)
        raise AssertionError("the workers did not become ready")

    def kill(self, pid: int) -> None:
        process = self.processes.pop(pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def close(self) -> None:
        for pid in list(self.processes):
            process = self.processes.pop(pid)
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def cli(
        self, *args: str, broker: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """``kenshin`` with this fleet's settings; ``broker=False``: the in-process path."""
        env = dict(self.env)
        if not broker:
            env.pop("KENSHIN_BROKER_URL")
        return subprocess.run(
            [sys.executable, "-m", "kenshin", "--lang", "en", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _fleet(
    broker: str, count: int, pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Fleet, Store, CeleryRunner]]:
    _check_broker(broker)
    store = open_store(pg_url)
    queue = f"kenshin-test-{uuid.uuid4().hex[:8]}"
    saved = os.environ.get(QUEUE_ENV)
    os.environ[QUEUE_ENV] = queue
    try:
        runner = CeleryRunner(store, broker)
    finally:
        if saved is None:
            os.environ.pop(QUEUE_ENV, None)
        else:
            os.environ[QUEUE_ENV] = saved
    fleet = Fleet(broker, pg_url, tmp_path_factory.mktemp("fleet"), queue)
    try:
        fleet.start(count)
        fleet.wait_ready()  # the finally below also stops workers that never got ready
        yield fleet, store, runner
    finally:
        fleet.close()
        runner.app.control.purge()
        store.dispose()


@pytest.fixture(scope="module")
def redis_fleet(
    lab: Lab, pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Fleet, Store, CeleryRunner]]:
    yield from _fleet(REDIS_URL, 3, pg_url, tmp_path_factory)


@pytest.fixture(scope="module")
def rabbit_fleet(
    lab: Lab, pg_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Fleet, Store, CeleryRunner]]:
    yield from _fleet(AMQP_URL, 3, pg_url, tmp_path_factory)


@pytest.fixture(scope="module")
def reference(
    lab: Lab, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, int], str]:
    """One single-process scan of the same hosts and ports (the ground truth)."""
    saved = os.environ.get("KENSHIN_LAB_TARGETS")
    os.environ["KENSHIN_LAB_TARGETS"] = "1"
    try:
        store = open_store(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.sqlite3'}")
        stored = scan_and_store(
            store,
            ScanRequest(
                None,
                tuple(_targets(lab)),
                tuple(range(1, 1025)),
                (),
                TcpMode.CONNECT,
                LAB,
                identify=False,
            ),
            sigint_stops=False,
        )
        found = _results(store, stored.uid)
        store.dispose()
        return found
    finally:
        if saved is None:
            os.environ.pop("KENSHIN_LAB_TARGETS", None)
        else:
            os.environ["KENSHIN_LAB_TARGETS"] = saved


def _targets(lab: Lab) -> list[str]:
    return [lab.host(role).address for role in ("vuln", "hard", "misc")]


def _results(store: Store, run_uid: str) -> dict[tuple[str, str, int], str]:
    with store.session() as session:
        found = ScanRunRepository(session).results(run_uid)
    return {(a, p.value, port): r.state.value for (a, p, port), r in found.items()}


def _spec(targets: list[str], **params: str) -> JobSpec:
    base = {
        "targets": ",".join(targets),
        "ports": PORTS,
        "mode": "connect",
        "profile": "lab",
        "identify": "false",
        "unit_ports": "128",
    }
    return JobSpec(JobKind.SCAN, None, {**base, **params}, "tester")


def _wait(runner: CeleryRunner, job_id: str, timeout: float = 120) -> JobStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = runner.status(job_id)
        if status.state.finished:
            return status
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end in {timeout}s: {runner.status(job_id)}")


class SynCounter:
    """``syn_counter.py`` running inside a lab host's namespace (started and stopped by pid)."""

    def __init__(self, lab: Lab, role: str, out: Path) -> None:
        host = lab.host(role)
        self.out = out
        self.process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                host.namespace,
                sys.executable,
                str(COUNTER),
                host.address,
                str(out),
            ],
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if out.exists() and out.read_text(encoding="ascii").startswith("ready"):
                return
            time.sleep(0.05)
        self.close()
        raise AssertionError("the SYN counter did not start")

    def times(self) -> list[float]:
        lines = self.out.read_text(encoding="ascii").splitlines()[1:]
        return [float(line) for line in lines if line]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


# ---------------------------------------------------------------------------- tests


@pytest.mark.redis
def test_workers_scan_equals_a_single_process_scan(
    lab: Lab, redis_fleet: tuple[Fleet, Store, CeleryRunner], reference: dict[object, str]
) -> None:
    _, store, runner = redis_fleet
    job_id = runner.submit(_spec(_targets(lab)))
    status = _wait(runner, job_id)
    assert status.state is JobState.SUCCEEDED, status.error
    assert status.progress == 1.0
    found = _results(store, status.result["scan_run"])
    assert found == reference
    assert status.result["open"] == str(sum(1 for s in reference.values() if s == "open"))
    with store.session() as session:
        workers = set(session.scalars(select(JobUnitRow.worker).where(JobUnitRow.job_id == job_id)))
    assert len(workers) >= 2  # the units were shared


@pytest.mark.redis
def test_unregistered_kind_is_refused_before_queueing(
    redis_fleet: tuple[Fleet, Store, CeleryRunner],
) -> None:
    _, _store, runner = redis_fleet
    saved = _REGISTRY.pop(JobKind.REPORT, None)
    try:
        before = len(runner.list())
        with pytest.raises(JobError) as raised:
            runner.submit(JobSpec(JobKind.REPORT, None, {}, "tester"))
        assert raised.value.key == "jobs.unregistered"
        assert len(runner.list()) == before
    finally:
        if saved is not None:
            _REGISTRY[JobKind.REPORT] = saved


@pytest.mark.redis
def test_politeness_limit_holds_across_workers(
    lab: Lab, redis_fleet: tuple[Fleet, Store, CeleryRunner], tmp_path: Path
) -> None:
    _, store, runner = redis_fleet
    rate = 150
    counter = SynCounter(lab, "vuln", tmp_path / "syn.txt")
    try:
        job_id = runner.submit(
            _spec(
                [lab.host("vuln").address],
                ports="1-900",
                unit_ports="100",
                rate=str(rate),
                per_host="2",
            )
        )
        status = _wait(runner, job_id)
        time.sleep(0.5)
    finally:
        counter.close()
    assert status.state is JobState.SUCCEEDED, status.error
    times = counter.times()
    assert len(times) >= 900  # every port was probed
    burst = max(1.0, rate / 20)
    assert _max_in_window(times, 1.0) <= rate * 1.05 + burst
    with store.session() as session:
        units = session.execute(
            select(JobUnitRow.started_at, JobUnitRow.finished_at, JobUnitRow.worker)
            .where(JobUnitRow.job_id == job_id)
            .order_by(JobUnitRow.started_at)
        ).all()
    assert len({u.worker for u in units}) >= 2  # several workers took part
    for earlier, later in itertools.pairwise(units):
        assert earlier.finished_at <= later.started_at  # never two units on the host at once


@pytest.mark.parametrize(
    "fleet_name",
    [
        pytest.param("redis_fleet", marks=pytest.mark.redis),
        pytest.param("rabbit_fleet", marks=pytest.mark.rabbitmq),
    ],
)
def test_a_worker_killed_mid_scan_loses_nothing(
    lab: Lab, fleet_name: str, request: pytest.FixtureRequest, reference: dict[object, str]
) -> None:
    fleet, store, runner = request.getfixturevalue(fleet_name)
    # slow units (64 probes at 50 per second) so that the kill lands inside one
    job_id = runner.submit(_spec(_targets(lab), unit_ports="64", rate="50"))
    victim, victim_unit = None, ""
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline:
        time.sleep(0.05)
        if runner.status(job_id).progress <= 0.1:
            continue
        # a unit that started a moment ago: over a second of probing left for the kill
        fresh = datetime.now(UTC) - timedelta(seconds=0.3)
        with store.session() as session:
            running = session.execute(
                select(JobUnitRow.worker, JobUnitRow.key).where(
                    JobUnitRow.job_id == job_id,
                    JobUnitRow.state == "running",
                    JobUnitRow.started_at > fresh,
                )
            ).all()
        for worker, key in running:
            pid = int(worker.rsplit(" ", 1)[1])
            if pid in fleet.processes:
                victim, victim_unit = pid, key
                break
    assert victim is not None, "no unit was seen running"
    fleet.kill(victim)
    status = _wait(runner, job_id, timeout=150)
    assert status.state is JobState.SUCCEEDED, status.error
    assert _results(store, status.result["scan_run"]) == reference
    with store.session() as session:
        unit = session.scalar(
            select(JobUnitRow).where(JobUnitRow.job_id == job_id, JobUnitRow.key == victim_unit)
        )
        assert unit is not None
        # the killed worker's unit was done again by another worker
        assert unit.attempts >= 2
        assert f"pid {victim}" not in unit.worker
    fleet.start(1)


@pytest.mark.redis
def test_emergency_stop_halts_every_worker(
    lab: Lab, redis_fleet: tuple[Fleet, Store, CeleryRunner], tmp_path: Path
) -> None:
    fleet, store, runner = redis_fleet
    counter = SynCounter(lab, "hard", tmp_path / "syn.txt")
    try:
        job_id = runner.submit(_spec(_targets(lab), ports="1-3000", unit_ports="200", rate="150"))
        deadline = time.monotonic() + 60
        while runner.status(job_id).progress < 0.05 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert runner.status(job_id).state is JobState.RUNNING
        raised = fleet.cli("jobs", "stop", "--reason", "test")
        assert raised.returncode == 0, raised.stderr
        stopped_at = time.time()
        status = _wait(runner, job_id, timeout=30)
        time.sleep(4)
        listed = fleet.cli("jobs", "list")
        assert "emergency stop is raised" in listed.stdout
    finally:
        counter.close()
        cleared = fleet.cli("jobs", "stop", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    assert status.state is JobState.FAILED
    assert "emergency stop" in status.error
    times = counter.times()
    assert times, "the scan had reached the counted host before the stop"
    assert [t for t in times if t > stopped_at + 3.0] == []
    with store.session() as session:
        run = ScanRunRepository(session).get(status.result["scan_run"])
    assert run.status.value == "interrupted"


def _lab_engagement(lab: Lab, store: Store, start: datetime, end: datetime) -> str:
    """The demo hospital, moved onto the test lab's ``vuln`` host, with the given window."""
    demo = read_file(demo_file())
    point = replace(
        next(p for p in demo.connection_points if p.is_diagnosis_candidate),
        addresses=(GlobalAddress(ip_address(lab.host("vuln").address), AddressAssignment.FIXED),),
    )
    others = tuple(replace(p, addresses=()) for p in demo.connection_points if p.key != point.key)
    engagement = replace(
        demo,
        code=f"lab-{uuid.uuid4().hex[:6]}",
        connection_points=(point, *others),
        window=DiagnosisWindow(start, end),
    )
    with store.session() as session:
        EngagementRepository(session).save(engagement)
    return engagement.code


@pytest.mark.redis
def test_a_job_waits_for_its_window_pauses_when_it_closes_and_resumes_in_the_next(
    lab: Lab, redis_fleet: tuple[Fleet, Store, CeleryRunner]
) -> None:
    _, store, runner = redis_fleet
    now = datetime.now(UTC)
    code = _lab_engagement(lab, store, now + timedelta(seconds=4), now + timedelta(seconds=8))
    job_id = runner.submit(
        JobSpec(
            JobKind.SCAN,
            code,
            {
                "ports": "1-1200",
                "unit_ports": "100",
                "mode": "connect",
                "profile": "lab",
                "identify": "false",
                "rate": "150",
            },
            "tester",
        )
    )
    seen: list[JobState] = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        state = runner.status(job_id).state
        if not seen or seen[-1] is not state:
            seen.append(state)
        if state is JobState.RUNNING and datetime.now(UTC) > now + timedelta(seconds=10):
            break
        if seen[-2:] == [JobState.RUNNING, JobState.PAUSED]:
            break
        time.sleep(0.1)
    # nothing ran before the window opened, and the job paused when it closed
    assert seen[0] in (JobState.QUEUED, JobState.PAUSED)
    assert JobState.PAUSED in seen[:2]
    assert seen[-2:] == [JobState.RUNNING, JobState.PAUSED], seen
    with store.session() as session:
        first = session.scalar(
            select(JobUnitRow.started_at)
            .where(JobUnitRow.job_id == job_id, JobUnitRow.started_at.is_not(None))
            .order_by(JobUnitRow.started_at)
        )
    assert first is not None
    assert first >= now + timedelta(seconds=4)
    assert runner.status(job_id).progress < 1.0
    # the next window: the paused job resumes and completes
    later = datetime.now(UTC)
    _lab_engagement_window(store, code, later, later + timedelta(minutes=10))
    status = _wait(runner, job_id, timeout=90)
    assert status.state is JobState.SUCCEEDED, status.error
    found = _results(store, status.result["scan_run"])
    assert len(found) == 1200


def _lab_engagement_window(store: Store, code: str, start: datetime, end: datetime) -> None:
    with store.session() as session:
        repository = EngagementRepository(session)
        repository.save(replace(repository.get(code), window=DiagnosisWindow(start, end)))


@pytest.mark.rabbitmq
def test_rabbitmq_workers_scan_equals_a_single_process_scan(
    lab: Lab,
    rabbit_fleet: tuple[Fleet, Store, CeleryRunner],
    reference: dict[object, str],
) -> None:
    fleet, store, runner = rabbit_fleet
    job_id = runner.submit(_spec(_targets(lab)))
    status = _wait(runner, job_id)
    assert status.state is JobState.SUCCEEDED, status.error
    assert _results(store, status.result["scan_run"]) == reference
    assert fleet.processes


# ------------------------------------------------- the CLI's commands on the workers

BROKER_FLEETS = [
    pytest.param("redis_fleet", marks=pytest.mark.redis),
    pytest.param("rabbit_fleet", marks=pytest.mark.rabbitmq),
]
QUEUED = "Queued as job"


def _scanned(document: dict[str, Any]) -> dict[str, object]:
    """What a kenshin.scan/1 document says was found, without times, ids or reasons."""
    found: dict[str, object] = {}
    for host in document["hosts"]:
        listed = sorted((p["protocol"], p["port"], p["state"]) for p in host["ports"])
        extra: dict[tuple[str, str], int] = {}
        for counted in host.get("extraports", []):
            key = (counted["protocol"], counted["state"])
            extra[key] = extra.get(key, 0) + counted["count"]
        found[host["address"]] = (listed, extra)
    return found


@pytest.mark.parametrize("fleet_name", BROKER_FLEETS)
def test_kenshin_scan_runs_on_the_workers_with_the_same_result(
    lab: Lab,
    fleet_name: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    reference: dict[object, str],
) -> None:
    fleet, store, runner = request.getfixturevalue(fleet_name)
    args = [
        *(part for target in _targets(lab) for part in ("-t", target)),
        *("-p", PORTS, "--udp-ports", "none", "--mode", "connect", "--profile", "lab"),
        "--no-identify",
    ]
    on_workers = fleet.cli("scan", *args, "--json", str(tmp_path / "w.json"), timeout=240)
    assert on_workers.returncode == 0, on_workers.stderr
    here = fleet.cli("scan", *args, "--json", str(tmp_path / "p.json"), broker=False, timeout=240)
    assert here.returncode == 0, here.stderr
    assert QUEUED in on_workers.stdout
    assert QUEUED not in here.stdout
    workers_doc = json.loads((tmp_path / "w.json").read_text("utf-8"))
    here_doc = json.loads((tmp_path / "p.json").read_text("utf-8"))
    assert workers_doc["status"] == here_doc["status"] == "finished"
    assert _scanned(workers_doc) == _scanned(here_doc)
    assert _results(store, workers_doc["run_id"]) == reference
    for output in (on_workers.stdout, here.stdout):
        assert "Scan finished (run " in output
        assert "3 hosts" in output
    # the run was a job split into units on several workers
    job = next(j for j in runner.list() if j.result.get("scan_run") == workers_doc["run_id"])
    assert job.state is JobState.SUCCEEDED
    with store.session() as session:
        workers = set(session.scalars(select(JobUnitRow.worker).where(JobUnitRow.job_id == job.id)))
    assert len(workers) >= 2


@pytest.mark.redis
def test_kenshin_diagnose_and_report_run_on_the_workers_with_the_same_result(
    lab: Lab, redis_fleet: tuple[Fleet, Store, CeleryRunner], tmp_path: Path
) -> None:
    fleet, store, runner = redis_fleet
    now = datetime.now(UTC)
    code = _lab_engagement(lab, store, now - timedelta(minutes=1), now + timedelta(hours=1))
    scanned = fleet.cli(
        "scan",
        code,
        *("--top-ports", "100", "--udp-ports", "none", "--mode", "connect", "--profile", "lab"),
        timeout=300,
    )
    assert scanned.returncode == 0, scanned.stderr
    assert QUEUED in scanned.stdout
    on_workers = fleet.cli("diagnose", code, "--json", timeout=300)
    assert on_workers.returncode == 0, on_workers.stderr
    here = fleet.cli("diagnose", code, "--json", broker=False, timeout=300)
    assert here.returncode == 0, here.stderr
    workers_findings = {f["fingerprint"]: f["title"] for f in json.loads(on_workers.stdout)}
    here_findings = {f["fingerprint"]: f["title"] for f in json.loads(here.stdout)}
    assert workers_findings  # the lab's vulnerable host has findings
    assert workers_findings == here_findings
    kinds = [j.spec.kind for j in runner.list(code) if j.state is JobState.SUCCEEDED]
    assert JobKind.DIAGNOSE in kinds
    # the report: written by a worker into the folder asked for, the same files
    wrote = fleet.cli("report", code, "-o", str(tmp_path / "w"), "--json", timeout=300)
    assert wrote.returncode == 0, wrote.stderr
    here_wrote = fleet.cli(
        "report", code, "-o", str(tmp_path / "p"), "--json", broker=False, timeout=300
    )
    assert here_wrote.returncode == 0, here_wrote.stderr
    workers_report, here_report = json.loads(wrote.stdout), json.loads(here_wrote.stdout)
    assert workers_report["directory"] == str((tmp_path / "w").resolve())
    assert set(workers_report["files"]) == set(here_report["files"])
    for written in workers_report["files"].values():
        assert Path(written).stat().st_size > 0
    assert JobKind.REPORT in [j.spec.kind for j in runner.list(code)]


class _Feeds:
    """A loopback HTTP server playing NVD (one page of the real records) and CISA KEV."""

    def __init__(self, public: Path) -> None:
        items = [
            {"cve": json.loads(p.read_text("utf-8"))}
            for p in sorted((public / "nvd").glob("*.json"))
        ]
        self.cves = len(items)
        nvd = json.dumps(
            {
                "resultsPerPage": len(items),
                "startIndex": 0,
                "totalResults": len(items),
                "format": "NVD_CVE",
                "version": "2.0",
                "timestamp": "2026-11-26T00:00:00.000",
                "vulnerabilities": items,
            }
        ).encode()
        kev = (public / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
        bodies = {"/nvd": nvd, "/kev.json": kev}
        self.requests: list[str] = []
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlparse(self.path).path
                feeds.requests.append(path)
                body = bodies.get(path, b"not found")
                self.send_response(200 if path in bodies else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _public_data() -> Path:
    """The real public records as facts, in the repository (tests/fixtures/public)."""
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "public"
    if not (folder / "nvd").is_dir():
        pytest.fail(f"the public-record fixtures are missing ({folder})", pytrace=False)
    return folder


@pytest.mark.parametrize("fleet_name", BROKER_FLEETS)
def test_kenshin_vulndb_update_runs_on_a_worker(
    fleet_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    fleet, _store, runner = request.getfixturevalue(fleet_name)
    feeds = _Feeds(_public_data())
    kb = tmp_path / "kb.sqlite3"
    try:
        done = fleet.cli(
            "vulndb",
            "update",
            *("--source", "nvd", "--source", "kev"),
            *("--nvd-url", f"{feeds.base}/nvd", "--kev-url", f"{feeds.base}/kev.json"),
            *("--kb", str(kb), "--json"),
            timeout=180,
        )
    finally:
        feeds.close()
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["path"] == str(kb.resolve())
    counts = {r["source"]: r["records"] for r in document["results"]}
    assert counts == {"nvd": feeds.cves, "kev": 1404}
    assert sorted(set(feeds.requests)) == ["/kev.json", "/nvd"]
    job = next(j for j in runner.list() if j.spec.kind is JobKind.VULNDB_UPDATE)
    assert job.state is JobState.SUCCEEDED
    assert job.result["path"] == str(kb.resolve())
    status = fleet.cli("vulndb", "status", "--kb", str(kb), "--json", broker=False)
    assert json.loads(status.stdout)["kev_count"] == 1404
