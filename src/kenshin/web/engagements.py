"""The engagement pages: the dashboard, one engagement's page, and the two things done
there — changing a finding's status and confirming a dynamic address — shared with the
JSON API (``web/api.py``).
"""

import dataclasses
from datetime import datetime
from ipaddress import ip_address
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from kenshin.app.confirm import confirm_address
from kenshin.domain import Engagement, Finding, FindingStatus, refuse_closed
from kenshin.store import EngagementRepository, FindingRepository, finding_fingerprint
from kenshin.web._kit import CsrfField, WebKit, see_other
from kenshin.web.access import (
    Action,
    membership_for,
    vendor_devices,
    vendor_points,
    visible_findings,
)
from kenshin.web.accounts import Accounts, Role, SessionInfo, WebError


class StatusChange(BaseModel):
    status: FindingStatus
    reason: str = ""


class Confirmation(BaseModel):
    confirmed_by: str = ""


def engagements_router(kit: WebKit) -> APIRouter:
    """The dashboard, the engagement page and its status and confirmation forms."""
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def dashboard(
        request: Request, info: Annotated[SessionInfo, Depends(kit.require_user)]
    ) -> Response:
        return kit.page(request, "dashboard.html", info, engagements=visible_summaries(kit, info))

    @router.get("/engagements/{code}", response_class=HTMLResponse)
    def engagement_page(
        request: Request, code: str, info: Annotated[SessionInfo, Depends(kit.require_user)]
    ) -> Response:
        engagement, membership = kit.load_engagement(info, code, Action.VIEW)
        with kit.db() as session:
            findings = FindingRepository(session).list(code)
        findings = visible_findings(info.user, membership, engagement, findings)
        if info.user.role is Role.VENDOR:
            key = membership.vendor_key if membership and membership.vendor_key else ""
            return kit.page(
                request,
                "vendor.html",
                info,
                engagement=engagement,
                own_devices=vendor_devices(engagement, key),
                findings=_rows(findings),
            )
        return kit.page(
            request,
            "engagement.html",
            info,
            engagement=engagement,
            findings=_rows(findings),
            diagnosis=_diagnosis(engagement),
        )

    @router.post("/engagements/{code}/findings/{fingerprint}/status")
    def set_status(
        request: Request,
        code: str,
        fingerprint: str,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        status: Annotated[str, Form()],
        csrf: CsrfField = "",
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        kit.check_csrf(info, csrf)
        change_status(
            kit, info, code, fingerprint, StatusChange(status=_status(status), reason=reason)
        )
        return see_other(f"/engagements/{code}#findings")

    @router.post("/engagements/{code}/addresses/{address}/confirm")
    def confirm_page(
        request: Request,
        code: str,
        address: str,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        csrf: CsrfField = "",
    ) -> Response:
        kit.check_csrf(info, csrf)
        confirm(kit, info, code, address, info.user.display_name or info.user.email)
        return see_other(f"/engagements/{code}#points")

    return router


def visible_summaries(kit: WebKit, info: SessionInfo) -> list[Any]:
    """The engagements the user may see; a vendor's counts are of its own part only."""
    with kit.db() as session:
        summaries = EngagementRepository(session).list()
        if info.user.is_staff:
            return summaries
        memberships = Accounts(session).memberships(info.user)
        codes = {m.engagement_code for m in memberships}
        shown = [s for s in summaries if s.code in codes]
        if info.user.role is not Role.VENDOR:
            return shown
        counted = []
        for summary in shown:
            engagement = EngagementRepository(session).get(summary.code)
            membership = membership_for(memberships, summary.code)
            own = visible_findings(
                info.user,
                membership,
                engagement,
                FindingRepository(session).list(summary.code),
            )
            key = membership.vendor_key if membership and membership.vendor_key else ""
            counted.append(
                dataclasses.replace(
                    summary,
                    points=len(vendor_points(engagement, key)),
                    devices=len(vendor_devices(engagement, key)),
                    terminals=0,
                    open_findings=sum(1 for f in own if f.status.is_open),
                )
            )
    return counted


def change_status(
    kit: WebKit, info: SessionInfo, code: str, fingerprint: str, change: StatusChange
) -> None:
    hospital_fix = change.status is FindingStatus.FIXED
    action = Action.TRIAGE if not hospital_fix else Action.MARK_FIXED
    engagement, membership = kit.load_engagement(info, code, action)
    refuse_closed(engagement)  # the report was made from the findings as they stand
    with kit.db() as session:
        findings = visible_findings(
            info.user, membership, engagement, FindingRepository(session).list(code)
        )
        if fingerprint not in {finding_fingerprint(f) for f in findings}:
            raise HTTPException(status_code=404, detail="not found")
        FindingRepository(session).set_status(code, fingerprint, change.status, change.reason)
    kit.audit(
        info.user.email,
        "finding.status",
        code,
        fingerprint=fingerprint,
        status=change.status.value,
    )


def confirm(kit: WebKit, info: SessionInfo, code: str, address: str, by: str) -> datetime:
    """``kenshin.app.confirm`` (the CLI's use case); an address the engagement does not
    have is 404, like every object the user may not see."""
    engagement, _ = kit.load_engagement(info, code, Action.CONFIRM_ADDRESS)
    try:
        wanted = str(ip_address(address))
    except ValueError:
        raise HTTPException(status_code=404, detail="not found") from None
    if not any(str(a.address) == wanted for p in engagement.connection_points for a in p.addresses):
        raise HTTPException(status_code=404, detail="not found")
    confirmed = confirm_address(kit.store, code, wanted, by=by, actor=info.user.email)
    if confirmed is None:
        raise WebError("web.confirm_not_dynamic", address=wanted)
    return confirmed.confirmed_at


def _diagnosis(engagement: Engagement) -> dict[str, str]:
    return {p.key: f"summary.diag.{p.diagnosis_status.value}" for p in engagement.connection_points}


def _status(value: str) -> FindingStatus:
    try:
        return FindingStatus(value)
    except ValueError:
        raise WebError("web.bad_choice", value=value[:40]) from None


def _rows(findings: list[Finding]) -> list[dict[str, Any]]:
    return [{"finding": f, "fingerprint": finding_fingerprint(f)} for f in findings]
