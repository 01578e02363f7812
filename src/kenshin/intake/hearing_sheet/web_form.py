"""The online form's side of the hearing sheet: its answers in, the engagement's values out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kenshin import domain as d
from kenshin.intake.engagement_file import (
    IntakeError,
)
from kenshin.intake.hearing_sheet.layout import (
    MAX_ROWS,
    NFKC_FIELDS,
    TABLE_SECTIONS,
    choice_labels,
    field_ref,
    layout,
    normalise_text,
    yes_no_words,
)
from kenshin.intake.hearing_sheet.merge import AnsweredRow, FormRow, HearingImport, merge_answers
from kenshin.intake.hearing_sheet.write import institution_values, known_rows


def apply_form(
    engagement: d.Engagement,
    institution: Mapping[str, str] | None = None,
    tables: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
) -> HearingImport:
    """The engagement updated with the online form's answers, or ``IntakeError``.

    ``institution`` maps the form sheet's fields (``name``, ``contact1.email``, ...) and
    ``tables`` each table section to rows of column fields, exactly as the workbook has
    them; problems name the form fields (``vendors.1.company``). The workbook's rules
    apply: blank or 「不明」 keeps what is stored, rows match by key or name.
    """
    shape = layout()
    unknown = set(tables or {}) - set(TABLE_SECTIONS)
    if unknown:
        raise IntakeError("hearing.unknown_section", section=", ".join(sorted(unknown)))
    given_institution = None
    if institution is not None:
        columns = shape.sheet("institution").columns
        given_institution = (
            {
                c.field: normalise_text(institution.get(c.field, ""), nfkc=c.field in NFKC_FIELDS)
                for c in columns
            },
            {c.field: field_ref("institution", c.field) for c in columns},
        )
    table_rows: dict[str, list[AnsweredRow]] = {}
    for section, rows in (tables or {}).items():
        sheet = shape.sheet(section)
        fields = {c.field: index for index, c in enumerate(sheet.columns, start=1)}
        kept: list[AnsweredRow] = []
        for index, given in enumerate(rows[:MAX_ROWS]):
            values = {
                name: normalise_text(given.get(name, ""), nfkc=name in NFKC_FIELDS)
                for name in fields
            }
            if any(v for name, v in values.items() if name != "key"):
                kept.append(FormRow(sheet, index, values, fields))
        table_rows[section] = kept
    return merge_answers(engagement, given_institution, "institution", table_rows, partial=False)


def form_values(engagement: d.Engagement) -> dict[str, Any]:
    """What the engagement says, in the online form's vocabulary (choices as values)."""
    institution = institution_values(engagement)
    tables: dict[str, list[dict[str, str]]] = {}
    for section in TABLE_SECTIONS:
        sheet = layout().sheet(section)
        rows = []
        for known in known_rows(engagement, section):
            row = dict(known)
            for column in sheet.columns:
                text = row.get(column.field, "")
                if column.type == "choice" and text:
                    row[column.field] = next(
                        (v for v, label in choice_labels(column.vocabulary) if label == text), text
                    )
                elif column.type == "yesno" and text:
                    row[column.field] = "yes" if text == yes_no_words()[0] else "no"
            rows.append(row)
        tables[section] = rows
    return {"institution": institution, **tables}
