"""Vendor answers that would change the scan scope wait here for the surveyor.

A global address, or whether it is fixed or dynamic, decides what kenshin may probe and
whether a same-day confirmation is needed. A vendor's answer therefore only *proposes*
such a change; the surveyor sees it as a diff (the line's addresses now and after) and
approves or rejects it. Approving applies it through ``kenshin.requests.apply_answer``,
the same gate as every other answer, and audits the scope change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kenshin.domain import AddressAssignment, Engagement, LineAddress, refuse_closed
from kenshin.requests import (
    Answer,
    RequestError,
    RequestRepository,
    VendorRequest,
    apply_answer,
    record_answer,
    request_ref,
)
from kenshin.store import AuditLog, EngagementRepository, now_utc
from kenshin.store.models_web import ScopeProposalRow
from kenshin.web._kit import CsrfField, WebKit, see_other
from kenshin.web.access import Action
from kenshin.web.accounts import SessionInfo


@dataclass(frozen=True)
class Proposal:
    """One held change, with the line's addresses before and after it."""

    id: int
    request_number: int
    point_key: str | None
    wan_ip: str | None
    assignment: str | None
    proposed_by: str
    proposed_at: datetime
    state: str
    before: tuple[LineAddress, ...]
    after: tuple[LineAddress, ...]
    problem: str  # why it cannot be applied as it stands (a message key), or ""

    @property
    def removed(self) -> tuple[LineAddress, ...]:
        return tuple(a for a in self.before if a not in self.after)

    @property
    def added(self) -> tuple[LineAddress, ...]:
        return tuple(a for a in self.after if a not in self.before)


def _answer(row: ScopeProposalRow) -> Answer:
    return Answer(
        wan_ip=ip_address(row.wan_ip) if row.wan_ip else None,
        assignment=AddressAssignment(row.assignment) if row.assignment else None,
    )


def _lines(engagement: Engagement, point_key: str | None) -> tuple[LineAddress, ...]:
    point = next((p for p in engagement.connection_points if p.key == point_key), None)
    if point is None:
        return ()
    return point.address_lines(lambda assignment: assignment.value)


def hold(session: Session, request: VendorRequest, held: Answer, actor: str, now: datetime) -> int:
    """Keep ``held`` (an address and/or assignment) as a pending proposal; its id."""
    engagement_id = EngagementRepository(session).engagement_id(request.engagement_code)
    row = ScopeProposalRow(
        engagement_id=engagement_id,
        request_number=request.number,
        point_key=request.point_key,
        wan_ip=str(held.wan_ip) if held.wan_ip is not None else None,
        assignment=held.assignment.value if held.assignment is not None else None,
        proposed_by=actor,
        proposed_at=now,
        state="pending",
    )
    session.add(row)
    session.flush()
    AuditLog(session).note(
        actor,
        "scope.proposal",
        request.engagement_code,
        targets=(request.ref,),
        details={
            "proposal": str(row.id),
            "wan_ip": row.wan_ip or "",
            "assignment": row.assignment or "",
        },
        at=now,
    )
    return row.id


def _rows(session: Session, code: str, state: str | None) -> list[ScopeProposalRow]:
    engagement_id = EngagementRepository(session).engagement_id(code)
    query = select(ScopeProposalRow).where(ScopeProposalRow.engagement_id == engagement_id)
    if state is not None:
        query = query.where(ScopeProposalRow.state == state)
    return list(session.scalars(query.order_by(ScopeProposalRow.id)))


def proposals(session: Session, code: str, state: str | None = "pending") -> list[Proposal]:
    """The engagement's proposals (pending ones by default), each with its diff."""
    engagement = EngagementRepository(session).get(code)
    requests = {r.number: r for r in RequestRepository(session).for_engagement(code)}
    found = []
    for row in _rows(session, code, state):
        before = _lines(engagement, row.point_key)
        after, problem = before, ""
        request = requests.get(row.request_number)
        if request is not None:
            try:
                updated, _ = apply_answer(engagement, request, _answer(row))
                after = _lines(updated, row.point_key)
            except RequestError as exc:
                problem = exc.key
        found.append(
            Proposal(
                row.id,
                row.request_number,
                row.point_key,
                row.wan_ip,
                row.assignment,
                row.proposed_by,
                row.proposed_at,
                row.state,
                before,
                after,
                problem,
            )
        )
    return found


def decide(session: Session, code: str, proposal_id: int, approve: bool, actor: str) -> None:
    """Approve (apply and audit the scope change) or reject a pending proposal."""
    row = next((r for r in _rows(session, code, "pending") if r.id == proposal_id), None)
    if row is None:
        raise HTTPException(status_code=404, detail="not found")
    now = now_utc()
    events: list[tuple[str, tuple[str, ...], dict[str, str]]] = []
    if approve:
        engagements = EngagementRepository(session)
        engagement = engagements.get(code)
        refuse_closed(engagement)
        requests = RequestRepository(session)
        request = requests.get(code, row.request_number)
        held = _answer(row)
        if request.state.open:
            changes = record_answer(session, code, row.request_number, held, now, actor)
            scope = changes.scope_changes
        else:
            updated, scope = apply_answer(engagement, request, held)
            engagements.save(updated)
        events += [
            (
                f"scope.address_{c.action}",
                (c.address,),
                {"point": c.point_key, "assignment": c.assignment, "source": request.ref},
            )
            for c in scope
        ]
    row.state = "approved" if approve else "rejected"
    row.decided_by = actor
    row.decided_at = now
    events.insert(
        0,
        (
            f"scope.proposal_{row.state}",
            (request_ref(row.request_number),),
            {"proposal": str(row.id), "proposed_by": row.proposed_by},
        ),
    )
    log = AuditLog(session)
    for action, targets, details in events:
        log.note(actor, action, code, targets=targets, details=details, at=now)


def proposals_router(kit: WebKit) -> APIRouter:
    """The surveyor's approve and reject routes."""
    router = APIRouter()
    user = Annotated[SessionInfo, Depends(kit.require_user)]

    def decided(info: SessionInfo, code: str, proposal_id: int, csrf: str, approve: bool) -> None:
        kit.posted_engagement(info, csrf, code, Action.MANAGE_REQUESTS)
        with kit.db() as session:
            decide(session, code, proposal_id, approve, info.user.email)

    def decision(approve: bool) -> Callable[..., Response]:
        def decide_route(code: str, proposal_id: int, info: user, csrf: CsrfField = "") -> Response:
            decided(info, code, proposal_id, csrf, approve)
            return see_other(f"/engagements/{code}/requests#proposals")

        return decide_route

    for verb, approve in (("approve", True), ("reject", False)):
        router.add_api_route(
            f"/engagements/{{code}}/proposals/{{proposal_id}}/{verb}",
            decision(approve),
            methods=["POST"],
            name=verb,
        )

    return router
