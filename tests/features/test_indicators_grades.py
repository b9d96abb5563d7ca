"""Grade indicators on hand-made exams; snapshot 1 March 2024 (school year 2023, term 2)."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from tests.features.factory import tables

AS_OF = "2024-03-01"


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    students = ("s1", "s2", "s3", "s4", "s5")
    t = tables(
        schools=[("A", "School A", "C", "T", "primary", True, False)],
        students=[(s, f"h{s}", "M", "2013-01-01", False, "none") for s in students],
        enrollments=[
            ("s1", 2023, "A", 5, False, 1.0),
            ("s2", 2023, "A", 5, False, 1.0),
            ("s3", 2023, "A", 5, False, 1.0),
            ("s4", 2023, "A", 6, False, 1.0),
            ("s5", 2023, "A", 5, False, 1.0),
        ],
        grades=[
            # s1: last school year's term 2, mean (80 + 90) / 2 = 85
            ("s1", 2022, 2, "math", 80.0, "2023-06-20"),
            ("s1", 2022, 2, "chinese", 90.0, "2023-06-20"),
            # s1: this year's term 1, mean (50 + 70 + 90) / 3 = 70, one subject failed
            ("s1", 2023, 1, "math", 50.0, "2024-01-15"),
            ("s1", 2023, 1, "chinese", 70.0, "2024-01-15"),
            ("s1", 2023, 1, "english", 90.0, "2024-01-15"),
            # s1: term 2 exams come after the snapshot
            ("s1", 2023, 2, "math", 10.0, "2024-06-30"),
            # s2: one term only, mean 80, 59.9 fails
            ("s2", 2023, 1, "math", 100.1 - 0.1, "2024-01-15"),
            ("s2", 2023, 1, "chinese", 59.9, "2024-01-15"),
            ("s2", 2023, 1, "english", 80.1, "2024-01-15"),
            # s2: an exam dated on the snapshot day is not yet known
            ("s2", 2023, 2, "math", 0.0, AS_OF),
            # s4: alone in grade 6
            ("s4", 2023, 1, "math", 60.0, "2024-01-15"),
            # s5: left school before the snapshot, so not a classmate any more
            ("s5", 2023, 1, "math", 95.0, "2024-01-15"),
        ],
        dropouts=[("s5", "2024-02-01", "migration", None)],
    )
    return build_features(t, AS_OF).set_index("student_id")


def test_latest_term_mean_change_and_failures(features: pd.DataFrame) -> None:
    s1 = features.loc["s1"]
    assert s1["term_mean_score"] == pytest.approx(70.0)
    assert s1["term_score_change"] == pytest.approx(70.0 - 85.0)
    assert s1["failing_subjects"] == 1


def test_one_term_has_no_change(features: pd.DataFrame) -> None:
    s2 = features.loc["s2"]
    assert s2["term_mean_score"] == pytest.approx((100.0 + 59.9 + 80.1) / 3)
    assert pd.isna(s2["term_score_change"])
    assert s2["failing_subjects"] == 1


def test_no_exams_stays_missing(features: pd.DataFrame) -> None:
    s3 = features.loc["s3"]
    assert pd.isna(s3["term_mean_score"])
    assert pd.isna(s3["failing_subjects"])
    assert pd.isna(s3["score_percentile"])


def test_percentile_within_school_and_grade_among_students_in_school(
    features: pd.DataFrame,
) -> None:
    # Grade 5 classmates with scores: s1 (70) and s2 (80); s5 left; s3 has none.
    assert features.loc["s1", "score_percentile"] == pytest.approx(50.0)
    assert features.loc["s2", "score_percentile"] == pytest.approx(100.0)
    assert features.loc["s4", "score_percentile"] == pytest.approx(100.0)
    assert "s5" not in features.index
