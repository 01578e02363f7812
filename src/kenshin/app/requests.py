"""Vendor requests: drafting them, and answering one (typed values, files or both).

The answer rules the web applied alone now hold for ``kenshin requests answer``,
``attach`` and ``import`` too: a request already answered takes files (and a later
note, kept as a text file) but no new values; a cancelled or abandoned one takes
nothing. After an answer the firmware check runs and closes the device's "version not
obtained" finding when the version arrived (the command line left it open). A form
answers only what the request asks (``asked_only``); a surveyor's command records
whatever else the vendor wrote too, e.g. a router's WAN address with its firmware.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from kenshin.app._audit import record
from kenshin.domain import Engagement, Finding, FindingStatus
from kenshin.i18n import translate
from kenshin.requests import (
    Answer,
    FirmwareChecker,
    RequestError,
    RequestRepository,
    RequestState,
    Submission,
    VendorRequest,
    check_firmware,
    run_firmware_check,
    submission_events,
    submit,
)
from kenshin.store import (
    AuditLog,
    EngagementRepository,
    FindingRepository,
    Store,
    finding_fingerprint,
    now_utc,
)

LATER_NOTE = "回答後の備考.txt"
"""The file a note given after the answer is kept as (the answer itself stays as it was)."""
VERSION_UNKNOWN = "firmware.version_unknown"

Hold = Callable[[Session, Submission], None]
"""Keeps a submission's held scope part for approval (the web's proposals)."""


@dataclass(frozen=True)
class Drafted:
    engagement: Engagement
    created: tuple[VendorRequest, ...]


def draft_requests(store: Store, code: str, *, actor: str, now: datetime | None = None) -> Drafted:
    """Draft a request for every missing firmware version and global-IP detail."""
    with store.session() as session:
        engagement = EngagementRepository(session).get(code)
        created = RequestRepository(session).draft(engagement, now or now_utc(), actor)
        if created:
            record(session, actor, "requests.draft", code, targets=tuple(r.ref for r in created))
    return Drafted(engagement, tuple(created))


def send_request(
    store: Store,
    code: str,
    number: int,
    *,
    due: date | None,
    actor: str,
    now: datetime | None = None,
) -> VendorRequest:
    """Mark a request sent (kenshin sends no e-mail) with its due date (default +10 days)."""
    with store.session() as session:
        sent = RequestRepository(session).mark_sent(code, number, now or now_utc(), actor, due)
        record(
            session,
            actor,
            "requests.sent",
            code,
            targets=(sent.ref,),
            details={"due": sent.due_date.isoformat() if sent.due_date else ""},
        )
    return sent


@dataclass(frozen=True)
class Answered:
    submission: Submission
    findings: int | None  # what the firmware check stored; None when it did not run


def checked_answer(
    request: VendorRequest,
    typed: Answer,
    files: Sequence[tuple[str, bytes]],
    *,
    asked_only: bool = False,
) -> tuple[Answer, list[tuple[str, bytes]]]:
    """``typed`` and ``files`` as the request may take them; ``RequestError`` if it may not."""
    given = list(files)
    if not request.state.open:
        if not typed.is_empty() or request.state is not RequestState.ANSWERED:
            raise RequestError("requests.answer_closed", ref=request.ref)
        if typed.note:
            given.append((LATER_NOTE, typed.note.encode("utf-8")))
            typed = Answer()
        if not given:
            raise RequestError("requests.nothing_given")
    if typed.is_empty() and not given:
        raise RequestError("requests.nothing_given")
    asked = {w.value for w in request.wants}
    for field, value in typed.as_dict().items():
        if asked_only and field != "note" and value and field not in asked:
            raise RequestError("requests.not_asked", ref=request.ref, field=field)
    return typed, given


def answer_request(
    store: Store,
    code: str,
    number: int,
    typed: Answer,
    files: Sequence[tuple[str, bytes]] = (),
    *,
    actor: str,
    hold: Hold | None = None,
    asked_only: bool = False,
    check: bool = True,
    firmware_check: FirmwareChecker | None = None,
    now: datetime | None = None,
) -> Answered:
    """Answer request ``number`` of ``code`` through ``requests.submit``, audited.

    With ``hold`` the address part is not applied but handed to ``hold`` for a surveyor
    to approve. With ``asked_only`` a value the request does not ask for is refused. With
    ``check`` the firmware check runs on the answered engagement.
    """
    moment = now or now_utc()
    with store.session() as session:
        current = RequestRepository(session).get(code, number)
        typed, given = checked_answer(current, typed, files, asked_only=asked_only)
        done = submit(
            session, code, number, typed, given, moment, actor, hold_scope=hold is not None
        )
        log = AuditLog(session)
        for event in submission_events(done, actor, moment):
            log.record(event)
        if done.held is not None and hold is not None:
            hold(session, done)
        findings = None
        if check and done.outcome is not None:
            findings = firmware_after_answers(
                session, done.outcome.engagement, [(current, done.answer)], firmware_check
            )
    return Answered(done, findings)


def firmware_after_answers(
    session: Session,
    engagement: Engagement,
    answered: Sequence[tuple[VendorRequest, Answer]],
    firmware_check: FirmwareChecker | None = None,
) -> int:
    """The firmware check after answers; closes "version not obtained" where a version came."""
    results: list[list[Finding]] = []

    def checked(checked_engagement: Engagement) -> list[Finding]:
        results.append((firmware_check or run_firmware_check)(checked_engagement))
        return results[-1]

    count = check_firmware(session, engagement, checked)
    for request, answer in answered:
        if request.device_key and answer.firmware and results:
            close_version_unknown(session, request, results[-1])
    return count


def close_version_unknown(
    session: Session, request: VendorRequest, checked: Sequence[Finding]
) -> None:
    """A "version not obtained" finding of the device closes once its version arrived and
    the new check no longer says it (the check may still say so: then it stays open)."""
    fresh = {finding_fingerprint(f) for f in checked}
    findings = FindingRepository(session)
    for finding in findings.list(request.engagement_code):
        fingerprint = finding_fingerprint(finding)
        if (
            finding.check_id == VERSION_UNKNOWN
            and finding.subject.device_key == request.device_key
            and finding.status is FindingStatus.OPEN
            and fingerprint not in fresh
        ):
            findings.set_status(
                request.engagement_code,
                fingerprint,
                FindingStatus.FIXED,
                translate("web.requests.version_arrived", "ja", ref=request.ref),
            )
