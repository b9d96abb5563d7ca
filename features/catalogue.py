"""The indicator catalogue: every per-student indicator declared once, with the words people read.

Serving, reports and the model card read names, groups and plain-language descriptions
from here; `features.build` produces exactly these columns in exactly this order. How an
indicator is computed lives in `features/indicators/<group module>.py` (household.py holds
the poverty, left-behind and sibling indicators).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from features.contract import DISABILITIES, GENDERS, GUARDIANS

Group = Literal[
    "poverty", "left_behind", "attendance", "grades", "enrollment", "demographics", "household"
]
Dtype = Literal["float", "int", "bool", "category"]
Unit = Literal[
    "rate", "count", "days", "score", "percentile", "years", "km", "flag", "category", "change"
]
Direction = Literal["higher_is_riskier", "lower_is_riskier", "none"]


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it is called, what it means, and how to print its value.

    `en`/`zh` are the full one-line descriptions; `label_*` and `window_*` split them so that
    `describe` can print "unexcused absence rate 18% (last 30 school days)".
    """

    name: str
    group: Group
    dtype: Dtype
    en: str
    zh: str
    unit: Unit
    default: float | None = None  # value when missing, if meaningful; None = stays missing
    categories: tuple[str, ...] = ()
    direction: Direction = "none"
    label_en: str = ""
    label_zh: str = ""
    window_en: str = ""
    window_zh: str = ""
    signed: bool = False  # print a sign: the value is a change

    @property
    def pandas_dtype(self) -> object:
        """The column dtype in a feature frame: nullable where values can be missing."""
        if self.dtype == "float":
            return "float64"
        if self.dtype == "int":
            return "Int32"
        if self.dtype == "bool":
            return "boolean"
        return pd.CategoricalDtype(list(self.categories), ordered=False)


def _ind(
    name: str,
    group: Group,
    dtype: Dtype,
    unit: Unit,
    label: tuple[str, str],
    window: tuple[str, str] = ("", ""),
    **kw: object,
) -> Indicator:
    """Build an Indicator whose full descriptions are composed from a label and a window."""
    label_en, label_zh = label
    window_en, window_zh = window
    en = f"{label_en}, {window_en}" if window_en else label_en
    zh = f"{window_zh}{label_zh}" if window_zh else label_zh
    return Indicator(
        name=name,
        group=group,
        dtype=dtype,
        en=en,
        zh=zh,
        unit=unit,
        label_en=label_en,
        label_zh=label_zh,
        window_en=window_en,
        window_zh=window_zh,
        **kw,  # type: ignore[arg-type]
    )


_R = "higher_is_riskier"
_L = "lower_is_riskier"


def _windows(days: int) -> tuple[str, str]:
    return (f"last {days} school days", f"近{days}个教学日")


_YTD = ("this school year", "本学年")

