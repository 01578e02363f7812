"""``kenshin targets``: diagnosis-day confirmation of dynamic addresses, authorisation, history.

A fixed global address needs no confirmation. A dynamic one is a target only on the
Japan date it was re-confirmed. Closed-network lines are never targets. This command
records and lists; the scan's own refusal lives in ``kenshin.scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from kenshin.app.authorise import Authorisation
from kenshin.app.authorise import authorise as authorise_diagnosis
from kenshin.app.confirm import confirm_address
from kenshin.cli._common import CliError, load, print_json, say
from kenshin.cli._options import CodeArg, JsonOpt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, Column, fit_table, named_columns
from kenshin.cli._workflow import actor
from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    Engagement,
)
from kenshin.domain.clock import japan_clock, japan_time, japan_today
from kenshin.store import AuditLog, now_utc

app = typer.Typer(
    no_args_is_help=True,
)


class TargetStatus(StrEnum):
    """What the diagnosis will do with one address today."""

    FIXED = "fixed"  # a target; no confirmation needed
    CONFIRMED_TODAY = "confirmed_today"  # dynamic, confirmed on today's Japan date
    NOT_CONFIRMED = "not_confirmed"  # dynamic (or unknown) without today's confirmation
    CLOSED_NETWORK = "closed_network"  # never a target
    OUT_OF_SCOPE = "out_of_scope"  # not in the EHR scope, or not internet-reachable

    @property
    def is_target(self) -> bool:
        return self in (TargetStatus.FIXED, TargetStatus.CONFIRMED_TODAY)


@dataclass(frozen=True)
class AddressStatus:
    address: str
    point_key: str
    point_name: str
    assignment: AddressAssignment
    status: TargetStatus
    confirmed_at: datetime | None = None
    confirmed_by: str = ""


def address_statuses(engagement: Engagement, now: datetime) -> list[AddressStatus]:
    """Every global address of the engagement with what the diagnosis does with it today."""
    result = []
    for point in engagement.connection_points:
        for address in point.addresses:
            confirmed = None
            if point.kind is ConnectionKind.CLOSED_NETWORK:
                status = TargetStatus.CLOSED_NETWORK
            elif not point.is_diagnosis_candidate:
                status = TargetStatus.OUT_OF_SCOPE
            elif address.assignment is AddressAssignment.FIXED:
                status = TargetStatus.FIXED
            else:
                confirmation = address.confirmation_for(now)
                confirmed = (
                    (confirmation.confirmed_at, confirmation.confirmed_by) if confirmation else None
                )
                status = TargetStatus.CONFIRMED_TODAY if confirmed else TargetStatus.NOT_CONFIRMED
            result.append(
                AddressStatus(
                    address=str(address.address),
                    point_key=point.key,
                    point_name=point.name,
                    assignment=address.assignment,
                    status=status,
                    confirmed_at=confirmed[0] if confirmed else None,
                    confirmed_by=confirmed[1] if confirmed else "",
                )
            )
    return result


@app.command("confirm")
def confirm(
    code: CodeArg,
    address: Annotated[str, typer.Argument()],
    by: Annotated[str | None, typer.Option("--by")] = None,
) -> None:
    """Record that a dynamic address was re-confirmed today (Japan date) and by whom."""
    who = (by or actor()).strip()
    if not who:
        raise CliError("cli.targets.who")
    confirmed = confirm_address(STATE.store(), code, address, by=who, actor=actor())
    if confirmed is None:
        say("cli.targets.fixed_needs_none", address=address.strip())
        return
    say(
        "cli.targets.confirmed",
        address=confirmed.address,
        who=confirmed.confirmed_by,
        at=japan_time(confirmed.confirmed_at),
    )


@app.command("list")
def list_targets(
    code: CodeArg,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Every candidate address and what the diagnosis does with it today."""
    engagement = load(code)
    now = now_utc()
    statuses = address_statuses(engagement, now)
    window = engagement.window
    in_window = window.contains(now) if window else False
    if as_json:
        print_json(
            {
                "code": code,
                "japan_date": japan_today(now).isoformat(),
                "authorised": engagement.authorisation is not None,
                "in_window": in_window,
                "addresses": [
                    {
                        "address": s.address,
                        "point": s.point_key,
                        "assignment": s.assignment.value,
                        "status": s.status.value,
                        "target_today": s.status.is_target,
                        "confirmed_at": s.confirmed_at,
                        "confirmed_by": s.confirmed_by,
                    }
                    for s in statuses
                ],
            }
        )
        return
    t = STATE.t
    auth = engagement.authorisation
    console.print(
        t("cli.targets.auth_yes", by=auth.approved_by, document=auth.document_ref)
        if auth
        else f"[bold red]{t('cli.targets.auth_no', code=code)}[/]",
        highlight=False,
    )
    if window:
        start = japan_time(window.starts_at)
        end = japan_time(window.ends_at)
        key = "cli.targets.window_in" if in_window else "cli.targets.window_out"
        console.print(t(key, start=start, end=end), highlight=False)
    else:
        console.print(f"[bold red]{t('cli.targets.window_none')}[/]", highlight=False)
    # the address stays whole (copied into targets confirm); how it is assigned goes first
    columns = [
        Column(t("cli.targets.col.address"), whole=True),
        Column(t("cli.targets.col.point"), drop=2),
        Column(t("cli.targets.col.assignment"), drop=1),
        Column(t("cli.targets.col.status")),
    ]
    rows: list[list[Cell]] = []
    styles: list[str] = []
    for s in statuses:
        label = t(f"cli.targets.status.{s.status.value}")
        if s.status is TargetStatus.CONFIRMED_TODAY and s.confirmed_at:
            label += t(
                "cli.targets.by",
                who=s.confirmed_by,
                at=japan_clock(s.confirmed_at),
            )
        rows.append(
            [
                s.address,
                Text(f"{s.point_key} {s.point_name}"),
                t(f"label.assignment.{s.assignment.value}"),
                label,
            ]
        )
        styles.append(
            {
                TargetStatus.NOT_CONFIRMED: "bold red",
                TargetStatus.CLOSED_NETWORK: "dim",
                TargetStatus.OUT_OF_SCOPE: "dim",
            }.get(s.status, "")
        )
    title = t("cli.targets.title", code=code, today=japan_today(now).isoformat())
    table = fit_table(
        console, columns, rows, lang=STATE.lang, title=title, wide=wide, styles=styles
    )
    console.print(table)
    for s in statuses:
        if s.status is TargetStatus.NOT_CONFIRMED:
            console.print(
                t("cli.targets.how_to_confirm", address=s.address, code=code), highlight=False
            )


