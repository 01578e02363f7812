"""Each section of the report view, built alone from a small input."""

from __future__ import annotations

from dataclasses import replace

from report_fixtures import (
    GENERATED_AT,
    SCAN_END,
    SCAN_START,
    demo_report_input,
    terminal_assessments,
    terminal_rows,
)

from kenshin.domain import (
    Device,
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingSubject,
    FirmwareStatus,
    HostResult,
    PortCount,
    PortResult,
    PortState,
    Protocol,
    ScanReport,
    Severity,
    VerdictStatus,
    VersionSource,
)
from kenshin.i18n import translate
from kenshin.report import (
    FirmwareRow,
    ReportInput,
    TerminalVerdict,
    Versions,
    build_view,
    render_html,
)
from kenshin.report.sections.appendix import APPENDIX_INDEX_LIMIT, build_appendix
from kenshin.report.sections.checklist import build_checklist
from kenshin.report.sections.context import ViewContext
from kenshin.report.sections.firmware import FIRMWARE_TABLE_LIMIT, build_firmware
from kenshin.report.sections.items import FindingItem, finding_items
from kenshin.report.sections.remote import HOSTS_DETAIL_LIMIT, build_remote
from kenshin.report.sections.requests import build_requests
from kenshin.report.sections.scope import build_scope
from kenshin.report.sections.summary import TOP_ACTIONS, build_cover, build_summary
from kenshin.report.sections.terminals import CELL_LONG, TERMINAL_COLUMNS, build_terminals
from kenshin.report.view import view_context
from kenshin.terminals import RULES


def _bare(engagement: Engagement, **parts: object) -> ReportInput:
    report = ReportInput(engagement=engagement, versions=Versions("0"), generated_at=GENERATED_AT)
    return replace(report, **parts)


def _built(report: ReportInput, lang: str = "ja") -> tuple[ViewContext, dict[str, FindingItem]]:
    context = view_context(report, lang)
    return context, {item.id: item for item in finding_items(context)}


def _exposure(n: int, address: str = "198.18.10.10", evidence: str = "") -> Finding:
    return Finding(
        f"exposure.port{n}",
        FindingCategory.EXPOSURE,
        Severity.HIGH,
        f"ポート{n}が公開",
        f"port {n} open",
        FindingSubject(address=address, port=10000 + n, protocol="tcp"),
        remediation_ja=f"ポート{n}を閉じてください。",
        evidence=evidence,
    )


def test_cover_names_the_institution_in_the_report_language(demo_engagement: Engagement) -> None:
    english = build_cover(view_context(_bare(demo_engagement), "en"))
    assert english.institution == "Demo General Hospital"
    assert english.institution_ja == "デモ総合病院"
    assert english.window == "2026-12-03 20:00 – 2026-12-04 06:00"
    assert english.authorisation == demo_engagement.authorisation
    assert english.authorisation is not None
    assert english.authorisation.approved_by == "院長 健診 一郎"
    assert english.authorised_on == "2026-11-20"
    assert english.authorisation.document_ref == "脆弱性診断実施承諾書 DEMO-2026-001"
    assert build_cover(view_context(_bare(demo_engagement), "ja")).institution == "デモ総合病院"
    unset = replace(demo_engagement, window=None, authorisation=None)
    bare = build_cover(view_context(_bare(unset), "ja"))
    assert bare.window is None
    assert bare.authorisation is None


def test_summary_shows_the_first_actions_as_cards_and_the_rest_as_rows(
    demo_engagement: Engagement,
) -> None:
    def summary(count: int) -> tuple[int, int]:
        findings = tuple(_exposure(n) for n in range(count))
        context, by_id = _built(_bare(demo_engagement, findings=findings))
        built = build_summary(context, tuple(by_id.values()))
        assert built.open_count == count
        return len(built.top_actions), len(built.more_actions)

    assert summary(TOP_ACTIONS + 2) == (TOP_ACTIONS + 2, 0)  # a few more stay cards
    assert summary(TOP_ACTIONS + 3) == (TOP_ACTIONS, 3)


def test_scope_lists_what_was_not_diagnosed_and_why(demo_engagement: Engagement) -> None:
    report = demo_report_input(demo_engagement)
    assert report.scan is not None
    confirmed = build_scope(view_context(report, "ja"))
    assert confirmed.diagnosed_count == 2
    assert confirmed.unconfirmed == ()
    only_fixed = replace(report.scan, hosts=report.scan.hosts[:1])
    scope = build_scope(
        view_context(replace(report, engagement=demo_engagement, scan=only_fixed), "ja")
    )
    assert [a.address for a in scope.unconfirmed] == ["198.18.20.20"]  # dynamic, unconfirmed
    assert scope.diagnosed_count == 1
    assert [p.key for p in scope.points_closed] == ["CP-03"]
    assert [p.key for p in scope.points_out_of_scope] == ["CP-04"]
    assert [v.key for v in scope.version_missing] == ["DEV-03"]  # DEV-05 is out of scope
    assert build_scope(view_context(_bare(demo_engagement), "ja")).scan is None


