"""The JSON API over engagements and findings: the same rules as the pages, as JSON."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from kenshin.domain import Finding
from kenshin.intake import to_document
from kenshin.store import FindingRepository, finding_fingerprint
from kenshin.web._kit import CsrfHeader, WebKit, plain
from kenshin.web.access import Action, visible_findings
from kenshin.web.accounts import Role, SessionInfo
from kenshin.web.engagements import (
    Confirmation,
    StatusChange,
    change_status,
    confirm,
    visible_summaries,
)


def api_router(kit: WebKit) -> APIRouter:
    """``/api/engagements``: the list, one engagement, its findings, status, confirmation."""
    router = APIRouter()

    @router.get("/api/engagements")
    def api_engagements(
        info: Annotated[SessionInfo, Depends(kit.require_user)],
    ) -> list[dict[str, Any]]:
        return [
            {
                "code": s.code,
                "title": s.title,
                "institution": s.institution,
                "status": s.status.value,
                "points": s.points,
                "devices": s.devices,
                "terminals": s.terminals,
                "open_findings": s.open_findings,
            }
            for s in visible_summaries(kit, info)
        ]

    @router.get("/api/engagements/{code}")
    def api_engagement(
        code: str, info: Annotated[SessionInfo, Depends(kit.require_user)]
    ) -> dict[str, Any]:
        engagement, membership = kit.load_engagement(info, code, Action.VIEW)
        if info.user.role is Role.VENDOR:
            return {
                "code": engagement.code,
                "institution": engagement.institution.name,
                "vendor": membership.vendor_key if membership else None,
            }
        document: dict[str, Any] = plain(to_document(engagement))
        return document

    @router.get("/api/engagements/{code}/findings")
    def api_findings(
        code: str, info: Annotated[SessionInfo, Depends(kit.require_user)]
    ) -> list[dict[str, Any]]:
        engagement, membership = kit.load_engagement(info, code, Action.VIEW)
        with kit.db() as session:
            findings = FindingRepository(session).list(code)
        return [
            _finding_json(f) for f in visible_findings(info.user, membership, engagement, findings)
        ]

    @router.post("/api/engagements/{code}/findings/{fingerprint}/status")
    def api_set_status(
        code: str,
        fingerprint: str,
        change: StatusChange,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, str]:
        kit.check_csrf(info, x_csrf_token)
        change_status(kit, info, code, fingerprint, change)
        return {"fingerprint": fingerprint, "status": change.status.value}

    @router.post("/api/engagements/{code}/addresses/{address}/confirm")
    def api_confirm(
        code: str,
        address: str,
        body: Confirmation,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, str]:
        kit.check_csrf(info, x_csrf_token)
        by = body.confirmed_by or info.user.display_name or info.user.email
        moment = confirm(kit, info, code, address, by)
        return {"address": address, "confirmed_by": by, "confirmed_at": moment.isoformat()}

    return router


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "fingerprint": finding_fingerprint(finding),
        "check_id": finding.check_id,
        "category": finding.category.value,
        "severity": finding.severity.value,
        "title_ja": finding.title_ja,
        "title_en": finding.title_en,
        "subject": finding.subject.describe(),
        "cves": list(finding.cves),
        "kev": finding.kev,
        "status": finding.status.value,
        "evidence": finding.evidence,
        "remediation_ja": finding.remediation_ja,
        "remediation_en": finding.remediation_en,
    }
