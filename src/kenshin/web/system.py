"""The API documents (for logged-in surveyors only) and the health check."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import JSONResponse, Response

from kenshin.web._kit import WebKit


def system_router(kit: WebKit) -> APIRouter:
    """``/openapi.json``, ``/docs``, ``/redoc`` behind a staff login; ``/healthz`` open."""
    router = APIRouter()

    @router.get("/openapi.json", include_in_schema=False)
    def openapi_json(request: Request) -> JSONResponse:
        kit.require_staff_page(request)
        return JSONResponse(request.app.openapi())

    @router.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> Response:
        kit.require_staff_page(request)
        return get_swagger_ui_html(openapi_url="/openapi.json", title="kenshin API")

    @router.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> Response:
        kit.require_staff_page(request)
        return get_redoc_html(openapi_url="/openapi.json", title="kenshin API")

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return router
