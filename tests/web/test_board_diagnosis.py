"""The board's "remote diagnosis" column states the report's rule: a finished run is
"done" only when it diagnosed every address of the engagement (old code: any finished
run read "done", while the report said "partly done")."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kenshin.domain import Engagement
from kenshin.scan.engine import RunStatus
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import EngagementRepository, open_store
from kenshin.web.workflow import engagement_state


def _diagnosis(tmp_path: Path, engagement: Engagement, targets: Sequence[str]) -> str:
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    try:
        with store.session() as session:
            EngagementRepository(session).save(engagement)
            runs = ScanRunRepository(session)
            uid = runs.create(
                engagement_code=engagement.code,
                targets=list(targets),
                tcp_ports="443",
                udp_ports="",
                options={},
                actor="t",
            )
            runs.finish(uid, RunStatus.FINISHED, tcp_mode="syn")
        with store.session() as session:
            return engagement_state(session, engagement).diagnosis
    finally:
        store.dispose()


def test_a_run_that_left_an_address_out_is_partly_done(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    assert _diagnosis(tmp_path, demo_engagement, ["198.18.10.10"]) == "partial"


def test_a_run_of_every_address_is_done(tmp_path: Path, demo_engagement: Engagement) -> None:
    addresses = [
        str(a.address)
        for p in demo_engagement.connection_points
        if p.is_diagnosis_candidate
        for a in p.addresses
    ]
    assert len(addresses) == 2
    assert _diagnosis(tmp_path, demo_engagement, addresses) == "done"


def test_a_run_of_no_address_of_the_engagement_is_not_done(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    assert _diagnosis(tmp_path, demo_engagement, []) == "not_done"
