"""Requests in the database: drafting, state changes with their history, reading back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from ipaddress import ip_address

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from kenshin.domain import AddressAssignment, Engagement, HolderKind, refuse_closed
from kenshin.domain.clock import as_utc, japan_today
from kenshin.domain.device import VERSION_UNKNOWN_CHECK
from kenshin.i18n import translate
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
    request_ref,
)
from kenshin.requests._plan import plan_requests
from kenshin.store import EngagementRepository, FindingRepository
from kenshin.store.models import EngagementRow
from kenshin.store.models_workflow import VendorRequestEventRow, VendorRequestRow


def _answer(data: dict[str, str]) -> Answer | None:
    if not data:
        return None
    return Answer(
        firmware=data.get("firmware", ""),
        wan_ip=ip_address(data["wan_ip"]) if data.get("wan_ip") else None,
        assignment=AddressAssignment(data["assignment"]) if data.get("assignment") else None,
        isp=data.get("isp", ""),
        note=data.get("note", ""),
    )


def _recipient(row: VendorRequestRow) -> Recipient:
    return Recipient(HolderKind(row.recipient_kind), row.recipient_vendor_key, row.recipient_name)


def _to_domain(code: str, row: VendorRequestRow, numbers: dict[int, int]) -> VendorRequest:
    created = as_utc(row.created_at)
    assert created is not None
    return VendorRequest(
        engagement_code=code,
        number=row.number,
        device_key=row.device_key,
        point_key=row.point_key,
        path=RequestPath(row.path),
        state=RequestState(row.state),
        recipient=_recipient(row),
        wants=tuple(Want(w) for w in row.wants),
        created_at=created,
        due_date=row.due_date,
        sent_at=as_utc(row.sent_at),
        answered_at=as_utc(row.answered_at),
        answer=_answer(dict(row.answer or {})),
        note=row.note,
        follows=numbers.get(row.follows_id) if row.follows_id else None,
        history=tuple(
            StateChange(as_utc(e.at) or created, RequestState(e.state), e.actor, e.note)
            for e in row.events
        ),
    )


_OPEN = (RequestState.DRAFT, RequestState.SENT)
_COMES_FROM: dict[RequestState, tuple[RequestState, ...]] = {
    RequestState.SENT: (RequestState.DRAFT,),
    RequestState.ANSWERED: _OPEN,
    RequestState.DIFFICULT: _OPEN,
    RequestState.CANCELLED: _OPEN,
}
"""The states a request may leave for each state it can be moved to."""


class RequestRepository:
    """Vendor information requests of engagements, within one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.engagements = EngagementRepository(session)

    # -- reading ---------------------------------------------------------------------

    def _rows(self, code: str) -> list[VendorRequestRow]:
        engagement_id = self.engagements.engagement_id(code)
        return list(
            self.session.scalars(
                select(VendorRequestRow)
                .where(VendorRequestRow.engagement_id == engagement_id)
                .options(selectinload(VendorRequestRow.events))
                .order_by(VendorRequestRow.number)
            )
        )

    def for_engagement(self, code: str) -> list[VendorRequest]:
        rows = self._rows(code)
        numbers = {r.id: r.number for r in rows}
        return [_to_domain(code, r, numbers) for r in rows]

    def _row(self, code: str, number: int) -> VendorRequestRow:
        engagement_id = self.engagements.engagement_id(code)
        row = self.session.scalar(
            select(VendorRequestRow)
            .where(
                VendorRequestRow.engagement_id == engagement_id,
                VendorRequestRow.number == number,
            )
            .options(selectinload(VendorRequestRow.events))
        )
        if row is None:
            raise RequestError("requests.no_request", ref=request_ref(number), code=code)
        return row

    def engagement_of(self, number: int) -> str:
        """The engagement code of ``REQ-nnn`` when one engagement has it; numbers are per
        engagement, so a number two engagements share must be named with its code."""
        found = sorted(
            self.session.scalars(
                select(EngagementRow.code)
                .join(VendorRequestRow, VendorRequestRow.engagement_id == EngagementRow.id)
                .where(VendorRequestRow.number == number)
            )
        )
        ref = request_ref(number)
        if not found:
            raise RequestError("requests.unknown_ref", ref=ref)
        if len(found) > 1:
            raise RequestError("requests.ambiguous_ref", ref=ref, codes=", ".join(found))
        return str(found[0])

    def get(self, code: str, number: int) -> VendorRequest:
        row = self._row(code, number)
        numbers = {row.id: row.number}
        if row.follows_id is not None:
            follows = self.session.get(VendorRequestRow, row.follows_id)
            if follows is not None:
                numbers[follows.id] = follows.number
        return _to_domain(code, row, numbers)

    # -- writing ---------------------------------------------------------------------

    def _next_number(self, engagement_id: int) -> int:
        """Request numbers count per engagement: a hospital's vendor learns nothing of how
        many requests other hospitals have."""
        highest = self.session.scalar(
            select(func.max(VendorRequestRow.number)).where(
                VendorRequestRow.engagement_id == engagement_id
            )
        )
        return (highest or 0) + 1

    def _create(
        self,
        engagement_id: int,
        draft: RequestDraft,
        path: RequestPath,
        now: datetime,
        actor: str,
        follows: VendorRequestRow | None = None,
        note: str = "",
    ) -> VendorRequestRow:
        row = VendorRequestRow(
            engagement_id=engagement_id,
            number=self._next_number(engagement_id),
            device_key=draft.device_key,
            point_key=draft.point_key,
            path=path.value,
            state=RequestState.DRAFT.value,
            recipient_kind=draft.recipient.kind.value,
            recipient_vendor_key=draft.recipient.vendor_key,
            recipient_name=draft.recipient.name,
            wants=[w.value for w in draft.wants],
            created_at=now,
            answer={},
            note=note,
            follows_id=follows.id if follows is not None else None,
        )
        row.events.append(
            VendorRequestEventRow(at=now, state=RequestState.DRAFT.value, actor=actor, note=note)
        )
        self.session.add(row)
        self.session.flush()
        return row

    def draft(self, engagement: Engagement, now: datetime, actor: str) -> list[VendorRequest]:
        """Create requests for what is missing and not already asked; returns the new ones."""
        refuse_closed(engagement, RequestError)
        engagement_id = self.engagements.engagement_id(engagement.code)
        rows = self._rows(engagement.code)
        created: list[VendorRequestRow] = []
        undetermined = {
            f.subject.address
            for f in FindingRepository(self.session).list(engagement.code)
            if f.check_id == VERSION_UNKNOWN_CHECK and f.subject.address
        }
        for draft in plan_requests(engagement, undetermined):
            subject = [
                r
                for r in rows
                if (r.device_key, r.point_key) == (draft.device_key, draft.point_key)
            ]
            if any(RequestState(r.state).open for r in subject):
                continue
            latest = subject[-1] if subject else None
            if (
                latest is not None
                and latest.state == RequestState.DIFFICULT.value
                and RequestPath(latest.path).next is None
            ):
                continue  # every path was tried; the reason is on the device record
            created.append(self._create(engagement_id, draft, RequestPath.VENDOR_READS, now, actor))
        numbers = {r.id: r.number for r in (*rows, *created)}
        return [_to_domain(engagement.code, r, numbers) for r in created]

    def _changing(self, code: str, number: int) -> VendorRequestRow:
        """The row of a request about to change state: refused while its engagement is
        closed (sending, answering, giving up or cancelling alike)."""
        refuse_closed(self.engagements.get(code), RequestError)
        return self._row(code, number)

    def _transition(
        self,
        row: VendorRequestRow,
        to: RequestState,
        now: datetime,
        actor: str,
        note: str,
    ) -> None:
        current = RequestState(row.state)
        if current not in _COMES_FROM[to]:
            raise RequestError(
                "requests.bad_transition",
                ref=request_ref(row.number),
                state=translate(f"requests.state.{current.value}", "ja"),
                to=translate(f"requests.state.{to.value}", "ja"),
            )
        row.state = to.value
        row.events.append(VendorRequestEventRow(at=now, state=to.value, actor=actor, note=note))

    def mark_sent(
        self, code: str, number: int, now: datetime, actor: str, due: date | None = None
    ) -> VendorRequest:
        row = self._changing(code, number)
        self._transition(row, RequestState.SENT, now, actor, "")
        row.sent_at = now
        row.due_date = due or japan_today(now) + timedelta(days=DEFAULT_DUE_DAYS)
        self.session.flush()
        return self.get(code, number)

    def mark_answered(
        self, code: str, number: int, answer: Answer, now: datetime, actor: str
    ) -> VendorRequest:
        if answer.is_empty():
            raise RequestError("requests.empty_answer", ref=request_ref(number))
        row = self._changing(code, number)
        self._transition(row, RequestState.ANSWERED, now, actor, answer.note)
        row.answered_at = now
        row.answer = answer.as_dict()
        self.session.flush()
        return self.get(code, number)

    def mark_difficult(
        self, code: str, number: int, now: datetime, actor: str, reason: str
    ) -> tuple[VendorRequest, VendorRequest | None]:
        """対応困難: close this request and open the next path's (A → B → C), if any."""
        row = self._changing(code, number)
        self._transition(row, RequestState.DIFFICULT, now, actor, reason)
        next_path = RequestPath(row.path).next
        follow_up = None
        if next_path is not None:
            draft = RequestDraft(
                row.device_key,
                row.point_key,
                _recipient(row),
                tuple(Want(w) for w in row.wants),
            )
            engagement_id = row.engagement_id
            created = self._create(engagement_id, draft, next_path, now, actor, follows=row)
            follow_up = self.get(code, created.number)
        self.session.flush()
        return self.get(code, number), follow_up

    def cancel(
        self, code: str, number: int, now: datetime, actor: str, reason: str
    ) -> VendorRequest:
        row = self._changing(code, number)
        self._transition(row, RequestState.CANCELLED, now, actor, reason)
        self.session.flush()
        return self.get(code, number)
