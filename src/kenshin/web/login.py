"""Logging in and out, and accepting an invitation: the routes used before a session.

Forms shown before any session carry a double-submit CSRF token (a cookie and a field).
Login attempts are limited per client address, and failed ones slow down the (source,
account) pair that makes them (``LoginBackoff``) without locking the owner out.
"""

import secrets
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from kenshin.i18n import translate
from kenshin.web._kit import LOGIN_CSRF_COOKIE, SESSION_COOKIE, CsrfField, WebKit, same, see_other
from kenshin.web.accounts import Accounts, WebError

LOGIN_ATTEMPTS_PER_MINUTE = 10


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


def login_router(kit: WebKit) -> APIRouter:
    """The login form, logout and the invitation form."""
    router = APIRouter()
    limiter = _LoginRateLimiter(LOGIN_ATTEMPTS_PER_MINUTE)
    backoff = LoginBackoff()

    def with_login_csrf(response: Response, token: str) -> Response:
        """The double-submit token of a form used before any session (login, invitation)."""
        kit.set_cookie(response, LOGIN_CSRF_COOKIE, token, samesite="strict")
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        return with_login_csrf(
            kit.page(request, "login.html", None, login_csrf=token, error=None), token
        )

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        email: Annotated[str, Form()],
        password: Annotated[str, Form()],
        login_csrf: CsrfField = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not same(cookie, login_csrf):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
        client = request.client.host if request.client else "unknown"
        lang = kit.lang_of(request)
        if not limiter.allow(client):
            return kit.page(
                request,
                "login.html",
                None,
                login_csrf=login_csrf,
                error=translate("web.rate_limited", lang),
                status=429,
            )
        failure: WebError | None = None
        if not backoff.allow(client, email):
            failure = WebError("web.login_failed")  # the same words as any failure
        else:
            with kit.db() as session:  # committed either way: failed attempts must count
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
            return kit.page(
                request,
                "login.html",
                None,
                login_csrf=login_csrf,
                error=failure.message(lang),
                status=401,
            )
        response = see_other("/")
        kit.set_session_cookie(response, token)
        response.delete_cookie(LOGIN_CSRF_COOKIE)
        return response

    @router.post("/logout")
    def logout(request: Request, csrf: CsrfField = "") -> Response:
        info = kit.require_user(request)
        kit.check_csrf(info, csrf)
        with kit.db() as session:
            Accounts(session).end_session(request.cookies.get(SESSION_COOKIE))
        kit.audit(info.user.email, "logout", None)
        response = see_other("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.get("/invite/{token}", response_class=HTMLResponse)
    def invitation_form(request: Request, token: str) -> Response:
        with kit.db() as session:
            live = Accounts(session).invitation_is_live(token)
        if not live:
            return kit.page(
                request,
                "invite.html",
                None,
                token="",
                login_csrf="",
                error=translate("web.invitation_invalid", kit.lang_of(request)),
                dead=True,
                status=404,
            )
        login_csrf = secrets.token_urlsafe(24)
        return with_login_csrf(
            kit.page(request, "invite.html", None, token=token, login_csrf=login_csrf, error=None),
            login_csrf,
        )

    @router.post("/invite/{token}", response_class=HTMLResponse)
    def accept_invitation(
        request: Request,
        token: str,
        password: Annotated[str, Form()],
        display_name: Annotated[str, Form()] = "",
        login_csrf: CsrfField = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or not same(cookie, login_csrf):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
        try:
            with kit.db() as session:
                accounts = Accounts(session)
                user = accounts.accept_invitation(token, password, display_name)
                session_token, _ = accounts.start_session(user)
        except WebError as exc:
            dead = exc.key == "web.invitation_invalid"  # no form for a dead link
            return kit.page(
                request,
                "invite.html",
                None,
                token="" if dead else token,
                login_csrf=login_csrf,
                error=exc.message(kit.lang_of(request)),
                dead=dead,
                status=404 if dead else 400,
            )
        response = see_other("/")
        kit.set_session_cookie(response, session_token)
        return response

    return router
