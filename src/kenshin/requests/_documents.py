"""Requests as documents: a Japanese e-mail text, and an Excel workbook that comes back.

The letters and the device procedures (path B) are data files in
``data/requests/``; this module only fills them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kenshin.domain import AddressAssignment, Device, Engagement, HolderKind
from kenshin.filetypes import cells_as_text, check_workbook_archive, check_workbook_cells
from kenshin.i18n import translate
from kenshin.intake import IntakeError, Problem
from kenshin.intake.hearing_sheet import normalise_text
from kenshin.requests._model import (
    Answer,
    Recipient,
    RequestError,
    RequestPath,
    VendorRequest,
    answered_address,
    answered_assignment,
    answered_text,
    parse_ref,
)

ANSWER_SHEET = "ご回答"
REQUEST_SHEET = "ご依頼一覧"
PROCEDURE_SHEET = "手順案"
ANSWER_HEADER_ROW = 3
_ANSWER_COLUMNS = (
    ("ref", "依頼番号"),
    ("subject", "対象"),
    ("asks", "ご依頼事項"),
    ("firmware", "ファームウェアバージョン"),
    ("wan_ip", "グローバルIPアドレス"),
    ("assignment", "固定／動的"),
    ("isp", "プロバイダ・回線事業者"),
    ("note", "備考"),
)
_INPUT = {"firmware", "wan_ip", "assignment", "isp", "note"}
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass(frozen=True)
class Procedure:
    id: str
    title: str
    login: tuple[str, ...]
    firmware: tuple[str, ...]
    wan_ip: tuple[str, ...]


@cache
def _data(name: str) -> dict[str, Any]:
    text = (resources.files("kenshin") / "data" / "requests" / name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def procedures(lang: str = "ja") -> list[Procedure]:
    """Every shipped procedure template, the generic one last."""
    lang = "en" if lang == "en" else "ja"
    return [
        Procedure(
            id=str(p["id"]),
            title=str(p["title"][lang]),
            login=tuple(p["login"][lang]),
            firmware=tuple(p["firmware"][lang]),
            wan_ip=tuple(p["wan_ip"][lang]),
        )
        for p in _data("procedures.yaml")["procedures"]
    ]


def procedure_for(device: Device | None, lang: str = "ja") -> Procedure:
    """The procedure whose maker and model patterns match the device (else the generic one)."""
    raw = _data("procedures.yaml")["procedures"]
    if device is not None:
        for entry, procedure in zip(raw, procedures(lang), strict=True):
            if entry["id"] == "generic":
                continue
            vendor_ok = re.search(entry["match"]["vendor"], device.vendor, re.IGNORECASE)
            model_ok = re.search(entry["match"]["model"], device.model, re.IGNORECASE)
            if vendor_ok and (model_ok or not device.model):
                return procedure
    return procedures(lang)[-1]


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str

    def text(self) -> str:
        return f"件名: {self.subject}\n\n{self.body}\n"


def recipient_lines(engagement: Engagement, recipient: Recipient, lang: str) -> tuple[str, str]:
    """(organisation, person) as a letter addresses them."""
    organisation, person = _recipient_names(engagement, recipient, lang)
    return (
        translate("requests.letter.organisation", lang, name=organisation),
        translate("requests.letter.person", lang, name=person) if person else "",
    )


def _recipient_names(engagement: Engagement, recipient: Recipient, lang: str) -> tuple[str, str]:
    if recipient.kind is HolderKind.VENDOR and recipient.vendor_key:
        try:
            vendor = engagement.vendor(recipient.vendor_key)
        except KeyError:
            return recipient.vendor_key, ""
        return vendor.company, vendor.contacts[0].name if vendor.contacts else ""
    if recipient.kind is HolderKind.HOSPITAL:
        inst = engagement.institution
        return inst.name, inst.contacts[0].name if inst.contacts else ""
    return recipient.name or translate("label.holder.other", lang), ""


def recipient_email(engagement: Engagement, recipient: Recipient) -> str:
    if recipient.kind is HolderKind.VENDOR and recipient.vendor_key:
        try:
            vendor = engagement.vendor(recipient.vendor_key)
        except KeyError:
            return ""
        return vendor.contacts[0].email if vendor.contacts else ""
    if recipient.kind is HolderKind.HOSPITAL and engagement.institution.contacts:
        return engagement.institution.contacts[0].email
    return ""


def subject_lines(engagement: Engagement, request: VendorRequest, lang: str) -> list[str]:
    letters = _data("letters.yaml")["letters"]["en" if lang == "en" else "ja"]
    lines = []
    device = _device(engagement, request.device_key)
    if device is not None:
        product = " ".join(p for p in (device.vendor, device.model) if p) or "-"
        lines.append(
            letters["device_line"].format(key=device.key, name=device.name, product=product)
        )
    if request.point_key:
        try:
            point = engagement.point(request.point_key)
        except KeyError:
            point = None
        if point is not None:
            lines.append(
                letters["point_line"].format(
                    key=point.key, name=point.name, carrier=point.carrier or "-"
                )
            )
    return lines


def _device(engagement: Engagement, key: str | None) -> Device | None:
    return next((d for d in engagement.devices if d.key == key), None) if key else None


def _date(request: VendorRequest, lang: str) -> str:
    if request.due_date is None:
        return translate("requests.letter.due_unset", lang)
    due = request.due_date
    weekday = translate("requests.letter.weekdays", lang).split(",")[due.weekday()]
    return translate(
        "requests.letter.due_date",
        lang,
        year=due.year,
        month=due.month,
        day=due.day,
        weekday=weekday,
        iso=due.isoformat(),
    )


def render_letter(
    engagement: Engagement, request: VendorRequest, lang: str = "ja", surveyor: str = ""
) -> Letter:
    """The request as an e-mail: subject and plain-text body, Japanese first."""
    lang = "en" if lang == "en" else "ja"
    letters = _data("letters.yaml")["letters"][lang]
    institution = engagement.institution.name
    organisation, person = recipient_lines(engagement, request.recipient, lang)
    surveyor = surveyor or translate("requests.letter.surveyor", lang)
    path = letters["path"][request.path.value]
    body: list[str] = [
        letters["greeting"].format(
            recipient=organisation,
            contact=person,
            institution=institution,
            code=engagement.code,
            surveyor=surveyor,
        ),
        "",
        letters["subjects_title"],
        *(f"  {line}" for line in subject_lines(engagement, request, lang)),
        "",
        translate(
            "requests.letter.asks_heading", lang, asks=letters["asks_title"], path=path["title"]
        ),
        path["intro"],
    ]
    for index, step in enumerate(path.get("steps", []), start=1):
        body.append(f"  ({index}) {step}")
    for index, want in enumerate(request.wants, start=1):
        body.append(f"  {index}. {letters['wants'][want.value]}")
    if request.path is RequestPath.HOSPITAL_PROCEDURE:
        procedure = procedure_for(_device(engagement, request.device_key), lang)
        body += ["", letters["procedure_title"].format(title=procedure.title)]
        for title_key, steps in (
            ("procedure_login", procedure.login),
            ("procedure_firmware", procedure.firmware),
            ("procedure_wan_ip", procedure.wan_ip),
        ):
            body.append(f"  [{letters[title_key]}]")
            body += [f"   - {step}" for step in steps]
    body += [
        "",
        letters["due_title"],
        f"  {_date(request, lang)}",
        "",
        letters["reply_title"],
        f"  {letters['reply']}",
        "",
        letters["closing"],
    ]
    subject = letters["subject"].format(institution=institution, ref=request.ref)
    return Letter(subject, "\n".join(body))


# -- the workbook ----------------------------------------------------------------------


def _asks(request: VendorRequest, lang: str) -> str:
    return "、".join(translate(f"requests.want.{w.value}", lang) for w in request.wants)


def build_workbook(
    engagement: Engagement, requests: list[VendorRequest], lang: str = "ja"
) -> Workbook:
    """A workbook with the requests, the answer sheet (yellow cells) and procedure drafts."""
    workbook = Workbook()
    answers = workbook.active
    assert answers is not None
    answers.title = ANSWER_SHEET
    answers["A1"] = translate(
        "requests.sheet.answer_title",
        "ja",
        institution=engagement.institution.name,
        code=engagement.code,
    )
    answers["A1"].font = Font(bold=True, size=13)
    answers["A2"] = translate("requests.sheet.answer_help", "ja")
    widths = (10, 40, 40, 24, 20, 12, 24, 30)
    for index, ((_, title), width) in enumerate(zip(_ANSWER_COLUMNS, widths, strict=True), 1):
        cell: Any = answers.cell(ANSWER_HEADER_ROW, index, title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        answers.column_dimensions[cell.column_letter].width = width
    labels = [translate(f"label.assignment.{a.value}", "ja") for a in AddressAssignment]
    choice = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
    choice.error = translate("requests.sheet.choose", "ja", choices="、".join(labels))
    choice.showErrorMessage = True
    answers.add_data_validation(choice)
    for offset, request in enumerate(requests, start=1):
        row = ANSWER_HEADER_ROW + offset
        values = {
            "ref": request.ref,
            "subject": "\n".join(subject_lines(engagement, request, lang)),
            "asks": _asks(request, lang),
        }
        if request.answer is not None:
            values.update(request.answer.as_dict())
            if request.answer.assignment is not None:
                values["assignment"] = translate(
                    f"label.assignment.{request.answer.assignment.value}", "ja"
                )
        for index, (name, _) in enumerate(_ANSWER_COLUMNS, start=1):
            target: Any = answers.cell(row, index, values.get(name) or None)
            target.border = _BORDER
            target.alignment = Alignment(wrap_text=True, vertical="top")
            if name in _INPUT:
                target.fill = _INPUT_FILL
                target.protection = Protection(locked=False)
        choice.add(f"F{row}")
    answers.protection.sheet = True
    answers.protection.formatColumns = False
    answers.protection.formatRows = False

    listing = workbook.create_sheet(REQUEST_SHEET)
    headers = [
        translate(f"requests.sheet.list.{column}", "ja")
        for column in ("ref", "path", "state", "recipient", "email", "due", "subject")
    ]
    for index, title in enumerate(headers, start=1):
        header: Any = listing.cell(1, index, title)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = _HEADER_FILL
    for offset, request in enumerate(requests, start=2):
        organisation, person = recipient_lines(engagement, request.recipient, lang)
        letter = render_letter(engagement, request, lang)
        row_values = (
            request.ref,
            translate(f"requests.path.{request.path.value}", lang),
            translate(f"requests.state.{request.state.value}", lang),
            f"{organisation} {person}".strip(),
            recipient_email(engagement, request.recipient),
            request.due_date.isoformat() if request.due_date else "",
            letter.subject,
        )
        for index, value in enumerate(row_values, start=1):
            listing.cell(offset, index, value)
    for letter_column, width in zip("ABCDEFG", (10, 26, 10, 40, 30, 12, 70), strict=True):
        listing.column_dimensions[letter_column].width = width

    procedure_requests = [r for r in requests if r.path is RequestPath.HOSPITAL_PROCEDURE]
    if procedure_requests:
        sheet = workbook.create_sheet(PROCEDURE_SHEET)
        sheet.column_dimensions["A"].width = 120
        row = 1
        for request in procedure_requests:
            device = _device(engagement, request.device_key)
            procedure = procedure_for(device, lang)
            heading_cell: Any = sheet.cell(row, 1, f"{request.ref}: {procedure.title}")
            heading_cell.font = Font(bold=True)
            row += 1
            for heading, steps in (
                ("login", procedure.login),
                ("firmware", procedure.firmware),
                ("wan_ip", procedure.wan_ip),
            ):
                sheet.cell(row, 1, translate(f"requests.sheet.procedure.{heading}", "ja"))
                row += 1
                for step in steps:
                    sheet.cell(row, 1, f"・{step}").alignment = Alignment(wrap_text=True)
                    row += 1
            row += 1
    workbook.properties.title = translate("requests.sheet.title", "ja", code=engagement.code)
    workbook.properties.identifier = engagement.code  # request numbers count per engagement
    workbook.properties.creator = "kenshin"
    cells_as_text(workbook)
    return workbook


def write_workbook(
    engagement: Engagement, requests: list[VendorRequest], path: Path, lang: str = "ja"
) -> Path:
    try:
        build_workbook(engagement, requests, lang).save(path)
    except OSError as exc:
        raise IntakeError(
            "hearing.cannot_write", path=str(path), reason=exc.strerror or ""
        ) from None
    return path


@dataclass(frozen=True)
class AnsweredRow:
    number: int
    answer: Answer
    row: int
    engagement_code: str = ""
    """The engagement the workbook was written for (its document identifier); empty for a
    workbook whose properties were lost on the way."""


def read_answer_workbook(path: Path) -> list[AnsweredRow]:
    """The answers in a returned request workbook; every problem names its cell."""
    check_workbook_archive(path, path.name)
    try:
        workbook = load_workbook(path, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise IntakeError("hearing.not_workbook", path=str(path)) from None
    check_workbook_cells(workbook, path.name)
    if ANSWER_SHEET not in workbook.sheetnames:
        raise IntakeError(
            "hearing.invalid_sheet",
            [Problem((ANSWER_SHEET,), None, "hearing.missing_sheet", (("sheet", ANSWER_SHEET),))],
        )
    sheet = workbook[ANSWER_SHEET]
    code = str(workbook.properties.identifier or "").strip()
    columns: dict[str, int] = {}
    for cell in sheet[ANSWER_HEADER_ROW]:
        for name, title in _ANSWER_COLUMNS:
            if normalise_text(cell.value) == title and cell.column is not None:
                columns[name] = int(cell.column)
    problems: list[Problem] = []
    for name, title in _ANSWER_COLUMNS:
        if name not in columns:
            problems.append(
                Problem(
                    (f"{ANSWER_SHEET}!{ANSWER_HEADER_ROW}行目",),
                    None,
                    "hearing.missing_column",
                    (("column", title),),
                )
            )
    if problems:
        raise IntakeError("hearing.invalid_sheet", problems)
    answered: list[AnsweredRow] = []

    def refuse(name: str, row: int, exc: RequestError) -> None:
        """Note a cell that cannot be read, with the reason the reading gave."""
        cell = f"{ANSWER_SHEET}!{get_column_letter(columns[name])}{row}"
        params = tuple((k, str(v)) for k, v in exc.params.items())
        problems.append(Problem((cell,), None, exc.key, params))

    for row in range(ANSWER_HEADER_ROW + 1, min(sheet.max_row, 2000) + 1):
        values = {
            name: normalise_text(
                sheet.cell(row, col).value, nfkc=name in ("ref", "wan_ip", "firmware")
            )
            for name, col in columns.items()
        }
        if not values["ref"]:
            continue
        try:
            number = parse_ref(values["ref"])
        except RequestError as exc:
            refuse("ref", row, exc)
            continue
        try:
            wan_ip = answered_address(values["wan_ip"])
        except RequestError as exc:
            refuse("wan_ip", row, exc)
            continue
        try:
            assignment = answered_assignment(values["assignment"])
        except RequestError as exc:
            refuse("assignment", row, exc)
            continue
        answer = Answer(
            firmware=answered_text(values["firmware"], nfkc=True),
            wan_ip=wan_ip,
            assignment=assignment,
            isp=answered_text(values["isp"]),
            note=answered_text(values["note"]),
        )
        if not answer.is_empty():
            answered.append(AnsweredRow(number, answer, row, code))
    if problems:
        raise IntakeError("hearing.invalid_sheet", problems)
    return answered
