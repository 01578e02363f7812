"""The web application: server-rendered pages and a JSON API over the same rules.

Every route resolves the session, then asks ``access.allowed`` about the exact
engagement it touches; every state-changing request carries the session's CSRF token
(a form field, or the ``X-CSRF-Token`` header for the JSON API).
"""

import dataclasses
import hmac
import logging
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from ipaddress import ip_address
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Form, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kenshin import __version__
from kenshin.app.confirm import confirm_address
from kenshin.config import data_dir
from kenshin.domain import (
    AuditEvent,
    AuditOutcome,
    Engagement,
    Finding,
    FindingStatus,
)
from kenshin.errors import KenshinError
from kenshin.i18n import Lang, resolve_lang, translate
from kenshin.intake import to_document
from kenshin.pipeline import configure
from kenshin.store import (
    AuditLog,
    EngagementRepository,
    FindingRepository,
    Store,
    finding_fingerprint,
)
from kenshin.web._kit import WebKit
from kenshin.web.access import (
    Action,
    allowed,
    membership_for,
    vendor_devices,
    vendor_points,
    visible_findings,
)
from kenshin.web.accounts import Accounts, Membership, Role, SessionInfo, User, WebError
from kenshin.web.inventory import register_inventory
from kenshin.web.jobs import register_jobs
from kenshin.web.reports import register_reports
from kenshin.web.users import register_users
from kenshin.web.workflow import register_workflow

SESSION_COOKIE = "kenshin_session"
LANG_COOKIE = "kenshin_lang"
LOGIN_CSRF_COOKIE = "kenshin_login_csrf"
JST = ZoneInfo("Asia/Tokyo")
LOGIN_ATTEMPTS_PER_MINUTE = 10
MAX_REQUEST_BYTES = 24 * 1024 * 1024  # the largest upload: several collector files

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class WebSettings:
    # Cookies carry Secure unless the server is reached over plain HTTP on loopback
    # (`kenshin serve` turns it off only there, and says so at start-up).
    secure_cookies: bool = True
    report_dir: Path | None = None  # where built reports are kept (default: data dir/reports)


class _LoginRateLimiter:
    """At most N login attempts per client address per minute (in memory, per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.attempts: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, client: str) -> bool:
        now = time.monotonic()
        window = self.attempts[client]
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            return False
        window.append(now)
        return True


class LoginBackoff:
    """Failed logins slow down the (source, account) pair that makes them, nobody else.

    After ``free`` failures from one address for one account, each further attempt from
    that address for that account waits twice as long as the last (up to ``longest``
    seconds); the owner logging in from elsewhere is never held up, and a success
    clears the pair. Unknown and existing accounts are treated alike, and the refusal
    reads like any failed login. In memory, per process.
    """

    def __init__(self, free: int = 5, longest: float = 900.0) -> None:
        self.free = free
        self.longest = longest
        self.pairs: dict[tuple[str, str], tuple[int, float]] = {}

    def _key(self, client: str, email: str) -> tuple[str, str]:
        return (client, email.strip().lower())

    def allow(self, client: str, email: str) -> bool:
        _, until = self.pairs.get(self._key(client, email), (0, 0.0))
        return time.monotonic() >= until

    def failed(self, client: str, email: str) -> None:
        key = self._key(client, email)
        count, _ = self.pairs.get(key, (0, 0.0))
        count += 1
        wait = 0.0 if count < self.free else min(2.0 ** (count - self.free), self.longest)
        self.pairs[key] = (count, time.monotonic() + wait)
        if len(self.pairs) > 100_000:  # bounded memory: forget the oldest pairs
            for old in list(self.pairs)[:50_000]:
                del self.pairs[old]

    def succeeded(self, client: str, email: str) -> None:
        self.pairs.pop(self._key(client, email), None)


class BodyTooLarge(HTTPException):
    """The request body grew past the limit while it was being received."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request too large")


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes, counted as it streams in.

    Content-Length is only a first, cheap check: a chunked body has none, so every
    received chunk is counted and the request fails with 413 as soon as the sum passes
    the limit, before the multipart parser spools the rest (per-file limits are checked
    again in web/uploads.py).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send)


