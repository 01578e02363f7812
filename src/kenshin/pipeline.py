"""The composition root: builds the scan pipeline and registers the rooms' job kinds.

The scan engine knows nothing about identification or checks, and the job runners
know nothing about reports; this module connects them for the CLI, the web
application and the job workers alike. ``compose`` returns the pipeline as a value
that each caller passes to its runner or worker; nothing is installed in the scan
engine, so two pipelines in one process stay apart.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kenshin.checks import CheckSettings, default_checks, diagnose, roles_by_address
from kenshin.checks.stage import DiagnosisStage
from kenshin.domain import Engagement, PortResult
from kenshin.identify import IdentifySettings, identify_host
from kenshin.jobs import JobKind, JobSpec, register_job
from kenshin.jobs.model import ProgressReporter
from kenshin.scan import ScanPipeline
from kenshin.scope import DIAGNOSE_ACTION, Gate
from kenshin.store import EngagementRepository, FindingRepository, Store
from kenshin.vulndb import VulnDBError, default_path
from kenshin.vulndb.update import (
    SOURCES,
    update_knowledge_base,
    update_sources,
)


def compose(store: Callable[[], Store], settings: CheckSettings | None = None) -> ScanPipeline:
    """The full scan pipeline: identification, then the diagnosis checks (``settings``)."""

    def engagement(code: str) -> Engagement:
        with store().session() as session:
            return EngagementRepository(session).get(code)

    return ScanPipeline(_Identifier(), (DiagnosisStage(engagement, settings),))


def configure(store: Callable[[], Store], settings: CheckSettings | None = None) -> ScanPipeline:
    """Register the report/diagnose/knowledge-base jobs (idempotent) and ``compose``."""
    register_job(JobKind.REPORT, report_job)
    register_job(JobKind.DIAGNOSE, diagnose_job)
    register_job(JobKind.VULNDB_UPDATE, vulndb_update_job)
    return compose(store, settings)


class _Identifier:
    """The scan's identification hook, bound to kenshin.identify."""

    def __init__(self, settings: IdentifySettings | None = None) -> None:
        self.settings = settings

    async def __call__(
        self, address: str, ports: Sequence[PortResult], gate: Gate
    ) -> tuple[PortResult, ...]:
        return await identify_host(address, ports, self.settings, gate=gate)


def report_job(store: Store, spec: JobSpec, progress: ProgressReporter) -> Mapping[str, str]:
    """Write the engagement's report into ``params['output']`` (default: out/<code>)."""
    from kenshin.report import write_report
    from kenshin.report.sources import gather_report_input

    code = spec.engagement_code or ""
    output = Path(spec.params.get("output") or Path("out") / code)
    progress(0.1, "gathering")
    report_input = gather_report_input(store, code)
    files = write_report(
        report_input,
        output,
        spec.params.get("lang", "ja"),
        progress=lambda name: progress(0.5, name),
    )
    progress(1.0, "written")
    return {path.name: str(path.resolve()) for path in files.all()}


def diagnose_job(store: Store, spec: JobSpec, progress: ProgressReporter) -> Mapping[str, str]:
    """Run the checks on a scan run and store the findings (what ``kenshin diagnose`` does).

    Parameters: ``run`` (default: the engagement's newest finished scan) and
    ``active_confirmation`` (true/false). The result lists the findings' fingerprints
    (comma-separated) and the checks' errors (one per line), so a caller can show them.
    """
    from kenshin.scan.session import store_audit
    from kenshin.scan.storage import ScanRunRepository
    from kenshin.store import finding_fingerprint

    code = spec.engagement_code or ""
    chosen = spec.params.get("run", "")
    with store.session() as session:
        engagement = EngagementRepository(session).get(code)
        runs = ScanRunRepository(session)
        latest = None if chosen else runs.latest_finished(code)
        chosen = chosen or (latest.uid if latest is not None else "")
        if not chosen:
            return {"findings": "0", "note": "no finished scan"}
        report = runs.report(chosen)
    gate = Gate.for_engagement(engagement, store_audit(store), action=DIAGNOSE_ACTION)
    active = spec.params.get("active_confirmation", "").lower() in ("1", "true", "yes")
    result = asyncio.run(
        diagnose(
            report.hosts,
            default_checks(),
            gate=gate,
            settings=CheckSettings(active_confirmation=active),
            device_roles=roles_by_address(engagement),
            engagement=engagement,
            progress=lambda done, total: progress(done / max(total, 1), "checks"),
        )
    )
    with store.session() as session:
        ScanRunRepository(session).record_devices(chosen, result.hosts)
        FindingRepository(session).record(code, result.findings)
    return {
        "findings": str(len(result.findings)),
        "errors": str(len(result.errors)),
        "fingerprints": ",".join(finding_fingerprint(f) for f in result.findings),
        "error_details": "\n".join(str(e) for e in result.errors),
    }


def vulndb_update_job(store: Store, spec: JobSpec, progress: ProgressReporter) -> Mapping[str, str]:
    """``kenshin vulndb update`` as a job: refresh the knowledge base of the worker running it.

    Parameters: ``sources`` (comma-separated, default all), ``kb`` (file; default the
    worker's data directory), ``from_files``, ``nvd_url``, ``kev_url``, ``jvn_url``,
    ``full``. The NVD API key is the worker's own ``NVD_API_KEY`` (never a job parameter).
    The result: ``path``, per-source counts, and ``results`` (JSON, as the CLI prints it).
    """
    params = spec.params
    chosen = [name for name in params.get("sources", ",".join(SOURCES)).split(",") if name]
    for name in chosen:
        if name not in SOURCES:
            raise VulnDBError("vulndb.unknown_source", source=name)
    path = Path(params["kb"]) if params.get("kb") else default_path()
    sources = update_sources(
        path,
        chosen,
        from_files=Path(params["from_files"]) if params.get("from_files") else None,
        nvd_url=params.get("nvd_url") or None,
        kev_url=params.get("kev_url") or None,
        jvn_url=params.get("jvn_url") or None,
        api_key=os.environ.get("NVD_API_KEY"),
        full=params.get("full", "").lower() in ("1", "true", "yes"),
    )
    started: list[str] = []

    def step(source: str) -> None:
        started.append(source)
        progress((len(started) - 1) / max(len(sources), 1), source)

    result = update_knowledge_base(path, sources, progress=step)
    return {
        "path": str(result.path),
        **{name: str(result.count(name)) for name in SOURCES},
        "results": json.dumps([r.__dict__ for r in result.results], ensure_ascii=False),
    }
