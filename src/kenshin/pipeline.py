"""The composition root: plugs the rooms into each other's hooks, once per process.

The scan engine knows nothing about identification or checks, and the job runners
know nothing about reports; this module connects them for the CLI, the web
application and the job workers alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from kenshin.checks import CheckSettings, default_checks, diagnose, roles_by_address
from kenshin.checks.stage import DiagnosisStage
from kenshin.domain import Engagement, PortResult
from kenshin.identify import IdentifySettings, identify_host
from kenshin.jobs import JobKind, JobSpec, register_job
from kenshin.jobs.model import ProgressReporter
from kenshin.scan import POST_SCAN_STAGES, register_identifier
from kenshin.scope import scope_for_engagement
from kenshin.store import EngagementRepository, FindingRepository, Store


def configure(store: Callable[[], Store], settings: CheckSettings | None = None) -> DiagnosisStage:
    """Register the diagnosis stage and the report/diagnose jobs (idempotent)."""

    def engagement(code: str) -> Engagement:
        with store().session() as session:
            return EngagementRepository(session).get(code)

    register_identifier(_Identifier())
    stage = DiagnosisStage(engagement, settings)
    POST_SCAN_STAGES[:] = [s for s in POST_SCAN_STAGES if s.name != stage.name]
    POST_SCAN_STAGES.append(stage)
    register_job(JobKind.REPORT, report_job)
    register_job(JobKind.DIAGNOSE, diagnose_job)
    return stage


class _Identifier:
    """The scan's identification hook, bound to kenshin.identify."""

    def __init__(self, settings: IdentifySettings | None = None) -> None:
        self.settings = settings

    async def __call__(self, address: str, ports: Sequence[PortResult]) -> tuple[PortResult, ...]:
        return await identify_host(address, ports, self.settings)


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
    """Run the checks on the engagement's newest finished scan and store the findings."""
    from kenshin.report.sources import latest_scan

    code = spec.engagement_code or ""
    with store.session() as session:
        engagement = EngagementRepository(session).get(code)
        report = latest_scan(session, code)
    if report is None:
        return {"findings": "0", "note": "no finished scan"}
    scope = scope_for_engagement(engagement)
    result = asyncio.run(
        diagnose(
            report.hosts,
            default_checks(),
            allowed=scope.allows,
            device_roles=roles_by_address(engagement),
            progress=lambda done, total: progress(done / max(total, 1), "checks"),
        )
    )
    with store.session() as session:
        FindingRepository(session).record(code, result.findings)
    return {"findings": str(len(result.findings)), "errors": str(len(result.errors))}
