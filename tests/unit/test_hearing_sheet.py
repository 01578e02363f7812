"""The hearing sheet: template out, filled in as a hospital would, imported back.

The "hospital" here is a script that types the way hospital IT staff do in the
workbooks survey teams receive: full-width digits and dots in addresses (１９８．５１…),
「不明」/「未確認」 for what they do not know, merged cells for a vendor shared by several
rows, blank rows between entries, and a workbook saved again by LibreOffice Calc.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from ipaddress import ip_address
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kenshin.domain import AddressAssignment, ConnectionKind, Engagement, HolderKind, VersionSource
from kenshin.intake import IntakeError
from kenshin.intake.hearing_sheet import (
    apply_form,
    layout,
    normalise_text,
    parse_address,
    read_answers,
    write_template,
)

FIRST = layout().first_data_row


def _column(ws: Worksheet, title: str) -> int:
    for cell in ws[layout().header_row]:
        if cell.value and str(cell.value).replace("（必須）", "") == title:
            return int(cell.column)
    raise AssertionError(f"no column {title}")


def _set(ws: Worksheet, row: int, values: dict[str, object]) -> None:
    for title, value in values.items():
        ws.cell(row, _column(ws, title), value)


def _next_row(ws: Worksheet) -> int:
    row = FIRST
    while ws.cell(row, 2).value not in (None, ""):
        row += 1
    return row


def _form_row(ws: Worksheet, title: str) -> int:
    for row in range(1, ws.max_row + 1):
        if str(ws.cell(row, 1).value or "").replace("（必須）", "") == title:
            return row
    raise AssertionError(title)


def fill_like_a_hospital(template: Path, target: Path) -> None:
    workbook = load_workbook(template)
    inst = workbook["医療機関"]
    inst.cell(_form_row(inst, "病床数"), 2, "３２０床")
    inst.cell(_form_row(inst, "ご担当者2 氏名"), 2, "医事 二郎")
    inst.cell(_form_row(inst, "ご担当者2 メール"), 2, "ｉｊｉ＠demo-hospital.example")

    vendors = workbook["ベンダ"]
    row = _next_row(vendors) + 1  # a blank row left between entries
    _set(
        vendors,
        row,
        {
            "会社名": "架空セキュリティ株式会社",
            "担当範囲": "第2回線のルータ保守",
            "ご担当者 氏名": "守衛 四郎",
            "メール": "sec@security-vendor.example",
        },
    )

    points = workbook["外部接続点"]
    row = _next_row(points)
    _set(
        points,
        row,
        {
            "名称": "第2インターネット回線（別館）",
            "種別": "インターネット回線",
            "電子カルテ系につながる": "はい",
            "グローバルIPアドレス": "２０３．０．１１３．２５、203.0.113.26",
            "固定／動的": "固定IP",
            "回線事業者・プロバイダ": "架空ケーブル",
            "回線契約者": "ベンダ",
            "契約者名（ベンダ名等）": "架空セキュリティ株式会社",
        },
    )
    # CP-02's dynamic address: the hospital does not know more than we do.
    _set(points, FIRST + 1, {"固定／動的": "不明"})

    devices = workbook["機器"]
    ivanti = FIRST + 2  # DEV-03, whose version nobody had
    _set(devices, ivanti, {"ファームウェアバージョン": "２２．７Ｒ２．３"})
    row = _next_row(devices)
    for offset, (name, role, version) in enumerate(
        (("別館ルータ", "ルータ", "未確認"), ("別館UTM", "UTM", "v7.2.8,build1639"))
    ):
        _set(
            devices,
            row + offset,
            {
                "名称": name,
                "役割": role,
                "メーカ": "YAMAHA" if role == "ルータ" else "Fortinet",
                "ファームウェアバージョン": version,
                "接続する外部接続点（識別子）": "第2インターネット回線（別館）",
                "管理者": "ベンダ",
            },
        )
    # One vendor manages both new devices: the hospital merged the two cells.
    column = _column(devices, "管理者名（ベンダ名等）")
    devices.cell(row, column, "架空セキュリティ株式会社")
    devices.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)

    terminals = workbook["端末"]
    _set(terminals, FIRST, {"設置場所": "不明"})  # 不明 keeps what is known
    _set(terminals, FIRST + 1, {"設置場所": "３階病棟ナースステーション（東）"})
    workbook.save(target)


@pytest.fixture
def template(tmp_path: Path, demo_engagement: Engagement) -> Path:
    return write_template(demo_engagement, tmp_path / "hearing.xlsx")


def test_template_is_prefilled_with_choices_protection_and_examples(template: Path) -> None:
    workbook = load_workbook(template)
    assert workbook.sheetnames == ["記入方法", "医療機関", "外部接続点", "機器", "端末", "ベンダ"]
    points = workbook["外部接続点"]
    assert points.protection.sheet is True
    assert points.cell(layout().header_row, 1).protection.locked is True
    assert points.cell(FIRST, 1).protection.locked is False
    assert points.cell(layout().example_row, 1).value == "記入例"
    assert points.cell(FIRST, 1).value == "CP-01"
    assert points.cell(FIRST, _column(points, "グローバルIPアドレス")).value == "198.18.10.10"
    lists = [dv for dv in points.data_validations.dataValidation if dv.type == "list"]
    kinds = next(dv for dv in lists if "閉域網" in (dv.formula1 or ""))
    assert "リモート保守回線" in kinds.formula1
    assert str(kinds.sqref).startswith(f"C{FIRST}:")
    assert "インターネット回線（本館）" in [c.value for c in points["B"]]
    assert workbook["医療機関"]["B" + str(FIRST)].value == "デモ総合病院"
    assert "ヒアリングシート" in str(workbook["記入方法"]["A1"].value)


def test_unchanged_template_imports_as_no_change(
    template: Path, demo_engagement: Engagement
) -> None:
    result = read_answers(demo_engagement, template)
    assert result.engagement == demo_engagement
    assert result.added == {}
    assert result.updated == {}


def test_round_trip_with_messy_hospital_input(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    filled = tmp_path / "filled.xlsx"
    fill_like_a_hospital(template, filled)
    result = read_answers(demo_engagement, filled)
    engagement = result.engagement
    assert engagement.institution.bed_count == 320
    assert engagement.institution.contacts[1].name == "医事 二郎"
    assert engagement.institution.contacts[1].email == "iji@demo-hospital.example"

    vendor = next(v for v in engagement.vendors if v.company == "架空セキュリティ株式会社")
    assert vendor.contacts[0].email == "sec@security-vendor.example"

    point = next(p for p in engagement.connection_points if p.name.startswith("第2"))
    assert point.name == "第2インターネット回線（別館）"  # full-width brackets kept
    assert point.kind is ConnectionKind.INTERNET
    assert point.internet_reachable
    assert [str(a.address) for a in point.addresses] == ["203.0.113.25", "203.0.113.26"]
    assert {a.assignment for a in point.addresses} == {AddressAssignment.FIXED}
    assert point.contract_holder.kind is HolderKind.VENDOR
    assert point.contract_holder.vendor_key == vendor.key
    # 「不明」 did not erase CP-02's known dynamic assignment.
    assert engagement.point("CP-02").addresses[0].assignment is AddressAssignment.DYNAMIC

    devices = {d.name: d for d in engagement.devices}
    ivanti = devices["リモート保守用SSL-VPN装置"]
    assert ivanti.firmware_version == "22.7R2.3"
    assert ivanti.version_source is VersionSource.HOSPITAL
    assert ivanti.version_unavailable_reason == ""
    router, utm = devices["別館ルータ"], devices["別館UTM"]
    assert router.firmware_version == ""  # 未確認
    assert router.connection_points == (point.key,)
    assert utm.firmware_version == "v7.2.8,build1639"
    # The merged cell applies to both rows.
    assert router.managed_by.vendor_key == vendor.key
    assert utm.managed_by.vendor_key == vendor.key

    terminals = {t.key: t for t in engagement.terminals}
    assert terminals["T-01"].location == "外来診察室1"
    assert terminals["T-02"].location == "3階病棟ナースステーション（東）"
    assert result.added == {"vendors": 1, "connection_points": 1, "devices": 2}

    # Importing the same workbook again changes nothing and duplicates nothing.
    again = read_answers(engagement, filled)
    assert again.engagement == engagement
    assert again.added == {}


def test_reimport_through_the_store_never_duplicates(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    from kenshin.store import EngagementRepository, open_store

    filled = tmp_path / "filled.xlsx"
    fill_like_a_hospital(template, filled)
    store = open_store(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
    for _ in range(2):
        with store.session() as session:
            repository = EngagementRepository(session)
            repository.save(read_answers(repository.get("demo-2026"), filled).engagement)
    with store.session() as session:
        stored = EngagementRepository(session).get("demo-2026")
    assert len(stored.connection_points) == 5
    assert len(stored.devices) == 7
    assert len(stored.vendors) == 3
    store.dispose()


def _broken(template: Path, tmp_path: Path) -> Path:
    workbook = load_workbook(template)
    points = workbook["外部接続点"]
    _set(points, FIRST, {"グローバルIPアドレス": "198.18.10.300"})  # E7
    row = _next_row(points)
    _set(
        points,
        row,
        {"名称": "謎の回線", "種別": "光回線", "電子カルテ系につながる": "いいえ"},
    )
    devices = workbook["機器"]
    row = _next_row(devices)
    _set(
        devices,
        row,
        {"名称": "謎のルータ", "役割": "ルータ", "接続する外部接続点（識別子）": "CP-99"},
    )
    target = tmp_path / "broken.xlsx"
    workbook.save(target)
    return target


def test_broken_sheet_names_sheet_and_cell_and_stores_nothing(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    broken = _broken(template, tmp_path)
    with pytest.raises(IntakeError) as caught:
        read_answers(demo_engagement, broken)
    text = caught.value.message("ja")
    assert "外部接続点!E7: IPアドレスの形式が正しくありません" in text
    new_row = FIRST + 4
    assert f"外部接続点!C{new_row}: 「光回線」は選択肢にありません" in text
    assert f"外部接続点!K{new_row}: 電子カルテ系につながらない場合は、その理由" in text
    assert f"機器!G{FIRST + 5}: 外部接続点「CP-99」は「外部接続点」シートにありません" in text
    assert "何も保存していません" in text


def test_partial_takes_the_valid_rows_and_lists_the_rest(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    workbook = load_workbook(_broken(template, tmp_path))
    points = workbook["外部接続点"]
    _set(
        points,
        _next_row(points),
        {"名称": "正しい回線", "種別": "VPN", "電子カルテ系につながる": "はい"},
    )
    target = tmp_path / "partly.xlsx"
    workbook.save(target)
    result = read_answers(demo_engagement, target, partial=True)
    names = [p.name for p in result.engagement.connection_points]
    assert "正しい回線" in names
    assert "謎の回線" not in names
    assert [str(a.address) for a in result.engagement.point("CP-01").addresses] == ["198.18.10.10"]
    skipped = {s.ref for s in result.skipped}
    assert skipped == {
        f"外部接続点!{FIRST}行目",
        f"外部接続点!{FIRST + 4}行目",
        f"機器!{FIRST + 5}行目",
    }


def test_cross_sheet_problem_found_by_the_validation_gate_names_the_cell(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    workbook = load_workbook(template)
    points = workbook["外部接続点"]
    # CP-02 gets CP-01's address: only the engagement-wide gate can see that.
    _set(points, FIRST + 1, {"グローバルIPアドレス": "198.18.10.10", "固定／動的": "固定IP"})
    target = tmp_path / "dup.xlsx"
    workbook.save(target)
    with pytest.raises(IntakeError) as caught:
        read_answers(demo_engagement, target)
    assert f"外部接続点!E{FIRST + 1}" in caught.value.message("ja")


def test_not_a_workbook_and_missing_sheet(tmp_path: Path, demo_engagement: Engagement) -> None:
    text_file = tmp_path / "not.xlsx"
    text_file.write_text("これはExcelではありません", encoding="utf-8")
    with pytest.raises(IntakeError) as caught:
        read_answers(demo_engagement, text_file)
    assert "Excel ブック" in caught.value.message("ja")
    path = write_template(demo_engagement, tmp_path / "t.xlsx")
    workbook = load_workbook(path)
    del workbook["機器"]
    workbook.save(path)
    with pytest.raises(IntakeError) as caught:
        read_answers(demo_engagement, path)
    assert "シート「機器」がありません" in caught.value.message("ja")


def test_normalising_what_people_type() -> None:
    assert parse_address("１９８．５１．１００．７") == ip_address("198.51.100.7")
    assert parse_address("198。51。100。7") == ip_address("198.51.100.7")
    assert parse_address(" 2001:db8::1 ") == ip_address("2001:db8::1")
    assert parse_address("198.51.100") is None
    assert parse_address("不明") is None
    assert normalise_text(320.0) == "320"
    assert normalise_text("（本館）\u3000回線 ") == "（本館） 回線"
    assert normalise_text("ＦｏｒｔｉＧａｔｅ", nfkc=True) == "FortiGate"


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = (
            "LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui); "
            "the test that re-saves the hearing sheet with LibreOffice Calc cannot run"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.mark.slow
def test_workbook_saved_by_libreoffice_imports_the_same(
    template: Path, tmp_path: Path, demo_engagement: Engagement
) -> None:
    soffice = _soffice()
    filled = tmp_path / "filled.xlsx"
    fill_like_a_hospital(template, filled)
    outdir = tmp_path / "lo"
    outdir.mkdir()
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(outdir),
            str(filled),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    resaved = outdir / "filled.xlsx"
    assert resaved.exists()
    assert resaved.read_bytes() != filled.read_bytes()
    expected = read_answers(demo_engagement, filled).engagement
    assert read_answers(demo_engagement, resaved).engagement == expected


def test_online_form_problems_name_the_field_in_each_language(
    demo_engagement: Engagement,
) -> None:
    with pytest.raises(IntakeError) as caught:
        apply_form(
            demo_engagement,
            tables={"vendors": [{"manages": "UTM", "contact_email": "a@vendor.example"}]},
        )
    assert "「会社名」をご記入ください" in caught.value.message("ja")
    english = caught.value.message("en")
    assert "Please fill in 'Company'" in english
    assert "会社名" not in english


def test_a_vendor_contact_email_is_checked_like_the_institution_one(
    demo_engagement: Engagement,
) -> None:
    """The sheet refused an institution contact's e-mail without '@' and took a vendor's."""
    row = {"company": "見本ベンダ", "contact_name": "担当", "contact_email": "sec.vendor.example"}
    with pytest.raises(IntakeError) as caught:
        apply_form(demo_engagement, tables={"vendors": [row]})
    assert [p.key for p in caught.value.problems] == ["hearing.bad_email"]
    assert "contact_email" in caught.value.message("en")


def test_a_sheet_the_web_refuses_as_too_large_the_cli_refuses_too(
    tmp_path: Path, demo_engagement: Engagement
) -> None:
    """The web took hearing sheets up to 5 MB and ``kenshin hearing import`` up to 20 MB."""
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"\0" * (6 * 1024 * 1024))
    with pytest.raises(IntakeError) as caught:
        read_answers(demo_engagement, big)
    assert caught.value.key == "intake.too_large_file"
