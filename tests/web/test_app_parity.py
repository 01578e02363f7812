"""Each use case of ``kenshin.app`` through the command line and through the web, on two
fresh stores: the same stored result and the same audit actions (issue #20). Refusals
too: what one refuses, the other refuses, and neither stores or audits anything more."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.test_web_access import PASSWORD, login
from tests.web.test_web_workflow import FakeRunner
from typer.testing import CliRunner

from kenshin.cli import app
from kenshin.cli._state import STATE
from kenshin.cli.demo import demo_file
from kenshin.domain import (
    DiagnosisWindow,
    Engagement,
    EngagementStatus,
    Finding,
    FindingCategory,
    FindingStatus,
    FindingSubject,
    Severity,
)
from kenshin.intake import read_file
from kenshin.requests import AttachmentRepository, RequestRepository, RequestState, Want
from kenshin.store import (
    AuditLog,
    EngagementRepository,
    FindingRepository,
    Store,
    open_store,
)
from kenshin.terminals import demo_terminal_files, stored_assessments
from kenshin.web import Accounts, Role, WebSettings, create_app

CODE = "demo-2026"
SURVEYOR = "surveyor@kenshin.example"
CLI_ACTOR = "調査員A"
DYNAMIC = "198.18.20.20"  # CP-02's dynamic address in the demo hospital


def _in_window(engagement: Engagement) -> Engagement:
    now = datetime.now(UTC)
    return dataclasses.replace(
        engagement, window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=2))
    )


@dataclasses.dataclass
class Sides:
    """The same engagement in two stores: one the CLI writes, one the web writes."""

    tmp: Path
    cli: CliRunner
    cli_store: Store
    web: TestClient
    web_store: Store
    runner: FakeRunner
    csrf: str = ""

    def seed(self, engagement: Engagement, findings: tuple[Finding, ...] = ()) -> None:
        for store in (self.cli_store, self.web_store):
            with store.session() as session:
                EngagementRepository(session).save(engagement)
                if findings:
                    FindingRepository(session).record(engagement.code, findings)
        self.csrf = login(self.web, SURVEYOR)

    def run(self, *args: str) -> Any:
        return self.cli.invoke(app, list(args), catch_exceptions=True)

    def both(self, read: Any) -> tuple[Any, Any]:
        """``read(session)`` on the CLI's store and on the web's."""
        results = []
        for store in (self.cli_store, self.web_store):
            with store.session() as session:
                results.append(read(session))
        return results[0], results[1]

    def actions(self) -> tuple[list[str], list[str]]:
        """The audit actions of the engagement on each side, oldest first."""
        return self.both(lambda s: [e.action for e in reversed(AuditLog(s).events(CODE))])

    def audited(self) -> tuple[list[Any], list[Any]]:
        return self.both(lambda s: list(reversed(AuditLog(s).events(CODE))))


@pytest.fixture
def sides(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sides]:
    cli_url = f"sqlite:///{isolated_env / 'cli.sqlite3'}"
    monkeypatch.setenv("KENSHIN_DB_URL", cli_url)
    monkeypatch.setenv("KENSHIN_ACTOR", CLI_ACTOR)
    monkeypatch.setenv("KENSHIN_STOP_FILE", str(isolated_env / "EMERGENCY-STOP"))
    monkeypatch.setenv("COLUMNS", "200")
    STATE._store = None
    cli_store = open_store(cli_url)
    web_store = open_store(f"sqlite:///{isolated_env / 'web.sqlite3'}")
    with web_store.session() as session:
        Accounts(session).create_user(SURVEYOR, PASSWORD, Role.SURVEYOR, "調査 花子")
    runner = FakeRunner()
    client = TestClient(
        create_app(web_store, WebSettings(report_dir=isolated_env / "reports"), runner),
        base_url="https://testserver",
    )
    yield Sides(isolated_env, CliRunner(), cli_store, client, web_store, runner)
    if STATE._store is not None:
        STATE._store.dispose()
    STATE._store = None
    cli_store.dispose()
    web_store.dispose()


def _header(sides: Sides) -> dict[str, str]:
    return {"X-CSRF-Token": sides.csrf}


# -- confirm a dynamic address ------------------------------------------------------------


def _confirmations(session: Any) -> list[tuple[str, list[str]]]:
    engagement = EngagementRepository(session).get(CODE)
    return [
        (str(a.address), [c.confirmed_by for c in a.confirmations])
        for p in engagement.connection_points
        for a in p.addresses
    ]


def test_confirm_an_address(sides: Sides) -> None:
    sides.seed(read_file(demo_file()))
    assert sides.run("targets", "confirm", CODE, DYNAMIC, "--by", "情報 太郎").exit_code == 0
    web = sides.web.post(
        f"/api/engagements/{CODE}/addresses/{DYNAMIC}/confirm",
        json={"confirmed_by": "情報 太郎"},
        headers=_header(sides),
    )
    assert web.status_code == 200, web.text
    cli_stored, web_stored = sides.both(_confirmations)
    assert cli_stored == web_stored
    assert (DYNAMIC, ["情報 太郎"]) in cli_stored
    cli_events, web_events = sides.audited()
    assert [e.action for e in cli_events] == [e.action for e in web_events] == ["scope.confirm"]
    assert cli_events[0].details == web_events[0].details
    assert (cli_events[0].actor, web_events[0].actor) == (CLI_ACTOR, SURVEYOR)


def test_confirm_is_refused_alike_for_a_closed_engagement(sides: Sides) -> None:
    sides.seed(dataclasses.replace(read_file(demo_file()), status=EngagementStatus.CLOSED))
    assert sides.run("targets", "confirm", CODE, DYNAMIC).exit_code != 0
    web = sides.web.post(
        f"/api/engagements/{CODE}/addresses/{DYNAMIC}/confirm", json={}, headers=_header(sides)
    )
    assert web.status_code in (400, 404), web.text
    assert sides.both(_confirmations)[0] == sides.both(_confirmations)[1]
    assert sides.actions() == ([], [])


def test_confirm_by_nobody_is_refused_alike(sides: Sides) -> None:
    """A blank name is refused by both (the use case, and the validation gate behind it)."""
    sides.seed(read_file(demo_file()))
    assert sides.run("targets", "confirm", CODE, DYNAMIC, "--by", "  ").exit_code != 0
    web = sides.web.post(
        f"/api/engagements/{CODE}/addresses/{DYNAMIC}/confirm",
        json={"confirmed_by": "   "},
        headers=_header(sides),
    )
    assert web.status_code == 400, web.text
    assert sides.actions() == ([], [])


# -- import terminal files ----------------------------------------------------------------


def _assessments(session: Any) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return sorted(
        (a.terminal_key, a.host, sorted((v.check_id, str(v.status)) for v in a.verdicts))
        for a in stored_assessments(session, CODE)
    )


def test_import_terminal_files(sides: Sides) -> None:
    sides.seed(read_file(demo_file()))
    files = demo_terminal_files()[:2]
    paths = []
    for name, data in files:
        (sides.tmp / name).write_bytes(data)
        paths.append(str(sides.tmp / name))
    assert sides.run("terminal", "import", CODE, *paths).exit_code == 0
    web = sides.web.post(
        f"/engagements/{CODE}/terminals-upload",
        data={"csrf": sides.csrf},
        files=[("files", (name, data, "application/json")) for name, data in files],
        follow_redirects=False,
    )
    assert web.status_code == 303, web.text
    cli_stored, web_stored = sides.both(_assessments)
    assert cli_stored == web_stored
    assert len(cli_stored) == 2
    cli_events, web_events = sides.audited()
    assert [e.action for e in cli_events] == [e.action for e in web_events] == ["terminal.import"]
    # The command line named the person running it, not "cli".
    assert (cli_events[0].actor, web_events[0].actor) == (CLI_ACTOR, SURVEYOR)


# -- vendor requests: draft, send, answer -------------------------------------------------


def _requests(session: Any) -> list[tuple[str, str | None, str, list[str], dict[str, str]]]:
    return [
        (
            r.ref,
            r.device_key,
            r.state.value,
            [w.value for w in r.wants],
            r.answer.as_dict() if r.answer else {},
        )
        for r in RequestRepository(session).for_engagement(CODE)
    ]


def _devices(session: Any) -> list[tuple[str, str]]:
    return [(d.key, d.firmware_version) for d in EngagementRepository(session).get(CODE).devices]


VERSION_UNKNOWN = Finding(
    "firmware.version_unknown",
    FindingCategory.VULNERABILITY,
    Severity.MEDIUM,
    "バージョン不明",
    "Version unknown",
    FindingSubject(device_key="DEV-03"),
)


def _version_unknown(session: Any) -> list[FindingStatus]:
    return [
        f.status
        for f in FindingRepository(session).list(CODE)
        if f.check_id == "firmware.version_unknown" and f.subject.device_key == "DEV-03"
    ]


def test_draft_send_and_answer_a_request(sides: Sides) -> None:
    sides.seed(read_file(demo_file()), (VERSION_UNKNOWN,))
    drafted = json.loads(sides.run("requests", "draft", CODE, "--json").output)
    web = sides.web.post(
        f"/engagements/{CODE}/requests/draft", data={"csrf": sides.csrf}, follow_redirects=False
    )
    assert web.status_code == 303, web.text
    assert sides.both(_requests)[0] == sides.both(_requests)[1]
    device = next(r for r in drafted if r["device"] == "DEV-03" and "firmware" in r["wants"])
    ref, number = device["ref"], int(device["ref"].removeprefix("REQ-"))
    assert sides.run("requests", "send", f"{CODE}:{ref}", "--due", "2099-01-31").exit_code == 0
    web = sides.web.post(
        f"/engagements/{CODE}/requests/{number}/send",
        data={"csrf": sides.csrf, "due": "2099-01-31"},
        follow_redirects=False,
    )
    assert web.status_code == 303, web.text
    answered = sides.run("requests", "answer", f"{CODE}:{ref}", "--firmware", "22.7R2.3")
    assert answered.exit_code == 0, answered.output
    web = sides.web.post(
        f"/api/engagements/{CODE}/requests/{number}/answer",
        json={"firmware": "22.7R2.3"},
        headers=_header(sides),
    )
    assert web.status_code == 200, web.text
    cli_requests, web_requests = sides.both(_requests)
    assert cli_requests == web_requests
    assert (ref, "answered") in [(r[0], r[2]) for r in cli_requests]
    assert sides.both(_devices)[0] == sides.both(_devices)[1]
    assert ("DEV-03", "22.7R2.3") in sides.both(_devices)[0]
    # The CLI's answer closes "version not obtained" as the web's did (it stayed open).
    assert sides.both(_version_unknown) == ([FindingStatus.FIXED], [FindingStatus.FIXED])
    cli_actions, web_actions = sides.actions()
    assert cli_actions == web_actions == ["requests.draft", "requests.sent", "requests.answer"]


def _sent_request(sides: Sides, want: Want | None = None) -> tuple[str, int]:
    """A device request (or the one asking ``want``) drafted and sent on both sides
    (directly, as the setup)."""
    refs = []
    for store in (sides.cli_store, sides.web_store):
        with store.session() as session:
            requests = RequestRepository(session)
            engagement = EngagementRepository(session).get(CODE)
            drafted = requests.draft(engagement, datetime.now(UTC), "setup")
            device = next(
                r for r in drafted if (want in r.wants if want else r.device_key == "DEV-03")
            )
            requests.mark_sent(CODE, device.number, datetime.now(UTC), "setup")
            refs.append((device.ref, device.number))
    assert refs[0] == refs[1]
    return refs[0]


def test_a_second_answer_is_refused_alike(sides: Sides) -> None:
    sides.seed(read_file(demo_file()))
    ref, number = _sent_request(sides)
    for firmware in ("22.7R2.3", "22.7R2.5"):
        cli = sides.run("requests", "answer", f"{CODE}:{ref}", "--firmware", firmware)
        web = sides.web.post(
            f"/api/engagements/{CODE}/requests/{number}/answer",
            json={"firmware": firmware},
            headers=_header(sides),
        )
    assert cli.exit_code != 0  # the second answer, on both sides
    assert web.status_code == 400
    assert "22.7R2.3" in str(sides.both(_devices)[0])
    assert sides.both(_devices)[0] == sides.both(_devices)[1]
    assert sides.actions()[0] == sides.actions()[1] == ["requests.answer"]


def _attach_refused_on_both(sides: Sides, ref: str, number: int, output: Path) -> None:
    """The file is refused by `kenshin requests attach` and by the web's answer form."""
    assert sides.run("requests", "attach", f"{CODE}:{ref}", str(output)).exit_code != 0
    web = sides.web.post(
        f"/engagements/{CODE}/requests/{number}/answer",
        data={"csrf": sides.csrf},
        files=[("attachments", (output.name, output.read_bytes(), "text/plain"))],
        follow_redirects=False,
    )
    assert web.status_code == 400, web.text


