"""Attendance indicators on a hand-made county whose answers are worked out below.

School A's calendar (from its students' records): the 22 weekdays of June 2023 and the 20
weekdays of 4-29 September 2023, 42 school days. School B only recorded 4-8 and 25-29
September, 10 school days. The snapshot is Monday 2 October 2023.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features.build import build_features
from tests.features.factory import attendance_rows, school_days, tables

AS_OF = "2023-10-02"
JUNE = school_days("2023-06-01", "2023-06-30")  # 22 weekdays
SEPT = school_days("2023-09-04", "2023-09-29")  # 20 weekdays
assert len(JUNE) == 22 and len(SEPT) == 20


def _s1_status(day: pd.Timestamp) -> str:
    if day in (pd.Timestamp("2023-09-27"), pd.Timestamp("2023-09-28"), pd.Timestamp("2023-09-29")):
        return "absent_unexcused"
    if day == pd.Timestamp("2023-09-11"):
        return "absent_sick"
    if day == pd.Timestamp("2023-09-12"):
        return "late"  # late is present
    return "present"


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    s1_days = [d for d in JUNE + SEPT if d != pd.Timestamp("2023-09-05")]  # no record on 5 Sept
    b_days = [d for d in SEPT if d.day <= 8 or d.day >= 25]
    att = (
        attendance_rows("s1", s1_days, [_s1_status(d) for d in s1_days])
        + attendance_rows("s2", JUNE + SEPT, "present")
        + attendance_rows("s3", JUNE, "present")  # nothing this school year
        + attendance_rows("s4", b_days, ["present"] * 5 + ["absent_excused"] * 5)
        + attendance_rows("s1", school_days("2023-10-02", "2023-10-06"), "absent_unexcused")
    )
    t = tables(
        schools=[
            ("A", "School A", "C", "T", "primary", True, False),
            ("B", "School B", "C", "T", "primary", False, False),
        ],
        students=[(s, f"h{s}", "F", "2014-01-01", False, "none") for s in ("s1", "s2", "s3", "s4")],
        enrollments=[
            ("s1", 2023, "A", 4, False, 1.0),
            ("s2", 2023, "A", 4, False, 1.0),
            ("s3", 2023, "A", 4, False, 1.0),
            ("s4", 2023, "B", 4, False, 1.0),
        ],
        attendance=att,
    )
    return build_features(t, AS_OF).set_index("student_id")


def test_windows_count_school_days_back_across_the_summer(features: pd.DataFrame) -> None:
    s1 = features.loc["s1"]
    # Last 14 school days: 12-29 Sept, all recorded; absent 27, 28, 29 (unexcused).
    assert s1["absence_rate_14d"] == pytest.approx(3 / 14)
    assert s1["unexcused_rate_14d"] == pytest.approx(3 / 14)
    # Last 30: all 20 of September (19 recorded) + 19-30 June (10); the sick day 11 Sept counts.
    assert s1["absence_rate_30d"] == pytest.approx(4 / 29)
    assert s1["unexcused_rate_30d"] == pytest.approx(3 / 29)
    # Last 90 reach further back than the data: all 42 school days, 41 recorded.
    assert s1["absence_rate_90d"] == pytest.approx(4 / 41)
    assert s1["unexcused_rate_90d"] == pytest.approx(3 / 41)
    # This school year: September only.
    assert s1["absence_rate_ytd"] == pytest.approx(4 / 19)
    assert s1["unexcused_rate_ytd"] == pytest.approx(3 / 19)
    # The 30 before the last 30 are the first 12 June days, all present.
    assert s1["absence_trend_30d"] == pytest.approx(4 / 29 - 0)
    assert s1["longest_absence_run"] == 3
    assert s1["days_since_present"] == 3  # present 26 Sept; then 27, 28, 29


def test_a_student_always_present(features: pd.DataFrame) -> None:
    s2 = features.loc["s2"]
    for col in ("absence_rate_14d", "absence_rate_90d", "unexcused_rate_ytd", "absence_trend_30d"):
        assert s2[col] == 0
    assert s2["longest_absence_run"] == 0
    assert s2["days_since_present"] == 0


def test_no_record_in_a_window_is_missing_not_zero(features: pd.DataFrame) -> None:
    s3 = features.loc["s3"]
    assert math.isnan(s3["absence_rate_14d"])
    assert math.isnan(s3["unexcused_rate_ytd"])
    assert pd.isna(s3["longest_absence_run"])
    assert s3["absence_rate_30d"] == 0  # 19-30 June recorded, all present
    assert s3["days_since_present"] == 20  # every school day of September since 30 June


def test_each_school_has_its_own_calendar(features: pd.DataFrame) -> None:
    s4 = features.loc["s4"]
    assert s4["absence_rate_14d"] == pytest.approx(5 / 10)
    assert s4["unexcused_rate_14d"] == 0
    assert s4["longest_absence_run"] == 5  # 25-29 Sept are consecutive school days at B
    assert s4["days_since_present"] == 5  # not the 15 weekdays since 8 Sept


def test_attendance_on_the_as_of_date_is_not_used(features: pd.DataFrame) -> None:
    # s1's unexcused absences from 2 October on would raise every rate if they leaked in.
    assert features.loc["s1", "absence_rate_14d"] == pytest.approx(3 / 14)


@pytest.mark.parametrize("as_of", ["2022-09-01", "2023-02-21", "2023-09-04", "2024-01-10"])
def test_same_numbers_as_plain_sql(as_of: str) -> None:
    """An independent oracle: the definitions written as DuckDB SQL give the same values."""
    import duckdb
    import numpy as np

    from benchmarks.attendance_sql import duckdb_attendance
    from features.contract import school_year_of
    from features.engines.local import attendance_only
    from tests.features.factory import random_county

    county = random_county(seed=2, students=60, schools=3)
    when = pd.Timestamp(as_of)
    enr = county.enrollments
    roster = enr.loc[enr["school_year"] == school_year_of(when), ["student_id", "school_id"]]
    roster = roster.sort_values(["school_id", "student_id"], ignore_index=True)
    ours = attendance_only(county.attendance, roster, when, chunk_students=20)
    ours = ours.sort_values("student_id", ignore_index=True)
    con = duckdb.connect()
    con.register("attendance", county.attendance)
    con.register("enrollments", enr)
    sql = duckdb_attendance(con, when)
    assert list(sql["student_id"]) == list(ours["student_id"])
    if when > pd.Timestamp("2022-09-01"):  # the data's first day has no history: all missing
        assert ours["absence_rate_90d"].notna().sum() > 30
    for col in sql.columns[1:]:
        expected = sql[col].to_numpy(np.float64, na_value=np.nan)
        np.testing.assert_array_equal(ours[col].to_numpy(np.float64), expected, err_msg=col)
