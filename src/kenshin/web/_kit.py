"""What every router shares: the store, the session, the CSRF and access checks, the page.

``create_app`` builds one ``WebKit`` and hands it to each router; a route asks it for the
current user (``Depends(kit.require_user)``), a database session, the engagement it may
touch, and renders through it, so these rules are written once.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Form, Header, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from kenshin import __version__
from kenshin.domain import Engagement
from kenshin.domain.clock import japan_form_value, japan_time
from kenshin.i18n import Lang, resolve_lang, translate
from kenshin.store import AuditLog, EngagementRepository, Store
from kenshin.web.access import Action, allowed, may, membership_for
from kenshin.web.accounts import Accounts, Membership, SessionInfo, User

SESSION_COOKIE = "kenshin_session"
LANG_COOKIE = "kenshin_lang"
LOGIN_CSRF_COOKIE = "kenshin_login_csrf"
SESSION_SECONDS = 8 * 3600

CsrfField = Annotated[str, Form()]  # a page form's hidden ``csrf`` field (default "")
CsrfHeader = Annotated[str | None, Header()]  # a JSON call's ``X-CSRF-Token`` (default None)


def see_other(url: str) -> RedirectResponse:
    """A 303 redirect: the browser follows with a GET, so a reload never posts a form again."""
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class WebSettings:
    # Cookies carry Secure unless the server is reached over plain HTTP on loopback
    # (`kenshin serve` turns it off only there, and says so at start-up).
    secure_cookies: bool = True
    report_dir: Path | None = None  # where built reports are kept (default: data dir/reports)
    parse_seconds: float = 10.0  # an uploaded file's parser is stopped after this long


def plain(value: Any) -> Any:
    """``value`` as JSON takes it: string keys, lists, ISO dates and times, enum values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


def same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII input (never a 500)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


class WebKit:
    """The helpers ``create_app`` builds once and hands to each router."""

    def __init__(self, store: Store, settings: WebSettings, templates: Jinja2Templates) -> None:
        self.store = store
        self.settings = settings
        self.templates = templates

    @contextmanager
    def db(self) -> Iterator[Session]:
        with self.store.session() as session:
            yield session

    def lang_of(self, request: Request) -> Lang:
        return resolve_lang(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE))

    def current(self, request: Request) -> SessionInfo | None:
        with self.db() as session:
            return Accounts(session).resolve_session(request.cookies.get(SESSION_COOKIE))

    def require_user(self, request: Request) -> SessionInfo:
        info = self.current(request)
        if info is None:
            raise HTTPException(status_code=401, detail="login required")
        return info

    def require_staff(self, info: SessionInfo) -> None:
        """Staff-only pages answer others as if they did not exist."""
        if not info.user.is_staff:
            raise HTTPException(status_code=404, detail="not found")

    def require_staff_page(self, request: Request) -> SessionInfo:
        """A staff-only page's user (``Depends``): 401 without a login, 404 if not staff."""
        info = self.require_user(request)
        self.require_staff(info)
        return info

    def check_csrf(self, info: SessionInfo, token: str | None) -> None:
        if not token or not same(token, info.csrf_token):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")

    def check_staff_post(self, info: SessionInfo, token: str | None) -> None:
        """A staff-only form or call: the CSRF token first, then the staff check."""
        self.check_csrf(info, token)
        self.require_staff(info)

    def posted_engagement(
        self, info: SessionInfo, token: str | None, code: str, action: Action
    ) -> tuple[Engagement, Membership | None]:
        """The engagement a form changes: the CSRF token first, then access, then the load."""
        self.check_csrf(info, token)
        return self.load_engagement(info, code, action)

    def load_engagement(
        self, info: SessionInfo, code: str, action: Action
    ) -> tuple[Engagement, Membership | None]:
        with self.db() as session:
            memberships = Accounts(session).memberships(info.user)
            if not allowed(info.user, memberships, code, action):
                raise HTTPException(status_code=404, detail="not found")
            repository = EngagementRepository(session)
            if not repository.exists(code):
                raise HTTPException(status_code=404, detail="not found")
            return repository.get(code), membership_for(memberships, code)

    def page(
        self,
        request: Request,
        name: str,
        info: SessionInfo | None,
        status: int = 200,
        **context: Any,
    ) -> Response:
        """The page ``name`` answered with ``status``, which its template also sees."""
        lang = self.lang_of(request)

        def t(key: str, **params: object) -> str:
            return translate(key, lang, **params)

        def may_here(action: str) -> bool:
            return info is not None and may(info.user, Action(action))

        response = self.templates.TemplateResponse(
            request,
            name,
            {
                "t": t,
                "lang": lang,
                "user": info.user if info else None,
                "may": may_here,
                "csrf": info.csrf_token if info else "",
                "version": __version__,
                "japan_time": japan_time,
                "japan_form_value": japan_form_value,
                "status": status,
                **context,
            },
            status_code=status,
        )
        if "lang" in request.query_params:
            self.set_cookie(response, LANG_COOKIE, lang)
        return response

    def audit(
        self,
        actor: str,
        action: str,
        code: str | None,
        targets: tuple[str, ...] = (),
        **details: str,
    ) -> None:
        with self.db() as session:
            AuditLog(session).note(actor, action, code, targets=targets, details=details)

    def set_cookie(
        self,
        response: Response,
        name: str,
        value: str,
        *,
        samesite: Literal["lax", "strict"] = "lax",
        max_age: int | None = None,
    ) -> None:
        """Every cookie kenshin sets: HttpOnly, SameSite, Secure unless on plain loopback."""
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite=samesite,
            secure=self.settings.secure_cookies,
            max_age=max_age,
        )

    def set_session_cookie(self, response: Response, token: str) -> None:
        self.set_cookie(response, SESSION_COOKIE, token, max_age=SESSION_SECONDS)

    def start_session(self, response: Response, user: User) -> None:
        """A new session for ``user``, its cookie set on ``response``."""
        with self.db() as session:
            token, _ = Accounts(session).start_session(user)
        self.set_session_cookie(response, token)
