"""Files attached to a request: a procedure, a screenshot, the device's own output.

One set of functions for the web and ``kenshin requests attach``: the same size limit,
the same content check (``kenshin.filetypes``: text, PDF, PNG, JPEG, xlsx — judged by
the bytes, never by the name), the same storage, and the same reading of device outputs.
A text attachment goes through ``firmware.parse_device_output`` exactly like pasted text;
a version or WAN address it names fills what the answer left blank, so a vendor who
uploads ``show version`` has answered. Typed values always win over what was read.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kenshin.domain import AuditEvent, AuditOutcome, refuse_closed
from kenshin.domain.clock import as_utc
from kenshin.filetypes import FileKind, sniff, text_of
from kenshin.firmware.parsers import ParsedDeviceOutput, parse_device_output
from kenshin.requests._answer import AnswerOutcome, record_answer
from kenshin.requests._model import Answer, RequestError, VendorRequest, Want, request_ref
from kenshin.requests._store import RequestRepository
from kenshin.store.models_workflow import (
    ATTACHMENT_MAX_BYTES,
    RequestAttachmentRow,
    VendorRequestRow,
)

ATTACHMENT_LIMIT = ATTACHMENT_MAX_BYTES
MAX_ATTACHMENTS = 10  # per request
PASTED_NAME = "pasted-output.txt"
_UNSAFE = re.compile(r"[^\w.\-()\[\] ]+")


@dataclass(frozen=True)
class Attachment:
    """One stored attachment (without its bytes)."""

    id: int
    request_number: int
    filename: str
    kind: FileKind
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str
    parsed: dict[str, Any]  # ParsedDeviceOutput.to_dict() of a text file; {} otherwise

    @property
    def ref(self) -> str:
        return request_ref(self.request_number)

    @property
    def version(self) -> str | None:
        found = self.parsed.get("version")
        return str(found) if found else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.ref,
            "filename": self.filename,
            "kind": self.kind.value,
            "media_type": self.kind.media_type,
            "size": self.size,
            "sha256": self.sha256,
            "uploaded_at": self.uploaded_at.isoformat(),
            "uploaded_by": self.uploaded_by,
            "parsed": self.parsed or None,
        }


@dataclass(frozen=True)
class Submission:
    """What one submission stored: new attachments, the outputs read, the answer if any."""

    request: VendorRequest
    attachments: tuple[Attachment, ...]
    outputs: tuple[ParsedDeviceOutput, ...]
    outcome: AnswerOutcome | None
    answer: Answer
    held: Answer | None = None  # the scope part, when the caller holds it for approval


def check_file(name: str, data: bytes) -> FileKind:
    """The file's kind if it may be attached; ``RequestError`` saying why not."""
    shown = safe_filename(name, None)
    if not data:
        raise RequestError("requests.attachment.empty", name=shown)
    if len(data) > ATTACHMENT_LIMIT:
        raise RequestError(
            "requests.attachment.too_large", name=shown, limit=f"{ATTACHMENT_LIMIT // 2**20} MB"
        )
    kind = sniff(data)
    if kind is None:
        raise RequestError("requests.attachment.wrong_type", name=shown)
    return kind


def safe_filename(name: str, kind: FileKind | None) -> str:
    """A name fit for a Content-Disposition header and a file system: no path, no controls.

    The suffix follows the content, so a PDF named ``show.txt`` is kept as ``show.pdf``.
    """
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._")[:120]
    if kind is None:
        return base or "attachment"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'attachment'}{kind.suffix}"


def read_output(data: bytes) -> ParsedDeviceOutput | None:
    """The firmware parser's reading of a text file's bytes (``None`` if not text)."""
    text = text_of(data)
    return None if text is None else parse_device_output(text)


def answer_with_outputs(
    answer: Answer, request: VendorRequest, outputs: Sequence[ParsedDeviceOutput]
) -> Answer:
    """``answer`` with its blanks filled from device outputs (typed values win)."""
    firmware = answer.firmware
    if not firmware and request.device_key is not None:
        versions = list(dict.fromkeys(o.version for o in outputs if o.version))
        if len(versions) == 1:
            firmware = versions[0]
    wan_ip = answer.wan_ip
    if wan_ip is None and request.point_key is not None and Want.WAN_IP in request.wants:
        addresses = list(dict.fromkeys(a for o in outputs for a in o.wan_addresses))
        if len(addresses) == 1:
            wan_ip = ip_address(addresses[0])
    return Answer(firmware, wan_ip, answer.assignment, answer.isp, answer.note)


def _to_domain(row: RequestAttachmentRow, number: int) -> Attachment:
    return Attachment(
        id=row.id,
        request_number=number,
        filename=row.filename,
        kind=FileKind(row.kind),
        size=row.size,
        sha256=row.sha256,
        uploaded_at=as_utc(row.uploaded_at),
        uploaded_by=row.uploaded_by,
        parsed=dict(row.parsed or {}),
    )


