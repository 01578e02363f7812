"""``kenshin requests``: vendor information requests — draft, documents, states, answers."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from kenshin.app.requests import (
    Answered,
    answer_request,
    draft_requests,
    firmware_after_answers,
    send_request,
)
from kenshin.cli._common import CliError, print_json, say
from kenshin.cli._options import CodeArg, JsonOpt, Opt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, Column, fit_table, named_columns
from kenshin.cli._workflow import actor, audit
from kenshin.domain import Engagement
from kenshin.i18n import translate
from kenshin.intake import date_of
from kenshin.requests import (
    Answer,
    AttachmentRepository,
    RequestError,
    RequestRepository,
    VendorRequest,
    give_up_on_device,
    japan_today,
    parse_ref,
    read_answer,
    read_answer_workbook,
    recipient_email,
    recipient_lines,
    render_letter,
    request_ref,
    subject_lines,
    write_pdf,
    write_workbook,
)
from kenshin.store import EngagementRepository, now_utc

app = typer.Typer(no_args_is_help=True)

RefArg = Annotated[
    str,
    typer.Argument(),
]
SkipCheck = Annotated[
    bool,
    typer.Option("--skip-firmware-check"),
]


def _request_json(engagement: Engagement, request: VendorRequest, today: date) -> dict[str, Any]:
    organisation, person = recipient_lines(engagement, request.recipient, "ja")
    return {
        "ref": request.ref,
        "engagement": request.engagement_code,
        "device": request.device_key,
        "point": request.point_key,
        "path": request.path.value,
        "state": request.state.value,
        "state_label": translate(f"requests.state.{request.state.value}", STATE.lang),
        "recipient": {
            "kind": request.recipient.kind.value,
            "vendor": request.recipient.vendor_key,
            "name": f"{organisation} {person}".strip(),
            "email": recipient_email(engagement, request.recipient),
        },
        "wants": [w.value for w in request.wants],
        "created_at": request.created_at,
        "sent_at": request.sent_at,
        "due_date": request.due_date,
        "answered_at": request.answered_at,
        "overdue": request.is_overdue(today),
        "due_soon": request.is_due_soon(today),
        "answer": request.answer.as_dict() if request.answer else None,
        "follows": request_ref(request.follows) if request.follows else None,
        "history": [
            {"at": h.at, "state": h.state.value, "actor": h.actor, "note": h.note}
            for h in request.history
        ],
    }


@app.command("draft")
def draft(code: CodeArg, as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """Draft requests for every missing firmware version and global-IP detail."""
    now = now_utc()
    drafted = draft_requests(STATE.store(), code, actor=actor(), now=now)
    engagement, created = drafted.engagement, list(drafted.created)
    if as_json:
        today = japan_today(now)
        print_json([_request_json(engagement, r, today) for r in created])
        return
    if not created:
        say("cli.requests.nothing", code=code)
        return
    say("cli.requests.drafted", count=len(created), code=code)
    _table(engagement, created, japan_today(now), code, wide)


def _table(
    engagement: Engagement, requests: list[VendorRequest], today: date, code: str, wide: bool
) -> None:
    t = STATE.t
    # the number stays whole (copied into show/send/answer); path and recipient go first
    drops = {"path": 3, "recipient": 2, "wants": 1}
    names = ("ref", "subject", "recipient", "path", "wants", "state", "due")
    columns = named_columns(t, "cli.requests.col", names, drops, whole={"ref"})
    rows: list[list[Cell]] = []
    styles: list[str] = []
    for request in requests:
        organisation, _ = recipient_lines(engagement, request.recipient, STATE.lang)
        due = request.due_date.isoformat() if request.due_date else ""
        style = ""
        if request.is_overdue(today):
            due = f"{due} {t('cli.requests.overdue')}"
            style = "bold red"
        elif request.is_due_soon(today):
            due = f"{due} {t('cli.requests.due_soon')}"
            style = "yellow"
        rows.append(
            [
                request.ref,
                Text("\n".join(subject_lines(engagement, request, STATE.lang))),
                Text(organisation),
                request.path.value,
                "、".join(t(f"requests.want.{w.value}") for w in request.wants),
                t(f"requests.state.{request.state.value}"),
                due,
            ]
        )
        styles.append(style)
    title = t("cli.requests.title", code=code, today=today.isoformat())
    table = fit_table(
        console, columns, rows, lang=STATE.lang, title=title, wide=wide, styles=styles
    )
    console.print(table)


@app.command("list")
def list_requests(
    code: Annotated[str | None, typer.Argument()] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List requests with their state, due date and reminders (overdue in red)."""
    today = japan_today(now_utc())
    with STATE.store().session() as session:
        engagements = EngagementRepository(session)
        codes = [code] if code else [s.code for s in engagements.list()]
        found = [(engagements.get(c), RequestRepository(session).for_engagement(c)) for c in codes]
    if as_json:
        print_json([_request_json(e, r, today) for e, rs in found for r in rs])
        return
    if not any(rs for _, rs in found):
        say("cli.requests.none", code=code or "ENGAGEMENT")
        return
    for engagement, requests in found:
        if requests:
            _table(engagement, requests, today, engagement.code, wide)
    overdue = [r.ref for _, rs in found for r in rs if r.is_overdue(today)]
    if overdue:
        console.print(f"[bold red]{STATE.t('cli.requests.reminder', refs=', '.join(overdue))}[/]")


