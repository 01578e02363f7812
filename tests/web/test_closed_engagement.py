"""A closed engagement refuses every use case that changes it or sends a packet for it,
alike through the command line and the web, with the one sentence of
``kenshin.domain.refuse_closed``; reading it (the report) stays allowed. Before the rule
was one, starting a scan, authorising, drafting or sending requests, inventory edits,
the hearing sheet, picking terminals and triage all went through."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.web import test_app_parity as parity
from tests.web.test_app_parity import CODE, VERSION_UNKNOWN, Sides, _in_window, _requests
from tests.web.test_web_workflow import FakeRunner

from kenshin.cli.demo import demo_file
from kenshin.domain import AuditOutcome, Engagement, EngagementStatus, FindingStatus
from kenshin.i18n import translate
from kenshin.intake import read_file, to_document
from kenshin.requests import RequestRepository
from kenshin.store import EngagementRepository, FindingRepository, finding_fingerprint

sides = parity.sides  # the parity fixture: the CLI and the web, each on its own store

CLOSED_EN = translate("engagement.closed", "en", code=CODE)


def _closed(engagement: Engagement | None = None) -> Engagement:
    """The demo engagement, authorised and inside its window, but closed."""
    base = engagement or _in_window(read_file(demo_file()))
    return dataclasses.replace(base, status=EngagementStatus.CLOSED)


def _document(session: Any) -> dict[str, Any]:
    return to_document(EngagementRepository(session).get(CODE))


def _unchanged(sides: Sides) -> None:
    """Neither side stored a change or audited an action."""
    cli_doc, web_doc = sides.both(_document)
    assert cli_doc == web_doc
    assert sides.actions() == ([], [])


def _headers(sides: Sides) -> dict[str, str]:
    return {"X-CSRF-Token": sides.csrf}


def _refused(result: Any) -> None:
    """The command failed with the one closed-engagement refusal (no other error)."""
    assert result.exit_code != 0
    assert getattr(result.exception, "key", "") == "engagement.closed", result.output


# -- probing: the scope has no target ------------------------------------------------------


@pytest.mark.parametrize("command", [("scan", CODE), ("jobs", "scan", CODE)])
def test_no_scan_of_a_closed_engagement(
    sides: Sides, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """Authorised and inside its window, yet closed: nothing is queued on either side and
    both audit the refusal with the one sentence."""
    sides.seed(_closed())
    cli_runner = FakeRunner()
    monkeypatch.setattr("kenshin.cli.jobs.runner_for", lambda store, pipeline: cli_runner)
    monkeypatch.setattr("kenshin.cli.scan.runner_for", lambda store, pipeline: cli_runner)
    _refused(sides.run(*command))
    web = sides.web.post(
        f"/api/engagements/{CODE}/jobs",
        json={"kind": "scan", "params": {}},
        headers=_headers(sides),
    )
    assert web.status_code == 400, web.text
    assert cli_runner.jobs == sides.runner.jobs == {}
    cli_events, web_events = sides.audited()
    for events in (cli_events, web_events):
        assert [(e.action, e.outcome) for e in events] == [("scan.port", AuditOutcome.REFUSED)]
        assert events[0].details["reason"] == CLOSED_EN


def test_no_diagnosis_of_a_closed_engagement(sides: Sides) -> None:
    """``kenshin diagnose`` asks the same scope and audits its refusal (the web starts no
    diagnosis of its own; its jobs page says why nothing can be scanned)."""
    sides.seed(_closed())
    _refused(sides.run("diagnose", CODE))
    cli_events = sides.audited()[0]
    assert [(e.action, e.outcome) for e in cli_events] == [
        ("diagnose.checks", AuditOutcome.REFUSED)
    ]
    assert cli_events[0].details["reason"] == CLOSED_EN
    page = sides.web.get(f"/engagements/{CODE}/jobs")
    assert page.status_code == 200
    assert html.escape(translate("engagement.closed", "ja", code=CODE), quote=False) in page.text


# -- changing it ------------------------------------------------------------------------


def test_no_authorisation_for_a_closed_engagement(sides: Sides) -> None:
    sides.seed(_closed())
    cli = sides.run("targets", "authorise", CODE, "--by", "院長", "--document", "承諾書-9")
    _refused(cli)
    web = sides.web.post(
        f"/api/engagements/{CODE}/authorisation",
        json={"approved_by": "院長", "document_ref": "承諾書-9"},
        headers=_headers(sides),
    )
    assert web.status_code == 400, web.text
    assert web.json()["detail"] == translate("engagement.closed", "ja", code=CODE)
    _unchanged(sides)


def test_no_requests_drafted_for_a_closed_engagement(sides: Sides) -> None:
    sides.seed(_closed(read_file(demo_file())), (VERSION_UNKNOWN,))
    _refused(sides.run("requests", "draft", CODE))
    web = sides.web.post(
        f"/engagements/{CODE}/requests/draft", data={"csrf": sides.csrf}, follow_redirects=False
    )
    assert web.status_code == 400, web.text
    assert sides.both(_requests) == ([], [])
    _unchanged(sides)


def test_no_request_sent_for_a_closed_engagement(sides: Sides) -> None:
    """A request drafted while open is not sent once the engagement is closed."""
    sides.seed(read_file(demo_file()))
    numbers = []
    for store in (sides.cli_store, sides.web_store):
        with store.session() as session:
            engagement = EngagementRepository(session).get(CODE)
            drafted = RequestRepository(session).draft(engagement, datetime.now(UTC), "setup")
            numbers.append(drafted[0].number)
            EngagementRepository(session).save(_closed(engagement))
    number = numbers[0]
    _refused(sides.run("requests", "send", f"{CODE}:REQ-{number:03d}"))
    web = sides.web.post(
        f"/engagements/{CODE}/requests/{number}/send",
        data={"csrf": sides.csrf, "due": "2099-01-31"},
        follow_redirects=False,
    )
    assert web.status_code == 400, web.text
    states = sides.both(_requests)
    assert states[0] == states[1]
    assert {state for _, _, state, _, _ in states[0]} == {"draft"}
    assert sides.actions() == (["vault.purge"], ["vault.purge"])  # the closing's own


def test_no_inventory_edit_of_a_closed_engagement(sides: Sides) -> None:
    sides.seed(_closed())
    cli = sides.run("device", "add", CODE, "DEV-10", "--name", "予備FW", "--role", "firewall")
    _refused(cli)
    web = sides.web.post(
        f"/api/engagements/{CODE}/devices",
        json={"key": "DEV-10", "name": "予備FW", "role": "firewall"},
        headers=_headers(sides),
    )
    assert web.status_code == 400, web.text
    edited = sides.web.patch(
        f"/api/engagements/{CODE}/devices/DEV-01", json={"model": "x"}, headers=_headers(sides)
    )
    assert edited.status_code == 400, edited.text
    _unchanged(sides)


def test_no_hearing_answers_for_a_closed_engagement(sides: Sides) -> None:
    sides.seed(_closed())
    sheet = sides.tmp / "hearing.xlsx"
    assert sides.run("hearing", "template", CODE, "-o", str(sheet)).exit_code == 0
    _refused(sides.run("hearing", "import", CODE, str(sheet)))
    web = sides.web.post(
        f"/api/engagements/{CODE}/hearing",
        json={"institution": {"bed_count": "321"}},
        headers=_headers(sides),
    )
    assert web.status_code == 400, web.text
    uploaded = sides.web.post(
        f"/engagements/{CODE}/hearing-upload",
        data={"csrf": sides.csrf},
        files=[("workbook", (sheet.name, sheet.read_bytes(), "application/octet-stream"))],
        follow_redirects=False,
    )
    assert uploaded.status_code == 400, uploaded.text
    _unchanged(sides)


def test_no_terminal_picked_for_a_closed_engagement(sides: Sides) -> None:
    sides.seed(_closed())
    cli = sides.run("terminal", "add", CODE, "T-09", "--hostname", "NEW-PC", "--role", "ehr")
    _refused(cli)
    web = sides.web.post(
        f"/engagements/{CODE}/terminals",
        data={"csrf": sides.csrf, "hostname": "NEW-PC", "role": "ehr"},
        follow_redirects=False,
    )
    assert web.status_code == 400, web.text
    _unchanged(sides)


def test_no_triage_of_a_closed_engagement(sides: Sides) -> None:
    """Triage is the web's alone: the report was made from the findings as they stand."""
    sides.seed(_closed(), (VERSION_UNKNOWN,))
    fingerprint = finding_fingerprint(VERSION_UNKNOWN)
    web = sides.web.post(
        f"/engagements/{CODE}/findings/{fingerprint}/status",
        data={"csrf": sides.csrf, "status": "accepted"},
        follow_redirects=False,
    )
    assert web.status_code == 400, web.text
    statuses = sides.both(lambda s: [f.status for f in FindingRepository(s).list(CODE)])
    assert statuses == ([FindingStatus.OPEN], [FindingStatus.OPEN])
    _unchanged(sides)


def test_no_firmware_findings_stored_for_a_closed_engagement(sides: Sides) -> None:
    """``kenshin firmware check CODE`` stores findings (the web has no such button)."""
    sides.seed(_closed())
    _refused(sides.run("firmware", "check", CODE))
    assert sides.both(lambda s: FindingRepository(s).list(CODE)) == ([], [])
    _unchanged(sides)


# -- reading it --------------------------------------------------------------------------


def test_a_closed_engagement_still_gets_its_report(sides: Sides) -> None:
    """Building the report reads the engagement: allowed on both sides."""
    sides.seed(_closed())
    made = sides.run("report", CODE, "-o", str(sides.tmp / "report"), "--lang", "en")
    assert made.exit_code == 0, made.output
    web = sides.web.post(f"/engagements/{CODE}/report", data={"csrf": sides.csrf, "lang": "en"})
    assert web.status_code in (200, 303), web.text
    assert [j.spec.kind.value for j in sides.runner.jobs.values()] == ["report"]
