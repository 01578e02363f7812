"""The report in the web: a surveyor builds it, the surveyor and the hospital download it.

Building is a REPORT job of ``kenshin.jobs`` (registered by ``kenshin.pipeline``; it
writes into the folder named in its parameters), so it runs in the background with
progress like a scan. The files land in
``<report_dir>/<engagement>/<lang>/`` and only the PDF, HTML and Excel outputs are
served, by their fixed names.
"""

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from kenshin.i18n import resolve_lang
from kenshin.web._kit import CsrfField, WebKit, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo
from kenshin.web.jobs import SubmitJob

DOWNLOADS = {
    "report.pdf": "application/pdf",
    "report.html": "text/html; charset=utf-8",
    "findings.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LANGS = ("ja", "en")


def reports_router(
    kit: WebKit,
    report_dir: Path,
    submit_job: SubmitJob,
) -> APIRouter:
    """The report routes; ``submit_job(info, code, kind, params)`` starts a job."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]

    def folder(code: str, lang: str) -> Path:
        return report_dir / code / lang

    def available(code: str) -> list[dict[str, Any]]:
        found = []
        for lang in LANGS:
            for name in DOWNLOADS:
                path = folder(code, lang) / name
                if path.is_file():
                    stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                    found.append({"lang": lang, "name": name, "built_at": stamp})
        return found

    @router.get("/engagements/{code}/report", response_class=HTMLResponse)
    def report_page(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.REPORT)
        return kit.page(
            request,
            "report.html",
            info,
            engagement=engagement,
            files=available(code),
            langs=LANGS,
        )

    @router.get("/api/engagements/{code}/report")
    def api_report(code: str, info: user) -> list[dict[str, str]]:
        kit.load_engagement(info, code, Action.REPORT)
        return [
            {
                "lang": f["lang"],
                "name": f["name"],
                "built_at": f["built_at"].isoformat(),
                "url": f"/engagements/{code}/report/{f['lang']}/{f['name']}",
            }
            for f in available(code)
        ]

    @router.post("/engagements/{code}/report")
    def build(
        code: str,
        info: user,
        csrf: CsrfField = "",
        lang: Annotated[str, Form()] = "ja",
    ) -> Response:
        kit.posted_engagement(info, csrf, code, Action.RUN_JOBS)
        submit_job(info, code, "report", {"lang": resolve_lang(lang)})
        return see_other(f"/engagements/{code}/jobs")

    @router.get("/engagements/{code}/report/{lang}/{name}")
    def download(code: str, lang: str, name: str, info: user) -> Response:
        kit.load_engagement(info, code, Action.REPORT)
        if lang not in LANGS or name not in DOWNLOADS:
            raise HTTPException(status_code=404, detail="not found")
        path = folder(code, lang) / name
        if not path.is_file():
            raise HTTPException(status_code=404, detail="not found")
        kit.audit(info.user.email, "report.download", code, file=f"{lang}/{name}")
        response = FileResponse(
            os.fspath(path), media_type=DOWNLOADS[name], filename=f"{code}-{lang}-{name}"
        )
        if name == "report.html":  # the report's own styles are inline; nothing else loads
            response.headers["Content-Security-Policy"] = (
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "frame-ancestors 'none'"
            )
        return response

    return router
