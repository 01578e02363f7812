"""The diagram page (構成図) and the inventory edits behind it: connection points, devices
(and the lines they sit on, which are the diagram's links), vendors; creating, importing
and exporting engagements.

Surveyors and admins edit; a hospital user sees its own engagement's diagram; vendors
never reach these routes (refusals look like "not found"). Every edit goes through
``kenshin.inventory`` — the functions the command line calls — so each change is
validated as a whole engagement file and stored only when valid. Refusals come back in
the form that caused them, in the user's language, with status 400.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.datastructures import FormData

from kenshin import inventory
from kenshin.diagram import DiagramError, inline_svg
from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    DeviceRole,
    Engagement,
    EngagementStatus,
    HolderKind,
    VersionSource,
    next_free_key,
)
from kenshin.errors import KenshinError
from kenshin.i18n import Lang, translate
from kenshin.intake import IntakeError, parse_bytes, to_document
from kenshin.intake.engagement_file import MAX_FILE_BYTES
from kenshin.intake.engagement_schema import bed_count_of
from kenshin.store import EngagementRepository
from kenshin.web._kit import CsrfField, CsrfHeader, WebKit, plain, see_other
from kenshin.web.access import Action, may
from kenshin.web.accounts import SessionInfo
from kenshin.web.inventory_resources import (
    RESOURCE,
    RESOURCES,
    SECTIONS,
    EngagementBody,
    EngagementFile,
    Resource,
)
from kenshin.web.uploads import Kind, off_the_loop, parse_apart, read_upload

SVG = "image/svg+xml"
SVG_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {SVG: {"schema": {"type": "string"}}}, "description": "The diagram (SVG)"}
}


# -- forms → documents ------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str)]


def _holder(form: FormData, prefix: str) -> dict[str, Any]:
    """The holder select (``hospital``, ``vendor:KEY``, ``other``) and its name field."""
    holder = inventory.parse_holder(_text(form, prefix) or "hospital")
    name = _text(form, f"{prefix}_name")
    if name and holder["kind"] != HolderKind.VENDOR.value:
        holder["name"] = name
    return holder


def point_from_form(form: FormData) -> dict[str, Any]:
    reachable = _text(form, "internet_reachable")
    addresses = [
        {"address": address, "assignment": assignment or AddressAssignment.UNKNOWN.value}
        for address, assignment in zip(
            _texts(form, "address"), _texts(form, "assignment"), strict=False
        )
        if address
    ]
    return {
        "key": _text(form, "key"),
        "name": _text(form, "name"),
        "kind": _text(form, "kind"),
        "in_ehr_scope": _text(form, "in_ehr_scope") == "on",
        "scope_reason": _text(form, "scope_reason"),
        "internet_reachable": {"yes": True, "no": False}.get(reachable),
        "carrier": _text(form, "carrier"),
        "contract_holder": _holder(form, "holder"),
        "addresses": addresses,
        "description": _text(form, "description"),
    }


def device_from_form(form: FormData) -> dict[str, Any]:
    return {
        "key": _text(form, "key"),
        "name": _text(form, "name"),
        "role": _text(form, "role"),
        "vendor": _text(form, "vendor"),
        "model": _text(form, "model"),
        "firmware_version": _text(form, "firmware_version"),
        "version_source": _text(form, "version_source") or None,
        "version_unavailable_reason": _text(form, "version_unavailable_reason"),
        "connection_points": [p for p in _texts(form, "point") if p],
        "managed_by": _holder(form, "managed_by"),
        "notes": _text(form, "notes"),
    }


def vendor_from_form(form: FormData, existing: dict[str, Any] | None) -> dict[str, Any]:
    """The vendor; the form shows its first contact, the others stay as they are. An e-mail
    or phone without a name is refused (as the hearing sheet refuses it), never dropped."""
    contact = {k: _text(form, f"contact_{k}") for k in ("name", "email", "phone")}
    others = list((existing or {}).get("contacts", []))[1:]
    first = [{k: v for k, v in contact.items() if v}] if any(contact.values()) else []
    return {
        "key": _text(form, "key"),
        "company": _text(form, "company"),
        "manages": _text(form, "manages"),
        "contacts": first + others,
    }


def _form_errors(
    exc: KenshinError, section: str, index: int, lang: Lang
) -> tuple[dict[str, str], list[str]]:
    """Problems of the edited item by field, and every other reason as a sentence."""
    if not isinstance(exc, IntakeError) or not exc.problems:
        return {}, [exc.message(lang)]
    fields: dict[str, str] = {}
    general: list[str] = []
    for problem in exc.problems:
        text = translate(problem.key, lang, **dict(problem.params))
        path = problem.path
        if len(path) >= 3 and path[0] == section and path[1] == index:
            name = str(path[2])
            fields[name] = f"{fields[name]} / {text}" if name in fields else text
        else:
            general.append(problem.message(lang))
    return fields, general


def inventory_router(kit: WebKit) -> APIRouter:
    """The diagram page, the inventory edits and engagement create/import/export."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]
    staff = Annotated[SessionInfo, Depends(kit.require_staff_page)]

    def diagram_page(
        request: Request,
        info: SessionInfo,
        engagement: Engagement,
        *,
        form: str = "",
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        problems: list[str] | None = None,
        message: str = "",
        status: int = 200,
    ) -> Response:
        lang = kit.lang_of(request)
        svg, diagram_error = "", ""
        try:
            svg = inline_svg(engagement, lang)
        except DiagramError as exc:
            diagram_error = exc.message(lang)
        return kit.page(
            request,
            "diagram.html",
            info,
            engagement=engagement,
            doc=to_document(engagement),
            svg=svg,
            diagram_error=diagram_error,
            can_edit=may(info.user, Action.EDIT_INVENTORY),
            form=form,
            values=values or {},
            errors=errors or {},
            problems=problems or [],
            message=message,
            status=status,
            kinds=[k.value for k in ConnectionKind],
            roles=[r.value for r in DeviceRole],
            sources=[s.value for s in VersionSource],
            assignments=[a.value for a in AddressAssignment],
            next_keys=_next_keys(engagement),
        )

    # -- the diagram --------------------------------------------------------------------

    @router.get("/engagements/{code}/diagram", response_class=HTMLResponse)
    def diagram(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.DIAGRAM)
        done = request.query_params.get("done", "")
        message = translate("web.inventory.saved", kit.lang_of(request), key=done) if done else ""
        return diagram_page(request, info, engagement, message=message)

    @router.get(
        "/api/engagements/{code}/diagram.svg", response_class=Response, responses=SVG_RESPONSE
    )
    def api_diagram(request: Request, code: str, info: user) -> Response:
        engagement, _ = kit.load_engagement(info, code, Action.DIAGRAM)
        return Response(inline_svg(engagement, kit.lang_of(request)), media_type=SVG)

    # -- edits, shared by the forms and the JSON API ------------------------------------

    def change(
        info: SessionInfo, code: str, section: str, operation: str, key: str, item: dict[str, Any]
    ) -> Engagement:
        """Add, edit or remove one item; 404 for an item that is not there."""
        resource = RESOURCE[section]
        engagement, _ = kit.load_engagement(info, code, resource.action)
        part = resource.part
        if operation != "add" and key not in {
            i["key"] for i in to_document(engagement).get(part, [])
        }:
            raise HTTPException(status_code=404, detail="not found")
        with kit.db() as session:
            if operation == "add":
                key = str(item.get("key", ""))
                updated = inventory.add_item(session, code, part, resource.defaults(item))
            elif operation == "edit":
                changes = {k: v for k, v in item.items() if k != "key"}
                updated = inventory.edit_item(session, code, part, key, changes)
            else:
                updated = inventory.remove_item(session, code, part, key)
        kit.audit(info.user.email, f"inventory.{operation}", code, targets=(key,), section=section)
        return updated

    def item_json(engagement: Engagement, section: str, key: str) -> dict[str, Any]:
        items = to_document(engagement).get(SECTIONS[section], [])
        found: dict[str, Any] = plain(next(i for i in items if i["key"] == key.strip()))
        return found

    # -- the forms ----------------------------------------------------------------------

    async def form_edit(
        request: Request, code: str, section: str, operation: str, key: str
    ) -> Response:
        form = await request.form()
        info = kit.require_user(request)
        csrf = form.get("csrf")
        kit.check_csrf(info, csrf if isinstance(csrf, str) else None)
        engagement, _ = kit.load_engagement(info, code, Action.EDIT_INVENTORY)
        part = SECTIONS[section]
        items = to_document(engagement).get(part, [])
        keys = [i["key"] for i in items]
        if operation != "add" and key not in keys:
            raise HTTPException(status_code=404, detail="not found")
        item: dict[str, Any] = {}
        try:
            if operation != "remove":
                existing = next((i for i in items if i["key"] == key), None)
                if section == "points":
                    item = point_from_form(form)
                elif section == "devices":
                    item = device_from_form(form)
                else:
                    item = vendor_from_form(form, existing)
                if operation == "edit":
                    item["key"] = key
            change(info, code, section, operation, key, item)
        except KenshinError as exc:
            lang = kit.lang_of(request)
            index = keys.index(key) if operation != "add" else len(keys)
            errors, problems = _form_errors(exc, part, index, lang)
            form_id = f"{section}:{key or 'new'}" if operation != "remove" else ""
            return diagram_page(
                request,
                info,
                engagement,
                form=form_id,
                values=item,
                errors=errors,
                problems=problems,
                message=translate("web.inventory.invalid", lang),
                status=400,
            )
        done = item.get("key") or key
        return see_other(f"/engagements/{code}/diagram?done={done}#{section}")

    def form_routes(section: str) -> None:
        """The three form routes of one section, on literal paths (no catch-all)."""

        async def add_form(request: Request, code: str) -> Response:
            return await form_edit(request, code, section, "add", "")

        async def edit_form(request: Request, code: str, key: str) -> Response:
            return await form_edit(request, code, section, "edit", key)

        async def remove_form(request: Request, code: str, key: str) -> Response:
            return await form_edit(request, code, section, "remove", key)

        base = f"/engagements/{{code}}/{section}"
        for path, endpoint, name in (
            (f"{base}/add", add_form, "add"),
            (f"{base}/{{key}}/edit", edit_form, "edit"),
            (f"{base}/{{key}}/remove", remove_form, "remove"),
        ):
            router.add_api_route(
                path,
                endpoint,
                methods=["POST"],
                response_class=HTMLResponse,
                name=f"{section}_{name}_form",
            )

    for section_name in SECTIONS:
        form_routes(section_name)

    # -- the JSON API -------------------------------------------------------------------

    def json_routes(resource: Resource) -> None:
        """POST (add), PATCH (edit) and DELETE (remove) of one section, on literal paths."""
        section = resource.section

        def add(code: str, body: BaseModel, info: user, x_csrf_token: CsrfHeader = None) -> Any:
            kit.check_csrf(info, x_csrf_token)
            given = body.model_dump(mode="json")
            updated = change(info, code, section, "add", "", given)
            return item_json(updated, section, str(given["key"]))

        def edit(
            code: str, key: str, body: BaseModel, info: user, x_csrf_token: CsrfHeader = None
        ) -> Any:
            kit.check_csrf(info, x_csrf_token)
            given = body.model_dump(mode="json", exclude_unset=True)
            updated = change(info, code, section, "edit", key, given)
            return item_json(updated, section, key)

        def remove(code: str, key: str, info: user, x_csrf_token: CsrfHeader = None) -> Any:
            kit.check_csrf(info, x_csrf_token)
            change(info, code, section, "remove", key, {})
            return {"removed": key}

        # The bodies differ by section: FastAPI reads them from the annotations.
        add.__annotations__ |= {"body": resource.body, "return": dict[str, Any]}
        edit.__annotations__ |= {"body": resource.changes, "return": dict[str, Any]}
        remove.__annotations__["return"] = dict[str, str]
        base = f"/api/engagements/{{code}}/{section}"
        for path, endpoint, method, verb in (
            (base, add, "POST", "add"),
            (f"{base}/{{key}}", edit, "PATCH", "edit"),
            (f"{base}/{{key}}", remove, "DELETE", "remove"),
        ):
            router.add_api_route(
                path, endpoint, methods=[method], name=f"api_{verb}_{resource.name}"
            )

    for resource in RESOURCES:
        json_routes(resource)

    # -- engagements: create, import, export ---------------------------------------------

    def create(info: SessionInfo, body: dict[str, Any]) -> Engagement:
        """A new engagement from ``EngagementBody`` fields (validated as a whole file)."""
        kit.require_staff(info)
        with kit.db() as session:
            created = inventory.create_engagement(
                session,
                str(body["code"]).strip(),
                str(body["title"]).strip(),
                str(body["institution"]).strip(),
                prefecture=str(body.get("prefecture") or "").strip(),
                beds=body.get("bed_count"),
                status=str(body.get("status") or EngagementStatus.DRAFT.value),
            )
        kit.audit(info.user.email, "engagement.create", created.code)
        return created

    def import_file(
        info: SessionInfo, engagement: Engagement, name: str, code: str | None
    ) -> Engagement:
        """Import (or update) the parsed file; with ``code``, only that engagement."""
        if code is None:
            kit.require_staff(info)
        else:
            kit.load_engagement(info, code, Action.EDIT_INVENTORY)
        if code is not None and engagement.code != code:
            raise inventory.InventoryError(
                "web.inventory.other_code", found=engagement.code, code=code
            )
        with kit.db() as session:
            created = EngagementRepository(session).save(engagement)
        kit.audit(
            info.user.email,
            "engagement.import",
            engagement.code,
            file=name,
            created=str(created).lower(),
        )
        return engagement

    async def import_upload(info: SessionInfo, file: UploadFile, code: str | None) -> Engagement:
        """An uploaded engagement file: read within limits, parsed apart, then imported."""
        data = await read_upload(file, MAX_FILE_BYTES, Kind.TEXT)
        name = file.filename or "engagement.yaml"
        parsed = await parse_apart(
            parse_bytes, data, name, name=name, seconds=kit.settings.parse_seconds
        )
        return await off_the_loop(lambda: import_file(info, parsed, name, code))

    def export(info: SessionInfo, code: str) -> str:
        kit.load_engagement(info, code, Action.EDIT_INVENTORY)
        with kit.db() as session:
            text = inventory.export_text(session, code)
        kit.audit(info.user.email, "engagement.export", code)
        return text

    def new_page(
        request: Request, info: SessionInfo, refused: KenshinError | None = None
    ) -> Response:
        """The new-engagement page; after a refused create or import, its reason with 400."""
        return kit.page(
            request,
            "engagement_new.html",
            info,
            message=refused.message(kit.lang_of(request)) if refused else "",
            status=400 if refused else 200,
            statuses=[s.value for s in EngagementStatus],
        )

    @router.get("/admin/engagements", response_class=HTMLResponse)
    def new_engagement(request: Request, info: staff) -> Response:
        return new_page(request, info)

    @router.post("/admin/engagements", response_class=HTMLResponse)
    def create_form(
        request: Request,
        info: user,
        code: Annotated[str, Form()] = "",
        title: Annotated[str, Form()] = "",
        institution: Annotated[str, Form()] = "",
        prefecture: Annotated[str, Form()] = "",
        bed_count: Annotated[str, Form()] = "",
        csrf: CsrfField = "",
    ) -> Response:
        kit.check_staff_post(info, csrf)
        try:
            beds = bed_count_of(bed_count) if bed_count.strip() else None
            if bed_count.strip() and beds is None:
                raise IntakeError("intake.not_integer", value=bed_count)
            created = create(
                info,
                {
                    "code": code,
                    "title": title,
                    "institution": institution,
                    "prefecture": prefecture,
                    "bed_count": beds,
                },
            )
        except KenshinError as exc:
            return new_page(request, info, exc)
        return see_other(f"/engagements/{created.code}/diagram")

    @router.post("/admin/engagements/import", response_class=HTMLResponse)
    async def import_any_form(
        request: Request,
        info: user,
        file: Annotated[UploadFile, File()],
        csrf: CsrfField = "",
    ) -> Response:
        kit.check_staff_post(info, csrf)
        try:
            engagement = await import_upload(info, file, None)
        except KenshinError as exc:
            return new_page(request, info, exc)
        return see_other(f"/engagements/{engagement.code}/diagram")

    @router.post("/engagements/{code}/import", response_class=HTMLResponse)
    async def import_form(
        request: Request,
        code: str,
        info: user,
        file: Annotated[UploadFile, File()],
        csrf: CsrfField = "",
    ) -> Response:
        engagement, _ = kit.posted_engagement(info, csrf, code, Action.EDIT_INVENTORY)
        try:
            await import_upload(info, file, code)
        except KenshinError as exc:
            lang = kit.lang_of(request)
            return diagram_page(
                request,
                info,
                engagement,
                form="import",
                problems=[exc.message(lang)],
                message=translate("web.inventory.invalid", lang),
                status=400,
            )
        return see_other(f"/engagements/{code}/diagram?done={code}")

    @router.get("/engagements/{code}/engagement.yaml")
    def export_download(code: str, info: user) -> Response:
        return Response(
            export(info, code),
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{code}.yaml"'},
        )

    @router.post("/api/engagements")
    def api_create(
        body: EngagementBody, info: user, x_csrf_token: CsrfHeader = None
    ) -> dict[str, Any]:
        kit.check_csrf(info, x_csrf_token)
        document: dict[str, Any] = plain(to_document(create(info, body.model_dump(mode="json"))))
        return document

    @router.post("/api/engagement-imports")
    def api_import(
        body: EngagementFile, info: user, x_csrf_token: CsrfHeader = None
    ) -> dict[str, str]:
        # Staff are checked before the file is read: others learn nothing from its errors.
        kit.check_staff_post(info, x_csrf_token)
        engagement = import_file(info, parse_bytes(body.yaml.encode("utf-8"), "api"), "api", None)
        return {"code": engagement.code}

    @router.get("/api/engagements/{code}/export")
    def api_export(code: str, info: user) -> dict[str, str]:
        return {"code": code, "yaml": export(info, code)}

    return router


def _next_keys(engagement: Engagement) -> dict[str, str]:
    """The first free CP-nn / DEV-nn / V-nn key of each section, offered in the add forms."""
    return {
        "points": next_free_key("CP-", (p.key for p in engagement.connection_points)),
        "devices": next_free_key("DEV-", (d.key for d in engagement.devices)),
        "vendors": next_free_key("V-", (v.key for v in engagement.vendors)),
    }
