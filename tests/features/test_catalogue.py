"""The catalogue: complete, readable words, and a feature frame that matches it exactly."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from features.build import build_features
from features.catalogue import CATALOGUE, GROUPS, ID_COLUMNS, describe, feature_names
from tests.features.factory import random_county

FAIRNESS_GROUPS = (
    "gender",
    "ethnic_minority",
    "disability",
    "registered_poor",
    "left_behind",
    "rural_school",
)
DESIGN_INDICATORS = (
    "registered_poor",
    "low_income_allowance",
    "exited_poverty_1y",
    "left_behind",
    "guardian",
    "absence_rate_14d",
    "absence_rate_30d",
    "absence_rate_90d",
    "absence_rate_ytd",
    "unexcused_rate_14d",
    "unexcused_rate_30d",
    "unexcused_rate_90d",
    "unexcused_rate_ytd",
    "longest_absence_run",
    "days_since_present",
    "absence_trend_30d",
    "term_mean_score",
    "term_score_change",
    "failing_subjects",
    "score_percentile",
    "grade",
    "over_age",
    "repeated_grades",
    "school_changes",
    "boarding",
    "distance_km",
    "rural_school",
    "junior_first_year",
    "gender",
    "age",
    "ethnic_minority",
    "disability",
    "sibling_left",
)


def test_every_indicator_design_asks_for_is_declared() -> None:
    missing = [n for n in (*DESIGN_INDICATORS, *FAIRNESS_GROUPS) if n not in CATALOGUE]
    assert missing == []
    assert {ind.group for ind in CATALOGUE.values()} == set(GROUPS)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_declarations_are_complete(name: str) -> None:
    ind = CATALOGUE[name]
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and ind.name == name
    assert ind.en and ind.zh and ind.en != ind.zh
    assert re.search(r"[\u4e00-\u9fff]", ind.zh), "the Chinese text is Chinese"
    assert (ind.dtype == "category") == bool(ind.categories) == (ind.unit == "category")
    if ind.dtype == "bool":
        assert ind.unit == "flag"


def test_describe_in_plain_words() -> None:
    assert describe("unexcused_rate_30d", 0.18, "zh") == "无故缺勤率 18%（近30个教学日）"
    assert describe("unexcused_rate_30d", 0.18, "en") == (
        "unexcused absence rate 18% (last 30 school days)"
    )
    assert describe("registered_poor", True, "zh") == "建档立卡贫困户：是"
    assert describe("left_behind", False, "en").endswith(": no")
    assert describe("guardian", "grandparents", "zh") == "监护人：祖辈"
    assert describe("absence_trend_30d", 0.05, "en").startswith("change in absence rate +5 points")
    assert describe("term_score_change", -3.5, "en").startswith("change in mean exam score -3.5")
    assert describe("distance_km", 12.25, "zh") == "家校距离 12.2公里" or "12.3" in describe(
        "distance_km", 12.25, "zh"
    )
    assert describe("days_since_present", float("nan"), "en") == (
        "school days since last present unknown"
    )
    assert describe("days_since_present", pd.NA, "zh").endswith("未知")
    with pytest.raises(KeyError):
        describe("shoe_size", 40, "en")


def test_a_feature_frame_follows_the_catalogue() -> None:
    frame = build_features(random_county(seed=3, students=30), "2023-03-15")
    assert list(frame.columns) == [*ID_COLUMNS, *CATALOGUE]
    assert feature_names() == list(CATALOGUE)
    assert frame["student_id"].is_monotonic_increasing and frame["student_id"].is_unique
    for name, ind in CATALOGUE.items():
        assert frame[name].dtype == ind.pandas_dtype, name
        if ind.dtype == "category":
            assert tuple(frame[name].cat.categories) == ind.categories
        if ind.default is not None:
            assert not frame[name].isna().any(), name
    assert frame["as_of"].dtype == "datetime64[ns]"
    assert (frame["as_of"] == pd.Timestamp("2023-03-15")).all()
