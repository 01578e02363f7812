"""The workflow pages: hearing sheet, terminal survey, vendor requests, engagement state.

Each route asks ``access.allowed`` (through ``kit.load_engagement``) about the exact
engagement, answers a refusal with 404, and checks the session's CSRF token on every
change. Terminal files, request drafts and answers go through the CLI's use cases
(``kenshin.app``); the terminals picked through ``kenshin.inventory``, as
``kenshin terminal add``/``remove`` do, so the web can store nothing the command line
would refuse (nor change a closed engagement).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from kenshin import inventory
from kenshin.app.requests import answer_request
from kenshin.app.requests import draft_requests as draft_vendor_requests
from kenshin.app.requests import send_request as mark_request_sent
from kenshin.app.terminals import import_checked_terminals
from kenshin.domain import (
    AddressAssignment,
    Engagement,
    HolderKind,
    TerminalRole,
    next_free_key,
)
from kenshin.errors import KenshinError
from kenshin.i18n import translate
from kenshin.intake import IntakeError, date_of
from kenshin.jobs import JobKind, JobState
from kenshin.requests import (
    PASTED_NAME,
    AttachmentRepository,
    RequestRepository,
    RequestState,
    Submission,
    VendorRequest,
    japan_today,
    read_answer,
    subject_lines,
)
from kenshin.scan import RunStatus
from kenshin.scan.storage import ScanRunRepository
from kenshin.store import (
    AuditLog,
    EngagementRepository,
    now_utc,
)
from kenshin.terminals import (
    MAX_FILE_BYTES,
    assessment_to_json,
    check_files,
    collector_script,
    stored_assessments,
)
from kenshin.web._kit import CsrfField, CsrfHeader, WebKit, plain, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import Membership, Role, SessionInfo, WebError
from kenshin.web.attachments import AnswerBody, attachments_router, read_files
from kenshin.web.hearing import hearing_router
from kenshin.web.proposals import hold, proposals, proposals_router
from kenshin.web.uploads import MAX_FILES, Kind, off_the_loop, parse_apart, read_upload


@dataclass(frozen=True)
class EngagementState:
    """Where an engagement stands, as the surveyor's dashboard shows it."""

    code: str
    hearing_received: bool
    requests_open: int
    requests_total: int
    diagnosis: str  # "done", "partial", "not_done", "scheduled", "running" or "none"
    terminals_audited: int
    terminals_planned: int
    report_issued: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def engagement_state(session: Session, engagement: Engagement) -> EngagementState:
    code = engagement.code
    events = AuditLog(session).events(code, limit=500)
    hearing = any(e.action in ("hearing.import", "hearing.web") for e in events)
    requests = RequestRepository(session).for_engagement(code)
    from kenshin.report.sources import remote_diagnosis_state

    runs = ScanRunRepository(session).runs(code)
    statuses = {r.status for r in runs}
    if RunStatus.FINISHED in statuses:  # done, partly or not at all, as the report states it
        diagnosis = remote_diagnosis_state(session, engagement).value
    elif RunStatus.RUNNING in statuses:
        diagnosis = "running"
    elif engagement.window is not None:
        diagnosis = "scheduled"
    else:
        diagnosis = "none"
    audited = len(stored_assessments(session, code))
    report = _report_built(session, code)
    return EngagementState(
        code,
        hearing,
        sum(1 for r in requests if r.state.open),
        len(requests),
        diagnosis,
        audited,
        len(engagement.terminals),
        report,
    )


def _report_built(session: Session, code: str) -> bool:
    """Issued means a report job of this engagement finished well (not a request, a
    download or a failed build)."""
    from sqlalchemy import select

    from kenshin.store.models_jobs import JobRow

    found = session.scalar(
        select(JobRow.id).where(
            JobRow.engagement_code == code,
            JobRow.kind == JobKind.REPORT.value,
            JobRow.state == JobState.SUCCEEDED.value,
        )
    )
    return found is not None


def visible_requests(
    info: SessionInfo, membership: Membership | None, requests: list[VendorRequest]
) -> list[VendorRequest]:
    """Staff see every request; a vendor only the sent or answered ones addressed to it."""
    if info.user.is_staff:
        return requests
    if info.user.role is not Role.VENDOR or membership is None or membership.vendor_key is None:
        return []
    return [
        r
        for r in requests
        if r.recipient.kind is HolderKind.VENDOR
        and r.recipient.vendor_key == membership.vendor_key
        and r.state not in (RequestState.DRAFT, RequestState.CANCELLED)
    ]


