"""Vendor information requests (ご依頼事項): drafting, documents, states, answers.

For each device or line whose firmware version or global IP (fixed/dynamic, ISP) is
missing, kenshin drafts a request to whoever manages it — path A (the vendor reads the
device), path B (the vendor gives the hospital a procedure; templates for common devices
ship as data), path C (an on-site worker logs in with a handed-over account). Requests
move 未依頼 → 依頼済 → 回答済 / 対応困難 (→ the next path); answers flow into the device
and connection-point records through the one validation gate and trigger the firmware
check.
Files (a procedure, the device's output) are attached through ``submit``: checked by
content, stored with their SHA-256, and device outputs read by the firmware parser.
"""

from kenshin.domain.clock import japan_today
from kenshin.requests._answer import (
    AnswerOutcome,
    FirmwareChecker,
    ScopeChange,
    apply_answer,
    check_firmware,
    give_up_on_device,
    record_answer,
    run_firmware_check,
)
from kenshin.requests._attachments import (
    ATTACHMENT_LIMIT,
    MAX_ATTACHMENTS,
    PASTED_NAME,
    Attachment,
    AttachmentRepository,
    Submission,
    answer_with_outputs,
    check_file,
    safe_filename,
    submission_events,
    submit,
)
from kenshin.requests._documents import (
    AnsweredRow,
    Letter,
    Procedure,
    build_workbook,
    procedure_for,
    procedures,
    read_answer_workbook,
    recipient_email,
    recipient_lines,
    render_letter,
    subject_lines,
    write_workbook,
)
from kenshin.requests._model import (
    DEFAULT_DUE_DAYS,
    Answer,
    Recipient,
    RequestDraft,
    RequestError,
    RequestPath,
    RequestState,
    StateChange,
    VendorRequest,
    Want,
    answered_address,
    answered_assignment,
    answered_text,
    parse_ref,
    read_answer,
    request_ref,
)
from kenshin.requests._pdf import write_pdf
from kenshin.requests._plan import address_wants, plan_requests
from kenshin.requests._store import RequestRepository

__all__ = [
    "ATTACHMENT_LIMIT",
    "DEFAULT_DUE_DAYS",
    "MAX_ATTACHMENTS",
    "PASTED_NAME",
    "Answer",
    "AnswerOutcome",
    "AnsweredRow",
    "Attachment",
    "AttachmentRepository",
    "FirmwareChecker",
    "Letter",
    "Procedure",
    "Recipient",
    "RequestDraft",
    "RequestError",
    "RequestPath",
    "RequestRepository",
    "RequestState",
    "ScopeChange",
    "StateChange",
    "Submission",
    "VendorRequest",
    "Want",
    "address_wants",
    "answer_with_outputs",
    "answered_address",
    "answered_assignment",
    "answered_text",
    "apply_answer",
    "build_workbook",
    "check_file",
    "check_firmware",
    "give_up_on_device",
    "japan_today",
    "parse_ref",
    "plan_requests",
    "procedure_for",
    "procedures",
    "read_answer",
    "read_answer_workbook",
    "recipient_email",
    "recipient_lines",
    "record_answer",
    "render_letter",
    "request_ref",
    "run_firmware_check",
    "safe_filename",
    "subject_lines",
    "submission_events",
    "submit",
    "write_pdf",
    "write_workbook",
]