def test_scope_says_everything_was_surveyed_only_when_the_firmware_check_covered_it(
    demo_engagement: Engagement,
) -> None:
    """Nothing out of scope, closed, undiagnosed or of unknown version is not enough: the
    firmware check must have judged every device too."""
    known = tuple(d for d in demo_engagement.devices if d.version_known)
    engagement = replace(demo_engagement, connection_points=(), devices=known)
    judged = tuple(FirmwareRow(d, FirmwareStatus.NOT_AFFECTED) for d in known)
    unjudged = (*judged[1:], FirmwareRow(known[0], FirmwareStatus.UNKNOWN_PRODUCT))
    sentence = "申告された外部接続点・機器はすべて調査しました。"
    for firmware, covered, gap in (
        (None, False, "ファームウェアの脆弱性確認は本調査では実施していません。"),
        (
            unjudged,
            False,
            f"ファームウェアを脆弱性情報と照合できなかった機器：{known[0].key}（理由は第3章）",
        ),
        (judged, True, ""),
    ):
        report = _bare(engagement, firmware=firmware)
        scope = build_scope(view_context(report, "ja"))
        assert (scope.all_covered, scope.firmware_gap) == (covered, gap)
        html = render_html(build_view(report, "ja"))
        assert (sentence in html) is covered
        assert gap in html


def test_firmware_table_names_clean_devices_in_a_line_only_when_many(
    demo_engagement: Engagement,
) -> None:
    affected = next(
        r for r in demo_report_input(demo_engagement).firmware or () if r.device.key == "DEV-01"
    )
    clean = tuple(
        FirmwareRow(
            Device(f"X-{n:02d}", "", DeviceRole.ROUTER, "Yamaha", "RTX1300", "23.00.01",
                   version_source=VersionSource.VENDOR),
            FirmwareStatus.NOT_AFFECTED,
        )
        for n in range(FIRMWARE_TABLE_LIMIT)
    )  # fmt: skip
    many = build_firmware(*_built(_bare(demo_engagement, firmware=(*clean, affected))))
    assert many.rows is not None
    assert many.rows[0].key == "DEV-01"  # affected first
    assert [r.key for r in many.listed] == ["DEV-01"]
    assert len(many.clean) == FIRMWARE_TABLE_LIMIT
    few = build_firmware(*_built(_bare(demo_engagement, firmware=(*clean[:-1], affected))))
    assert len(few.listed) == FIRMWARE_TABLE_LIMIT
    assert few.clean == ()
    not_done = build_firmware(*_built(_bare(demo_engagement)))
    assert not_done.rows is None
    assert not_done.listed == ()


def test_remote_lists_findings_under_their_address_and_counts_ports(
    demo_engagement: Engagement,
) -> None:
    ports = (
        PortResult(Protocol.TCP, 443, PortState.OPEN),
        PortResult(Protocol.UDP, 161, PortState.OPEN_FILTERED),
    )
    host = HostResult(
        "198.18.10.10", ports, (), (PortCount(Protocol.TCP, PortState.CLOSED, "reset", 99),)
    )
    scan = ScanReport(SCAN_START, SCAN_END, hosts=(host,))
    findings = (_exposure(1), _exposure(2, address="198.18.20.20"))
    remote = build_remote(*_built(_bare(demo_engagement, scan=scan, findings=findings)))
    (section,) = remote.hosts
    assert [item.target for item in section.findings] == ["198.18.10.10:10001/tcp"]
    assert [item.target for item in remote.other_findings] == ["198.18.20.20:10002/tcp"]
    assert [p.port for p in section.open_ports] == [443]
    assert [p.port for p in section.open_filtered] == [161]
    assert section.coverage.startswith("TCP 100 ポート")
    assert not remote.consolidated
    many = tuple(replace(host, address=f"198.18.10.{n}") for n in range(HOSTS_DETAIL_LIMIT + 1))
    wide = build_remote(*_built(_bare(demo_engagement, scan=replace(scan, hosts=many))))
    assert wide.consolidated


def test_terminals_table_has_a_column_per_terminal_and_lists_every_issue(
    demo_engagement: Engagement,
) -> None:
    rows = terminal_rows(demo_engagement)
    long = TerminalVerdict(VerdictStatus.WARNING, "定義ファイルが古い" * 10)
    ok = TerminalVerdict(VerdictStatus.OK, "禁止されています")
    extra = tuple(
        replace(
            rows[0],
            terminal=replace(rows[0].terminal, key=f"T-1{n}", hostname=f"PC-{n}"),
            verdicts={"terminal.usb.mass_storage": verdict},
        )
        for n, verdict in enumerate((long, ok))
    )
    section = build_terminals(*_built(_bare(demo_engagement, terminals=(*rows, *extra))))
    assert [len(table.terminals) for table in section.tables] == [TERMINAL_COLUMNS, 2]
    second = section.tables[1]
    assert second.rows[0].label == "OS のサポート期限"
    assert second.rows[0].cells[0].status == "unknown"  # the lifecycle was not checked there
    usb = next(r for r in second.rows if r.cells[0].status == "warning")
    assert usb.label == "USB ストレージの閉塞"
    assert len(usb.cells[0].summary) == CELL_LONG
    assert usb.cells[0].summary.endswith("…")
    pacs = next(issue for issue in section.issues if issue.audited.terminal.key == "T-03")
    assert [line.status for line in pacs.lines] == ["bad"] * 7 + ["warning"] * 2
    assert "T-11" not in {issue.audited.terminal.key for issue in section.issues}  # all ok
    not_done = build_terminals(*_built(_bare(demo_engagement)))
    assert not_done.audited is None
    assert not_done.tables == ()
    assert [t.key for t in not_done.planned] == ["T-01", "T-02", "T-03", "T-04", "T-05"]


