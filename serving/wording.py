"""A reason in the words a township official would use, with the child's value and the
school's average: "近30个教学日缺勤 6 天，全校平均 1 天"."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

from features.catalogue import CATALOGUE, describe

Lang = Literal["zh", "en"]
_WINDOW = re.compile(r"^(absence|unexcused)_rate_(\d+)d$")
_GUARDIAN_ZH = {
    "father": "父亲",
    "mother": "母亲",
    "grandparents": "祖父母",
    "relatives": "其他亲属",
    "other": "其他人",
    "none": "无人",
}


def _n(v: float, digits: int = 0) -> str:
    text = f"{v:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plural(n: float, one: str, many: str) -> str:
    return f"{_n(n)} {one if _n(n) == '1' else many}"


def _days(name: str, v: float, ref: float | None, lang: Lang) -> str:
    m = _WINDOW.match(name)
    assert m is not None
    kind, window = m.group(1), int(m.group(2))
    days, avg = round(v * window), None if ref is None else ref * window
    if lang == "zh":
        what = "无故缺勤" if kind == "unexcused" else "缺勤"
        tail = "" if avg is None else f"，全校平均 {_n(avg)} 天"
        return f"近{window}个教学日{what} {days} 天{tail}"
    what = "absent without excuse" if kind == "unexcused" else "absent"
    tail = "" if avg is None else f" (school average {_n(avg)})"
    return f"{what.capitalize()} {_plural(days, 'day', 'days')} of the last {window}{tail}"


def _pct(v: float) -> str:
    return f"{_n(v * 100)}%"


def _zh_avg(ref: float | None, fmt: Callable[[float], str]) -> str:
    return "" if ref is None else f"，全校平均 {fmt(ref)}"


def _en_avg(ref: float | None, fmt: Callable[[float], str]) -> str:
    return "" if ref is None else f" (school average {fmt(ref)})"


def _flag(name: str, lang: Lang) -> str:
    words = {
        "registered_poor": ("建档立卡贫困户", "Registered poor household"),
        "low_income_allowance": ("家庭享受低保", "Family receives the minimum-living allowance"),
        "exited_poverty_1y": ("家庭近一年内脱贫", "Family left the poverty register this year"),
        "left_behind": ("留守儿童，父母均外出务工", "Left-behind child: both parents work away"),
        "father_migrant": ("父亲外出务工", "Father works away from home"),
        "mother_migrant": ("母亲外出务工", "Mother works away from home"),
        "boarding": ("住校", "Boards at school"),
        "rural_school": ("就读农村学校", "Attends a rural school"),
        "junior_first_year": ("刚升入初中（七年级）", "Just started junior school (grade 7)"),
        "sibling_left": ("有兄弟姐妹已辍学", "A brother or sister has left school"),
        "left_before": ("曾辍学后复学", "Left school before and came back"),
    }
    zh, en = words[name]
    return zh if lang == "zh" else en


@functools.lru_cache(maxsize=1 << 16)  # a batch repeats the same values school by school
def reason_text(name: str, value: object, ref: float | None, lang: Lang) -> str:
    """The indicator, the child's value and (where known) the school's average, in words."""
    ind = CATALOGUE.get(name)
    zh = lang == "zh"
    if ind is None:
        return f"{name}: {value}"
    if value is None:
        return describe(name, None, lang)
    if ind.unit == "flag":
        return _flag(name, lang) if bool(value) else describe(name, value, lang)
    if name == "guardian":
        g = str(value)
        if zh:
            return "父母在家" if g == "parents" else f"监护人：{_GUARDIAN_ZH.get(g, g)}"
        return "Lives with parents" if g == "parents" else f"Looked after by: {g}"
    if name == "disability":
        return describe(name, value, lang)
    v = float(value)  # type: ignore[arg-type]
    if _WINDOW.match(name):
        return _days(name, v, ref, lang)
    if name in ("absence_rate_ytd", "unexcused_rate_ytd"):
        what = ("本学年无故缺勤率" if "unexcused" in name else "本学年缺勤率") if zh else None
        if zh:
            return f"{what} {_pct(v)}{_zh_avg(ref, _pct)}"
        kind = "Unexcused absence" if "unexcused" in name else "Absence"
        return f"{kind} this school year {_pct(v)}{_en_avg(ref, _pct)}"
    if name == "longest_absence_run":
        if zh:
            return f"本学年最长连续缺勤 {_n(v)} 个教学日{_zh_avg(ref, lambda r: _n(r, 1) + ' 天')}"
        avg = _en_avg(ref, lambda r: _n(r, 1))
        return f"Longest run of absence this school year: {_plural(v, 'day', 'days')}{avg}"
    if name == "days_since_present":
        if zh:
            return f"已有 {_n(v)} 个教学日未到校"
        return f"Not at school for the last {_plural(v, 'school day', 'school days')}"
    if name == "absence_trend_30d":
        pts = _n(abs(v) * 100)
        if zh:
            return f"近30个教学日缺勤率比此前30天{'上升' if v > 0 else '下降'} {pts} 个百分点"
        return f"Absence rate {'up' if v > 0 else 'down'} {pts} points on the 30 school days before"
    if name == "term_mean_score":
        if zh:
            return f"最近一学期考试平均分 {_n(v)} 分{_zh_avg(ref, lambda r: _n(r) + ' 分')}"
        return f"Mean exam score last term {_n(v)}{_en_avg(ref, _n)}"
    if name == "term_score_change":
        if zh:
            return f"最近一学期平均分比上学期{'下降' if v < 0 else '上升'} {_n(abs(v))} 分"
        return f"Mean exam score {'down' if v < 0 else 'up'} {_n(abs(v))} points on the term before"
    if name == "failing_subjects":
        if zh:
            return f"最近一学期 {_n(v)} 门科目不及格"
        return f"Failed {_plural(v, 'subject', 'subjects')} last term"
    if name == "score_percentile":
        below = 100 - v
        if zh:
            return f"成绩低于本校同年级 {_n(below)}% 的学生"
        return f"Scores below {_n(below)}% of the same grade in the school"
    if name == "over_age":
        if zh:
            return f"比本年级正常入学年龄大 {_n(v)} 岁"
        return f"{_plural(v, 'year', 'years')} older than usual for the grade"
    if name == "repeated_grades":
        return f"留级 {_n(v)} 次" if zh else f"Repeated {_plural(v, 'grade', 'grades')}"
    if name == "school_changes":
        return f"转学 {_n(v)} 次" if zh else f"Changed school {_plural(v, 'time', 'times')}"
    if name == "distance_km":
        if zh:
            return f"家离学校 {_n(v, 1)} 公里{_zh_avg(ref, lambda r: _n(r, 1) + ' 公里')}"
        return f"Lives {_n(v, 1)} km from school{_en_avg(ref, lambda r: _n(r, 1) + ' km')}"
    if name == "age":
        return f"{int(v)} 岁" if zh else f"aged {int(v)}"
    if name == "grade":
        return _GRADE_ZH.get(int(v), f"{int(v)}年级") if zh else f"grade {int(v)}"
    return describe(name, value, lang)


_GRADE_ZH = {
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级（初一）",
    8: "八年级（初二）",
    9: "九年级（初三）",
}
