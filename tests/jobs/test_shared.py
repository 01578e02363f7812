"""Diagnosis windows, per-target leases and the shared stop (store only, no broker)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from kenshin.domain import (
    DiagnosisWindow,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    PortResult,
    PortState,
    Protocol,
    Severity,
)
from kenshin.jobs import JobKind, JobSpec, JobState
from kenshin.jobs.distributed import WINDOW_RECHECK, window_wait
from kenshin.jobs.repository import JobRepository
from kenshin.jobs.scan_job import scan_request
from kenshin.jobs.shared import (
    LEASE_SECONDS,
    SharedStop,
    clear_stop,
    heartbeat,
    raise_stop,
    release_lease,
    stop_reason,
    try_lease,
)
from kenshin.jobs.units import (
    Orphan,
    Unit,
    UnitOutcome,
    claim_unit,
    hold_unit,
    orphaned_units,
    plan_units,
    requeue_unit,
    unit_holder,
    write_unit,
)
from kenshin.scan.engine import RunStatus
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import EngagementRepository, FindingRepository, Store, open_store
from kenshin.store.models_jobs import JobUnitRow, JobWorkerRow

STALE = 2 * LEASE_SECONDS


@pytest.fixture
def store(store_url: str, isolated_env: Path) -> Iterator[Store]:
    opened = open_store(store_url)
    yield opened
    opened.dispose()


def _with_window(store: Store, engagement: Engagement, start: datetime, end: datetime) -> str:
    changed = replace(engagement, window=DiagnosisWindow(start, end))
    with store.session() as session:
        EngagementRepository(session).save(changed)
    return changed.code


def test_a_job_waits_for_its_window_and_runs_inside_it(
    store: Store, demo_engagement: Engagement
) -> None:
    now = datetime.now(UTC)
    code = _with_window(store, demo_engagement, now + timedelta(hours=2), now + timedelta(hours=4))
    spec = JobSpec(JobKind.SCAN, code, {}, "tester")
    wait, end = window_wait(store, spec)
    assert wait is not None
    assert 7100 < wait <= 7200
    assert end == now + timedelta(hours=4)
    _with_window(store, demo_engagement, now - timedelta(hours=1), now + timedelta(hours=1))
    assert window_wait(store, spec) == (None, now + timedelta(hours=1))
    _with_window(store, demo_engagement, now - timedelta(hours=3), now - timedelta(hours=1))
    assert window_wait(store, spec)[0] == WINDOW_RECHECK
    # jobs without an engagement, and report jobs, know no window
    assert window_wait(store, JobSpec(JobKind.SCAN, None, {}, "t")) == (None, None)
    assert window_wait(store, JobSpec(JobKind.REPORT, code, {}, "t")) == (None, None)


def test_shared_stop_sees_the_global_stop_a_cancel_and_the_window_end(
    store: Store, tmp_path: Path
) -> None:
    with store.session() as session:
        job_id = JobRepository(session).create(
            JobSpec(JobKind.SCAN, None, {}, "t"), runner="celery"
        )
    stop_file = tmp_path / "STOP"
    open_window = SharedStop(store, job_id, datetime.now(UTC) + timedelta(hours=1), stop_file)
    assert open_window.check() == ""
    closed = SharedStop(store, job_id, datetime.now(UTC) - timedelta(seconds=1), stop_file)
    assert closed.check() == "window"
    raise_stop(store, "incident", "tester")
    assert stop_reason(store) == "incident"
    assert open_window.check() == "stop"
    with open_window:  # the watcher thread triggers the engine's stop
        for _ in range(40):
            if open_window.is_set():
                break
            open_window._done.wait(0.1)
    assert open_window.is_set()
    assert open_window.why == "stop"
    assert clear_stop(store)
    assert not clear_stop(store)
    assert stop_reason(store) is None
    with store.session() as session:
        JobRepository(session).finish(job_id, JobState.CANCELLED)
    assert SharedStop(store, job_id, None, stop_file).check() == "cancelled"


def test_a_target_lease_is_held_by_one_unit_until_released(store: Store) -> None:
    first = try_lease(store, "198.51.100.7", "worker-a")
    assert first == 0
    assert try_lease(store, "198.51.100.7", "worker-b") is None
    assert try_lease(store, "198.51.100.8", "worker-b") == 0  # another host is free
    assert try_lease(store, "198.51.100.7", "worker-b", slots=2) == 1  # a second slot
    release_lease(store, "198.51.100.7", 0, "worker-a")
    assert try_lease(store, "198.51.100.7", "worker-c") == 0


def test_units_cover_every_address_and_port_once() -> None:
    spec = JobSpec(
        JobKind.SCAN,
        None,
        {"targets": "127.0.0.1", "ports": "1-250", "udp_ports": "53,123"},
        "t",
    )
    request = scan_request(spec)
    units = plan_units(["127.0.0.1", "127.0.0.2"], request, unit_ports=100)
    assert [u.key for u in units[:4]] == [
        "127.0.0.1/tcp/1-100",
        "127.0.0.1/tcp/101-200",
        "127.0.0.1/tcp/201-250",
        "127.0.0.1/udp/53-123",
    ]
    covered = [(u.target, u.protocol.value, p) for u in units for p in u.ports]
    assert len(covered) == len(set(covered)) == 2 * (250 + 2)
    assert len({u.key for u in units}) == len(units)


def test_units_of_ranked_ports_keep_their_key_through_the_store() -> None:
    from kenshin.jobs.units import Unit

    spec = JobSpec(JobKind.SCAN, None, {"targets": "127.0.0.1", "top_ports": "100"}, "t")
    units = plan_units(["127.0.0.1"], scan_request(spec), unit_ports=30)
    for unit in units:
        assert list(unit.ports) == sorted(unit.ports)
        assert Unit.from_row(unit.target, unit.port_text).key == unit.key
    assert sum(len(u.ports) for u in units) == 100


def _unit_job(store: Store, engagement: Engagement) -> tuple[str, str, Unit]:
    """A running scan job of ``engagement`` with one queued unit (and its scan run)."""
    with store.session() as session:
        EngagementRepository(session).save(engagement)
        job_id = JobRepository(session).create(
            JobSpec(JobKind.SCAN, engagement.code, {}, "t"), runner="celery"
        )
        JobRepository(session).start(job_id, "w")
        run_uid = ScanRunRepository(session).create(
            engagement_code=engagement.code,
            targets=["198.18.10.10"],
            tcp_ports="22,443",
            udp_ports="",
            options={},
            actor="t",
        )
    unit = Unit("198.18.10.10", Protocol.TCP, (22, 443))
    with store.session() as session:
        session.add(
            JobUnitRow(
                job_id=job_id,
                key=unit.key,
                target=unit.target,
                ports=unit.port_text,
                probes=2,
                state="queued",
                attempts=0,
                worker="",
                error="",
            )
        )
    return job_id, run_uid, unit


def _unit_state(store: Store, job_id: str) -> tuple[str, int, str]:
    with store.session() as session:
        row = session.execute(
            select(JobUnitRow.state, JobUnitRow.attempts, JobUnitRow.worker).where(
                JobUnitRow.job_id == job_id
            )
        ).one()
    return row.state, row.attempts, row.worker


def test_writing_a_unit_twice_leaves_one_copy_of_its_results_and_findings(
    store: Store, demo_engagement: Engagement
) -> None:
    job_id, run_uid, unit = _unit_job(store, demo_engagement)
    finding = Finding(
        "test.unit",
        next(iter(FindingCategory)),
        next(iter(Severity)),
        "テスト",
        "test",
        FindingSubject(address="198.18.10.10", port=443, protocol="tcp"),
    )
    outcome = UnitOutcome(
        RunStatus.FINISHED,
        (
            PortResult(Protocol.TCP, 22, PortState.CLOSED, "reset"),
            PortResult(Protocol.TCP, 443, PortState.OPEN, "syn-ack"),
        ),
        "connect",
        (finding,),
    )
    assert claim_unit(store, job_id, unit.key, "w1") == 1
    assert write_unit(store, job_id, run_uid, unit, outcome, "w1", 1, None, demo_engagement.code)
    # the unit done again (its first worker died after writing, the broker re-delivered)
    with store.session() as session:
        session.execute(update(JobUnitRow).values(state="running"))
    assert write_unit(store, job_id, run_uid, unit, outcome, "w2", 1, None, demo_engagement.code)
    with store.session() as session:
        results = ScanRunRepository(session).results(run_uid)
        findings = FindingRepository(session).list(demo_engagement.code)
    assert {key[2]: r.state for key, r in results.items()} == {
        22: PortState.CLOSED,
        443: PortState.OPEN,
    }
    assert [f.check_id for f in findings] == ["test.unit"]
    assert _unit_state(store, job_id)[0] == "done"
    # a copy delivered after the unit is done claims nothing
    assert claim_unit(store, job_id, unit.key, "w3") is None


def test_only_the_newest_attempt_of_a_unit_may_write(
    store: Store, demo_engagement: Engagement
) -> None:
    job_id, run_uid, unit = _unit_job(store, demo_engagement)
    stalled = claim_unit(store, job_id, unit.key, "w1")
    newer = claim_unit(store, job_id, unit.key, "w2")
    assert (stalled, newer) == (1, 2)
    full = UnitOutcome(
        RunStatus.FINISHED,
        (
            PortResult(Protocol.TCP, 22, PortState.CLOSED, "reset"),
            PortResult(Protocol.TCP, 443, PortState.OPEN, "syn-ack"),
        ),
        "connect",
    )
    partial = UnitOutcome(
        RunStatus.INTERRUPTED, (PortResult(Protocol.TCP, 22, PortState.FILTERED, ""),), "connect"
    )
    assert write_unit(store, job_id, run_uid, unit, full, "w2", 2)
    # the stalled worker comes back with its interrupted unit: refused, nothing changes
    assert not write_unit(store, job_id, run_uid, unit, partial, "w1", 1)
    with store.session() as session:
        results = ScanRunRepository(session).results(run_uid)
    assert {key[2]: r.state for key, r in results.items()} == {
        22: PortState.CLOSED,
        443: PortState.OPEN,
    }
    assert _unit_state(store, job_id) == ("done", 2, "w2")


def test_a_unit_whose_worker_lost_its_lease_is_queued_again_once(
    store: Store, demo_engagement: Engagement
) -> None:
    job_id, run_uid, unit = _unit_job(store, demo_engagement)
    worker = "w1@host pid 1"
    heartbeat(store, worker)
    holder = unit_holder(worker, job_id, unit.key)
    assert try_lease(store, unit.target, holder) == 0
    assert claim_unit(store, job_id, unit.key, worker) == 1
    # alive: the lease is held, nothing to reap
    assert orphaned_units(store, silence=LEASE_SECONDS, stale=STALE) == []
    # the worker dies: its lease expires unrenewed
    later = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)
    orphans = orphaned_units(store, silence=LEASE_SECONDS, stale=STALE, now=later)
    assert orphans == [Orphan(job_id, unit.key, "running", 1, worker)]
    assert requeue_unit(store, orphans[0])
    assert not requeue_unit(store, orphans[0])  # a second reaper finds it taken care of
    assert _unit_state(store, job_id) == ("queued", 1, "")
    assert orphaned_units(store, silence=LEASE_SECONDS, stale=STALE, now=later) == []
    # the dead worker's write of its attempt is refused; the next attempt's is not
    outcome = UnitOutcome(RunStatus.FINISHED, (), "connect")
    assert not write_unit(store, job_id, run_uid, unit, outcome, worker, 1)
    release_lease(store, unit.target, 0, holder)
    assert claim_unit(store, job_id, unit.key, "w2@host pid 2") == 2
    assert write_unit(store, job_id, run_uid, unit, outcome, "w2@host pid 2", 2)


def test_a_unit_held_by_a_silent_worker_is_sent_again(
    store: Store, demo_engagement: Engagement
) -> None:
    job_id, _run_uid, unit = _unit_job(store, demo_engagement)
    # never received by a worker: it waits in the broker, nothing to reap
    assert orphaned_units(store, silence=LEASE_SECONDS, stale=STALE) == []
    heartbeat(store, "w1")
    hold_unit(store, job_id, unit.key, "w1")  # w1 holds it for a countdown
    assert orphaned_units(store, silence=LEASE_SECONDS, stale=STALE) == []
    later = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1)
    orphans = orphaned_units(store, silence=LEASE_SECONDS, stale=STALE, now=later)
    assert orphans == [Orphan(job_id, unit.key, "queued", 0, "w1")]
    heartbeat(store, "w2")
    hold_unit(store, job_id, unit.key, "w2")  # meanwhile w2 received it: not w1's any more
    assert not requeue_unit(store, orphans[0])
    assert _unit_state(store, job_id) == ("queued", 0, "w2")
    # w2 lives, but nobody has received the unit for longer than any countdown: its
    # message went to a worker that died before it could record the hold
    much_later = datetime.now(UTC) + timedelta(seconds=STALE + 1)
    heartbeat_at(store, "w2", much_later)
    stale = orphaned_units(store, silence=LEASE_SECONDS, stale=STALE, now=much_later)
    assert stale == [Orphan(job_id, unit.key, "queued", 0, "w2")]
    assert requeue_unit(store, stale[0])
    assert _unit_state(store, job_id) == ("queued", 0, "")
    assert orphaned_units(store, silence=LEASE_SECONDS, stale=STALE) == []


def heartbeat_at(store: Store, worker: str, moment: datetime) -> None:
    with store.session() as session:
        session.execute(
            update(JobWorkerRow).where(JobWorkerRow.name == worker).values(seen_at=moment)
        )
