"""The hearing sheet online: the same sections, fields and rules as the Excel workbook.

The form is drawn from the workbook's layout (``data/hearing/hearing-sheet.yaml``) and
its answers go through ``hearing_sheet.apply_form`` — the very path ``read_answers``
takes for a workbook — so a value the workbook would refuse is refused here too, and
the problem is shown next to the field it concerns (``vendors.1.company``).
"""

import io
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from kenshin.domain import Engagement
from kenshin.errors import KenshinError
from kenshin.i18n import Lang, translate
from kenshin.intake import IntakeError, Problem
from kenshin.intake.hearing_sheet import (
    MAX_ROWS,
    MAX_WORKBOOK_BYTES,
    TABLE_SECTIONS,
    HearingImport,
    apply_form,
    build_template,
    choices,
    form_values,
    layout,
    read_answers,
)
from kenshin.store import EngagementRepository
from kenshin.web._kit import CsrfField, CsrfHeader, WebKit, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo
from kenshin.web.uploads import Kind, off_the_loop, parse_apart, read_upload

SECTIONS = ("institution", *TABLE_SECTIONS)
BLANK_ROWS = 2  # empty rows offered for new vendors, lines, devices, terminals
XLSX = Kind.WORKBOOK.media_type
_FIELD = re.compile(r"^([a-z_]+)\.(\d{1,4})\.([a-z_]+)$")


class HearingAnswers(BaseModel):
    """The hearing sheet as JSON: the workbook's fields, section by section.

    ``institution`` maps the form sheet's fields (``name``, ``bed_count``,
    ``contact1.email``, ...); each table is a list of rows keyed by column field
    (``company``, ``holder_kind``, ...). Leave a section out to keep it as it is.
    """

    institution: dict[str, str] | None = None
    vendors: list[dict[str, str]] | None = None
    connection_points: list[dict[str, str]] | None = None
    devices: list[dict[str, str]] | None = None
    terminals: list[dict[str, str]] | None = None

    def tables(self) -> dict[str, list[dict[str, str]]]:
        return {s: rows for s in TABLE_SECTIONS if (rows := getattr(self, s)) is not None}


def field_errors(problems: tuple[Problem, ...], lang: Lang) -> dict[str, str]:
    """Problems by form field name, worded in ``lang``."""
    errors: dict[str, str] = {}
    for problem in problems:
        name = ".".join(str(p) for p in problem.path)
        text = translate(problem.key, lang, **dict(problem.params))
        errors[name] = f"{errors[name]} / {text}" if name in errors else text
    return errors


