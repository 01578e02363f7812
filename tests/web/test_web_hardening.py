"""The defects of issue #19, each reproduced: job parameters, uploads, vendor answers that
would change the scope, formulas in workbooks, accounts, lockout, cookies and counts."""

from __future__ import annotations

from typing import Any

from tests.web import test_web_workflow
from tests.web.test_web_workflow import EMAILS, World, login

from kenshin.jobs import JobKind, JobState

world = test_web_workflow.world  # the same two hospitals, four users, sent requests


def _job(world: World, csrf: str, body: dict[str, Any]) -> Any:
    return world.client.post(
        "/api/engagements/demo-2026/jobs", json=body, headers={"X-CSRF-Token": csrf}
    )


def test_report_output_is_chosen_by_the_server_inside_the_engagement(world: World) -> None:
    csrf = login(world.client, EMAILS["surveyor"])
    foreign = str(world.reports / "other-2026" / "ja")
    refused = _job(world, csrf, {"kind": "report", "params": {"output": foreign}})
    assert refused.status_code == 400
    assert "output" in refused.json()["detail"]
    assert _job(world, csrf, {"kind": "report", "params": {"lang": "../x"}}).status_code == 400
    assert world.runner.jobs == {}
    started = _job(world, csrf, {"kind": "report", "params": {"lang": "en"}})
    assert started.status_code == 200, started.text
    (spec,) = [j.spec for j in world.runner.jobs.values()]
    assert spec.kind is JobKind.REPORT
    assert spec.params["output"] == str((world.reports / "demo-2026" / "en").resolve())


def test_scan_parameters_follow_their_schema(world: World) -> None:
    csrf = login(world.client, EMAILS["surveyor"])
    for params in ({"targets": "192.0.2.1"}, {"profile": "fast"}, {"ports": "22;rm"}):
        assert _job(world, csrf, {"kind": "scan", "params": params}).status_code == 400, params
    assert world.runner.jobs == {}
    ok = _job(world, csrf, {"kind": "scan", "params": {"profile": "lab", "ports": "22,80-90"}})
    assert ok.status_code == 200, ok.text
    (spec,) = [j.spec for j in world.runner.jobs.values()]
    assert dict(spec.params) == {"profile": "lab", "ports": "22,80-90"}


def test_scan_ports_the_cli_refuses_are_refused_on_submitting(world: World) -> None:
    """The web's pattern took port 0, 70000 and the range 443-80: submitted, the job then
    failed in the worker, where ``kenshin scan --ports`` refused them at once."""
    csrf = login(world.client, EMAILS["surveyor"])
    for ports in ("0", "70000", "443-80", "22,0-10"):
        refused = _job(world, csrf, {"kind": "scan", "params": {"ports": ports}})
        assert refused.status_code == 400, ports
        assert "ports" in refused.json()["detail"]
    assert world.runner.jobs == {}


def test_job_status_shows_no_server_path(world: World) -> None:
    csrf = login(world.client, EMAILS["surveyor"])
    job = _job(world, csrf, {"kind": "report", "params": {"lang": "ja"}}).json()
    status = world.runner.jobs[job["id"]]
    folder = world.reports.resolve() / "demo-2026" / "ja"
    status.state = JobState.SUCCEEDED
    status.result = {"report.pdf": str(folder / "report.pdf")}
    status.error = f"[Errno 13] Permission denied: '{folder / 'report.pdf'}'"
    status.message = f"written {folder}"
    shown = world.client.get(f"/api/jobs/{job['id']}").text
    assert str(world.reports.resolve()) not in shown
    assert "report.pdf" in shown
    page = world.client.get("/engagements/demo-2026/jobs").text
    assert str(world.reports.resolve()) not in page