def test_no_files_for_a_cancelled_request(sides: Sides) -> None:
    """The web refused files for a cancelled request; ``kenshin requests attach`` took them."""
    sides.seed(read_file(demo_file()))
    ref, number = _sent_request(sides)
    for store in (sides.cli_store, sides.web_store):
        with store.session() as session:
            RequestRepository(session).cancel(CODE, number, datetime.now(UTC), "setup", "")
    output = sides.tmp / "show-version.txt"
    output.write_text("FortiGate-60F v7.2.5,build1517 (GA)\n", encoding="utf-8")
    _attach_refused_on_both(sides, ref, number, output)
    states = sides.both(
        lambda s: [r.state for r in RequestRepository(s).for_engagement(CODE) if r.ref == ref]
    )
    assert states == ([RequestState.CANCELLED], [RequestState.CANCELLED])
    assert sides.actions() == ([], [])


def test_no_files_for_a_closed_engagement(sides: Sides) -> None:
    """A closed engagement refused a typed answer but took a file from which no version
    was read (on both sides): now the file is refused as the answer is."""
    sides.seed(read_file(demo_file()))
    ref, number = _sent_request(sides)
    for store in (sides.cli_store, sides.web_store):
        with store.session() as session:
            engagements = EngagementRepository(session)
            closed = dataclasses.replace(engagements.get(CODE), status=EngagementStatus.CLOSED)
            engagements.save(closed)
    output = sides.tmp / "procedure.txt"
    output.write_text("手順書：管理画面にログインしてください。\n", encoding="utf-8")
    _attach_refused_on_both(sides, ref, number, output)
    files = sides.both(lambda s: AttachmentRepository(s).for_request(CODE, number))
    assert files == ([], [])
    assert sides.actions() == (["vault.purge"], ["vault.purge"])  # the closing's own


