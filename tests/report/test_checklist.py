"""The ministry checklist: the data file and each way of weighing evidence, both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from report_fixtures import demo_report_input

from kenshin.assess import (
    ChecklistStatus,
    SurveyEvidence,
    assess_findings,
    evaluate_checklist,
    load_checklist,
)
from kenshin.domain import (
    ContractHolder,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    HolderKind,
    Severity,
    VersionSource,
)
from kenshin.report.gaps import assess
from kenshin.report.sources import _terminal_row
from kenshin.terminals import demo_terminal_files, evaluate, parse_collector_file


def _status(results: tuple, item_id: str) -> ChecklistStatus:  # type: ignore[type-arg]
    return next(r.status for r in results if r.item.id == item_id)


def _finding(check: str, category: FindingCategory, subject: FindingSubject) -> Finding:
    return Finding(check, category, Severity.MEDIUM, "試験", "test", subject)


def test_data_file_states_its_edition_and_items() -> None:
    checklist = load_checklist()
    assert checklist.name_ja == "令和7年度版"
    assert checklist.title_ja == "医療機関におけるサイバーセキュリティ対策チェックリスト"
    ids = [item.id for item in checklist.items]
    assert len(ids) == len(set(ids))
    for wanted in ("2-1", "2-2", "2-5", "2-9", "2-11", "2-12", "2-13"):
        assert wanted in ids
    assert all(item.text_ja and item.text_en for item in checklist.items)


def test_ledger_met_when_a_missing_version_has_its_reason(demo_engagement: Engagement) -> None:
    results = evaluate_checklist(demo_engagement, (), SurveyEvidence())
    # DEV-03 has no version but the reason is recorded: the ledger is complete
    assert _status(results, "2-1") is ChecklistStatus.MET
    ledger = next(r for r in results if r.item.id == "2-1")
    assert ledger.reason == "assess.checklist.ledger_ok_reasons"
    assert "DEV-03" in ledger.params["devices"]
    assert "DEV-05" not in ledger.params["devices"]  # guest Wi-Fi is out of scope


def test_ledger_not_met_when_a_version_is_missing_without_reason(
    demo_engagement: Engagement,
) -> None:
    devices = tuple(
        replace(d, version_unavailable_reason="") if d.key == "DEV-03" else d
        for d in demo_engagement.devices
    )
    results = evaluate_checklist(replace(demo_engagement, devices=devices), (), SurveyEvidence())
    assert _status(results, "2-1") is ChecklistStatus.NOT_MET
    ledger = next(r for r in results if r.item.id == "2-1")
    assert "DEV-03" in ledger.params["devices"]


def test_ledger_not_met_when_a_point_has_no_holder(demo_engagement: Engagement) -> None:
    points = tuple(
        replace(p, contract_holder=ContractHolder(HolderKind.OTHER)) if p.key == "CP-01" else p
        for p in demo_engagement.connection_points
    )
    engagement = replace(demo_engagement, connection_points=points)
    results = evaluate_checklist(engagement, (), SurveyEvidence())
    assert _status(results, "2-1") is ChecklistStatus.NOT_MET
    assert "CP-01" in next(r for r in results if r.item.id == "2-1").params["devices"]


def test_ledger_met_when_every_in_scope_device_is_known(demo_engagement: Engagement) -> None:
    devices = tuple(
        replace(d, firmware_version="22.7R2.4", version_source=VersionSource.VENDOR)
        if d.key == "DEV-03"
        else d
        for d in demo_engagement.devices
    )
    engagement = replace(demo_engagement, devices=devices)
    results = evaluate_checklist(engagement, (), SurveyEvidence())
    assert _status(results, "2-1") is ChecklistStatus.MET
    assert _status(results, "2-2") is ChecklistStatus.MET  # the vendor answered for CP-02


def test_remote_maintenance_not_met_while_the_vendor_has_not_answered(
    demo_engagement: Engagement,
) -> None:
    results = evaluate_checklist(demo_engagement, (), SurveyEvidence())
    assert _status(results, "2-2") is ChecklistStatus.NOT_MET


def test_remote_maintenance_not_determinable_without_such_lines(
    demo_engagement: Engagement,
) -> None:
    engagement = replace(
        demo_engagement,
        connection_points=tuple(p for p in demo_engagement.connection_points if p.key != "CP-02"),
        devices=tuple(d for d in demo_engagement.devices if "CP-02" not in d.connection_points),
    )
    results = evaluate_checklist(engagement, (), SurveyEvidence())
    assert _status(results, "2-2") is ChecklistStatus.NOT_DETERMINABLE


def test_usb_from_terminal_verdicts(demo_engagement: Engagement) -> None:
    usb = "external_media"  # the checklist topic of the terminal USB checks
    bad = SurveyEvidence(terminal_verdicts=[("T-01", usb, "ok"), ("T-02", usb, "bad")])
    good = SurveyEvidence(terminal_verdicts=[("T-01", usb, "ok"), ("T-02", usb, "ok")])
    unknown = SurveyEvidence(terminal_verdicts=[("T-01", usb, "unknown")])
    assert _status(evaluate_checklist(demo_engagement, (), bad), "2-9") is ChecklistStatus.NOT_MET
    assert _status(evaluate_checklist(demo_engagement, (), good), "2-9") is ChecklistStatus.MET
    assert (
        _status(evaluate_checklist(demo_engagement, (), unknown), "2-9")
        is ChecklistStatus.NOT_DETERMINABLE
    )
    assert (
        _status(evaluate_checklist(demo_engagement, (), SurveyEvidence()), "2-9")
        is ChecklistStatus.NOT_DETERMINABLE
    )


def test_usb_from_a_finding_points_at_it(demo_engagement: Engagement) -> None:
    assessed = assess_findings(
        demo_engagement,
        [
            _finding(
                "terminal.usb", FindingCategory.CONFIGURATION, FindingSubject(terminal_key="T-02")
            )
        ],
    )
    results = evaluate_checklist(demo_engagement, assessed, SurveyEvidence())
    usb = next(r for r in results if r.item.id == "2-9")
    assert usb.status is ChecklistStatus.NOT_MET
    assert usb.finding_ids == (assessed[0].id,)


def test_patches_need_every_kind_of_evidence_to_be_met(demo_engagement: Engagement) -> None:
    complete = SurveyEvidence(
        remote_done=True,
        firmware=[("DEV-01", "not_affected")],
        terminal_verdicts=[("T-01", "patches", "ok"), ("T-01", "antivirus", "ok")],
    )
    partial = replace(complete, terminal_verdicts=None)
    affected = replace(complete, firmware=[("DEV-01", "affected")])
    assert _status(evaluate_checklist(demo_engagement, (), complete), "2-11") is ChecklistStatus.MET
    assert (
        _status(evaluate_checklist(demo_engagement, (), partial), "2-11")
        is ChecklistStatus.NOT_DETERMINABLE
    )
    assert (
        _status(evaluate_checklist(demo_engagement, (), affected), "2-11")
        is ChecklistStatus.NOT_MET
    )


def test_source_restriction_from_exposed_management(demo_engagement: Engagement) -> None:
    telnet = _finding(
        "exposure.telnet",
        FindingCategory.EXPOSURE,
        FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
    )
    assessed = assess_findings(demo_engagement, [telnet])
    done = SurveyEvidence(remote_done=True)
    assert _status(evaluate_checklist(demo_engagement, assessed, done), "2-13") is (
        ChecklistStatus.NOT_MET
    )
    assert _status(evaluate_checklist(demo_engagement, (), done), "2-13") is ChecklistStatus.MET


def test_unused_terminal_accounts_do_not_count_as_weak_passwords(
    demo_engagement: Engagement,
) -> None:
    unused = _finding(
        "terminal.accounts", FindingCategory.ACCOUNT, FindingSubject(terminal_key="T-05")
    )
    assessed = assess_findings(demo_engagement, [unused])
    results = evaluate_checklist(demo_engagement, assessed, SurveyEvidence(remote_done=True))
    assert _status(results, "2-5") is ChecklistStatus.NOT_MET
    assert _status(results, "2-7") is ChecklistStatus.MET


def test_fixed_findings_do_not_count(demo_engagement: Engagement) -> None:
    from kenshin.domain import FindingStatus

    fixed = replace(
        _finding(
            "terminal.usb", FindingCategory.CONFIGURATION, FindingSubject(terminal_key="T-02")
        ),
        status=FindingStatus.FIXED,
    )
    assessed = assess_findings(demo_engagement, [fixed])
    results = evaluate_checklist(demo_engagement, assessed, SurveyEvidence())
    assert _status(results, "2-9") is ChecklistStatus.NOT_DETERMINABLE


def test_items_outside_the_survey_are_never_judged(demo_engagement: Engagement) -> None:
    results = evaluate_checklist(
        demo_engagement, (), SurveyEvidence(remote_done=True, firmware=[], terminal_verdicts=[])
    )
    for item_id in ("1-1", "2-3", "2-6", "3-2"):
        assert _status(results, item_id) is ChecklistStatus.NOT_DETERMINABLE


def _exposed(check_id: str, port: int) -> Finding:
    return Finding(
        check_id=check_id,
        category=FindingCategory.EXPOSURE,
        severity=Severity.HIGH,
        title_ja="公開",
        title_en="open",
        subject=FindingSubject(address="198.18.20.20", port=port, protocol="tcp"),
    )


def test_remote_access_mfa_not_met_when_rdp_or_telnet_answer(
    demo_engagement: Engagement,
) -> None:
    assessed = assess_findings(demo_engagement, [_exposed("exposure.rdp", 3389)])
    results = evaluate_checklist(demo_engagement, assessed, SurveyEvidence(remote_done=True))
    assert _status(results, "2-10") is ChecklistStatus.NOT_MET
    result = next(r for r in results if r.item.id == "2-10")
    assert "198.18.20.20:3389/tcp" in result.params["targets"]
    assert result.finding_ids == (assessed[0].id,)


def test_remote_access_mfa_names_vpn_login_pages_when_only_those_answer(
    demo_engagement: Engagement,
) -> None:
    services = [("198.18.20.20:443/tcp", "https Ivanti Connect Secure")]
    results = evaluate_checklist(
        demo_engagement, (), SurveyEvidence(remote_done=True, open_services=services)
    )
    result = next(r for r in results if r.item.id == "2-10")
    assert result.status is ChecklistStatus.NOT_DETERMINABLE
    assert result.reason == "assess.checklist.remote_access_vpn"
    assert "198.18.20.20:443/tcp" in result.params["portals"]


def test_remote_access_mfa_quiet_for_other_services(demo_engagement: Engagement) -> None:
    services = [("198.18.10.10:80/tcp", "http nginx")]
    assessed = assess_findings(demo_engagement, [_exposed("exposure.snmp", 161)])
    results = evaluate_checklist(
        demo_engagement, assessed, SurveyEvidence(remote_done=True, open_services=services)
    )
    result = next(r for r in results if r.item.id == "2-10")
    assert result.status is ChecklistStatus.NOT_DETERMINABLE
    assert result.reason == "assess.checklist.remote_access_none"
    not_run = evaluate_checklist(demo_engagement, (), SurveyEvidence())
    assert next(r for r in not_run if r.item.id == "2-10").reason == "assess.checklist.no_evidence"


def test_the_terminal_rooms_own_verdicts_reach_the_checklist(demo_engagement: Engagement) -> None:
    """Real terminal checks (``terminal.usb.mass_storage``, ...) count for the items their
    checklist topics name; the item list once named ids no real check has ("usb")."""
    rows = {}
    for _, data in demo_terminal_files():
        collected = parse_collector_file(data)
        terminal = next(t for t in demo_engagement.terminals if collected.known_as(t.hostname))
        assessment = evaluate(collected, date(2026, 12, 7), terminal_key=terminal.key)
        rows[terminal.hostname] = _terminal_row(demo_engagement, assessment)
    report = demo_report_input(demo_engagement)
    report = replace(report, findings=(), terminals=tuple(rows.values()))
    usb = next(r for r in assess(report)[1] if r.item.id == "2-9")
    assert usb.status is ChecklistStatus.NOT_MET  # RAD-PACS-01 leaves USB storage open
    assert rows["RAD-PACS-01"].terminal.key in usb.params["where"]  # type: ignore[union-attr]
    chosen = (rows["EHR-GAIRAI-01"], rows["LAB-LIS-01"])
    two = replace(demo_engagement, terminals=tuple(row.terminal for row in chosen))
    blocked = replace(report, engagement=two, terminals=chosen)
    usb = next(r for r in assess(blocked)[1] if r.item.id == "2-9")
    assert usb.status is ChecklistStatus.MET


def test_terminals_not_yet_surveyed_leave_the_item_open(demo_engagement: Engagement) -> None:
    """Two of five chosen terminals surveyed, both clean: "partial" in the summary, so the
    checklist cannot call the item met either."""
    report = demo_report_input(demo_engagement)
    assert report.terminals is not None
    clean = tuple(row for row in report.terminals if row.terminal.key in ("T-01", "T-04"))
    partial = replace(report, findings=(), terminals=clean)
    assert partial.terminals_left == ("T-02", "T-03", "T-05")
    usb = next(r for r in assess(partial)[1] if r.item.id == "2-9")
    assert usb.status is ChecklistStatus.NOT_DETERMINABLE
    assert usb.params == {"sources": "terminals"}


def test_every_terminal_topic_is_one_a_terminal_check_names() -> None:
    from kenshin.terminals.knowledge import checkbook

    named = {topic for spec in checkbook().checks.values() for topic in spec.checklist}
    listed = {topic for item in load_checklist().items for topic in item.terminal_topics}
    assert listed
    assert listed <= named