def _locate(ref: str) -> tuple[str, int]:
    """``REQ-007`` (when one engagement has it) or ``demo-2026:REQ-007``."""
    code, _, rest = ref.rpartition(":")
    number = parse_ref(rest)
    with STATE.store().session() as session:
        if code:
            RequestRepository(session).get(code, number)  # refuses a request not of code
            return code, number
        return RequestRepository(session).engagement_of(number), number


@app.command("show")
def show(ref: RefArg, as_json: JsonOpt = False) -> None:
    """Show a request as the e-mail text to send (or JSON)."""
    code, number = _locate(ref)
    with STATE.store().session() as session:
        engagement = EngagementRepository(session).get(code)
        request = RequestRepository(session).get(code, number)
    if as_json:
        print_json(_request_json(engagement, request, japan_today(now_utc())))
        return
    typer.echo(render_letter(engagement, request, STATE.lang, actor()).text())


@app.command("export")
def export(
    code: CodeArg,
    output: Annotated[Path, typer.Option("-o", "--output")],
    ref: Annotated[list[str] | None, typer.Option("--ref")] = None,
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Write requests as documents: Excel (with answer sheet), e-mail text, or PDF."""
    if output.exists() and not force:
        raise CliError("cli.file_exists", path=str(output))
    with STATE.store().session() as session:
        engagement = EngagementRepository(session).get(code)
        requests = RequestRepository(session).for_engagement(code)
    if ref:
        wanted = {parse_ref(r) for r in ref}
        requests = [r for r in requests if r.number in wanted]
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        write_workbook(engagement, requests, output, STATE.lang)
    elif suffix == ".txt":
        letters = [render_letter(engagement, r, STATE.lang, actor()).text() for r in requests]
        output.write_text(("\n" + "=" * 72 + "\n\n").join(letters), encoding="utf-8")
    elif suffix == ".pdf":
        write_pdf(engagement, requests, output, STATE.lang, actor())
    else:
        raise CliError("cli.requests.bad_suffix", path=str(output))
    say("cli.requests.written", path=str(output))


@app.command("send")
def send(
    ref: RefArg,
    due: Opt = None,
) -> None:
    """Mark a request as sent (kenshin does not send e-mail) and set its due date."""
    code, number = _locate(ref)
    request = send_request(STATE.store(), code, number, due=date_of(due), actor=actor())
    say(
        "cli.requests.sent",
        ref=request.ref,
        due=request.due_date.isoformat() if request.due_date else "",
    )


def _after_answer(answered: Answered) -> None:
    say("cli.requests.answered", ref=answered.submission.request.ref)
    if answered.findings is None:
        say("cli.requests.check_skipped")
        return
    say("cli.requests.checked", count=answered.findings)


@app.command("answer")
def answer(
    ref: RefArg,
    firmware: Opt = None,
    wan_ip: Annotated[str | None, typer.Option("--wan-ip")] = None,
    assignment: Opt = None,
    isp: Opt = None,
    note: Opt = None,
    skip_firmware_check: SkipCheck = False,
) -> None:
    """Record an answer: it updates the device / connection point, then checks firmware."""
    given = read_answer(firmware, wan_ip, assignment, isp, note)
    if given.is_empty():  # say which options answer, before looking the request up
        raise RequestError("requests.empty_answer", ref=ref)
    code, number = _locate(ref)
    answered = answer_request(
        STATE.store(), code, number, given, actor=actor(), check=not skip_firmware_check
    )
    _after_answer(answered)


@app.command("import")
def import_answers(
    path: Annotated[Path, typer.Argument()],
    skip_firmware_check: SkipCheck = False,
    engagement: Annotated[
        str | None,
        typer.Option("--engagement"),
    ] = None,
) -> None:
    """Import answers from a returned request workbook (the sheet ご回答)."""
    rows = read_answer_workbook(path)
    store = STATE.store()
    answered = []
    for row in rows:
        written_for = engagement or row.engagement_code
        code, number = _locate(
            f"{written_for}:REQ-{row.number}" if written_for else f"REQ-{row.number}"
        )
        with store.session() as session:
            current = RequestRepository(session).get(code, number)
        if current.answer == row.answer:
            continue  # imported before: nothing new
        done = answer_request(store, code, number, row.answer, actor=actor(), check=False)
        answered.append((current, done.submission.answer))
    say("cli.requests.imported", count=len(answered))
    if skip_firmware_check or not answered:
        if answered:
            say("cli.requests.check_skipped")
        return
    with store.session() as session:
        for code in sorted({request.engagement_code for request, _ in answered}):
            count = firmware_after_answers(
                session,
                EngagementRepository(session).get(code),
                [(r, a) for r, a in answered if r.engagement_code == code],
            )
            say("cli.requests.checked", count=count)


@app.command("difficult")
def difficult(
    ref: RefArg,
    reason: Annotated[str, typer.Option()],
) -> None:
    """対応困難: close the request and draft the next path (A → B → C)."""
    code, number = _locate(ref)
    now = now_utc()
    with STATE.store().session() as session:
        requests = RequestRepository(session)
        closed, follow_up = requests.mark_difficult(code, number, now, actor(), reason)
        audit(
            session, "requests.difficult", code, targets=(closed.ref,), details={"reason": reason}
        )
        gave_up = None
        if follow_up is None:
            engagements = EngagementRepository(session)
            gave_up = give_up_on_device(
                engagements.get(code),
                closed,
                translate("requests.gave_up_reason", "ja", reason=reason),
            )
            if gave_up is not None:
                engagements.save(gave_up)
    say("cli.requests.difficult", ref=closed.ref)
    if follow_up is not None:
        say(
            "cli.requests.next",
            ref=follow_up.ref,
            path=STATE.t(f"requests.path.{follow_up.path.value}"),
        )
    elif gave_up is not None:
        say("cli.requests.exhausted", device=closed.device_key)


@app.command("cancel")
def cancel(
    ref: RefArg,
    reason: Annotated[str, typer.Option()] = "",
) -> None:
    """Cancel a request that is no longer needed."""
    code, number = _locate(ref)
    with STATE.store().session() as session:
        request = RequestRepository(session).cancel(code, number, now_utc(), actor(), reason)
        audit(session, "requests.cancel", code, targets=(request.ref,), details={"reason": reason})
    say("cli.requests.cancelled", ref=request.ref)


@app.command("attach")
def attach(
    ref: RefArg,
    files: Annotated[list[Path], typer.Argument()],
    skip_firmware_check: SkipCheck = False,
) -> None:
    """Attach files to a request; a device output's version / WAN IP answers it.

    The same checks as the web (text, PDF, PNG, JPEG, xlsx by content; size limit).
    """
    code, number = _locate(ref)
    given = []
    for path in files:
        try:
            given.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise CliError(
                "intake.cannot_read", path=str(path), reason=exc.strerror or ""
            ) from None
    answered = answer_request(
        STATE.store(), code, number, Answer(), given, actor=actor(), check=not skip_firmware_check
    )
    done = answered.submission
    for attachment in done.attachments:
        say(
            "cli.requests.attached",
            ref=done.request.ref,
            name=attachment.filename,
            kind=attachment.kind.value,
            size=attachment.size,
            sha256=attachment.sha256[:16],
        )
    if not done.attachments:
        say("cli.requests.already_attached", ref=done.request.ref)
    for output in done.outputs:
        say("cli.requests.output_read", message=output.message(STATE.lang))
    if done.outcome is not None:
        _after_answer(answered)


@app.command("attachments")
def attachments(ref: RefArg, as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """List a request's attached files and what was read from device outputs."""
    code, number = _locate(ref)
    with STATE.store().session() as session:
        found = AttachmentRepository(session).for_request(code, number)
    if as_json:
        print_json([a.as_dict() for a in found])
        return
    if not found:
        say("cli.requests.attachments_none", ref=request_ref(number))
        return
    t = STATE.t
    # the ID stays whole (copied into extract); who attached it goes first
    drops = {"by": 3, "size": 2, "kind": 1}
    columns = [
        Column(
            "ID" if c == "ref" else t(f"cli.requests.col.{c}"), drops.get(c, 0), whole=c == "ref"
        )
        for c in ("ref", "file", "kind", "size", "read", "by")
    ]
    rows: list[list[Cell]] = []
    for a in found:
        read = str(a.parsed.get(f"message_{STATE.lang}", "")) if a.parsed else ""
        wan = ", ".join(a.parsed.get("wan_addresses", [])) if a.parsed else ""
        rows.append(
            [
                str(a.id),
                Text(a.filename),
                a.kind.value,
                str(a.size),
                Text(f"{read}{' WAN: ' + wan if wan else ''}"),
                Text(a.uploaded_by),
            ]
        )
    title = request_ref(number)
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))


@app.command("extract")
def extract(
    ref: RefArg,
    attachment_id: Annotated[int, typer.Argument()],
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    force: Annotated[bool, typer.Option("--force")] = False,
) -> None:
    """Write an attached file out, checking its SHA-256."""
    code, number = _locate(ref)
    with STATE.store().session() as session:
        attachment, data = AttachmentRepository(session).content(code, number, attachment_id)
    target = output or Path(attachment.filename)
    if target.exists() and not force:
        raise CliError("cli.file_exists", path=str(target))
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise CliError("cli.requests.checksum_mismatch", path=str(target))
    target.write_bytes(data)
    say("cli.requests.extracted", path=str(target), sha256=attachment.sha256[:16])