_INDICATORS: tuple[Indicator, ...] = (
    # poverty
    _ind(
        "registered_poor",
        "poverty",
        "bool",
        "flag",
        ("registered poor household", "建档立卡贫困户"),
        direction=_R,
    ),
    _ind(
        "low_income_allowance",
        "poverty",
        "bool",
        "flag",
        ("receives minimum-living allowance", "享受低保"),
        direction=_R,
    ),
    _ind(
        "exited_poverty_1y",
        "poverty",
        "bool",
        "flag",
        ("household left the poverty register", "家庭脱贫"),
        ("within the last year", "近一年内"),
        direction=_R,
    ),
    # left-behind
    _ind(
        "left_behind",
        "left_behind",
        "bool",
        "flag",
        ("left-behind child (both parents work away)", "留守儿童（父母均外出务工）"),
        direction=_R,
    ),
    _ind(
        "father_migrant",
        "left_behind",
        "bool",
        "flag",
        ("father works away from home", "父亲外出务工"),
        direction=_R,
    ),
    _ind(
        "mother_migrant",
        "left_behind",
        "bool",
        "flag",
        ("mother works away from home", "母亲外出务工"),
        direction=_R,
    ),
    _ind(
        "guardian",
        "left_behind",
        "category",
        "category",
        ("guardian", "监护人"),
        categories=GUARDIANS,
    ),
    # attendance
    _ind(
        "absence_rate_14d",
        "attendance",
        "float",
        "rate",
        ("absence rate", "缺勤率"),
        _windows(14),
        direction=_R,
    ),
    _ind(
        "absence_rate_30d",
        "attendance",
        "float",
        "rate",
        ("absence rate", "缺勤率"),
        _windows(30),
        direction=_R,
    ),
    _ind(
        "absence_rate_90d",
        "attendance",
        "float",
        "rate",
        ("absence rate", "缺勤率"),
        _windows(90),
        direction=_R,
    ),
    _ind(
        "absence_rate_ytd",
        "attendance",
        "float",
        "rate",
        ("absence rate", "缺勤率"),
        _YTD,
        direction=_R,
    ),
    _ind(
        "unexcused_rate_14d",
        "attendance",
        "float",
        "rate",
        ("unexcused absence rate", "无故缺勤率"),
        _windows(14),
        direction=_R,
    ),
    _ind(
        "unexcused_rate_30d",
        "attendance",
        "float",
        "rate",
        ("unexcused absence rate", "无故缺勤率"),
        _windows(30),
        direction=_R,
    ),
    _ind(
        "unexcused_rate_90d",
        "attendance",
        "float",
        "rate",
        ("unexcused absence rate", "无故缺勤率"),
        _windows(90),
        direction=_R,
    ),
    _ind(
        "unexcused_rate_ytd",
        "attendance",
        "float",
        "rate",
        ("unexcused absence rate", "无故缺勤率"),
        _YTD,
        direction=_R,
    ),
    _ind(
        "longest_absence_run",
        "attendance",
        "int",
        "days",
        ("longest run of consecutive absent school days", "最长连续缺勤教学日数"),
        _YTD,
        direction=_R,
    ),
    _ind(
        "days_since_present",
        "attendance",
        "int",
        "days",
        ("school days since last present", "距上次到校的教学日数"),
        direction=_R,
    ),
    _ind(
        "absence_trend_30d",
        "attendance",
        "float",
        "change",
        ("change in absence rate", "缺勤率变化"),
        ("last 30 school days vs the 30 before", "近30个教学日较此前30个教学日"),
        direction=_R,
        signed=True,
    ),
    # grades
    _ind(
        "term_mean_score",
        "grades",
        "float",
        "score",
        ("mean exam score", "考试平均分"),
        ("latest term", "最近一学期"),
        direction=_L,
    ),
    _ind(
        "term_score_change",
        "grades",
        "float",
        "score",
        ("change in mean exam score", "考试平均分变化"),
        ("latest term vs the one before", "最近一学期较上一学期"),
        direction=_L,
        signed=True,
    ),
    _ind(
        "failing_subjects",
        "grades",
        "int",
        "count",
        ("subjects failed (below 60)", "不及格科目数（低于60分）"),
        ("latest term", "最近一学期"),
        direction=_R,
    ),
    _ind(
        "score_percentile",
        "grades",
        "float",
        "percentile",
        ("mean score percentile in school and grade", "校内同年级平均分百分位"),
        ("latest term", "最近一学期"),
        direction=_L,
    ),
    # enrollment
    _ind("grade", "enrollment", "int", "count", ("grade", "年级")),
    _ind(
        "over_age",
        "enrollment",
        "int",
        "years",
        ("older than usual for the grade by", "比本年级正常年龄大"),
        direction=_R,
    ),
    _ind(
        "repeated_grades",
        "enrollment",
        "int",
        "count",
        ("grades repeated", "留级次数"),
        default=0,
        direction=_R,
    ),
    _ind(
        "school_changes",
        "enrollment",
        "int",
        "count",
        ("school changes (besides the move to junior school)", "转学次数（不含升入初中）"),
        default=0,
        direction=_R,
    ),
    _ind("boarding", "enrollment", "bool", "flag", ("boards at school", "住校"), direction=_R),
    _ind(
        "distance_km",
        "enrollment",
        "float",
        "km",
        ("distance from home to school", "家校距离"),
        direction=_R,
    ),
    _ind("rural_school", "enrollment", "bool", "flag", ("rural school", "农村学校"), direction=_R),
    _ind(
        "junior_first_year",
        "enrollment",
        "bool",
        "flag",
        ("first year of junior school (grade 7)", "初中一年级（七年级）"),
        direction=_R,
    ),
    _ind(
        "left_before",
        "enrollment",
        "bool",
        "flag",
        ("has left school before and came back", "曾辍学后复学"),
        default=0,
        direction=_R,
    ),
    # demographics
    _ind("gender", "demographics", "category", "category", ("gender", "性别"), categories=GENDERS),
    _ind("age", "demographics", "float", "years", ("age", "年龄"), direction=_R),
    _ind("ethnic_minority", "demographics", "bool", "flag", ("ethnic minority", "少数民族")),
    _ind(
        "disability",
        "demographics",
        "category",
        "category",
        ("disability", "残疾类型"),
        categories=DISABILITIES,
    ),
    # household
    _ind(
        "sibling_left",
        "household",
        "bool",
        "flag",
        ("a brother or sister has left school", "有兄弟姐妹已辍学"),
        default=0,
        direction=_R,
    ),
)