@app.command("authorise")
def authorise(
    code: CodeArg,
    by: Annotated[str, typer.Option("--by")],
    document: Annotated[str, typer.Option("--document")],
    window_start: Annotated[str | None, typer.Option("--window-start")] = None,
    window_end: Annotated[str | None, typer.Option("--window-end")] = None,
    approved_at: Annotated[str | None, typer.Option("--approved-at")] = None,
) -> None:
    """Record the authorisation of the remote diagnosis and its window."""
    given = Authorisation.from_text(
        by,
        document,
        approved_at=approved_at,
        window_start=window_start,
        window_end=window_end,
        now=now_utc(),
    )
    authorise_diagnosis(STATE.store(), code, given, actor=actor())
    say("cli.targets.authorised", code=code, by=by.strip(), document=document.strip())


@app.command("history")
def history(
    code: CodeArg,
    every: Annotated[bool, typer.Option("--all")] = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """The audit log of the engagement's scope: authorisation, window, confirmations, addresses."""
    with STATE.store().session() as session:
        events = AuditLog(session).events(code, limit=1000)
    if not every:
        events = [e for e in events if e.action.startswith("scope.")]
    if as_json:
        print_json(
            [
                {
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "outcome": e.outcome.value,
                    "targets": list(e.targets),
                    "details": e.details,
                }
                for e in events
            ]
        )
        return
    # the details are the long text that goes first, then who did it
    drops = {"details": 2, "actor": 1}
    names = ("at", "actor", "action", "targets", "details")
    columns = named_columns(STATE.t, "cli.targets.hcol", names, drops)
    rows: list[list[Cell]] = [
        [
            japan_time(e.at),
            Text(e.actor),
            e.action,
            ", ".join(e.targets),
            Text(", ".join(f"{k}={v}" for k, v in e.details.items())),
        ]
        for e in events
    ]
    title = STATE.t("cli.targets.history_title", code=code)
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))