def _bomb(unpacked: int) -> bytes:
    """A valid-looking .xlsx whose one sheet unpacks to ``unpacked`` bytes of blanks."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * unpacked)
    return buffer.getvalue()


def test_workbook_that_unpacks_huge_is_refused_before_openpyxl(
    world: World, monkeypatch: Any
) -> None:
    import openpyxl

    from kenshin.intake.hearing_sheet import read as hearing_read

    opened: list[object] = []
    monkeypatch.setattr(hearing_read, "load_workbook", lambda *a, **k: opened.append(a))
    bomb = _bomb(30 * 1024 * 1024)
    assert len(bomb) < 128 * 1024
    csrf = login(world.client, EMAILS["hospital"])
    response = world.client.post(
        "/engagements/demo-2026/hearing-upload",
        data={"csrf": csrf},
        files={"workbook": ("h.xlsx", bomb, "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "展開すると大きすぎます" in response.text
    assert opened == []
    assert openpyxl.load_workbook is not None


def test_workbook_limits_are_shared_with_the_command_line(tmp_path: Any) -> None:
    import pytest

    from kenshin.cli.demo import demo_file
    from kenshin.filetypes import FileLimitError, check_workbook_archive
    from kenshin.intake import read_file
    from kenshin.intake.hearing_sheet import build_template, read_answers

    engagement = read_file(demo_file())
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(_bomb(20 * 1024 * 1024))
    with pytest.raises(FileLimitError):
        read_answers(engagement, bomb)
    sheet = tmp_path / "real.xlsx"
    build_template(engagement).save(sheet)
    check_workbook_archive(sheet)  # a real hearing sheet passes
    read_answers(engagement, sheet)


def test_chunked_body_is_counted_as_it_streams(world: World) -> None:
    csrf = login(world.client, EMAILS["hospital"])
    boundary = "kenshin-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()

    def chunks() -> Any:  # no Content-Length: a chunked body of 40 MB
        yield head
        for _ in range(40):
            yield b" " * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = world.client.post(
        "/engagements/demo-2026/terminals-upload",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert world.client.get("/api/engagements/demo-2026/terminals").json() == []


def _parse_and_tell(pid_file: str, engagement: Any, data: bytes) -> Any:
    """The real workbook reader, after writing the pid of the process it runs in."""
    import os
    from pathlib import Path

    from kenshin.web import hearing

    Path(pid_file).write_text(str(os.getpid()))
    return hearing.read_workbook(engagement, data)


def _stuck_parser(pid_file: str, engagement: Any, data: bytes) -> Any:
    """A parser that never finishes in time: writes its pid, then sleeps past any limit."""
    import os
    import time
    from pathlib import Path

    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(120)
    raise AssertionError("the parser should have been killed")


def _pid_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_upload_parsing_runs_in_another_process(
    world: World, monkeypatch: Any, tmp_path: Any
) -> None:
    import os
    from functools import partial

    from tests.web.test_web_workflow import _xlsx_bytes

    from kenshin.web import hearing

    pid_file = tmp_path / "parser.pid"
    monkeypatch.setattr(hearing, "read_workbook", partial(_parse_and_tell, str(pid_file)))
    csrf = login(world.client, EMAILS["hospital"])
    url = "/engagements/demo-2026/hearing-upload"
    refused = world.client.post(  # the child's refusal comes back whole
        url,
        data={"csrf": csrf},
        files={"workbook": ("h.xlsx", _xlsx_bytes(), "application/octet-stream")},
    )
    assert refused.status_code == 400
    assert "ヒアリングシートに不備があるため" in refused.text
    template = world.client.get("/engagements/demo-2026/hearing/template.xlsx").content
    response = world.client.post(
        url,
        data={"csrf": csrf},
        files={"workbook": ("h.xlsx", template, "application/octet-stream")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    pid = int(pid_file.read_text())
    assert pid != os.getpid()
    assert not _pid_alive(pid)


def test_a_parser_past_its_time_is_killed_and_the_server_keeps_answering(
    world: World, monkeypatch: Any, tmp_path: Any
) -> None:
    import threading
    import time
    from functools import partial

    from fastapi.testclient import TestClient
    from tests.web.test_web_workflow import _xlsx_bytes

    from kenshin.web import WebSettings, create_app, hearing

    pid_file = tmp_path / "parser.pid"
    monkeypatch.setattr(hearing, "read_workbook", partial(_stuck_parser, str(pid_file)))
    settings = WebSettings(report_dir=world.reports, parse_seconds=3)
    with TestClient(create_app(world.store, settings), base_url="https://testserver") as client:
        csrf = login(client, EMAILS["hospital"])
        answers: dict[str, Any] = {}

        def upload() -> None:
            answers["upload"] = client.post(
                "/engagements/demo-2026/hearing-upload",
                data={"csrf": csrf},
                files={"workbook": ("h.xlsx", _xlsx_bytes(), "application/octet-stream")},
            )

        uploading = threading.Thread(target=upload)
        uploading.start()
        for _ in range(1200):  # bounded: the parser has started when its pid is written
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        started = time.monotonic()
        assert _pid_alive(pid)
        asked = time.monotonic()
        health = client.get("/healthz")
        assert health.status_code == 200
        assert time.monotonic() - asked < 2.0
        assert uploading.is_alive()  # answered while the parser is still stuck
        uploading.join(timeout=30)
    assert not uploading.is_alive()
    assert time.monotonic() - started < 15  # stopped after 3 s, not after its 120 s
    response = answers["upload"]
    assert response.status_code == 400
    assert "h.xlsx の読み取りが 3 秒を超えたため中止しました" in response.text
    assert not _pid_alive(pid)
    with world.store.session() as session:
        from kenshin.store import AuditLog

        assert not [
            e for e in AuditLog(session).events("demo-2026") if e.action == "hearing.import"
        ]


def test_terminal_files_are_read_in_a_child_killed_after_its_time(
    world: World, monkeypatch: Any, tmp_path: Any
) -> None:
    """Terminal collector files go through the same child process and time limit as the
    workbooks (issue #19): a reader past its time is killed, nothing is stored."""
    import os
    from functools import partial

    from fastapi.testclient import TestClient

    from kenshin.terminals import demo_terminal_files
    from kenshin.web import WebSettings, create_app, workflow

    pid_file = tmp_path / "reader.pid"
    monkeypatch.setattr(workflow, "check_files", partial(_stuck_parser, str(pid_file)))
    settings = WebSettings(report_dir=world.reports, parse_seconds=2)
    name, data = demo_terminal_files()[0]
    with TestClient(create_app(world.store, settings), base_url="https://testserver") as client:
        csrf = login(client, EMAILS["hospital"])
        response = client.post(
            "/engagements/demo-2026/terminals-upload",
            data={"csrf": csrf},
            files=[("files", (name, data, "application/json"))],
        )
        assert response.status_code == 400
        assert f"{name} の読み取りが 2 秒を超えたため中止しました" in response.text
        pid = int(pid_file.read_text())
        assert pid != os.getpid()
        assert not _pid_alive(pid)
        assert client.get("/api/engagements/demo-2026/terminals").json() == []


def _address_request(world: World) -> int:
    """A sent request to V-EHR that asks for CP-02's global address (it lost its address)."""
    import dataclasses

    from kenshin.requests import RequestRepository, Want
    from kenshin.store import EngagementRepository, now_utc

    with world.store.session() as session:
        engagements = EngagementRepository(session)
        engagement = engagements.get("demo-2026")
        points = tuple(
            dataclasses.replace(p, addresses=()) if p.key == "CP-02" else p
            for p in engagement.connection_points
        )
        engagements.save(dataclasses.replace(engagement, connection_points=points))
        requests = RequestRepository(session)
        drafted = requests.draft(engagements.get("demo-2026"), now_utc(), "test")
        asking = [r for r in drafted if Want.WAN_IP in r.wants and r.point_key == "CP-02"]
        assert asking, drafted
        requests.mark_sent("demo-2026", asking[0].number, now_utc(), "test")
        return asking[0].number


def _cp02(world: World) -> list[tuple[str, str]]:
    from kenshin.store import EngagementRepository

    with world.store.session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
    point = next(p for p in engagement.connection_points if p.key == "CP-02")
    return [(str(a.address), a.assignment.value) for a in point.addresses]


def test_vendor_answer_outside_the_request_is_refused(world: World) -> None:
    from tests.web.test_web_workflow import _numbers

    number = _numbers(world.store, "demo-2026")  # asks for the firmware only
    csrf = login(world.client, EMAILS["vendor_ehr"])
    before = _cp02(world)
    refused = world.client.post(
        f"/api/engagements/demo-2026/requests/{number}/answer",
        json={"firmware": "9.1R5", "wan_ip": "203.0.113.99"},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 400
    assert "wan_ip" in refused.json()["detail"]
    assert _cp02(world) == before
    bad_enum = world.client.post(
        f"/engagements/demo-2026/requests/{number}/answer",
        data={"csrf": csrf, "assignment": "static"},
    )
    assert bad_enum.status_code in (400, 422)
    assert "static" in bad_enum.text


def test_vendor_address_is_a_proposal_until_the_surveyor_approves(world: World) -> None:
    from kenshin.store import AuditLog

    number = _address_request(world)
    csrf = login(world.client, EMAILS["vendor_ehr"])
    answered = world.client.post(
        f"/engagements/demo-2026/requests/{number}/answer",
        data={"csrf": csrf, "wan_ip": "198.18.20.99", "assignment": "fixed"},
        follow_redirects=False,
    )
    assert answered.status_code == 303, answered.text
    assert "held=1" in answered.headers["location"]
    assert _cp02(world) == []  # nothing in the scope yet
    page = world.client.get(answered.headers["location"]).text
    assert "承認待ち" in page
    login(world.client, EMAILS["vendor_net"])
    assert "198.18.20.99" not in world.client.get("/engagements/demo-2026/requests").text
    csrf = login(world.client, EMAILS["surveyor"])
    page = world.client.get("/engagements/demo-2026/requests").text
    assert 'id="proposals"' in page
    assert "＋ " in page
    assert "198.18.20.99" in page
    proposal = page.split('data-proposal="')[1].split('"')[0]
    vendor_csrf = login(world.client, EMAILS["vendor_ehr"])
    self_approved = world.client.post(
        f"/engagements/demo-2026/proposals/{proposal}/approve", data={"csrf": vendor_csrf}
    )
    assert self_approved.status_code in (400, 404), (proposal, self_approved.text)
    assert _cp02(world) == []
    csrf = login(world.client, EMAILS["surveyor"])
    approved = world.client.post(
        f"/engagements/demo-2026/proposals/{proposal}/approve",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert _cp02(world) == [("198.18.20.99", "fixed")]
    with world.store.session() as session:
        actions = [e.action for e in AuditLog(session).events("demo-2026")]
    assert "scope.proposal" in actions
    assert "scope.proposal_approved" in actions
    assert "scope.address_added" in actions
    again = world.client.post(
        f"/engagements/demo-2026/proposals/{proposal}/approve", data={"csrf": csrf}
    )
    assert again.status_code == 404  # decided once


def test_rejected_proposal_changes_nothing(world: World) -> None:
    number = _address_request(world)
    csrf = login(world.client, EMAILS["vendor_ehr"])
    world.client.post(
        f"/api/engagements/demo-2026/requests/{number}/answer",
        json={"wan_ip": "198.18.20.77", "assignment": "dynamic"},
        headers={"X-CSRF-Token": csrf},
    )
    csrf = login(world.client, EMAILS["surveyor"])
    page = world.client.get("/engagements/demo-2026/requests").text
    proposal = page.split('data-proposal="')[1].split('"')[0]
    world.client.post(f"/engagements/demo-2026/proposals/{proposal}/reject", data={"csrf": csrf})
    assert _cp02(world) == []
    assert 'id="proposals"' not in world.client.get("/engagements/demo-2026/requests").text


def test_surveyor_answer_is_applied_at_once(world: World) -> None:
    number = _address_request(world)
    csrf = login(world.client, EMAILS["surveyor"])
    done = world.client.post(
        f"/api/engagements/demo-2026/requests/{number}/answer",
        json={"wan_ip": "198.18.20.88", "assignment": "fixed"},
        headers={"X-CSRF-Token": csrf},
    )
    assert done.status_code == 200, done.text
    assert _cp02(world) == [("198.18.20.88", "fixed")]


def test_hearing_template_writes_user_values_as_text(world: World) -> None:
    import io

    from openpyxl import load_workbook

    csrf = login(world.client, EMAILS["hospital"])
    saved = world.client.post(
        "/api/engagements/demo-2026/hearing",
        json={"institution": {"name": '=HYPERLINK("http://203.0.113.9/x","病院")'}},
        headers={"X-CSRF-Token": csrf},
    )
    assert saved.status_code == 200, saved.text
    template = world.client.get("/engagements/demo-2026/hearing/template.xlsx")
    book = load_workbook(io.BytesIO(template.content))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    typed = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert typed
    assert all(c.data_type == "s" for c in typed)
    assert all(c.quotePrefix for c in typed)
    assert not [c for c in cells if c.data_type == "f"]


def test_plain_values_keep_their_look() -> None:
    from openpyxl import Workbook

    from kenshin.filetypes import cells_as_text

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "=1+1"
    sheet["A2"] = "FortiGate 7.0.11"
    sheet["A3"] = 42
    cells_as_text(book)
    assert sheet["A1"].data_type == "s"
    assert sheet["A2"].quotePrefix is False
    assert sheet["A3"].data_type == "n"


# -- accounts ----------------------------------------------------------------------------


def _user_id(world: World, email: str) -> int:
    from kenshin.web import Accounts

    with world.store.session() as session:
        return next(u.id for u in Accounts(session).users() if u.email == email)


def _sessions(world: World, email: str) -> int:
    from sqlalchemy import func, select

    from kenshin.store.models_web import SessionRow, UserRow

    with world.store.session() as session:
        return int(
            session.scalar(
                select(func.count(SessionRow.id))
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(UserRow.email == email)
            )
            or 0
        )


def test_reinviting_an_existing_account_is_refused(world: World) -> None:
    import re

    hospital_csrf = login(world.client, EMAILS["hospital"])
    assert hospital_csrf
    assert _sessions(world, EMAILS["hospital"]) == 1
    csrf = login(world.client, EMAILS["surveyor"])
    for email in (EMAILS["hospital"], EMAILS["surveyor"].upper()):
        refused = world.client.post(
            "/admin/invitations",
            data={"csrf": csrf, "email": email, "role": "surveyor"},
        )
        assert refused.status_code == 400
        assert "既に登録されています" in refused.text
        assert "/invite/" not in refused.text
    bad = world.client.post(
        "/admin/invitations", data={"csrf": csrf, "email": "not an address", "role": "hospital"}
    )
    assert bad.status_code == 400
    assert "メールアドレスとして正しくありません" in bad.text
    odd_role = world.client.post(
        "/admin/invitations", data={"csrf": csrf, "email": "new@example.jp", "role": "root"}
    )
    assert odd_role.status_code == 400
    assert _sessions(world, EMAILS["hospital"]) == 1  # the hospital's session survives
    vendor = world.client.post(
        "/admin/invitations",
        data={
            "csrf": csrf,
            "email": "new@vendor.example",
            "role": "vendor",
            "vendor": "demo-2026|V-NET",
        },
    )
    assert vendor.status_code == 200, vendor.text
    assert re.search(r"/invite/[A-Za-z0-9_-]{40,}", vendor.text)


def test_password_rules_follow_nist() -> None:
    from kenshin.web.passwords import password_problem

    refused = {
        "short": "Tr0ub4dor&3",
        "aaaaaaaaaaaa": "aaaaaaaaaaaa",
        "run": "abcdefghijklmn",
        "digits": "123456789012",
        "keyboard": "qwertyuiop12",
        "repeat": "abcabcabcabc",
        "common+digits": "password2026!",
        "common": "1q2w3e4r5t6y",
        "context": "surveyor2026!!",
    }
    for label, password in refused.items():
        assert password_problem(password, "surveyor@kenshin.example") is not None, label
    for good in ("correct horse battery", "病院の窓から見える桜並木", "Tr0ub4dor&3-stapler"):
        assert password_problem(good, "surveyor@kenshin.example") is None, good


def test_change_own_password_ends_every_other_session(world: World) -> None:
    from fastapi.testclient import TestClient
    from tests.web.test_web_access import PASSWORD

    other = TestClient(world.client.app, base_url="https://testserver")
    login(other, EMAILS["hospital"])
    csrf = login(world.client, EMAILS["hospital"])
    weak = world.client.post(
        "/account/password",
        data={"csrf": csrf, "current": PASSWORD, "password": "aaaaaaaaaaaa"},
    )
    assert weak.status_code == 400
    wrong = world.client.post(
        "/account/password",
        data={"csrf": csrf, "current": "not it at all", "password": "a new long phrase here"},
    )
    assert wrong.status_code == 400
    changed = world.client.post(
        "/account/password",
        data={"csrf": csrf, "current": PASSWORD, "password": "a new long phrase here"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert other.get("/api/engagements").status_code == 401  # the other browser is out
    assert world.client.get("/api/engagements").status_code == 200  # this one got a new one
    login(world.client, EMAILS["hospital"], "a new long phrase here")


def test_surveyor_resets_and_deactivates_users(world: World) -> None:
    import re

    from fastapi.testclient import TestClient

    vendor = TestClient(world.client.app, base_url="https://testserver")
    login(vendor, EMAILS["vendor_net"])
    csrf = login(world.client, EMAILS["surveyor"])
    page = world.client.get("/admin/users").text
    assert EMAILS["vendor_net"] in page
    vendor_id = _user_id(world, EMAILS["vendor_net"])
    off = world.client.post(
        f"/admin/users/{vendor_id}/deactivate", data={"csrf": csrf}, follow_redirects=False
    )
    assert off.status_code == 303
    assert vendor.get("/api/engagements").status_code == 401
    assert _sessions(world, EMAILS["vendor_net"]) == 0
    world.client.post(f"/admin/users/{vendor_id}/activate", data={"csrf": csrf})
    reset = world.client.post(f"/admin/users/{vendor_id}/reset", data={"csrf": csrf})
    assert reset.status_code == 200
    link = re.search(r"/invite/([A-Za-z0-9_-]{40,})", reset.text)
    assert link is not None
    form = vendor.get(f"/invite/{link.group(1)}")
    assert 'name="password"' in form.text
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    vendor.post(
        f"/invite/{link.group(1)}",
        data={"password": "vendor chose a new phrase", "login_csrf": token},
    )
    login(vendor, EMAILS["vendor_net"], "vendor chose a new phrase")
    surveyor_id = _user_id(world, EMAILS["surveyor"])
    assert (
        world.client.post(f"/admin/users/{surveyor_id}/reset", data={"csrf": csrf}).status_code
        == 400
    )
    from kenshin.web import Accounts, Role

    with world.store.session() as session:
        other = Accounts(session).create_user(
            "second@kenshin.example", "another surveyor phrase", Role.SURVEYOR
        )
    taken = world.client.post(f"/admin/users/{other.id}/reset", data={"csrf": csrf})
    assert taken.status_code == 400  # a surveyor cannot take over another surveyor


def test_invitations_are_listed_and_revocable_and_dead_links_show_no_form(world: World) -> None:
    import re

    csrf = login(world.client, EMAILS["surveyor"])
    made = world.client.post(
        "/admin/invitations",
        data={
            "csrf": csrf,
            "email": "it2@demo-hospital.example",
            "role": "hospital",
            "engagement": "demo-2026",
        },
    )
    token = re.search(r"/invite/([A-Za-z0-9_-]{40,})", made.text).group(1)  # type: ignore[union-attr]
    page = world.client.get("/admin/users").text
    assert "it2@demo-hospital.example" in page
    invitation = re.search(r'data-invitation="(\d+)"', page).group(1)  # type: ignore[union-attr]
    world.client.post(f"/admin/invitations/{invitation}/revoke", data={"csrf": csrf})
    assert "it2@demo-hospital.example" not in world.client.get("/admin/users").text
    world.client.cookies.clear()
    dead = world.client.get(f"/invite/{token}")
    assert dead.status_code == 404
    assert 'name="password"' not in dead.text
    assert "無効" in dead.text
    assert 'name="password"' not in world.client.get("/invite/not-a-token").text


def test_login_backoff_grows_and_clears(monkeypatch: Any) -> None:
    from kenshin.web import login as web_login

    now = [1000.0]
    monkeypatch.setattr(web_login.time, "monotonic", lambda: now[0])
    backoff = web_login.LoginBackoff(free=5, longest=900)
    for _ in range(5):
        assert backoff.allow("198.51.100.1", "a@example.jp")
        backoff.failed("198.51.100.1", "a@example.jp")
    assert not backoff.allow("198.51.100.1", "a@example.jp")
    assert backoff.allow("198.51.100.2", "a@example.jp")  # another source
    assert backoff.allow("198.51.100.1", "b@example.jp")  # another account
    now[0] += 1.5
    assert backoff.allow("198.51.100.1", "a@example.jp")
    backoff.failed("198.51.100.1", "a@example.jp")
    now[0] += 1.5
    assert not backoff.allow("198.51.100.1", "a@example.jp")  # now 2 s
    for _ in range(30):
        backoff.failed("198.51.100.1", "a@example.jp")
    now[0] += 901
    assert backoff.allow("198.51.100.1", "a@example.jp")  # never more than 15 minutes
    backoff.succeeded("198.51.100.1", "a@example.jp")
    assert "198.51.100.1" not in {c for c, _ in backoff.pairs}


def test_api_docs_for_logged_in_surveyors_only(world: World) -> None:
    world.client.cookies.clear()
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert world.client.get(path, follow_redirects=False).status_code in (303, 401)
    login(world.client, EMAILS["hospital"])
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert world.client.get(path).status_code == 404
    login(world.client, EMAILS["surveyor"])
    assert "/api/engagements" in world.client.get("/openapi.json").json()["paths"]
    assert world.client.get("/docs").status_code == 200


def test_bad_values_are_a_japanese_422_or_400(world: World) -> None:
    from tests.web.test_web_access import FINDINGS

    from kenshin.store import finding_fingerprint

    csrf = login(world.client, EMAILS["surveyor"])
    fingerprint = finding_fingerprint(FINDINGS["utm"])
    api = world.client.post(
        f"/api/engagements/demo-2026/findings/{fingerprint}/status",
        json={"status": "pwned"},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 422
    assert "入力内容を確認してください" in api.json()["message"]
    assert api.json()["detail"][0]["msg"] == "値が正しくないか、選べる値ではありません。"
    form = world.client.post(
        f"/engagements/demo-2026/findings/{fingerprint}/status",
        data={"csrf": csrf, "status": "pwned"},
    )
    assert form.status_code == 400
    assert "pwned" in form.text


def test_secure_cookie_by_default_and_tokens_out_of_access_log(world: World) -> None:
    import logging

    from tests.web.test_web_access import PASSWORD

    from kenshin.web import WebSettings

    assert WebSettings().secure_cookies is True
    world.client.cookies.clear()
    form = world.client.get("/login")
    import re

    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    logged = world.client.post(
        "/login",
        data={"email": EMAILS["surveyor"], "password": PASSWORD, "login_csrf": token},
        follow_redirects=False,
    )
    assert "secure" in logged.headers["set-cookie"].lower()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/invite/SECRETTOKEN123?x=1", "1.1", 200),
        None,
    )
    for handler_filter in logging.getLogger("uvicorn.access").filters:
        handler_filter.filter(record)
    assert "SECRETTOKEN123" not in record.getMessage()
    assert "/invite/…" in record.getMessage()


def test_serve_states_plain_http_only_on_loopback() -> None:
    from kenshin.cli.web import _loopback

    assert _loopback("127.0.0.1")
    assert _loopback("::1")
    assert _loopback("localhost")
    assert not _loopback("0.0.0.0")
    assert not _loopback("192.0.2.10")


def test_board_shows_issued_only_after_a_successful_build(world: World) -> None:
    from datetime import UTC, datetime

    from kenshin.store.models_jobs import JobRow
    from kenshin.web.workflow import engagement_state

    csrf = login(world.client, EMAILS["surveyor"])
    world.client.post("/engagements/demo-2026/report", data={"csrf": csrf, "lang": "ja"})
    world.client.get("/engagements/demo-2026/report/ja/report.pdf")  # a download (404 here)

    def issued() -> bool:
        from kenshin.store import EngagementRepository

        with world.store.session() as session:
            engagement = EngagementRepository(session).get("demo-2026")
            return engagement_state(session, engagement).report_issued

    assert not issued()

    def job(state: str, number: int) -> None:
        with world.store.session() as session:
            session.add(
                JobRow(
                    id=f"job-{state}-{number}",
                    kind="report",
                    engagement_code="demo-2026",
                    state=state,
                    created_at=datetime.now(UTC),
                )
            )

    job("failed", 1)
    assert not issued()
    job("succeeded", 2)
    assert issued()
    assert "発行済" in world.client.get("/board").text


# -- #20: the web confirms a dynamic address under the CLI's rule ------------------------


def _change_demo(world: World, change: Any) -> None:
    from kenshin.store import EngagementRepository

    with world.store.session() as session:
        engagements = EngagementRepository(session)
        engagements.save(change(engagements.get("demo-2026")))


def _out_of_scope(engagement: Any) -> Any:
    import dataclasses

    return dataclasses.replace(
        engagement,
        connection_points=tuple(
            dataclasses.replace(p, in_ehr_scope=False, scope_reason="独立した回線")
            if p.key == "CP-02"
            else p
            for p in engagement.connection_points
        ),
    )


def _closed(engagement: Any) -> Any:
    import dataclasses

    from kenshin.domain import EngagementStatus

    return dataclasses.replace(engagement, status=EngagementStatus.CLOSED)


def test_web_confirmation_refuses_what_the_cli_refuses(world: World) -> None:
    import pytest

    from kenshin.scope import ScopeError, address_to_confirm
    from kenshin.store import AuditLog, EngagementRepository

    url = "/engagements/demo-2026/addresses/198.18.20.20/confirm"
    for change in (_out_of_scope, _closed):
        _change_demo(world, lambda e: e)  # unchanged first
        with world.store.session() as session:
            original = EngagementRepository(session).get("demo-2026")
        _change_demo(world, change)
        with world.store.session() as session:
            changed = EngagementRepository(session).get("demo-2026")
        with pytest.raises(ScopeError):  # the rule `kenshin targets confirm` applies
            address_to_confirm(changed, "198.18.20.20")
        csrf = login(world.client, EMAILS["hospital"])
        refused = world.client.post(url, data={"csrf": csrf})
        assert refused.status_code == 400, change.__name__
        with world.store.session() as session:
            after = EngagementRepository(session).get("demo-2026")
        point = next(p for p in after.connection_points if p.key == "CP-02")
        assert all(not a.confirmations for a in point.addresses)
        _change_demo(world, lambda _e, o=original: o)
    csrf = login(world.client, EMAILS["hospital"])
    done = world.client.post(url, data={"csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303
    with world.store.session() as session:
        actions = [e.action for e in AuditLog(session).events("demo-2026")]
    assert "scope.confirm" in actions
    fixed = world.client.post(
        "/engagements/demo-2026/addresses/198.18.10.10/confirm", data={"csrf": csrf}
    )
    assert fixed.status_code == 400


# -- vendors see their own part -----------------------------------------------------------


def test_vendor_counts_and_line_findings_are_its_own(world: World) -> None:
    import dataclasses

    from kenshin.domain import Finding, FindingCategory, FindingSubject, Severity
    from kenshin.store import FindingRepository

    ssh = Finding(
        "exposure.ssh",
        FindingCategory.EXPOSURE,
        Severity.MEDIUM,
        "SSH公開",
        "SSH exposed",
        FindingSubject(address="198.18.10.10", port=22, protocol="tcp"),
    )
    with world.store.session() as session:
        FindingRepository(session).record("demo-2026", [ssh])

    def seen() -> set[str]:
        login(world.client, EMAILS["vendor_net"])
        found = world.client.get("/api/engagements/demo-2026/findings").json()
        listed = world.client.get("/api/engagements").json()
        (mine,) = [e for e in listed if e["code"] == "demo-2026"]
        assert mine["open_findings"] == len(found)  # counted as filtered
        return {f["title_en"] for f in found}

    assert seen() == {"FortiOS vulnerability", "SSH exposed"}  # V-NET manages all of CP-01
    login(world.client, EMAILS["surveyor"])
    everything = [
        e for e in world.client.get("/api/engagements").json() if e["code"] == "demo-2026"
    ]
    assert everything[0]["open_findings"] == 3

    def share_the_line(engagement: Any) -> Any:
        devices = tuple(
            dataclasses.replace(d, connection_points=("CP-01", "CP-04")) if d.key == "DEV-05" else d
            for d in engagement.devices
        )
        return dataclasses.replace(engagement, devices=devices)

    _change_demo(world, share_the_line)  # a hospital-managed device on the same line
    assert seen() == {"FortiOS vulnerability"}  # only its own device's findings now


def test_job_progress_words_are_japanese(world: World) -> None:
    csrf = login(world.client, EMAILS["surveyor"])
    job = _job(world, csrf, {"kind": "report", "params": {"lang": "ja"}}).json()
    world.runner.jobs[job["id"]].message = "written"
    assert world.client.get(f"/api/jobs/{job['id']}").json()["message"] == "作成完了"
    assert "作成完了" in world.client.get("/engagements/demo-2026/jobs").text


def test_version_not_obtained_closes_when_the_version_arrives(world: World) -> None:
    from tests.web.test_web_workflow import _numbers

    from kenshin.domain import Finding, FindingCategory, FindingStatus, FindingSubject, Severity
    from kenshin.store import FindingRepository

    number = _numbers(world.store, "demo-2026")  # DEV-03's firmware, to V-EHR
    unknown = Finding(
        "firmware.version_unknown",
        FindingCategory.CONFIGURATION,
        Severity.INFO,
        "ファームウェアのバージョンが不明です",
        "The firmware version is unknown",
        FindingSubject(device_key="DEV-03"),
    )
    other = Finding(
        "firmware.version_unknown",
        FindingCategory.CONFIGURATION,
        Severity.INFO,
        "ファームウェアのバージョンが不明です",
        "The firmware version is unknown",
        FindingSubject(device_key="DEV-02"),
    )
    with world.store.session() as session:
        FindingRepository(session).record("demo-2026", [unknown, other])
    csrf = login(world.client, EMAILS["vendor_ehr"])
    answered = world.client.post(
        f"/api/engagements/demo-2026/requests/{number}/answer",
        json={"firmware": "9.1R5"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answered.status_code == 200, answered.text
    with world.store.session() as session:
        found = FindingRepository(session).list("demo-2026")
    states = {
        f.subject.device_key: f.status for f in found if f.check_id == "firmware.version_unknown"
    }
    assert states["DEV-03"] is FindingStatus.FIXED
    assert states["DEV-02"] is FindingStatus.OPEN  # another device: untouched


# -- #24: the job page shows the plan before any packet ------------------------------------


def test_job_page_shows_the_scan_plan_and_its_estimate(world: World) -> None:
    login(world.client, EMAILS["surveyor"])
    page = world.client.get("/engagements/demo-2026/jobs").text
    assert 'id="scan-plan"' in page
    assert "TCP 65535（1-65535）" in page  # the default coverage: every TCP port
    assert "所要時間の見込み" in page
    assert "診断時間帯の終わり" in page
    assert world.runner.jobs == {}  # showing the plan starts nothing


def test_job_page_refuses_a_plan_that_cannot_end_inside_the_window(world: World) -> None:
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from kenshin.domain import DiagnosisWindow
    from kenshin.store import EngagementRepository
    from kenshin.store.models import AuditEventRow

    now = datetime.now(UTC)
    with world.store.session() as session:
        repository = EngagementRepository(session)
        engagement = repository.get("demo-2026")
        short = DiagnosisWindow(now - timedelta(hours=1), now + timedelta(minutes=2))
        repository.save(dataclasses.replace(engagement, window=short))
    login(world.client, EMAILS["surveyor"])
    page = world.client.get("/engagements/demo-2026/jobs").text
    assert 'id="scan-plan"' not in page
    assert "この計画は診断時間帯に収まりません: 見込み最大" in page  # with its estimate
    assert 'name="kind" value="scan"' not in page  # no start button for a plan that cannot fit
    with world.store.session() as session:  # a page view is no attempt to scan
        outcomes = [row.outcome for row in session.query(AuditEventRow).all()]
    assert "refused" not in outcomes