# -- make a report -------------------------------------------------------------------------


def test_make_a_report(sides: Sides) -> None:
    """The CLI writes it here, the web queues a report job: both audit ``report.build``
    (the web's job also ``job.report.submit``); the CLI did not audit it at all."""
    sides.seed(read_file(demo_file()))
    out = sides.tmp / "report"
    made = sides.run("report", CODE, "-o", str(out), "--lang", "en", "--json")
    assert made.exit_code == 0, made.output
    web = sides.web.post(
        f"/engagements/{CODE}/report",
        data={"csrf": sides.csrf, "lang": "en"},
        follow_redirects=False,
    )
    assert web.status_code == 303, web.text
    cli_events, web_events = sides.audited()
    assert [e.action for e in web_events] == ["job.report.submit", "report.build"]
    kept = [e for e in web_events if not e.action.startswith("job.")]
    assert [(e.action, e.details) for e in cli_events] == [(e.action, e.details) for e in kept]
    assert sides.runner.jobs["job-1"].spec.params["lang"] == "en"


# -- start a scan --------------------------------------------------------------------------


def test_start_a_scan(sides: Sides, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kenshin jobs scan`` and the web's start button queue the same scan job."""
    sides.seed(_in_window(read_file(demo_file())))
    cli_runner = FakeRunner()
    monkeypatch.setattr("kenshin.cli.jobs.runner_for", lambda store, pipeline: cli_runner)
    started = sides.run("jobs", "scan", CODE, "--json")
    assert started.exit_code == 0, started.output
    web = sides.web.post(
        f"/api/engagements/{CODE}/jobs",
        json={"kind": "scan", "params": {"profile": "hospital"}},
        headers=_header(sides),
    )
    assert web.status_code == 200, web.text
    cli_spec = cli_runner.jobs["job-1"].spec
    web_spec = sides.runner.jobs["job-1"].spec
    assert (cli_spec.kind, cli_spec.engagement_code) == (web_spec.kind, web_spec.engagement_code)
    assert cli_spec.params["profile"] == web_spec.params["profile"] == "hospital"
    assert (cli_spec.requested_by, web_spec.requested_by) == (CLI_ACTOR, SURVEYOR)
    cli_events, web_events = sides.audited()
    assert [e.action for e in cli_events] == [e.action for e in web_events] == ["job.scan.submit"]
    # Cancelling it: the CLI did not audit it at all.
    assert sides.run("jobs", "cancel", "job-1").exit_code == 0
    web = sides.web.post("/api/jobs/job-1/cancel", headers=_header(sides))
    assert web.status_code == 200, web.text
    assert cli_runner.jobs["job-1"].state == sides.runner.jobs["job-1"].state == "cancelled"
    cli_actions, web_actions = sides.actions()
    assert cli_actions == web_actions == ["job.scan.submit", "job.cancel"]


@pytest.mark.parametrize("command", [("scan", CODE), ("jobs", "scan", CODE)])
def test_a_scan_outside_the_scope_is_refused_alike(
    sides: Sides, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """No diagnosis window: nothing is queued on either side and both audit the refusal
    (``kenshin jobs scan`` queued the job and let it fail)."""
    sides.seed(dataclasses.replace(read_file(demo_file()), window=None))
    cli_runner = FakeRunner()
    monkeypatch.setattr("kenshin.cli.jobs.runner_for", lambda store, pipeline: cli_runner)
    monkeypatch.setattr("kenshin.cli.scan.runner_for", lambda store, pipeline: cli_runner)
    assert sides.run(*command).exit_code != 0
    web = sides.web.post(
        f"/api/engagements/{CODE}/jobs",
        json={"kind": "scan", "params": {}},
        headers=_header(sides),
    )
    assert web.status_code == 400, web.text
    assert cli_runner.jobs == sides.runner.jobs == {}
    cli_events, web_events = sides.audited()
    assert [(e.action, e.outcome) for e in cli_events] == [
        (e.action, e.outcome) for e in web_events
    ]
    assert [e.action for e in cli_events] == ["scan.port"]


# -- authorise: the hospital's approval and the diagnosis window --------------------------


def _authorisation(session: Any) -> tuple[Any, Any]:
    engagement = EngagementRepository(session).get(CODE)
    return engagement.authorisation, engagement.window


def _unauthorised(sides: Sides) -> None:
    sides.seed(dataclasses.replace(read_file(demo_file()), authorisation=None, window=None))


def _cli_authorise(sides: Sides, **given: str) -> Any:
    args = ["targets", "authorise", CODE]
    for name, value in given.items():
        args += [f"--{name.replace('_', '-')}", value]
    return sides.run(*args)


def test_authorise_through_the_use_case(sides: Sides) -> None:
    """The form stores what the command line stores (Japan time for a time without a
    zone, as a form's datetime-local field sends it) and leaves the same two records."""
    _unauthorised(sides)
    given = {
        "approved_at": "2026-12-01T10:30",
        "window_start": "2026-12-03T20:00",
        "window_end": "2026-12-04T06:00",
    }
    done = _cli_authorise(sides, by="院長", document="承諾書-1", **given)
    assert done.exit_code == 0, done.output
    page = sides.web.post(
        f"/engagements/{CODE}/authorisation",
        data={"csrf": sides.csrf, "approved_by": "院長", "document_ref": "承諾書-1", **given},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    assert page.headers["location"] == f"/engagements/{CODE}#authorisation"
    cli_stored, web_stored = sides.both(_authorisation)
    assert cli_stored == web_stored
    authorisation, window = cli_stored
    assert authorisation.document_ref == "承諾書-1"
    assert authorisation.approved_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert window.starts_at == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    cli_events, web_events = sides.audited()
    assert [e.action for e in cli_events] == ["scope.authorise", "scope.window"]
    assert [e.action for e in web_events] == ["scope.authorise", "scope.window"]
    assert [e.details for e in cli_events] == [e.details for e in web_events]
    assert (cli_events[0].actor, web_events[0].actor) == (CLI_ACTOR, SURVEYOR)
    shown = sides.web.get(f"/engagements/{CODE}")
    assert "承諾書-1" in shown.text
    assert "2026-12-03 20:00" in shown.text


def test_authorise_through_the_api(sides: Sides) -> None:
    _unauthorised(sides)
    web = sides.web.post(
        f"/api/engagements/{CODE}/authorisation",
        json={
            "approved_by": "院長",
            "document_ref": "承諾書-2",
            "window_start": "2026-12-03T20:00:00+09:00",
            "window_end": "2026-12-04T06:00:00+09:00",
        },
        headers=_header(sides),
    )
    assert web.status_code == 200, web.text
    window = {k: datetime.fromisoformat(v) for k, v in web.json()["window"].items()}
    assert window == {
        "start": datetime(2026, 12, 3, 11, 0, tzinfo=UTC),
        "end": datetime(2026, 12, 3, 21, 0, tzinfo=UTC),
    }
    assert web.json()["authorisation"]["document_ref"] == "承諾書-2"
    assert sides.actions()[1] == ["scope.authorise", "scope.window"]


@pytest.mark.parametrize(
    "given",
    [
        {"window_start": "2026-12-03T20:00"},
        {"window_start": "2026-12-04T06:00", "window_end": "2026-12-03T20:00"},
        {"window_start": "12/03 20:00", "window_end": "2026-12-04T06:00"},
        {"by": "   "},
    ],
    ids=["one-end", "end-before-start", "not-a-time", "blank-approver"],
)
def test_authorise_is_refused_alike(sides: Sides, given: dict[str, str]) -> None:
    _unauthorised(sides)
    fields = {"by": "院長", "document": "承諾書-1", **given}
    assert _cli_authorise(sides, **fields).exit_code != 0
    form = {"approved_by": fields.pop("by"), "document_ref": fields.pop("document"), **fields}
    web = sides.web.post(
        f"/api/engagements/{CODE}/authorisation", json=form, headers=_header(sides)
    )
    assert web.status_code == 400, web.text
    assert sides.both(_authorisation) == ((None, None), (None, None))
    assert sides.actions() == ([], [])


def test_authorise_is_for_the_survey_team_only(sides: Sides) -> None:
    """A hospital user sees the authorisation but cannot record one (404, as for anything
    out of reach); without the CSRF token nobody can."""
    _unauthorised(sides)
    hospital = "it@demo-hospital.example"
    with sides.web_store.session() as session:
        accounts = Accounts(session)
        surveyor = accounts.authenticate(SURVEYOR, PASSWORD)
        token = accounts.invite(surveyor, hospital, Role.HOSPITAL, CODE)
        accounts.accept_invitation(token, PASSWORD, "情報 太郎")
    form = {"approved_by": "院長", "document_ref": "承諾書-1"}
    assert sides.web.post(f"/api/engagements/{CODE}/authorisation", json=form).status_code == 403
    csrf = login(sides.web, hospital)
    page = sides.web.get(f"/engagements/{CODE}")
    assert page.status_code == 200, page.text
    assert 'name="approved_by"' not in page.text
    refused = sides.web.post(
        f"/api/engagements/{CODE}/authorisation", json=form, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status_code == 404
    assert not [a for a in sides.actions()[1] if a.startswith("scope.")]
    assert sides.both(_authorisation)[1] == (None, None)


def _points(session: Any) -> list[tuple[str, list[tuple[str, str]], str]]:
    return [
        (p.key, [(str(a.address), a.assignment.value) for a in p.addresses], p.carrier)
        for p in EngagementRepository(session).get(CODE).connection_points
    ]


def test_a_not_known_answer_is_no_answer_alike(sides: Sides) -> None:
    """「不明」 in the returned workbook is no answer; the CLI stored it as the firmware version
    and took ``--assignment unknown`` as an answer, and the web did both too."""
    sides.seed(read_file(demo_file()))
    ref, number = _sent_request(sides)
    before = sides.both(_devices), sides.both(_points)
    cli = sides.run(
        "requests", "answer", f"{CODE}:{ref}", "--firmware", "不明", "--assignment", "unknown"
    )
    web = sides.web.post(
        f"/api/engagements/{CODE}/requests/{number}/answer",
        json={"firmware": "不明", "assignment": "unknown"},
        headers=_header(sides),
    )
    assert cli.exit_code != 0, cli.output
    assert web.status_code == 400, web.text
    assert (sides.both(_devices), sides.both(_points)) == before
    assert sides.actions() == ([], [])


def test_an_answer_in_full_width_is_read_alike(sides: Sides) -> None:
    """A WAN address in full-width digits and 固定IP, as the returned workbook reads them: the
    CLI and the web refused both."""
    demo = read_file(demo_file())
    points = tuple(
        dataclasses.replace(p, addresses=(), carrier="") if p.key == "CP-02" else p
        for p in demo.connection_points
    )
    sides.seed(dataclasses.replace(demo, connection_points=points))  # CP-02's address asked
    ref, number = _sent_request(sides, Want.WAN_IP)
    given = {"wan_ip": "２０３．０．１１３．７", "assignment": "固定IP", "isp": "ＮＴＴ東日本"}
    cli = sides.run(
        "requests",
        "answer",
        f"{CODE}:{ref}",
        *("--wan-ip", given["wan_ip"], "--assignment", given["assignment"]),
        *("--isp", given["isp"]),
    )
    assert cli.exit_code == 0, cli.output
    web = sides.web.post(
        f"/engagements/{CODE}/requests/{number}/answer",
        data={"csrf": sides.csrf, **given},
        follow_redirects=False,
    )
    assert web.status_code == 303, web.text
    cli_points, web_points = sides.both(_points)
    assert cli_points == web_points
    assert ("CP-02", [("203.0.113.7", "fixed")], "NTT東日本") in cli_points
