"""An admin web page behind HTTP Basic (RFC 7617) or an HTML form login.

Options: ``username``/``password`` (the credentials that work; default admin/admin, a
factory default — the lab also runs a twin with changed ones), ``kind`` = basic | form,
``product`` (look of the page, ``data/http_login.yaml``), ``tls`` (false).
Every login attempt (a request with an Authorization header, or a POST to the form) is
logged to stderr as ``login attempt N: accepted|rejected`` — never with the password —
so tests can check the attempt budget of the account checks.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import html
import secrets

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._common import choice, data, flag, log
from kenshin.lab.emulators._http import Request, Response, serve_http
from kenshin.lab.emulators._tls import make_certificate, server_context

NAME = "http_login"


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    products = data(NAME)["products"]
    product = products[choice(opts["product"], "product", products)]
    kind = choice(opts["kind"], "kind", ("basic", "form"))
    username, password = opts["username"], opts["password"]
    attempts = 0
    sessions: set[str] = set()
    server_header = [("Server", str(product["server"]))] if product["server"] else []
    title = html.escape(str(product["title"]))
    admin_page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
        f"{html.escape(str(product['admin_title']))}</title></head><body><h1>"
        f"{html.escape(str(product['admin_title']))}</h1><p>Firmware, WAN status, "
        f'administrator settings.</p><a href="/logout">Logout</a></body></html>'
    ).encode()

    def attempt(ok: bool, peer: str) -> None:
        nonlocal attempts
        attempts += 1
        log(NAME, f"login attempt {attempts} from {peer}: {'accepted' if ok else 'rejected'}")

    def basic(request: Request) -> Response:
        header = request.header("Authorization")
        if header:
            scheme, _, encoded = header.partition(" ")
            ok = False
            if scheme.lower() == "basic":
                try:
                    user, _, secret = (
                        base64.b64decode(encoded, validate=True)
                        .decode("utf-8", "replace")
                        .partition(":")
                    )
                    ok = _equal(user, username) and _equal(secret, password)
                except (binascii.Error, ValueError):
                    ok = False
            attempt(ok, request.peer)
            if ok:
                return Response(
                    200, [*server_header, ("Content-Type", "text/html; charset=utf-8")], admin_page
                )
        body = (
            "<html><head><title>401 Unauthorized</title></head><body>"
            f"<h1>401 Unauthorized</h1><p>{title}</p></body></html>"
        )
        return Response(
            401,
            [
                *server_header,
                ("WWW-Authenticate", f'Basic realm="{product["realm"]}"'),
                ("Content-Type", "text/html; charset=utf-8"),
            ],
            body.encode(),
        )

    def login_form(message: str = "") -> bytes:
        note = f'<p class="error">{html.escape(message)}</p>' if message else ""
        return (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><h1>{title}</h1>{note}<form method="post" action="/login">'
            f'<label>User name <input type="text" name="username"></label>'
            f'<label>Password <input type="password" name="password"></label>'
            f'<input type="submit" value="Login"></form></body></html>'
        ).encode()

    def form(request: Request) -> Response:
        html_type = ("Content-Type", "text/html; charset=utf-8")
        cookie = request.header("Cookie")
        session = cookie.partition("session=")[2].split(";")[0] if "session=" in cookie else ""
        if request.path == "/login" and request.method == "POST":
            fields = request.form()
            ok = _equal(fields.get("username", [""])[0], username) and _equal(
                fields.get("password", [""])[0], password
            )
            attempt(ok, request.peer)
            if ok:
                token = secrets.token_hex(16)
                if len(sessions) < 1000:
                    sessions.add(token)
                return Response(
                    302,
                    [
                        *server_header,
                        ("Location", "/admin"),
                        ("Set-Cookie", f"session={token}; Path=/; HttpOnly"),
                        html_type,
                    ],
                    b"",
                )
            return Response(
                200, [*server_header, html_type], login_form("Invalid user name or password.")
            )
        if request.path == "/admin":
            if session and session in sessions:
                return Response(200, [*server_header, html_type], admin_page)
            return Response(302, [*server_header, ("Location", "/login"), html_type], b"")
        if request.path in ("/", "/login"):
            if request.path == "/":
                return Response(302, [*server_header, ("Location", "/login"), html_type], b"")
            return Response(200, [*server_header, html_type], login_form())
        return Response(
            404, [*server_header, html_type], b"<html><body>404 Not Found</body></html>"
        )

    context = None
    if flag(opts["tls"], "tls"):
        certificate, key = make_certificate([["CN", str(product["realm"])]])
        context = server_context(certificate, key)
    await serve_http(NAME, host, port, basic if kind == "basic" else form, ssl_context=context)