def _text(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw if isinstance(raw, str) else ""


def _form_section(form: FormData, section: str) -> HearingAnswers:
    """One section of the submitted page as the API's body (the one input shape)."""
    if section == "institution":
        fields = [c.field for c in layout().sheet("institution").columns]
        return HearingAnswers(institution={f: _text(form, f"institution.{f}") for f in fields})
    known = {c.field for c in layout().sheet(section).columns}
    rows: dict[int, dict[str, str]] = {}
    for name in form:
        match = _FIELD.match(name)
        if match and match[1] == section and match[3] in known and int(match[2]) < MAX_ROWS:
            rows.setdefault(int(match[2]), {})[match[3]] = _text(form, name)
    ordered = [rows.get(i, {}) for i in range(max(rows, default=-1) + 1)]
    return HearingAnswers(**{section: ordered})


def _summary(result: HearingImport) -> dict[str, Any]:
    return {"added": result.added, "updated": result.updated}


def read_workbook(engagement: Engagement, data: bytes) -> HearingImport:
    """An uploaded hearing workbook read against ``engagement`` (runs in a child process)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hearing.xlsx"
        path.write_bytes(data)
        return read_answers(engagement, path)


def hearing_router(kit: WebKit) -> APIRouter:
    """The hearing-sheet page, its sections, the workbook and the JSON API."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]

    def apply(info: SessionInfo, code: str, answers: HearingAnswers, how: str) -> HearingImport:
        engagement, _ = kit.load_engagement(info, code, Action.HEARING)
        result = apply_form(engagement, answers.institution, answers.tables())
        with kit.db() as session:
            EngagementRepository(session).save(result.engagement)
        sections = [s for s in SECTIONS if getattr(answers, s) is not None]
        kit.audit(
            info.user.email,
            "hearing.web",
            code,
            section=",".join(sections),
            via=how,
            added=str(sum(result.added.values())),
            updated=str(sum(result.updated.values())),
        )
        return result

    def hearing_page(
        request: Request,
        info: SessionInfo,
        engagement: Engagement,
        *,
        errors: dict[str, str] | None = None,
        submitted: HearingAnswers | None = None,
        section: str = "",
        message: str = "",
        status: int = 200,
    ) -> Response:
        values = form_values(engagement)
        if submitted is not None:
            if submitted.institution is not None:
                values["institution"] = submitted.institution
            values.update(submitted.tables())
        return kit.page(
            request,
            "hearing.html",
            info,
            engagement=engagement,
            values=values,
            sheets={s.section: s for s in layout().sheets},
            table_sections=TABLE_SECTIONS,
            blank_rows=BLANK_ROWS,
            choices=choices,
            errors=errors or {},
            section=section,
            message=message,
            status=status,
        )

    @router.get("/engagements/{code}/hearing", response_class=HTMLResponse)
    def hearing(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.HEARING)
        saved = request.query_params.get("saved", "")
        message = translate("web.hearing.saved", kit.lang_of(request)) if saved else ""
        return hearing_page(request, info, engagement, message=message)

    @router.post("/engagements/{code}/hearing/{section}", response_class=HTMLResponse)
    async def hearing_section(request: Request, code: str, section: str, info: user) -> Response:
        form = await request.form()
        kit.check_csrf(info, _text(form, "csrf") or None)
        if section not in SECTIONS:
            raise HTTPException(status_code=404, detail="not found")
        engagement, _ = kit.load_engagement(info, code, Action.HEARING)
        answers = _form_section(form, section)
        try:
            await off_the_loop(lambda: apply(info, code, answers, "form"))
        except IntakeError as exc:
            lang = kit.lang_of(request)
            return hearing_page(
                request,
                info,
                engagement,
                errors=field_errors(exc.problems, lang),
                submitted=answers,
                section=section,
                message=translate("web.hearing.invalid", lang),
                status=400,
            )
        return see_other(f"/engagements/{code}/hearing?saved={section}#{section}")

    @router.get("/api/engagements/{code}/hearing")
    def api_hearing(code: str, info: user) -> dict[str, Any]:
        """The hearing sheet's current answers, in the shape the POST takes."""
        engagement, _ = kit.load_engagement(info, code, Action.HEARING)
        return form_values(engagement)

    @router.post(
        "/api/engagements/{code}/hearing",
        responses={400: {"description": "Problems, each with its field"}},
    )
    def api_save_hearing(
        request: Request,
        code: str,
        answers: HearingAnswers,
        info: user,
        x_csrf_token: CsrfHeader = None,
    ) -> Any:
        """Save hearing-sheet answers through the workbook's rules; nothing on a problem."""
        kit.check_csrf(info, x_csrf_token)
        try:
            return _summary(apply(info, code, answers, "api"))
        except IntakeError as exc:
            lang = kit.lang_of(request)
            return JSONResponse(
                {
                    "detail": translate("web.hearing.invalid", lang),
                    "problems": [
                        {"field": field, "message": text}
                        for field, text in field_errors(exc.problems, lang).items()
                    ],
                },
                status_code=400,
            )

    @router.get("/engagements/{code}/hearing/template.xlsx")
    def hearing_template(code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.HEARING)
        buffer = io.BytesIO()
        build_template(engagement).save(buffer)
        return Response(
            buffer.getvalue(),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="hearing-{code}.xlsx"'},
        )

    @router.post("/engagements/{code}/hearing-upload", response_class=HTMLResponse)
    async def hearing_upload(
        request: Request,
        code: str,
        info: user,
        workbook: Annotated[UploadFile, File()],
        csrf: CsrfField = "",
    ) -> Response:
        engagement, _ = kit.posted_engagement(info, csrf, code, Action.HEARING)
        lang = kit.lang_of(request)
        try:
            data = await read_upload(workbook, MAX_WORKBOOK_BYTES, Kind.WORKBOOK)
            result = await parse_apart(
                read_workbook,
                engagement,
                data,
                name=workbook.filename or "-",
                seconds=kit.settings.parse_seconds,
            )
        except KenshinError as exc:
            return hearing_page(
                request, info, engagement, message=exc.message(lang), section="upload", status=400
            )
        with kit.db() as session:
            EngagementRepository(session).save(result.engagement)
        kit.audit(
            info.user.email,
            "hearing.import",
            code,
            file=workbook.filename or "-",
            added=str(sum(result.added.values())),
            updated=str(sum(result.updated.values())),
        )
        return see_other(f"/engagements/{code}/hearing?saved=upload")

    return router
