"""The words of the monitoring reports, in Chinese (the default) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

COLUMNS: dict[str, tuple[str, str]] = {
    "county": ("县", "county"),
    "township": ("乡镇", "township"),
    "school_id": ("学校代码", "school"),
    "village": ("村", "village"),
    "enrolled": ("在籍学生", "enrolled"),
    "high_tier": ("高风险", "high risk"),
    "suspected": ("疑似辍学", "suspected"),
    "confirmed": ("确认辍学", "confirmed out"),
    "persuading": ("劝返中", "being persuaded back"),
    "returned": ("已复学（未销号）", "returned (not closed)"),
    "returned_this_term": ("本学期复学", "returned this term"),
    "closed": ("已销号", "closed"),
    "closed_this_term": ("本学期销号", "closed this term"),
    "exempt": ("不计辍学", "exempt"),
    "overdue": ("逾期未访", "visit overdue"),
    "out_of_school": ("失学辍学人数", "out of school (confirmed + persuading)"),
    "out_of_school_before": ("上期失学辍学人数", "out of school, previous period"),
    "change": ("较上期变化", "change since previous period"),
    "id": ("案件号", "case"),
    "student_id": ("学籍号", "student id"),
    "name": ("姓名", "name"),
    "grade": ("年级", "grade"),
    "state": ("状态", "state"),
    "state_on": ("状态日期", "since"),
    "plan": ("复学安置", "plan"),
    "lead": ("包保责任人", "lead mentor"),
    "next_visit_due": ("下次走访", "next visit due"),
}
TITLES: dict[str, tuple[str, str]] = {
    "month": ("控辍保学月报（学校）", "Monthly dropout report (schools)"),
    "quarter": ("控辍保学季报（县）", "Quarterly dropout report (county)"),
    "total": ("合计", "total"),
    "summary": ("汇总", "summary"),
    "township": ("乡镇", "townships"),
    "school": ("学校", "schools"),
    "cases": ("案件", "cases"),
    "as_of": ("截至", "as of"),
    "yes": ("是", "yes"),
}


def word(table: dict[str, tuple[str, str]], key: str, lang: Lang) -> str:
    """The word for `key` in `lang` (the key itself when unknown)."""
    pair = table.get(key)
    return key if pair is None else pair[0 if lang == "zh" else 1]
