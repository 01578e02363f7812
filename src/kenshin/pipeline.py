"""The composition root of the remote diagnosis: scan → identify → checks.

The scan engine knows nothing about identification or checks; this module plugs them
into its hooks once, for the CLI, the web application and the job workers alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kenshin.checks import roles_by_address
from kenshin.checks.base import CheckSettings
from kenshin.checks.stage import DiagnosisStage
from kenshin.scan import POST_SCAN_STAGES
from kenshin.store import EngagementRepository, Store


def configure(store: Callable[[], Store], settings: CheckSettings | None = None) -> DiagnosisStage:
    """Register the diagnosis checks as the scan's post-scan stage (idempotent)."""

    def roles(code: str) -> Mapping[str, str]:
        with store().session() as session:
            return roles_by_address(EngagementRepository(session).get(code))

    stage = DiagnosisStage(roles, settings)
    POST_SCAN_STAGES[:] = [s for s in POST_SCAN_STAGES if s.name != stage.name]
    POST_SCAN_STAGES.append(stage)
    return stage
