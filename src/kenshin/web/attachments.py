"""Files on vendor requests: upload (form and API), list, and a safe download.

Who may touch a request's files is who may see the request (``the_request``: staff, and
the vendor it is addressed to; a hospital user sees no requests). Files go through
``kenshin.requests.submit`` — the same checks, storage and device-output reading as
``kenshin requests attach``. A download is always ``Content-Disposition: attachment``
with ``nosniff`` and a CSP sandbox, so nothing uploaded ever runs in the application's
origin.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from kenshin.requests import (
    ATTACHMENT_LIMIT,
    MAX_ATTACHMENTS,
    AttachmentRepository,
    RequestError,
    Submission,
    VendorRequest,
)
from kenshin.web._kit import CsrfHeader, WebKit
from kenshin.web.accounts import SessionInfo, WebError
from kenshin.web.uploads import off_the_loop, read_limited


class AnswerBody(BaseModel):
    firmware: str = ""
    wan_ip: str = ""
    assignment: str | None = None  # read by ``read_answer``, as the workbook and CLI read it
    isp: str = ""
    note: str = ""


FindRequest = Callable[[SessionInfo, str, int], VendorRequest]
Answerer = Callable[[SessionInfo, str, int, AnswerBody, Sequence[tuple[str, bytes]]], Submission]


async def read_files(uploads: Sequence[UploadFile]) -> list[tuple[str, bytes]]:
    """Each chosen file's name and bytes, within the attachment limits."""
    chosen = [u for u in uploads if u.filename]
    if len(chosen) > MAX_ATTACHMENTS:
        raise WebError("web.upload.too_many", limit=MAX_ATTACHMENTS)
    return [(u.filename or "-", await read_limited(u, ATTACHMENT_LIMIT)) for u in chosen]


def submission_json(done: Submission) -> dict[str, Any]:
    return {
        "request": done.request.ref,
        "state": done.request.state.value,
        "answer": done.request.answer.as_dict() if done.request.answer else None,
        "attachments": [a.as_dict() for a in done.attachments],
        "outputs": [o.to_dict() for o in done.outputs],
    }


def attachments_router(kit: WebKit, the_request: FindRequest, answer: Answerer) -> APIRouter:
    """The attachment routes (``answer`` is the request page's own answering path)."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]

    @router.get("/api/engagements/{code}/requests/{number}/attachments")
    def api_attachments(code: str, number: int, info: user) -> list[dict[str, Any]]:
        """The request's files, with what was read from device outputs."""
        the_request(info, code, number)
        with kit.db() as session:
            return [a.as_dict() for a in AttachmentRepository(session).for_request(code, number)]

    @router.post("/api/engagements/{code}/requests/{number}/attachments")
    async def api_attach(
        code: str,
        number: int,
        info: user,
        files: Annotated[list[UploadFile], File()],
        x_csrf_token: CsrfHeader = None,
    ) -> dict[str, Any]:
        """Attach files (text, PDF, PNG, JPEG, xlsx); a device output's version answers."""
        kit.check_csrf(info, x_csrf_token)
        the_request(info, code, number)  # 404 before reading any upload
        chosen = await read_files(files)
        done = await off_the_loop(lambda: answer(info, code, number, AnswerBody(), chosen))
        return submission_json(done)

    @router.get(
        "/engagements/{code}/requests/{number}/attachments/{attachment_id}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    def download(code: str, number: int, attachment_id: int, info: user) -> Response:
        """The attached file itself, always as a download."""
        request = the_request(info, code, number)
        try:
            with kit.db() as session:
                found, data = AttachmentRepository(session).content(code, number, attachment_id)
        except RequestError:
            raise HTTPException(status_code=404, detail="not found") from None
        kit.audit(
            info.user.email,
            "requests.attachment_download",
            code,
            targets=(request.ref,),
            file=found.filename,
            sha256=found.sha256,
        )
        ascii_name = found.filename.encode("ascii", "replace").decode().replace("?", "_")
        return Response(
            data,
            media_type=found.kind.media_type,
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{ascii_name}"; '
                    f"filename*=UTF-8''{quote(found.filename)}"
                ),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Digest": f"sha-256={found.sha256}",
            },
        )

    return router
