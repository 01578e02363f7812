"""The defects of issue #19, each reproduced: job parameters, uploads, vendor answers that
would change the scope, formulas in workbooks, accounts, lockout, cookies and counts."""

from __future__ import annotations

from typing import Any

from tests.web import test_web_workflow
from tests.web.test_web_workflow import EMAILS, World, login

from kenshin.jobs import JobKind

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


def test_job_status_shows_no_server_path(world: World) -> None:
    csrf = login(world.client, EMAILS["surveyor"])
    job = _job(world, csrf, {"kind": "report", "params": {"lang": "ja"}}).json()
    status = world.runner.jobs[job["id"]]
    folder = world.reports.resolve() / "demo-2026" / "ja"
    status.state = "succeeded"
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

    from kenshin.intake import hearing_sheet

    opened: list[object] = []
    monkeypatch.setattr(hearing_sheet, "load_workbook", lambda *a, **k: opened.append(a))
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


def test_upload_parsing_runs_off_the_event_loop(world: World, monkeypatch: Any) -> None:
    import asyncio

    from kenshin.web import hearing

    on_loop: list[bool] = []
    real = hearing.read_answers

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            on_loop.append(False)
        return real(*args, **kwargs)

    monkeypatch.setattr(hearing, "read_answers", spy)
    csrf = login(world.client, EMAILS["hospital"])
    world.client.get("/")
    from tests.web.test_web_workflow import _xlsx_bytes

    world.client.post(
        "/engagements/demo-2026/hearing-upload",
        data={"csrf": csrf},
        files={"workbook": ("h.xlsx", _xlsx_bytes(), "application/octet-stream")},
    )
    assert on_loop == [False]


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
