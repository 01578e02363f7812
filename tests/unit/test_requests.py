"""Vendor information requests: who is asked what, the state flow, answers, documents."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kenshin.domain import (
    AddressAssignment,
    ConnectionKind,
    ConnectionPoint,
    ContractHolder,
    Device,
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    HolderKind,
    Severity,
    VersionSource,
)
from kenshin.intake import IntakeError
from kenshin.requests import (
    Answer,
    RequestError,
    RequestPath,
    RequestRepository,
    RequestState,
    Want,
    apply_answer,
    check_firmware,
    give_up_on_device,
    plan_requests,
    procedure_for,
    read_answer,
    read_answer_workbook,
    record_answer,
    render_letter,
    write_workbook,
)
from kenshin.store import EngagementRepository, FindingRepository, Store, open_store

NOW = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 2026-11-27 08:30 in Japan


def _replace_point(engagement: Engagement, key: str, **changes: object) -> Engagement:
    points = tuple(
        dataclasses.replace(p, **changes) if p.key == key else p  # type: ignore[arg-type]
        for p in engagement.connection_points
    )
    return dataclasses.replace(engagement, connection_points=points)


def test_demo_asks_the_ehr_vendor_for_the_vpn_appliance_version(
    demo_engagement: Engagement,
) -> None:
    drafts = plan_requests(demo_engagement)
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.device_key == "DEV-03"  # Ivanti Connect Secure, version not obtained
    assert draft.point_key == "CP-02"
    assert draft.recipient.kind is HolderKind.VENDOR
    assert draft.recipient.vendor_key == "V-EHR"
    assert draft.wants == (Want.FIRMWARE,)


def test_missing_address_rides_on_the_edge_device_and_closed_networks_are_never_asked(
    demo_engagement: Engagement,
) -> None:
    engagement = _replace_point(demo_engagement, "CP-01", addresses=(), carrier="")
    engagement = _replace_point(engagement, "CP-03", addresses=(), carrier="")
    drafts = {(d.device_key, d.point_key): d for d in plan_requests(engagement)}
    utm = drafts[("DEV-01", "CP-01")]
    assert utm.wants == (Want.WAN_IP, Want.ASSIGNMENT, Want.ISP)
    assert utm.recipient.vendor_key == "V-NET"  # the UTM's maintenance vendor
    assert not any(d.point_key in ("CP-03", "CP-04") for d in drafts.values())


def test_unknown_assignment_and_a_line_without_devices(demo_engagement: Engagement) -> None:
    lonely = ConnectionPoint(
        key="CP-09",
        name="ベンダ持ち込み回線",
        kind=ConnectionKind.REMOTE_MAINTENANCE,
        in_ehr_scope=True,
        internet_reachable=True,
        contract_holder=ContractHolder(HolderKind.VENDOR, "V-NET"),
    )
    engagement = dataclasses.replace(
        demo_engagement, connection_points=(*demo_engagement.connection_points, lonely)
    )
    engagement = _replace_point(
        engagement,
        "CP-01",
        addresses=tuple(
            dataclasses.replace(a, assignment=AddressAssignment.UNKNOWN)
            for a in demo_engagement.point("CP-01").addresses
        ),
    )
    drafts = {(d.device_key, d.point_key): d for d in plan_requests(engagement)}
    assert drafts[("DEV-01", "CP-01")].wants == (Want.ASSIGNMENT,)
    point_only = drafts[(None, "CP-09")]
    assert point_only.wants == (Want.WAN_IP, Want.ASSIGNMENT, Want.ISP)
    assert point_only.recipient.vendor_key == "V-NET"


def test_hospital_managed_router_on_a_vendor_line_asks_the_line_holder(
    demo_engagement: Engagement,
) -> None:
    devices = tuple(
        dataclasses.replace(
            d,
            managed_by=ContractHolder(HolderKind.HOSPITAL),
            firmware_version="",
            version_source=None,
        )
        if d.key == "DEV-02"
        else d
        for d in demo_engagement.devices
    )
    drafts = plan_requests(dataclasses.replace(demo_engagement, devices=devices))
    router = next(d for d in drafts if d.device_key == "DEV-02")
    assert router.recipient.vendor_key == "V-EHR"  # CP-02 is contracted by V-EHR
    assert router.wants == (Want.FIRMWARE,)


@pytest.fixture
def store(store_url: str, demo_engagement: Engagement) -> Iterator[Store]:
    """The demo engagement in a store: SQLite, and PostgreSQL when one is available."""
    opened = open_store(store_url)
    with opened.session() as session:
        EngagementRepository(session).save(demo_engagement)
    yield opened
    opened.dispose()


def test_state_flow_draft_send_overdue_answer(store: Store) -> None:
    with store.session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
        created = RequestRepository(session).draft(engagement, NOW, "調査員A")
        again = RequestRepository(session).draft(engagement, NOW, "調査員A")
    assert [r.ref for r in created] == ["REQ-001"]
    assert again == []  # an open request is not drafted twice
    request = created[0]
    assert request.state is RequestState.DRAFT
    assert request.path is RequestPath.VENDOR_READS
    with store.session() as session:
        sent = RequestRepository(session).mark_sent("demo-2026", 1, NOW, "調査員A")
    assert sent.state is RequestState.SENT
    assert sent.due_date == date(2026, 11, 27) + timedelta(days=10)  # Japan date + 10
    assert not sent.is_overdue(date(2026, 12, 7))
    assert sent.is_due_soon(date(2026, 12, 6))
    assert sent.is_overdue(date(2026, 12, 8))
    with store.session() as session, pytest.raises(RequestError) as caught:
        RequestRepository(session).mark_sent("demo-2026", 1, NOW, "調査員A")
    assert "依頼済" in caught.value.message("ja")

    seen: list[Engagement] = []
    finding = Finding(
        check_id="firmware.cve",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja="既知の脆弱性",
        title_en="Known vulnerability",
        subject=FindingSubject(device_key="DEV-03"),
        cves=("CVE-2025-0282",),
    )

    def firmware_check(engagement: Engagement) -> list[Finding]:
        seen.append(engagement)
        return [finding]

    with store.session() as session:
        outcome = record_answer(
            session, "demo-2026", 1, Answer(firmware="22.7R2.3"), NOW, "調査員A"
        )
        count = check_firmware(session, outcome.engagement, firmware_check)
    assert count == 1
    assert outcome.request.state is RequestState.ANSWERED
    device = next(d for d in seen[0].devices if d.key == "DEV-03")
    assert device.firmware_version == "22.7R2.3"
    assert device.version_source is VersionSource.VENDOR
    assert device.version_unavailable_reason == ""
    with store.session() as session:
        stored = EngagementRepository(session).get("demo-2026")
        findings = FindingRepository(session).list("demo-2026")
        history = RequestRepository(session).get("demo-2026", 1).history
        again = RequestRepository(session).draft(stored, NOW, "調査員A")
    assert next(d for d in stored.devices if d.key == "DEV-03").firmware_version == "22.7R2.3"
    assert [f.cves for f in findings] == [("CVE-2025-0282",)]
    assert [h.state for h in history] == [
        RequestState.DRAFT,
        RequestState.SENT,
        RequestState.ANSWERED,
    ]
    assert again == []  # nothing missing any more


def test_difficult_moves_a_to_b_to_c_then_records_why(store: Store) -> None:
    with store.session() as session:
        engagement = EngagementRepository(session).get("demo-2026")
        RequestRepository(session).draft(engagement, NOW, "s")
    paths = []
    number = 1
    while True:
        with store.session() as session:
            closed, follow_up = RequestRepository(session).mark_difficult(
                "demo-2026", number, NOW, "s", "困難"
            )
        paths.append(closed.path)
        assert closed.state is RequestState.DIFFICULT
        if follow_up is None:
            break
        assert follow_up.follows == number
        assert follow_up.wants == closed.wants
        number = follow_up.number
    assert paths == [
        RequestPath.VENDOR_READS,
        RequestPath.HOSPITAL_PROCEDURE,
        RequestPath.ONSITE_WORKER,
    ]
    with store.session() as session:
        engagements = EngagementRepository(session)
        last = RequestRepository(session).get("demo-2026", number)
        updated = give_up_on_device(engagements.get("demo-2026"), last, "取得できず（困難）")
        assert updated is not None
        engagements.save(updated)
        redraft = RequestRepository(session).draft(updated, NOW, "s")
    device = next(d for d in updated.devices if d.key == "DEV-03")
    assert device.version_source is VersionSource.NOT_OBTAINED
    assert device.version_unavailable_reason == "取得できず（困難）"
    assert redraft == []  # every path was tried: not asked again


def test_answer_on_path_c_is_an_onsite_reading(demo_engagement: Engagement, store: Store) -> None:
    with store.session() as session:
        repo = RequestRepository(session)
        repo.draft(demo_engagement, NOW, "s")
        repo.mark_difficult("demo-2026", 1, NOW, "s", "x")
        repo.mark_difficult("demo-2026", 2, NOW, "s", "x")
        outcome = record_answer(session, "demo-2026", 3, Answer(firmware="22.7R2.4"), NOW, "s")
    device = next(d for d in outcome.engagement.devices if d.key == "DEV-03")
    assert device.version_source is VersionSource.ONSITE


def test_dynamic_address_answer_replaces_the_old_one(
    demo_engagement: Engagement, store: Store
) -> None:
    engagement = dataclasses.replace(
        demo_engagement,
        devices=tuple(
            dataclasses.replace(d, firmware_version="", version_source=None)
            if d.key == "DEV-02"
            else d
            for d in demo_engagement.devices
        ),
    )
    with store.session() as session:
        EngagementRepository(session).save(engagement)
        created = RequestRepository(session).draft(engagement, NOW, "s")
    router = next(r for r in created if r.device_key == "DEV-02")
    answer = Answer(
        firmware="Rev.14.01.41",
        wan_ip=ip_address("198.18.20.21"),
        assignment=AddressAssignment.DYNAMIC,
        isp="架空モバイル光",
    )
    updated, changes = apply_answer(engagement, router, answer)
    point = updated.point("CP-02")
    assert [str(a.address) for a in point.addresses] == ["198.18.20.21"]
    assert point.carrier == "架空モバイル光"
    assert [(c.action, c.address) for c in changes] == [
        ("removed", "198.18.20.20"),
        ("added", "198.18.20.21"),
    ]


def test_answers_that_cannot_apply_are_refused(demo_engagement: Engagement, store: Store) -> None:
    with store.session() as session:
        request = RequestRepository(session).draft(demo_engagement, NOW, "s")[0]
    closed = dataclasses.replace(request, point_key="CP-03")
    with pytest.raises(RequestError) as caught:
        apply_answer(demo_engagement, closed, Answer(wan_ip=ip_address("203.0.113.5")))
    assert "閉域網" in caught.value.message("ja")
    no_address = _replace_point(demo_engagement, "CP-02", addresses=())
    with pytest.raises(RequestError):
        apply_answer(no_address, request, Answer(assignment=AddressAssignment.FIXED))
    with pytest.raises(RequestError):
        apply_answer(demo_engagement, request, Answer())
    taken = Answer(wan_ip=ip_address("198.18.10.10"), assignment=AddressAssignment.FIXED)
    with pytest.raises(IntakeError):  # CP-01's address: the validation gate refuses
        apply_answer(demo_engagement, request, taken)


def _device(vendor: str, model: str) -> Device:
    return Device(key="D", name="x", role=DeviceRole.ROUTER, vendor=vendor, model=model)


@pytest.mark.parametrize(
    ("vendor", "model", "expected"),
    [
        ("Fortinet", "FortiGate 60F", "fortigate"),
        ("YAMAHA", "RTX1210", "yamaha-rtx"),
        ("NEC", "UNIVERGE IX2215", "nec-ix"),
        ("Cisco", "ISR 1111", "cisco-isr"),
        ("Cisco", "ASA 5506-X", "cisco-asa"),
        ("Palo Alto Networks", "PA-440", "paloalto"),
        ("SonicWall", "TZ370", "sonicwall"),
        ("Ivanti", "Connect Secure", "generic"),
        ("Buffalo", "WAPM-1266R", "generic"),
    ],
)
def test_procedure_templates_match_the_right_devices(
    vendor: str, model: str, expected: str
) -> None:
    assert procedure_for(_device(vendor, model)).id == expected


def test_letters_for_each_path(demo_engagement: Engagement, store: Store) -> None:
    engagement = dataclasses.replace(
        demo_engagement,
        devices=tuple(
            dataclasses.replace(d, firmware_version="", version_source=None)
            if d.key == "DEV-02"
            else d
            for d in demo_engagement.devices
        ),
    )
    with store.session() as session:
        EngagementRepository(session).save(engagement)
        repo = RequestRepository(session)
        router = next(r for r in repo.draft(engagement, NOW, "s") if r.device_key == "DEV-02")
        _, path_b = repo.mark_difficult("demo-2026", router.number, NOW, "s", "x")
        assert path_b is not None
        _, path_c = repo.mark_difficult("demo-2026", path_b.number, NOW, "s", "x")
        assert path_c is not None
    a = render_letter(engagement, router, surveyor="健診 太郎").text()
    assert "架空メディカルシステムズ株式会社 御中" in a
    assert "遠隔 三郎 様" in a
    assert "ファームウェアバージョン" in a
    assert "健診 太郎" in a
    assert "show environment" not in a  # no procedure on path A
    b = render_letter(engagement, path_b).text()
    assert "装置へのログイン方法" in b
    assert "YAMAHA RTX" in b
    assert "show environment" in b
    c = render_letter(engagement, path_c).text()
    assert "現地作業員による装置へのログインのご許可" in c
    assert "メール本文には記載せず" in c
    english = render_letter(engagement, path_b, lang="en").text()
    assert "procedure" in english


def test_workbook_round_trip_with_full_width_input(
    demo_engagement: Engagement, store: Store, tmp_path: Path
) -> None:
    with store.session() as session:
        requests = RequestRepository(session).draft(demo_engagement, NOW, "s")
    path = write_workbook(demo_engagement, requests, tmp_path / "req.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["ご回答"]
    assert sheet["A4"].value == "REQ-001"
    assert sheet["D4"].protection.locked is False
    assert sheet["A4"].protection.locked is True
    sheet["D4"] = "２２．７Ｒ２．３"
    sheet["E4"] = "１９８．１８．２０．２０"
    sheet["F4"] = "動的IP"
    workbook.save(path)
    rows = read_answer_workbook(path)
    assert len(rows) == 1
    assert rows[0].number == 1
    assert rows[0].answer.wan_ip == ip_address("198.18.20.20")
    assert rows[0].answer.assignment is AddressAssignment.DYNAMIC
    assert rows[0].answer.firmware == "22.7R2.3"
    sheet["E4"] = "198.18.20"
    workbook.save(path)
    with pytest.raises(IntakeError) as caught:
        read_answer_workbook(path)
    assert "ご回答!E4: IPアドレスの形式が正しくありません" in caught.value.message("ja")


def test_pdf_letters(demo_engagement: Engagement, store: Store, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="WeasyPrint is needed for PDF letters")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF back")
    from kenshin.requests._pdf import write_pdf

    with store.session() as session:
        requests = RequestRepository(session).draft(demo_engagement, NOW, "s")
    path = write_pdf(demo_engagement, requests, tmp_path / "req.pdf")
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "REQ-001" in text
    assert "架空メディカルシステムズ株式会社" in text


def test_the_default_firmware_check_is_the_real_one_on_the_bundled_knowledge_base(
    demo_engagement: Engagement,
) -> None:
    """No stand-in: the check an answer triggers is the firmware room's, on the bundled data."""
    from kenshin.firmware import check_engagement
    from kenshin.requests import run_firmware_check
    from kenshin.vulndb import open_knowledge_base

    findings = run_firmware_check(demo_engagement)
    assert findings == check_engagement(demo_engagement, open_knowledge_base())
    assert findings, "the demo hospital has devices the knowledge base knows"
    device_keys = {d.key for d in demo_engagement.devices}
    assert {f.subject.device_key for f in findings} <= device_keys


