"""What wraps every request: the body-size limit, the security headers, quiet access logs.

The body is counted as it streams in (a chunked body has no Content-Length to trust);
every response carries the same headers; invitation tokens never reach the access log.
"""

import logging
import re
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def install_guards(app: FastAPI) -> None:
    """The body limit, the security headers and the access-log filter, on ``app``."""
    _hide_tokens_in_access_log()
    app.add_middleware(BodyLimit, limit=MAX_REQUEST_BYTES)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