CATALOGUE: dict[str, Indicator] = {ind.name: ind for ind in _INDICATORS}
ID_COLUMNS: tuple[str, ...] = ("student_id", "school_id", "township", "county", "as_of")
GROUPS: tuple[Group, ...] = (
    "poverty", "left_behind", "attendance", "grades", "enrollment", "demographics", "household"
)  # fmt: skip

# Category codes in the words a case worker reads.
_CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "F": ("female", "女"),
    "M": ("male", "男"),
    "parents": ("parents", "父母"),
    "father": ("father", "父亲"),
    "mother": ("mother", "母亲"),
    "grandparents": ("grandparents", "祖辈"),
    "relatives": ("relatives", "其他亲属"),
    "other": ("other", "其他"),
    "none": ("none", "无"),
    "physical": ("physical", "肢体残疾"),
    "visual": ("visual", "视力残疾"),
    "hearing": ("hearing", "听力残疾"),
    "intellectual": ("intellectual", "智力残疾"),
    "multiple": ("multiple", "多重残疾"),
}


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _number(value: float, digits: int, signed: bool) -> str:
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    if digits and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st ..."""
    tail = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{tail}"


def _value_text(ind: Indicator, value: object, lang: Literal["zh", "en"]) -> str:
    zh = lang == "zh"
    if _is_missing(value):
        return "未知" if zh else "unknown"
    unit = ind.unit
    if unit == "flag":
        return ("是" if zh else "yes") if bool(value) else ("否" if zh else "no")
    if unit == "category":
        words = _CATEGORY_WORDS.get(str(value), (str(value), str(value)))
        return words[1] if zh else words[0]
    v = float(value)  # type: ignore[arg-type]
    if unit == "rate":
        return f"{_number(v * 100, 0, ind.signed)}%"
    if unit == "change":  # a change in a rate, in percentage points
        return (
            f"{_number(v * 100, 0, True)}个百分点" if zh else f"{_number(v * 100, 0, True)} points"
        )
    if unit == "percentile":
        return f"第{v:.0f}百分位" if zh else f"{_ordinal(round(v))} percentile"
    if unit == "score":
        return f"{_number(v, 1, ind.signed)}分" if zh else _number(v, 1, ind.signed)
    if unit == "years":
        years = _number(v, 1, False)
        return f"{years} 岁" if zh else f"{years} {'year' if years == '1' else 'years'}"
    if unit == "km":
        return f"{_number(v, 1, False)}公里" if zh else f"{_number(v, 1, False)} km"
    if unit == "days":
        return f"{v:.0f}天" if zh else f"{v:.0f} days"
    return _number(v, 0, ind.signed)


def describe(name: str, value: object, lang: Literal["zh", "en"] = "zh") -> str:
    """One indicator and its value in plain words, e.g. "无故缺勤率 18%（近30个教学日）".

    Raises KeyError for a name that is not in the catalogue.
    """
    ind = CATALOGUE[name]
    text = _value_text(ind, value, lang)
    if lang == "zh":
        label = ind.label_zh or ind.zh
        sep = "：" if ind.unit in ("flag", "category") else " "
        window = f"（{ind.window_zh}）" if ind.window_zh else ""
        return f"{label}{sep}{text}{window}"
    label = ind.label_en or ind.en
    sep = ": " if ind.unit in ("flag", "category") else " "
    window = f" ({ind.window_en})" if ind.window_en else ""
    return f"{label}{sep}{text}{window}"


def feature_names(group: Group | None = None) -> list[str]:
    """Indicator names in catalogue order, optionally of one group."""
    return [n for n, ind in CATALOGUE.items() if group is None or ind.group == group]


def typed_column(name: str, values: object, index: pd.Index | None = None) -> pd.Series:
    """Values of one indicator with the catalogue's dtype, its default filling missing values."""
    ind = CATALOGUE[name]
    col = pd.Series(values, index=index)
    if ind.dtype == "category":
        cats = pd.Categorical(col.astype("object"), categories=list(ind.categories))
        return pd.Series(cats, index=col.index, name=name)
    if ind.dtype == "float":
        col = pd.to_numeric(col, errors="raise").astype("float64")
    elif ind.dtype == "bool" and col.dtype == object:
        col = col.astype("boolean")
    else:
        col = col.astype(ind.pandas_dtype)
    if ind.default is not None:
        col = col.fillna(ind.default).astype(ind.pandas_dtype)
    return col.rename(name)


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a frame holding ID_COLUMNS and every indicator the catalogue's order and dtypes.

    Defaults fill missing values only where the catalogue gives one.
    """
    out = {col: frame[col] for col in ID_COLUMNS}
    for name in CATALOGUE:
        out[name] = typed_column(name, frame[name], frame.index)
    return pd.DataFrame(out, index=frame.index)