def test_request_numbers_count_per_engagement(store: Store, demo_engagement: Engagement) -> None:
    """A hospital's vendor learns nothing of other hospitals' requests from REQ-nnn (#19)."""
    other = dataclasses.replace(demo_engagement, code="other-2026")
    with store.session() as session:
        EngagementRepository(session).save(other)
    with store.session() as session:
        engagements = EngagementRepository(session)
        demo = RequestRepository(session).draft(engagements.get("demo-2026"), NOW, "調査員A")
        theirs = RequestRepository(session).draft(engagements.get("other-2026"), NOW, "調査員A")
    assert [r.ref for r in demo] == ["REQ-001"]
    assert [r.ref for r in theirs] == ["REQ-001"]
    with store.session() as session:
        requests = RequestRepository(session)
        assert requests.get("other-2026", 1).engagement_code == "other-2026"
        with pytest.raises(RequestError) as shared:
            requests.engagement_of(1)
    assert "demo-2026, other-2026" in shared.value.message("ja")
    assert "CODE:REQ-001" in shared.value.message("en")


def test_read_answer_reads_people_words_as_the_workbook_does() -> None:
    """The one reading of a vendor's words: the workbook, ``requests answer`` and the web."""
    answer = read_answer(" Ｖ７．２．５ ", "２０３。０。１１３。７", "固定ip", "不明", "-")
    assert answer == Answer("V7.2.5", ip_address("203.0.113.7"), AddressAssignment.FIXED)
    assert read_answer(assignment="Dynamic").assignment is AddressAssignment.DYNAMIC
    assert read_answer("不明", "わからない", "不明", "", "").is_empty()
    assert read_answer(assignment="unknown").assignment is None  # no answer, not "unknown"
    with pytest.raises(RequestError) as bad_ip:
        read_answer(wan_ip="203.0.113")
    assert bad_ip.value.key == "hearing.bad_ip"
    with pytest.raises(RequestError) as bad_choice:
        read_answer(assignment="static")
    assert bad_choice.value.params["allowed"] == "固定IP、動的IP"
