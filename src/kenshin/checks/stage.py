"""The diagnosis as a post-scan stage: the scan engine calls it on the identified report."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from kenshin.checks import default_checks
from kenshin.checks.base import CheckSettings
from kenshin.checks.engine import DiagnosisResult, diagnose
from kenshin.domain import ScanReport
from kenshin.scan import ScanContext

log = logging.getLogger(__name__)

RolesLoader = Callable[[str], Mapping[str, str]]


class DiagnosisStage:
    """Runs every applicable check on the scan's open ports, inside the scan's scope."""

    name = "diagnosis"

    def __init__(
        self,
        roles: RolesLoader | None = None,
        settings: CheckSettings | None = None,
        with_knowledge_base: bool = True,
    ) -> None:
        self.roles = roles
        self.settings = settings or CheckSettings()
        self.with_knowledge_base = with_knowledge_base
        self.last: DiagnosisResult | None = None

    async def run(self, report: ScanReport, context: ScanContext) -> ScanReport:
        code = context.scope.engagement_code
        roles = self.roles(code) if self.roles is not None and code else {}
        result = await diagnose(
            report.hosts,
            default_checks(self.with_knowledge_base),
            allowed=context.scope.allows,
            settings=self.settings,
            device_roles=roles,
        )
        for error in result.errors:
            log.warning("diagnosis check failed: %s", error)
        self.last = result
        return replace(report, hosts=result.hosts)