async def _too_large(send: Send) -> None:
    await JSONResponse({"detail": "request too large"}, status_code=413)(
        {"type": "http"}, _nothing, send
    )


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


class StatusChange(BaseModel):
    status: FindingStatus
    reason: str = ""


class Confirmation(BaseModel):
    confirmed_by: str = ""


def create_app(
    store: Store, settings: WebSettings | None = None, job_runner: Any = None
) -> FastAPI:
    """The application over one engagement store (``job_runner``: kenshin.jobs by default)."""
    settings = settings or WebSettings()
    pipeline = configure(lambda: store)  # identification and checks; report/diagnose jobs
    app = FastAPI(
        title="kenshin",
        version=__version__,
        description="kenshin web application and JSON API",
        docs_url=None,  # served below, to logged-in surveyors only
        redoc_url=None,
        openapi_url=None,
    )
    _hide_tokens_in_access_log()
    app.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)
    templates = Jinja2Templates(directory=str(resources.files("kenshin.web") / "templates"))
    limiter = _LoginRateLimiter(LOGIN_ATTEMPTS_PER_MINUTE)
    backoff = LoginBackoff()

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @contextmanager
    def db() -> Iterator[Session]:
        with store.session() as session:
            yield session

    def lang_of(request: Request) -> Lang:
        return resolve_lang(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))

    def current(request: Request) -> SessionInfo | None:
        with db() as session:
            return Accounts(session).resolve_session(request.cookies.get(SESSION_COOKIE))

    def require_user(request: Request) -> SessionInfo:
        info = current(request)
        if info is None:
            raise HTTPException(status_code=401, detail="login required")
        return info

    def check_csrf(info: SessionInfo, token: str | None) -> None:
        if not token or not _same(token, info.csrf_token):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")

    def load_engagement(
        info: SessionInfo, code: str, action: Action
    ) -> tuple[Engagement, Membership | None]:
        with db() as session:
            memberships = Accounts(session).memberships(info.user)
            if not allowed(info.user, memberships, code, action):
                raise HTTPException(status_code=404, detail="not found")
            repository = EngagementRepository(session)
            if not repository.exists(code):
                raise HTTPException(status_code=404, detail="not found")
            return repository.get(code), membership_for(memberships, code)

    def page(request: Request, name: str, info: SessionInfo | None, **context: Any) -> Response:
        lang = lang_of(request)

        def t(key: str, **params: object) -> str:
            return translate(key, lang, **params)

        response = templates.TemplateResponse(
            request,
            name,
            {
                "t": t,
                "lang": lang,
                "user": info.user if info else None,
                "csrf": info.csrf_token if info else "",
                "version": __version__,
                "jst": JST,
                **context,
            },
        )
        if "lang" in request.query_params:
            response.set_cookie(
                LANG_COOKIE, lang, httponly=True, samesite="lax", secure=settings.secure_cookies
            )
        return response

    def audit(
        actor: str, action: str, code: str | None, targets: tuple[str, ...] = (), **details: str
    ) -> None:
        with db() as session:
            AuditLog(session).record(
                AuditEvent(
                    actor=actor,
                    action=action,
                    outcome=AuditOutcome.SUCCEEDED,
                    at=datetime.now(UTC),
                    engagement_code=code,
                    targets=targets,
                    details=details,
                )
            )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:
            return RedirectResponse("/login", status_code=303)
        info = current(request)
        response = page(
            request,
            "error.html",
            info,
            status=exc.status_code,
            message=translate(f"web.http.{exc.status_code}", lang_of(request)),
        )
        response.status_code = exc.status_code
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        lang = lang_of(request)
        message = translate("web.http.422", lang)
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "message": translate("web.bad_value", lang),
            }
            for e in exc.errors()
        ]
        if request.url.path.startswith("/api/"):
            # FastAPI's documented shape (detail: [{loc, msg, type}]), worded for the user.
            detail = [
                {"loc": list(e.get("loc", ())), "msg": p["message"], "type": e.get("type", "")}
                for e, p in zip(exc.errors(), problems, strict=True)
            ]
            return JSONResponse({"detail": detail, "message": message}, status_code=422)
        fields = "、".join(p["field"] for p in problems if p["field"])
        response = page(
            request,
            "error.html",
            current(request),
            status=422,
            message=f"{message}（{fields}）" if fields else message,
        )
        response.status_code = 422
        return response

    @app.exception_handler(KenshinError)
    async def kenshin_error(request: Request, exc: KenshinError) -> Response:
        lang = lang_of(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message(lang)}, status_code=400)
        response = page(
            request, "error.html", current(request), status=400, message=exc.message(lang)
        )
        response.status_code = 400
        return response

    # -- pages ---------------------------------------------------------------------------

    def require_staff_page(request: Request) -> SessionInfo:
        info = require_user(request)
        if not info.user.is_staff:
            raise HTTPException(status_code=404, detail="not found")
        return info

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json(request: Request) -> JSONResponse:
        require_staff_page(request)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> Response:
        require_staff_page(request)
        return get_swagger_ui_html(openapi_url="/openapi.json", title="kenshin API")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> Response:
        require_staff_page(request)
        return get_redoc_html(openapi_url="/openapi.json", title="kenshin API")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def with_login_csrf(response: Response, token: str) -> Response:
        """The double-submit token of a form used before any session (login, invitation)."""
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
        )
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        return with_login_csrf(
            page(request, "login.html", None, login_csrf=token, error=None), token
        )

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        email: Annotated[str, Form()],
        password: Annotated[str, Form()],
        login_csrf: Annotated[str, Form()] = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not _same(cookie, login_csrf):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
        client = request.client.host if request.client else "unknown"
        lang = lang_of(request)
        if not limiter.allow(client):
            response = page(
                request,
                "login.html",
                None,
                login_csrf=login_csrf,
                error=translate("web.rate_limited", lang),
            )
            response.status_code = 429
            return response
        failure: WebError | None = None
        if not backoff.allow(client, email):
            failure = WebError("web.login_failed")  # the same words as any failure
        else:
            with db() as session:  # committed either way: failed attempts must count
                accounts = Accounts(session)
                try:
                    user = accounts.authenticate(email, password)
                    token, _ = accounts.start_session(user)
                except WebError as exc:
                    failure = exc
            if failure is not None:
                backoff.failed(client, email)
            else:
                backoff.succeeded(client, email)
        if failure is not None:
            response = page(
                request, "login.html", None, login_csrf=login_csrf, error=failure.message(lang)
            )
            response.status_code = 401
            return response
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=8 * 3600,
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        info = require_user(request)
        check_csrf(info, csrf)
        with db() as session:
            Accounts(session).end_session(request.cookies.get(SESSION_COOKIE))
        audit(info.user.email, "logout", None)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def dashboard(
        request: Request, info: Annotated[SessionInfo, Depends(require_user)]
    ) -> Response:
        return page(request, "dashboard.html", info, engagements=_visible_summaries(info))

    def _visible_summaries(info: SessionInfo) -> list[Any]:
        """The engagements the user may see; a vendor's counts are of its own part only."""
        with db() as session:
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
                        open_findings=sum(1 for f in own if f.status is FindingStatus.OPEN),
                    )
                )
        return counted

    @app.get("/engagements/{code}", response_class=HTMLResponse)
    def engagement_page(
        request: Request, code: str, info: Annotated[SessionInfo, Depends(require_user)]
    ) -> Response:
        engagement, membership = load_engagement(info, code, Action.VIEW)
        with db() as session:
            findings = FindingRepository(session).list(code)
        findings = visible_findings(info.user, membership, engagement, findings)
        if info.user.role is Role.VENDOR:
            return page(
                request,
                "vendor.html",
                info,
                engagement=engagement,
                vendor_key=membership.vendor_key if membership else None,
                findings=_rows(findings),
            )
        return page(
            request,
            "engagement.html",
            info,
            engagement=engagement,
            findings=_rows(findings),
            diagnosis=_diagnosis(engagement),
            can_triage=info.user.is_staff,
            can_confirm=True,
        )

    @app.post("/engagements/{code}/findings/{fingerprint}/status")
    def set_status(
        request: Request,
        code: str,
        fingerprint: str,
        info: Annotated[SessionInfo, Depends(require_user)],
        status: Annotated[str, Form()],
        csrf: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(info, csrf)
        _change_status(info, code, fingerprint, StatusChange(status=_status(status), reason=reason))
        return RedirectResponse(f"/engagements/{code}#findings", status_code=303)

    @app.post("/engagements/{code}/addresses/{address}/confirm")
    def confirm_page(
        request: Request,
        code: str,
        address: str,
        info: Annotated[SessionInfo, Depends(require_user)],
        csrf: Annotated[str, Form()] = "",
    ) -> Response:
        check_csrf(info, csrf)
        _confirm(info, code, address, info.user.display_name or info.user.email)
        return RedirectResponse(f"/engagements/{code}#points", status_code=303)

    @app.get("/invite/{token}", response_class=HTMLResponse)
    def invitation_form(request: Request, token: str) -> Response:
        with db() as session:
            live = Accounts(session).invitation_is_live(token)
        if not live:
            response = page(
                request,
                "invite.html",
                None,
                token="",
                login_csrf="",
                error=translate("web.invitation_invalid", lang_of(request)),
                dead=True,
            )
            response.status_code = 404
            return response
        login_csrf = secrets.token_urlsafe(24)
        return with_login_csrf(
            page(request, "invite.html", None, token=token, login_csrf=login_csrf, error=None),
            login_csrf,
        )

    @app.post("/invite/{token}", response_class=HTMLResponse)
    def accept_invitation(
        request: Request,
        token: str,
        password: Annotated[str, Form()],
        display_name: Annotated[str, Form()] = "",
        login_csrf: Annotated[str, Form()] = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not _same(cookie, login_csrf):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
        try:
            with db() as session:
                accounts = Accounts(session)
                user = accounts.accept_invitation(token, password, display_name)
                session_token, _ = accounts.start_session(user)
        except WebError as exc:
            dead = exc.key == "web.invitation_invalid"  # no form for a dead link
            response = page(
                request,
                "invite.html",
                None,
                token="" if dead else token,
                login_csrf=login_csrf,
                error=exc.message(lang_of(request)),
                dead=dead,
            )
            response.status_code = 404 if dead else 400
            return response
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=8 * 3600,
        )
        return response

    # -- JSON API ------------------------------------------------------------------------

    @app.get("/api/engagements")
    def api_engagements(
        info: Annotated[SessionInfo, Depends(require_user)],
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
            for s in _visible_summaries(info)
        ]

    @app.get("/api/engagements/{code}")
    def api_engagement(
        code: str, info: Annotated[SessionInfo, Depends(require_user)]
    ) -> dict[str, Any]:
        engagement, membership = load_engagement(info, code, Action.VIEW)
        if info.user.role is Role.VENDOR:
            return {
                "code": engagement.code,
                "institution": engagement.institution.name,
                "vendor": membership.vendor_key if membership else None,
            }
        document: dict[str, Any] = _jsonable(to_document(engagement))
        return document

    @app.get("/api/engagements/{code}/findings")
    def api_findings(
        code: str, info: Annotated[SessionInfo, Depends(require_user)]
    ) -> list[dict[str, Any]]:
        engagement, membership = load_engagement(info, code, Action.VIEW)
        with db() as session:
            findings = FindingRepository(session).list(code)
        return [
            _finding_json(f) for f in visible_findings(info.user, membership, engagement, findings)
        ]

    @app.post("/api/engagements/{code}/findings/{fingerprint}/status")
    def api_set_status(
        code: str,
        fingerprint: str,
        change: StatusChange,
        info: Annotated[SessionInfo, Depends(require_user)],
        x_csrf_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, str]:
        check_csrf(info, x_csrf_token)
        _change_status(info, code, fingerprint, change)
        return {"fingerprint": fingerprint, "status": change.status.value}

    @app.post("/api/engagements/{code}/addresses/{address}/confirm")
    def api_confirm(
        code: str,
        address: str,
        body: Confirmation,
        info: Annotated[SessionInfo, Depends(require_user)],
        x_csrf_token: Annotated[str | None, Header()] = None,
    ) -> dict[str, str]:
        check_csrf(info, x_csrf_token)
        by = body.confirmed_by or info.user.display_name or info.user.email
        moment = _confirm(info, code, address, by)
        return {"address": address, "confirmed_by": by, "confirmed_at": moment.isoformat()}

    # -- shared actions ------------------------------------------------------------------

    def _change_status(
        info: SessionInfo, code: str, fingerprint: str, change: StatusChange
    ) -> None:
        hospital_fix = change.status is FindingStatus.FIXED
        action = Action.TRIAGE if not hospital_fix else Action.MARK_FIXED
        engagement, membership = load_engagement(info, code, action)
        with db() as session:
            findings = visible_findings(
                info.user, membership, engagement, FindingRepository(session).list(code)
            )
            if fingerprint not in {finding_fingerprint(f) for f in findings}:
                raise HTTPException(status_code=404, detail="not found")
            FindingRepository(session).set_status(code, fingerprint, change.status, change.reason)
        audit(
            info.user.email,
            "finding.status",
            code,
            fingerprint=fingerprint,
            status=change.status.value,
        )

    def _confirm(info: SessionInfo, code: str, address: str, by: str) -> datetime:
        """``kenshin.app.confirm`` (the CLI's use case); an address the engagement does not
        have is 404, like every object the user may not see."""
        engagement, _ = load_engagement(info, code, Action.CONFIRM_ADDRESS)
        try:
            wanted = str(ip_address(address))
        except ValueError:
            raise HTTPException(status_code=404, detail="not found") from None
        if not any(
            str(a.address) == wanted for p in engagement.connection_points for a in p.addresses
        ):
            raise HTTPException(status_code=404, detail="not found")
        confirmed = confirm_address(store, code, wanted, by=by, actor=info.user.email)
        if confirmed is None:
            raise WebError("web.confirm_not_dynamic", address=wanted)
        return confirmed.confirmed_at

    def _diagnosis(engagement: Engagement) -> dict[str, str]:
        return {
            p.key: f"summary.diag.{p.diagnosis_status.value}" for p in engagement.connection_points
        }

    kit = WebKit(
        store=store,
        db=db,
        lang_of=lang_of,
        require_user=require_user,
        check_csrf=check_csrf,
        load_engagement=load_engagement,
        page=page,
        audit=audit,
    )

    def start_session(response: Response, user: User) -> None:
        with db() as session:
            token, _ = Accounts(session).start_session(user)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=8 * 3600,
        )

    register_users(app, kit, start_session)
    register_workflow(app, kit)
    register_inventory(app, kit)
    report_dir = settings.report_dir or data_dir() / "reports"
    submit_job = register_jobs(app, kit, report_dir, pipeline, job_runner)
    register_reports(app, kit, report_dir, submit_job)
    return app


def _status(value: str) -> FindingStatus:
    try:
        return FindingStatus(value)
    except ValueError:
        raise WebError("web.bad_choice", value=value[:40]) from None


class _NoTokens(logging.Filter):
    """Access-log lines show ``/invite/…`` instead of the invitation token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args[2] if isinstance(args, tuple) and len(args) >= 3 else None
        if isinstance(args, tuple) and isinstance(path, str) and "/invite/" in path:
            record.args = (*args[:2], _INVITE_PATH.sub("/invite/…", path), *args[3:])
        return True


_INVITE_PATH = re.compile(r"/invite/[^/?#\s]+")


def _hide_tokens_in_access_log() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _NoTokens) for f in logger.filters):
        logger.addFilter(_NoTokens())


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (never a 500)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _rows(findings: list[Finding]) -> list[dict[str, Any]]:
    return [{"finding": f, "fingerprint": finding_fingerprint(f)} for f in findings]


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


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
