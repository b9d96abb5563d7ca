"""Enrollment indicators from hand-made enrollment histories; snapshot 1 October 2023."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from tests.features.factory import tables

AS_OF = "2023-10-01"


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    t = tables(
        schools=[
            ("P1", "Primary 1", "C", "T1", "primary", True, False),
            ("P2", "Primary 2", "C", "T1", "primary", False, False),
            ("J1", "Junior 1", "C", "T2", "junior", True, True),
            ("J2", "Junior 2", "C", "T2", "junior", False, True),
        ],
        students=[
            ("s1", "h1", "F", "2011-08-31", False, "none"),
            ("s2", "h2", "M", "2013-09-02", False, "none"),
            ("s3", "h3", "M", "2009-05-01", False, "none"),
        ],
        enrollments=[
            # s1: primary to junior school in the normal way
            ("s1", 2020, "P1", 4, False, 2.0),
            ("s1", 2021, "P1", 5, False, 2.0),
            ("s1", 2022, "P1", 6, False, 2.0),
            ("s1", 2023, "J1", 7, True, 12.5),
            # s2: repeated grade 3 and changed school
            ("s2", 2021, "P1", 3, False, 1.0),
            ("s2", 2022, "P2", 3, False, None),
            ("s2", 2023, "P2", 4, False, None),
            # s3: repeated grade 7; next year's enrollment is not known yet
            ("s3", 2022, "J1", 7, False, 5.0),
            ("s3", 2023, "J1", 7, False, 5.0),
            ("s3", 2024, "J2", 8, True, 30.0),
        ],
        attendance=[("s1", "2024-07-01", "present")],
    )
    return build_features(t, AS_OF).set_index("student_id")


def test_normal_move_to_junior_school(features: pd.DataFrame) -> None:
    s1 = features.loc["s1"]
    assert s1["grade"] == 7
    assert s1["junior_first_year"]
    assert s1["school_changes"] == 0
    assert s1["repeated_grades"] == 0
    assert s1["over_age"] == 0  # 12 on 1 September in grade 7
    assert s1["boarding"]
    assert s1["distance_km"] == 12.5
    assert s1["rural_school"]
    assert s1["school_id"] == "J1"
    assert s1["township"] == "T2"


def test_repeat_and_change(features: pd.DataFrame) -> None:
    s2 = features.loc["s2"]
    assert s2["repeated_grades"] == 1
    assert s2["school_changes"] == 1
    assert s2["over_age"] == 0  # 9 on 1 September (10 the next day) in grade 4
    assert pd.isna(s2["distance_km"])
    assert not s2["rural_school"]
    assert not s2["junior_first_year"]


def test_over_age_and_future_enrollment_ignored(features: pd.DataFrame) -> None:
    s3 = features.loc["s3"]
    assert s3["over_age"] == 2  # 14 on 1 September in grade 7, where 12 is usual
    assert s3["repeated_grades"] == 1
    assert s3["school_changes"] == 0
    assert s3["grade"] == 7
    assert not s3["boarding"]
