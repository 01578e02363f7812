"""The diagnosis as a post-scan stage: the scan engine calls it on the identified report."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from kenshin.checks import default_checks
from kenshin.checks.base import CheckSettings
from kenshin.checks.engine import DiagnosisResult, diagnose, roles_by_address
from kenshin.domain import Engagement, HostResult, ScanReport
from kenshin.identify import compare_reported_versions
from kenshin.scan import ScanContext

log = logging.getLogger(__name__)

EngagementLoader = Callable[[str], Engagement]


class DiagnosisStage:
    """Runs every applicable check on the scan's open ports, inside the scan's scope."""

    name = "diagnosis"

    def __init__(
        self,
        engagement: EngagementLoader | None = None,
        settings: CheckSettings | None = None,
        with_knowledge_base: bool = True,
    ) -> None:
        self.engagement = engagement
        self.settings = settings or CheckSettings()
        self.with_knowledge_base = with_knowledge_base
        self.last: DiagnosisResult | None = None

    async def run(self, report: ScanReport, context: ScanContext) -> ScanReport:
        code = context.scope.engagement_code
        engagement = self.engagement(code) if self.engagement is not None and code else None
        roles = roles_by_address(engagement) if engagement is not None else {}
        result = await diagnose(
            report.hosts,
            default_checks(self.with_knowledge_base),
            gate=context.gate,
            settings=self.settings,
            device_roles=roles,
            engagement=engagement,
        )
        for error in result.errors:
            log.warning("diagnosis check failed: %s", error)
        self.last = result
        hosts = result.hosts
        if engagement is not None:
            hosts = _with_version_disagreements(engagement, hosts)
        return replace(report, hosts=hosts)


def _with_version_disagreements(
    engagement: Engagement, hosts: tuple[HostResult, ...]
) -> tuple[HostResult, ...]:
    """Add 'the vendor says X, the appliance shows Y' findings to the first host."""
    extra = compare_reported_versions(engagement, hosts)
    if not extra or not hosts:
        return hosts
    first = hosts[0]
    return (replace(first, findings=(*first.findings, *extra)), *hosts[1:])
