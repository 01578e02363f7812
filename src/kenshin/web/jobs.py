"""Background jobs from the pages: start a scan (or a report), follow it, cancel it.

The web does not run scans itself: it hands a ``JobSpec`` to the ``JobRunner`` of
``kenshin.jobs`` (in-process by default; the distributed engine later), whose status
lives in the ``jobs`` table, so a job survives a page reload. A scan or a report is
started through the CLI's use cases (``kenshin.app.scans``, ``kenshin.app.reports``):
the scope is asked first, a refusal is audited and shown, and nothing is submitted.
"""

import re
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kenshin.app.jobs import cancel_job
from kenshin.app.reports import queue_report
from kenshin.app.scans import start_scan
from kenshin.domain import Protocol
from kenshin.i18n import catalogue, translate
from kenshin.jobs import JobError, JobStatus, runner_for
from kenshin.scan import ScanError, ScanPipeline, parse_ports
from kenshin.scope import ScopeError, scope_for_engagement
from kenshin.store import Store
from kenshin.web._kit import CsrfField, CsrfHeader, WebKit, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo, WebError

STARTABLE = ("scan", "report")
_PORT_LIST = r"^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?){0,63}$"
_ABSOLUTE_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\][^\s'\"<>]*")


class ScanParams(BaseModel):
    """What a web user may choose for a scan: the profile and, optionally, the TCP ports.

    Targets, rates and files are not parameters here: the scope and the profile decide.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    profile: Literal["hospital", "lab"] = "hospital"
    ports: str | None = Field(default=None, pattern=_PORT_LIST)

    @field_validator("ports")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        """Ports the job reads as ``kenshin scan --ports`` does (1-65535, a range low to
        high): refused on submitting, as the CLI refuses them, not by the job later."""
        if value is not None:
            try:
                parse_ports(value, Protocol.TCP)
            except ScanError as exc:
                raise ValueError(exc.message("en")) from None
        return value


class ReportParams(BaseModel):
    """What a web user may choose for a report: its language. The server picks the folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lang: Literal["ja", "en"] = "ja"


PARAMS: dict[str, type[ScanParams] | type[ReportParams]] = {
    "scan": ScanParams,
    "report": ReportParams,
}


class JobRequest(BaseModel):
    kind: str = "scan"
    params: dict[str, str] = {}


def checked_params(kind: str, params: dict[str, str]) -> dict[str, str]:
    """``params`` validated against the schema of ``kind``; ``WebError`` naming the field."""
    schema = PARAMS.get(kind)
    if schema is None:
        raise WebError("web.jobs.bad_kind", kind=kind)
    try:
        valid = schema.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "-"
        raise WebError("web.jobs.bad_params", kind=kind, field=field) from None
    return {k: str(v) for k, v in valid.model_dump(exclude_none=True).items()}


def _no_paths(text: str) -> str:
    """``text`` with every absolute path cut to its last part (no server path is shown)."""
    return _ABSOLUTE_PATH.sub(lambda m: Path(m.group(0).rstrip("/\\")).name or "-", text)


def _step(message: str, lang: str) -> str:
    """A job's progress word in the reader's language (``written`` → 作成完了)."""
    key = f"web.jobs.step.{message}"
    return translate(key, lang) if key in catalogue() else message


def status_json(status: JobStatus, lang: str = "ja") -> dict[str, Any]:
    """A ``JobStatus`` as JSON, without the raw parameters (they may name files)."""

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    spec = status.spec
    state = status.state.value
    result = (
        {str(k): _no_paths(str(v)) for k, v in status.result.items()} if status.result else None
    )
    message = _step(_no_paths(status.message or ""), lang)
    if state == "succeeded" and result:
        shown = ("hosts", "open", "lang")
        message = ", ".join(f"{k}={result[k]}" for k in shown if k in result) or message
    return {
        "id": str(status.id),
        "kind": spec.kind.value,
        "engagement": spec.engagement_code,
        "requested_by": spec.requested_by,
        "state": state,
        "progress": float(status.progress or 0.0),
        "message": message,
        "created_at": when(status.created_at),
        "started_at": when(status.started_at),
        "finished_at": when(status.finished_at),
        "result": result,
        "error": _no_paths(status.error) if status.error else None,
    }


SubmitJob = Callable[[SessionInfo, str, str, dict[str, str]], Any]


def jobs_router(
    kit: WebKit, report_dir: Path, pipeline: ScanPipeline, runner: Any = None
) -> tuple[APIRouter, SubmitJob]:
    """The job routes; ``runner`` defaults to ``kenshin.jobs.runner_for`` with the
    application's scan ``pipeline``.

    A report is written to ``report_dir/<engagement>/<lang>``, chosen here and never by
    the caller. Returns the router and the submit function (used by the report page).
    """
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]
    cache: dict[str, Any] = {}

    def the_runner() -> Any:
        if runner is not None:
            return runner
        if "runner" not in cache:
            cache["runner"] = runner_for(kit.store, pipeline)
        return cache["runner"]

    def submit(info: SessionInfo, code: str, kind: str, params: dict[str, str]) -> Any:
        """The CLI's use cases (``kenshin.app.scans`` / ``reports``) under the web's access
        rule; the report folder is the server's choice, never the caller's."""
        engagement, _ = kit.load_engagement(info, code, Action.RUN_JOBS)
        if kind not in STARTABLE:
            raise WebError("web.jobs.bad_kind", kind=kind)
        chosen = checked_params(kind, params)
        actor = info.user.email
        if kind == "scan":
            job_id = start_scan(kit.store, the_runner(), engagement.code, chosen, actor=actor)
        else:
            folder = report_folder(report_dir, engagement.code, chosen["lang"])
            job_id = queue_report(
                kit.store, the_runner(), engagement.code, folder, chosen["lang"], actor=actor
            )
        return the_runner().status(job_id)

    def job_of(info: SessionInfo, job_id: str) -> Any:
        """The job if it exists and its engagement is one the user may run jobs on."""
        try:
            found = the_runner().status(job_id)
        except (JobError, KeyError, LookupError):
            found = None
        if found is None:
            raise HTTPException(status_code=404, detail="not found")
        kit.load_engagement(info, found.spec.engagement_code, Action.RUN_JOBS)
        return found

    def jobs_of(code: str) -> list[Any]:
        listed = the_runner().list(engagement_code=code)
        return sorted(listed, key=lambda s: s.created_at, reverse=True)

    @router.get("/static/kenshin.js", include_in_schema=False)
    def script() -> Response:
        text = (resources.files("kenshin.web") / "static" / "kenshin.js").read_text("utf-8")
        return Response(text, media_type="text/javascript")

    @router.get("/engagements/{code}/jobs", response_class=HTMLResponse)
    def jobs_page(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.RUN_JOBS)
        listed = [status_json(s, kit.lang_of(request)) for s in jobs_of(code)]
        targets: list[str] = []
        refusal = ""
        plan: list[str] = []
        try:
            targets = [str(a) for a in scope_for_engagement(engagement).default_targets()]
        except ScopeError as exc:
            refusal = exc.message(kit.lang_of(request))
        else:
            plan, refusal = scan_plan_preview(kit.store, engagement.code, kit.lang_of(request))
        return kit.page(
            request,
            "jobs.html",
            info,
            engagement=engagement,
            jobs=listed,
            targets=targets,
            plan=plan,
            refusal=refusal,
            message=request.query_params.get("error", ""),
        )

    @router.post("/engagements/{code}/jobs")
    def start_form(
        request: Request,
        code: str,
        info: user,
        csrf: CsrfField = "",
        kind: Annotated[str, Form()] = "scan",
        ports: Annotated[str, Form()] = "",
        profile: Annotated[str, Form()] = "hospital",
    ) -> Response:
        kit.check_csrf(info, csrf)
        params = {"profile": profile} if kind == "scan" else {}
        if kind == "scan" and ports.strip():
            params["ports"] = "".join(ports.split())
        submit(info, code, kind, params)
        return see_other(f"/engagements/{code}/jobs")

    @router.get("/api/engagements/{code}/jobs")
    def api_jobs(request: Request, code: str, info: user) -> list[dict[str, Any]]:
        kit.load_engagement(info, code, Action.RUN_JOBS)
        return [status_json(s, kit.lang_of(request)) for s in jobs_of(code)]

    @router.post("/api/engagements/{code}/jobs")
    def api_start(
        code: str,
        body: JobRequest,
        info: user,
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        return status_json(submit(info, code, body.kind, body.params))

    @router.get("/api/jobs/{job_id}")
    def api_job(request: Request, job_id: str, info: user) -> dict[str, Any]:
        return status_json(job_of(info, job_id), kit.lang_of(request))

    @router.post("/api/jobs/{job_id}/cancel")
    def api_cancel(job_id: str, info: user, x_csrf_token: CsrfHeader = None) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        found = job_of(info, job_id)
        return status_json(
            cancel_job(kit.store, the_runner(), str(found.id), actor=info.user.email)
        )

    return router, submit


def scan_plan_preview(store: Store, code: str, lang: str) -> tuple[list[str], str]:
    """The plan a default scan job of ``code`` would run (addresses, ports, profile, rate,
    estimate and the window check), as ``kenshin scan`` prints it before any packet; or,
    for a plan that cannot end inside the diagnosis window, the refusal with its estimate."""
    from kenshin.scan.errors import ScanError
    from kenshin.scan.plan import default_ports
    from kenshin.scan.session import ScanRequest, prepare_scan

    tcp, udp = default_ports()
    request = ScanRequest(engagement=code, tcp_ports=tcp, udp_ports=udp)
    try:
        return prepare_scan(store, request, preview=True).lines(lang), ""
    except (ScanError, ScopeError) as refusal:
        return [], refusal.message(lang)


def report_folder(report_dir: Path, code: str, lang: str) -> Path:
    """Where the report of ``code`` in ``lang`` is written: inside the engagement's folder."""
    folder = (report_dir / code / lang).resolve()
    if not folder.is_relative_to(report_dir.resolve()) or lang not in ("ja", "en"):
        raise WebError("web.jobs.bad_params", kind="report", field="lang")
    return folder
