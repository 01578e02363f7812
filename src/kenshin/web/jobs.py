"""Background jobs from the pages: start a scan (or a report), follow it, cancel it.

The web does not run scans itself: it hands a ``JobSpec`` to the ``JobRunner`` of
``kenshin.jobs`` (in-process by default; the distributed engine later), whose status
lives in the ``jobs`` table, so a job survives a page reload. Before submitting a scan
the route asks ``kenshin.scope`` for the engagement's targets, exactly like the CLI:
a refusal is audited and shown, and nothing is submitted.
"""

from collections.abc import Callable
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Form, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from kenshin.domain import Engagement
from kenshin.jobs import JobError, JobKind, JobSpec, runner_for
from kenshin.scope import ScopeError, scan_refused, scope_for_engagement
from kenshin.web._kit import WebKit
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo, WebError

STARTABLE = ("scan", "report")
PROFILES = ("hospital", "lab")


class JobRequest(BaseModel):
    kind: str = "scan"
    params: dict[str, str] = {}


def status_json(status: Any) -> dict[str, Any]:
    """A ``JobStatus`` as JSON, without the raw parameters (they may name files)."""

    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    spec = status.spec
    state = getattr(status.state, "value", str(status.state))
    result = {str(k): str(v) for k, v in status.result.items()} if status.result else None
    message = status.message or ""
    if state == "succeeded" and result:
        shown = ("hosts", "open", "lang")
        message = ", ".join(f"{k}={result[k]}" for k in shown if k in result) or message
    return {
        "id": str(status.id),
        "kind": getattr(spec.kind, "value", str(spec.kind)),
        "engagement": spec.engagement_code,
        "requested_by": spec.requested_by,
        "state": state,
        "progress": float(status.progress or 0.0),
        "message": message,
        "created_at": when(status.created_at),
        "started_at": when(status.started_at),
        "finished_at": when(status.finished_at),
        "result": result,
        "error": status.error or None,
    }


def register_jobs(
    app: FastAPI, kit: WebKit, runner: Any = None
) -> Callable[[SessionInfo, str, str, dict[str, str]], Any]:
    """Add the job routes; ``runner`` defaults to ``kenshin.jobs.runner_for(store)``.

    Returns the submit function (used by the report page).
    """
    user = Annotated[SessionInfo, Depends(kit.require_user)]
    cache: dict[str, Any] = {}

    def the_runner() -> Any:
        if runner is not None:
            return runner
        if "runner" not in cache:
            cache["runner"] = runner_for(kit.store)
        return cache["runner"]

    def check_scope(info: SessionInfo, engagement: Engagement) -> int:
        """The number of targets the scope allows now; a refusal is audited and raised."""
        try:
            scope = scope_for_engagement(engagement)
            return len(scope.default_targets())
        except ScopeError as refusal:
            from kenshin.scan.session import store_audit

            scan_refused(
                store_audit(kit.store),
                actor=info.user.email,
                engagement_code=engagement.code,
                targets=[],
                reason=refusal.message("en"),
            )
            raise

    def submit(info: SessionInfo, code: str, kind: str, params: dict[str, str]) -> Any:
        engagement, _ = kit.load_engagement(info, code, Action.RUN_JOBS)
        if kind not in STARTABLE:
            raise WebError("web.jobs.bad_kind", kind=kind)
        if kind == "scan":
            check_scope(info, engagement)
        spec = _make_spec(kind, code, params, info.user.email)
        submitted = the_runner().submit(spec)
        job_id = str(getattr(submitted, "id", submitted))
        kit.audit(info.user.email, f"job.{kind}.submit", code, job=job_id)
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

    @app.get("/static/kenshin.js", include_in_schema=False)
    def script() -> Response:
        text = (resources.files("kenshin.web") / "static" / "kenshin.js").read_text("utf-8")
        return Response(text, media_type="text/javascript")

    @app.get("/engagements/{code}/jobs", response_class=HTMLResponse)
    def jobs_page(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.RUN_JOBS)
        listed = [status_json(s) for s in jobs_of(code)]
        targets: list[str] = []
        refusal = ""
        try:
            targets = [str(a) for a in scope_for_engagement(engagement).default_targets()]
        except ScopeError as exc:
            refusal = exc.message(kit.lang_of(request))
        return kit.page(
            request,
            "jobs.html",
            info,
            engagement=engagement,
            jobs=listed,
            targets=targets,
            refusal=refusal,
            message=request.query_params.get("error", ""),
        )

    @app.post("/engagements/{code}/jobs")
    def start_form(
        request: Request,
        code: str,
        info: user,
        csrf: Annotated[str, Form()] = "",
        kind: Annotated[str, Form()] = "scan",
        ports: Annotated[str, Form()] = "",
        profile: Annotated[str, Form()] = "hospital",
    ) -> Response:
        kit.check_csrf(info, csrf)
        if profile not in PROFILES:
            raise WebError("web.jobs.bad_profile", profile=profile)
        params = {"profile": profile}
        if ports.strip():
            params["ports"] = ports.strip()
        submit(info, code, kind, params)
        return RedirectResponse(f"/engagements/{code}/jobs", status_code=303)

    @app.get("/api/engagements/{code}/jobs")
    def api_jobs(code: str, info: user) -> list[dict[str, Any]]:
        kit.load_engagement(info, code, Action.RUN_JOBS)
        return [status_json(s) for s in jobs_of(code)]

    @app.post("/api/engagements/{code}/jobs")
    def api_start(
        code: str,
        body: JobRequest,
        info: user,
        x_csrf_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        return status_json(submit(info, code, body.kind, body.params))

    @app.get("/api/jobs/{job_id}")
    def api_job(job_id: str, info: user) -> dict[str, Any]:
        return status_json(job_of(info, job_id))

    @app.post("/api/jobs/{job_id}/cancel")
    def api_cancel(
        job_id: str, info: user, x_csrf_token: Annotated[str | None, Header()] = None
    ) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        found = job_of(info, job_id)
        the_runner().cancel(str(found.id))
        kit.audit(info.user.email, "job.cancel", found.spec.engagement_code, job=str(found.id))
        return status_json(the_runner().status(str(found.id)))

    return submit


def _make_spec(kind: str, code: str, params: dict[str, str], by: str) -> JobSpec:
    return JobSpec(kind=JobKind(kind), engagement_code=code, params=params, requested_by=by)
