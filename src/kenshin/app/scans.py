"""Starting a scan: the scope is asked first (a refusal is audited), then a scan job is queued.

``kenshin scan``, ``kenshin jobs scan`` and the web's start button all come here, so a
scan runs through the job runner (this process's threads, or Celery workers with a
broker) whoever starts it.
"""

from __future__ import annotations

from collections.abc import Mapping

from kenshin.app.jobs import queue_job
from kenshin.jobs import JobKind, JobRunner, JobSpec
from kenshin.scan.errors import ScanError
from kenshin.scan.pacing import EmergencyStop
from kenshin.scope import ScopeError, scan_refused, scope_for_engagement
from kenshin.store import EngagementRepository, Store


def allowed_targets(store: Store, code: str, *, actor: str) -> int:
    """How many targets the engagement's scope allows now; a refusal is audited and raised."""
    from kenshin.scan.session import store_audit

    with store.session() as session:
        engagement = EngagementRepository(session).get(code)
    try:
        return len(scope_for_engagement(engagement).default_targets())
    except ScopeError as refusal:
        scan_refused(
            store_audit(store),
            actor=actor,
            engagement_code=code,
            targets=[],
            reason=refusal.message("en"),
        )
        raise


def start_scan(
    store: Store,
    runner: JobRunner,
    code: str | None,
    params: Mapping[str, str],
    *,
    actor: str,
) -> str:
    """Queue a scan job of ``code`` (None: an ad-hoc scan of ``params['targets']``).

    Refused before anything is queued while this machine's emergency stop file is there
    (the job would refuse it at its first packet).
    """
    stop = EmergencyStop()
    if stop.file_present():
        raise ScanError("scan.stop_file_present", path=str(stop.path))
    if code is not None:
        allowed_targets(store, code, actor=actor)
    return queue_job(store, runner, JobSpec(JobKind.SCAN, code, dict(params), actor))