def workflow_router(kit: WebKit) -> APIRouter:
    """The hearing-sheet, terminal and request routes."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]
    staff = Annotated[SessionInfo, Depends(kit.require_staff_page)]
    router.include_router(hearing_router(kit))

    # -- surveyor: state of every engagement ---------------------------------------------

    @router.get("/api/engagements/{code}/state")
    def api_state(code: str, info: user) -> dict[str, Any]:
        engagement, _ = kit.load_engagement(info, code, Action.RUN_JOBS)
        with kit.db() as session:
            return engagement_state(session, engagement).as_dict()

    @router.get("/board", response_class=HTMLResponse)
    def board(request: Request, info: staff) -> Response:
        with kit.db() as session:
            repository = EngagementRepository(session)
            rows = [
                (summary, engagement_state(session, repository.get(summary.code)))
                for summary in repository.list()
            ]
        return kit.page(request, "board.html", info, rows=rows)

    # -- terminal survey ----------------------------------------------------------------

    def terminals_page(
        request: Request,
        info: SessionInfo,
        engagement: Engagement,
        *,
        message: str = "",
        status: int = 200,
    ) -> Response:
        with kit.db() as session:
            assessments = stored_assessments(session, engagement.code)
        return kit.page(
            request,
            "terminals.html",
            info,
            engagement=engagement,
            assessments=assessments,
            roles=[r.value for r in TerminalRole],
            message=message,
            status=status,
        )

    @router.get("/engagements/{code}/terminals", response_class=HTMLResponse)
    def terminals(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.TERMINALS)
        return terminals_page(request, info, engagement)

    @router.get("/api/engagements/{code}/terminals")
    def api_terminals(code: str, info: user) -> list[dict[str, Any]]:
        kit.load_engagement(info, code, Action.TERMINALS)
        with kit.db() as session:
            found = stored_assessments(session, code)
        return [plain(assessment_to_json(a)) for a in found]

    @router.post("/engagements/{code}/terminals", response_class=HTMLResponse)
    def add_terminal(
        request: Request,
        code: str,
        info: user,
        hostname: Annotated[str, Form()],
        role: Annotated[str, Form()] = "other",
        system: Annotated[str, Form()] = "",
        location: Annotated[str, Form()] = "",
        csrf: CsrfField = "",
    ) -> Response:
        engagement, _ = kit.posted_engagement(info, csrf, code, Action.TERMINALS)
        lang = kit.lang_of(request)
        if len(engagement.terminals) >= engagement.terminal_limit:
            message = translate("web.terminals.limit", lang, limit=engagement.terminal_limit)
            return terminals_page(request, info, engagement, message=message, status=400)
        item = {
            "key": next_free_key("T-", (t.key for t in engagement.terminals)),
            "hostname": hostname.strip(),
            "role": role,
            "system": system.strip(),
            "location": location.strip(),
        }
        try:
            with kit.db() as session:
                inventory.add_item(session, code, "terminals", item)
        except IntakeError as exc:
            return terminals_page(request, info, engagement, message=exc.message(lang), status=400)
        kit.audit(info.user.email, "terminals.pick", code, hostname=hostname.strip())
        return see_other(f"/engagements/{code}/terminals")

    @router.post("/engagements/{code}/terminals/{key}/remove")
    def remove_terminal(code: str, key: str, info: user, csrf: CsrfField = "") -> Response:
        engagement, _ = kit.posted_engagement(info, csrf, code, Action.TERMINALS)
        if key not in {t.key for t in engagement.terminals}:
            raise HTTPException(status_code=404, detail="not found")
        with kit.db() as session:
            if any(a.terminal_key == key for a in stored_assessments(session, code)):
                raise WebError("web.terminals.has_result", key=key)
            inventory.remove_item(session, code, "terminals", key)
        kit.audit(info.user.email, "terminals.unpick", code, key=key)
        return see_other(f"/engagements/{code}/terminals")

    @router.get("/engagements/{code}/terminals/collector.ps1")
    def collector(code: str, info: user) -> Response:
        kit.load_engagement(info, code, Action.TERMINALS)
        # A BOM so Windows PowerShell 5.1 reads the Japanese messages as UTF-8.
        return Response(
            "\ufeff" + collector_script(),
            media_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="kenshin-collector.ps1"'},
        )

    @router.post("/engagements/{code}/terminals-upload", response_class=HTMLResponse)
    async def terminals_upload(
        request: Request,
        code: str,
        info: user,
        files: Annotated[list[UploadFile], File()],
        csrf: CsrfField = "",
    ) -> Response:
        engagement, _ = kit.posted_engagement(info, csrf, code, Action.TERMINALS)
        lang = kit.lang_of(request)
        try:
            if len(files) > MAX_FILES:
                raise WebError("web.upload.too_many", limit=MAX_FILES)
            pairs = [
                (f.filename or f"file-{i}", await read_upload(f, MAX_FILE_BYTES, Kind.TEXT))
                for i, f in enumerate(files, start=1)
            ]

            checked = await parse_apart(
                check_files,
                engagement,
                pairs,
                name=", ".join(name for name, _ in pairs) or "-",
                seconds=kit.settings.parse_seconds,
            )
            await off_the_loop(
                lambda: import_checked_terminals(kit.store, code, checked, actor=info.user.email)
            )
        except KenshinError as exc:
            return terminals_page(request, info, engagement, message=exc.message(lang), status=400)
        return see_other(f"/engagements/{code}/terminals#results")

    # -- vendor requests ----------------------------------------------------------------

    def requests_of(
        info: SessionInfo, code: str, action: Action
    ) -> tuple[Engagement, list[VendorRequest]]:
        engagement, membership = kit.load_engagement(info, code, action)
        with kit.db() as session:
            found = RequestRepository(session).for_engagement(code)
        return engagement, visible_requests(info, membership, found)

    def the_request(info: SessionInfo, code: str, number: int) -> VendorRequest:
        _, found = requests_of(info, code, Action.REQUESTS)
        request = next((r for r in found if r.number == number), None)
        if request is None:
            raise HTTPException(status_code=404, detail="not found")
        return request

    @router.get("/engagements/{code}/requests", response_class=HTMLResponse)
    def requests_page(request: Request, code: str, info: user) -> Response:
        engagement, found = requests_of(info, code, Action.REQUESTS)
        lang = kit.lang_of(request)
        today = japan_today(now_utc())
        numbers = {r.number for r in found}
        with kit.db() as session:
            held = [p for p in proposals(session, code) if p.request_number in numbers]
            if not info.user.is_staff:
                held = [p for p in held if p.proposed_by == info.user.email]
            files = AttachmentRepository(session)
            rows = [
                {
                    "request": r,
                    "subject": " ".join(subject_lines(engagement, r, lang)),
                    "overdue": r.is_overdue(today),
                    "attachments": files.for_request(code, r.number),
                }
                for r in found
            ]
        return kit.page(
            request,
            "requests.html",
            info,
            engagement=engagement,
            rows=rows,
            message=request.query_params.get("done", ""),
            held_message=bool(request.query_params.get("held")),
            proposals=held,
            assignments=[AddressAssignment.FIXED.value, AddressAssignment.DYNAMIC.value],
        )

    @router.get("/api/engagements/{code}/requests")
    def api_requests(code: str, info: user) -> list[dict[str, Any]]:
        _, found = requests_of(info, code, Action.REQUESTS)
        return [_request_json(r) for r in found]

    def answer(
        info: SessionInfo,
        code: str,
        number: int,
        body: AnswerBody,
        files: Sequence[tuple[str, bytes]] = (),
    ) -> Submission:
        """``kenshin.app.requests.answer_request``, the CLI's use case; a vendor's address
        answer waits for a surveyor's approval."""
        current = the_request(info, code, number)
        given = read_answer(body.firmware, body.wan_ip, body.assignment, body.isp, body.note)

        def held(session: Session, done: Submission) -> None:
            if done.held is not None:
                hold(session, done.request, done.held, info.user.email, now_utc())

        return answer_request(
            kit.store,
            code,
            current.number,
            given,
            files,
            actor=info.user.email,
            hold=None if info.user.is_staff else held,
            asked_only=True,
        ).submission

    @router.post("/engagements/{code}/requests/{number}/answer", response_class=HTMLResponse)
    async def answer_form(
        code: str,
        number: int,
        info: user,
        csrf: CsrfField = "",
        firmware: Annotated[str, Form()] = "",
        wan_ip: Annotated[str, Form()] = "",
        assignment: Annotated[str, Form()] = "",
        isp: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
        output_text: Annotated[str, Form()] = "",
        attachments: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        kit.check_csrf(info, csrf)
        the_request(info, code, number)  # 404 before reading any upload
        files = await read_files(attachments or [])
        if output_text.strip():
            files.append((PASTED_NAME, output_text.encode("utf-8")))
        body = AnswerBody(
            firmware=firmware, wan_ip=wan_ip, assignment=assignment, isp=isp, note=note
        )
        done = await off_the_loop(lambda: answer(info, code, number, body, files))
        held = "&held=1" if done.held is not None else ""
        ref = done.request.ref
        return see_other(f"/engagements/{code}/requests?done={ref}{held}#{ref}")

    @router.post("/api/engagements/{code}/requests/{number}/answer")
    def api_answer(
        code: str,
        number: int,
        body: AnswerBody,
        info: user,
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        return _request_json(answer(info, code, number, body).request)

    router.include_router(attachments_router(kit, the_request, answer))
    router.include_router(proposals_router(kit))

    @router.post("/engagements/{code}/requests/draft")
    def draft_requests(code: str, info: user, csrf: CsrfField = "") -> Response:
        kit.posted_engagement(info, csrf, code, Action.MANAGE_REQUESTS)
        draft_vendor_requests(kit.store, code, actor=info.user.email)
        return see_other(f"/engagements/{code}/requests")

    @router.post("/engagements/{code}/requests/{number}/send")
    def send_request(
        code: str,
        number: int,
        info: user,
        csrf: CsrfField = "",
        due: Annotated[str, Form()] = "",
    ) -> Response:
        kit.posted_engagement(info, csrf, code, Action.MANAGE_REQUESTS)
        due_date = date_of(due)
        the_request(info, code, number)
        mark_request_sent(kit.store, code, number, due=due_date, actor=info.user.email)
        return see_other(f"/engagements/{code}/requests")

    return router


def _request_json(request: VendorRequest) -> dict[str, Any]:
    return {
        "ref": request.ref,
        "number": request.number,
        "device": request.device_key,
        "point": request.point_key,
        "state": request.state.value,
        "wants": [w.value for w in request.wants],
        "due_date": request.due_date.isoformat() if request.due_date else None,
        "answer": request.answer.as_dict() if request.answer else None,
    }
