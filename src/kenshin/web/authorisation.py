"""Recording the hospital's authorisation of the remote diagnosis and its window.

A surveyor's task (the hospital approves on paper; the survey team records it), through
``kenshin.app.authorise`` like ``kenshin targets authorise``: the same parsing (a time
without a zone is Japan time, a window needs both ends), the same validation gate and
the same audit records (``scope.authorise``, ``scope.window``).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response
from pydantic import BaseModel

from kenshin.app.authorise import Authorisation, authorise
from kenshin.domain import Engagement
from kenshin.store import now_utc
from kenshin.web._kit import CsrfField, CsrfHeader, WebKit, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo


class AuthorisationForm(BaseModel):
    """The form's and the JSON API's fields; empty text means not given."""

    approved_by: str
    document_ref: str
    approved_at: str = ""
    window_start: str = ""
    window_end: str = ""


def authorisation_router(kit: WebKit) -> APIRouter:
    """``/engagements/{code}/authorisation`` (the form) and its JSON twin under ``/api``."""
    router = APIRouter()

    @router.post("/engagements/{code}/authorisation")
    def authorise_page(
        code: str,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        approved_by: Annotated[str, Form()],
        document_ref: Annotated[str, Form()],
        csrf: CsrfField = "",
        approved_at: Annotated[str, Form()] = "",
        window_start: Annotated[str, Form()] = "",
        window_end: Annotated[str, Form()] = "",
    ) -> Response:
        given = AuthorisationForm(
            approved_by=approved_by,
            document_ref=document_ref,
            approved_at=approved_at,
            window_start=window_start,
            window_end=window_end,
        )
        record_authorisation(kit, info, csrf, code, given)
        return see_other(f"/engagements/{code}#authorisation")

    @router.post("/api/engagements/{code}/authorisation")
    def api_authorise(
        code: str,
        given: AuthorisationForm,
        info: Annotated[SessionInfo, Depends(kit.require_user)],
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, Any]:
        return authorisation_json(record_authorisation(kit, info, x_csrf_token, code, given))

    return router


def record_authorisation(
    kit: WebKit, info: SessionInfo, token: str | None, code: str, given: AuthorisationForm
) -> Engagement:
    """Staff only; anyone else sees "not found", as for every object they may not touch."""
    kit.posted_engagement(info, token, code, Action.AUTHORISE)
    parsed = Authorisation.from_text(
        given.approved_by,
        given.document_ref,
        approved_at=given.approved_at,
        window_start=given.window_start,
        window_end=given.window_end,
        now=now_utc(),
    )
    return authorise(kit.store, code, parsed, actor=info.user.email)


def authorisation_json(engagement: Engagement) -> dict[str, Any]:
    given, window = engagement.authorisation, engagement.window
    return {
        "code": engagement.code,
        "authorisation": {
            "approved_by": given.approved_by,
            "document_ref": given.document_ref,
            "approved_at": given.approved_at.isoformat(),
        }
        if given
        else None,
        "window": {"start": window.starts_at.isoformat(), "end": window.ends_at.isoformat()}
        if window
        else None,
    }