class AttachmentRepository:
    """Attachments of requests, within one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.requests = RequestRepository(session)

    def _request_row(self, code: str, number: int) -> VendorRequestRow:
        return self.requests._row(code, number)

    def _rows(self, request_id: int) -> list[RequestAttachmentRow]:
        return list(
            self.session.scalars(
                select(RequestAttachmentRow)
                .where(RequestAttachmentRow.request_id == request_id)
                .order_by(RequestAttachmentRow.id)
            )
        )

    def for_request(self, code: str, number: int) -> list[Attachment]:
        row = self._request_row(code, number)
        return [_to_domain(a, number) for a in self._rows(row.id)]

    def content(self, code: str, number: int, attachment_id: int) -> tuple[Attachment, bytes]:
        """An attachment and its bytes, only if it belongs to this request."""
        request = self._request_row(code, number)
        row = self.session.get(RequestAttachmentRow, attachment_id)
        if row is None or row.request_id != request.id:
            raise RequestError(
                "requests.attachment.not_found", ref=request_ref(number), id=attachment_id
            )
        return _to_domain(row, number), bytes(row.content)

    def add(
        self, code: str, number: int, name: str, data: bytes, now: datetime, actor: str
    ) -> tuple[Attachment, bool]:
        """Store a file (checked); ``(attachment, False)`` when the same bytes are there."""
        kind = check_file(name, data)
        request = self._request_row(code, number)
        digest = hashlib.sha256(data).hexdigest()
        existing = self._rows(request.id)
        for row in existing:
            if row.sha256 == digest:
                return _to_domain(row, number), False
        if len(existing) >= MAX_ATTACHMENTS:
            raise RequestError(
                "requests.attachment.too_many", ref=request_ref(number), limit=MAX_ATTACHMENTS
            )
        parsed = read_output(data) if kind is FileKind.TEXT else None
        row = RequestAttachmentRow(
            request_id=request.id,
            filename=safe_filename(name, kind),
            kind=kind.value,
            size=len(data),
            sha256=digest,
            content=data,
            uploaded_at=now,
            uploaded_by=actor,
            parsed=parsed.to_dict() if parsed is not None else {},
        )
        self.session.add(row)
        self.session.flush()
        return _to_domain(row, number), True


def submit(
    session: Session,
    code: str,
    number: int,
    typed: Answer,
    files: Sequence[tuple[str, bytes]],
    now: datetime,
    actor: str,
    hold_scope: bool = False,
) -> Submission:
    """Attach ``files`` and record the answer (typed values, blanks read from outputs).

    Every file is checked before anything is stored. Files alone (a procedure, an
    output without a version) keep the request open; anything answered closes it. Only
    newly stored outputs are read (the same file twice answers nothing twice). With
    ``hold_scope`` the address and its assignment (typed or read) are not applied but
    returned as ``held``, for a surveyor to approve: they decide what may be probed.
    """
    kinds = [check_file(name, data) for name, data in files]
    attachments = AttachmentRepository(session)
    refuse_closed(attachments.requests.engagements.get(code), RequestError)
    request = attachments.requests.get(code, number)
    if len(files) + len(attachments.for_request(code, number)) > MAX_ATTACHMENTS:
        raise RequestError("requests.attachment.too_many", ref=request.ref, limit=MAX_ATTACHMENTS)
    if not files and typed.is_empty():
        raise RequestError("requests.empty_answer", ref=request.ref)
    stored = [attachments.add(code, number, name, data, now, actor) for name, data in files]
    outputs = tuple(
        parsed
        for (_, data), kind, (_, new) in zip(files, kinds, stored, strict=True)
        if new and kind is FileKind.TEXT and (parsed := read_output(data)) is not None
    )
    # A closed request still takes files as evidence; only typed values would re-answer it.
    answer = answer_with_outputs(typed, request, outputs) if request.state.open else typed
    held = None
    if hold_scope and (answer.wan_ip is not None or answer.assignment is not None):
        held = Answer(wan_ip=answer.wan_ip, assignment=answer.assignment)
        answer = Answer(answer.firmware, None, None, answer.isp, answer.note)
    outcome = None
    if not answer.is_empty():
        outcome = record_answer(session, code, number, answer, now, actor)
        request = outcome.request
    return Submission(request, tuple(a for a, new in stored if new), outputs, outcome, answer, held)


def submission_events(submission: Submission, actor: str, now: datetime) -> list[AuditEvent]:
    """The audit events of a submission: each file attached, the answer, scope changes."""
    code = submission.request.engagement_code
    ref = submission.request.ref

    def event(action: str, targets: tuple[str, ...], details: dict[str, str]) -> AuditEvent:
        return AuditEvent(
            actor=actor,
            action=action,
            outcome=AuditOutcome.SUCCEEDED,
            at=now,
            engagement_code=code,
            targets=targets,
            details=details,
        )

    events = [
        event(
            "requests.attach",
            (ref,),
            {
                "file": a.filename,
                "kind": a.kind.value,
                "size": str(a.size),
                "sha256": a.sha256,
                "version_read": a.version or "",
            },
        )
        for a in submission.attachments
    ]
    outcome = submission.outcome
    if outcome is not None:
        answered = {k: v for k, v in submission.answer.as_dict().items() if k != "note"}
        events.append(event("requests.answer", (ref,), answered))
        events += [
            event(
                f"scope.address_{change.action}",
                (change.address,),
                {"point": change.point_key, "assignment": change.assignment, "source": ref},
            )
            for change in outcome.scope_changes
        ]
    return events
