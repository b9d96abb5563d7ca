"""The school's monthly and the county's quarterly report as an .xlsx workbook (openpyxl).

Sheets: one per level (schools for the month; townships and schools for the quarter), each
ending in a total row, and the open cases behind the numbers.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from serving.cases.monitoring import COUNTS, Unit, totals
from serving.cases.periods import Period, period_label
from serving.cases.report_words import COLUMNS, TITLES, Lang, word
from serving.cases.rules import STATE_WORDS
from serving.cases.views import CaseRow

CASE_FIELDS = (
    "id",
    "student_id",
    "name",
    "county",
    "township",
    "school_id",
    "grade",
    "state",
    "state_on",
    "plan",
    "lead",
    "next_visit_due",
    "overdue",
)
LEVEL_SHEETS: dict[str, tuple[str, ...]] = {"month": ("school",), "quarter": ("township", "school")}


def _units_sheet(ws: Worksheet, level: str, units: Sequence[Unit], lang: Lang) -> None:
    places = ("county", "township") if level == "township" else ("county", "township", "school_id")
    header = [word(COLUMNS, c, lang) for c in (*places, *COUNTS)]
    ws.append(header)
    for u in units:
        d = u.as_dict()
        ws.append([d[p] for p in places] + [d[c] for c in COUNTS])
    total = totals(list(units))
    ws.append([word(TITLES, "total", lang)] + [""] * (len(places) - 1) + [total[c] for c in COUNTS])
    for cell in (*ws[1], *ws[ws.max_row]):
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def _cases_sheet(ws: Worksheet, cases: Sequence[CaseRow], lang: Lang) -> None:
    ws.append(
        [word(COLUMNS, c, lang) for c in CASE_FIELDS if c != "overdue"]
        + [word(COLUMNS, "overdue", lang)]
    )
    for c in cases:
        row = []
        for f in CASE_FIELDS:
            value = getattr(c, f)
            if f == "state":
                value = STATE_WORDS[value][1 if lang == "zh" else 0]
            elif f == "overdue":
                value = word(TITLES, "yes", lang) if value else ""
            elif isinstance(value, dt.date):
                value = value.isoformat()
            row.append(value)
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def report_xlsx(
    period: Period,
    on: dt.date,
    by_level: dict[str, list[Unit]],
    cases: Sequence[CaseRow],
    lang: Lang = "zh",
) -> bytes:
    """The workbook's bytes: a title sheet, one sheet per level, and the open cases."""
    book = Workbook()
    title = book.active
    title.title = word(TITLES, "summary", lang)
    title.append([word(TITLES, period, lang)])
    title.append([word(TITLES, "as_of", lang), on.isoformat(), period_label(on, period)])
    title["A1"].font = Font(bold=True, size=14)
    for level in LEVEL_SHEETS[period]:
        _units_sheet(book.create_sheet(word(TITLES, level, lang)), level, by_level[level], lang)
    _cases_sheet(book.create_sheet(word(TITLES, "cases", lang)), cases, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
