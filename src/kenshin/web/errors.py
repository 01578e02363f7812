"""How a refusal reaches the user: JSON for the API, a page in the user's language else.

A 401 on a page goes to the login form; a bad value is a 422 that names the field; a
``KenshinError`` is a 400 with its own sentence.
"""

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from kenshin.errors import KenshinError
from kenshin.i18n import translate
from kenshin.web._kit import WebKit, see_other


def install_error_handlers(app: FastAPI, kit: WebKit) -> None:
    """Answer HTTP errors, invalid requests and ``KenshinError`` alike on every route."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 401:
            return see_other("/login")
        info = kit.current(request)
        return kit.page(
            request,
            "error.html",
            info,
            status=exc.status_code,
            message=translate(f"web.http.{exc.status_code}", kit.lang_of(request)),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        lang = kit.lang_of(request)
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
        return kit.page(
            request,
            "error.html",
            kit.current(request),
            status=422,
            message=f"{message}（{fields}）" if fields else message,
        )

    @app.exception_handler(KenshinError)
    async def kenshin_error(request: Request, exc: KenshinError) -> Response:
        lang = kit.lang_of(request)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message(lang)}, status_code=400)
        return kit.page(
            request, "error.html", kit.current(request), status=400, message=exc.message(lang)
        )