def test_terminal_rows_follow_the_terminals_rooms_order_of_checks(
    demo_engagement: Engagement,
) -> None:
    """The report adds no order of its own: the rows are the terminals room's checks in
    the order its assessment lists them, titled by the room."""
    assessment = terminal_assessments(demo_engagement)[0]
    section = build_terminals(
        *_built(_bare(demo_engagement, terminals=terminal_rows(demo_engagement)))
    )
    titles = [
        translate(f"terminals.title.{v.check_id.removeprefix('terminal.')}", "ja")
        for v in assessment.verdicts
    ]
    assert [row.label for row in section.tables[0].rows] == titles
    assert len(titles) == len(RULES)


def test_terminals_section_names_the_chosen_terminals_not_surveyed(
    demo_engagement: Engagement,
) -> None:
    """A part not done reads "not done": the terminals chosen but never audited are
    listed in section 5 as not audited, whether some or none of the others were."""
    rows = terminal_rows(demo_engagement)
    some = _bare(demo_engagement, terminals=tuple(r for r in rows if r.terminal.key != "T-03"))
    none = _bare(demo_engagement, terminals=())
    for report, left in ((some, ["T-03"]), (none, ["T-01", "T-02", "T-03", "T-04", "T-05"])):
        section = build_terminals(*_built(report))
        assert [t.key for t in section.left] == left == list(report.terminals_left)
        html = render_html(build_view(report, "ja"))
        part = html[html.index('<section id="terminals">') : html.index('<section id="checklist">')]
        assert "選定したが調査していない端末" in part
        for key in left:
            row = part[part.index(f"<td>{key} ") :]
            assert row.index("未調査") < row.index("</tr>")
    everything = build_terminals(*_built(_bare(demo_engagement, terminals=rows)))
    assert everything.left == ()
    html = render_html(build_view(_bare(demo_engagement, terminals=rows), "en"))
    assert "Chosen terminals not audited" not in html


def test_checklist_counts_its_lines_by_result(demo_engagement: Engagement) -> None:
    context = view_context(demo_report_input(demo_engagement), "ja")
    checklist = build_checklist(context)
    for status in ("met", "not_met", "not_determinable"):
        assert checklist.count(status) == sum(
            1 for r in context.checklist_results if r.status.value == status
        )
    assert checklist.count("not_met") > 0


def test_english_checklist_shows_the_japanese_text_where_the_english_is_empty(
    demo_engagement: Engagement,
) -> None:
    """The title, edition and item lines were once blank in English without English text."""
    context = view_context(demo_report_input(demo_engagement), "en")
    checklist = replace(context.checklist, title_en="", name_en="")
    results = tuple(replace(r, item=replace(r.item, text_en="")) for r in context.checklist_results)
    section = build_checklist(replace(context, checklist=checklist, checklist_results=results))
    assert section.title == checklist.title_ja
    assert section.edition == checklist.name_ja
    assert [line.text for line in section.lines] == [r.item.text_ja for r in results]
    assert all(line.text for line in section.lines)


def test_requests_unknown_to_the_report_are_not_an_empty_list(demo_engagement: Engagement) -> None:
    assert build_requests(view_context(_bare(demo_engagement), "ja")) is None
    assert build_requests(view_context(_bare(demo_engagement, requests=()), "ja")) == ()


def test_appendix_shows_one_raw_answer_once(demo_engagement: Engagement) -> None:
    findings = (
        _exposure(1, evidence="SSH-2.0-OpenSSH_7.4"),
        _exposure(2, evidence="SSH-2.0-OpenSSH_7.4"),
    )
    context, by_id = _built(_bare(demo_engagement, findings=findings))
    appendix = build_appendix(context, tuple(by_id.values()))
    first, second = appendix.evidence
    assert first.text == "SSH-2.0-OpenSSH_7.4"
    assert (second.text, second.same_as) == ("", first.id)
    assert appendix.show_index
    many = tuple(_exposure(n) for n in range(APPENDIX_INDEX_LIMIT + 1))
    context, by_id = _built(_bare(demo_engagement, findings=many))
    assert not build_appendix(context, tuple(by_id.values())).show_index
