"""Demographic indicators: gender, age at the snapshot, ethnic minority, disability."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from tests.features.factory import tables

AS_OF = "2024-03-01"


def test_demographics_as_of_the_date() -> None:
    t = tables(
        schools=[("A", "School A", "C", "T", "primary", True, False)],
        students=[
            ("s1", "h1", "F", "2014-03-01", True, "visual"),
            ("s2", "h2", "M", "2012-02-29", False, "none"),
        ],
        enrollments=[("s1", 2023, "A", 4, False, 1.0), ("s2", 2023, "A", 6, False, 1.0)],
        attendance=[("s1", "2024-07-01", "present")],
    )
    f = build_features(t, AS_OF).set_index("student_id")
    assert f.loc["s1", "gender"] == "F" and f.loc["s2", "gender"] == "M"
    assert f.loc["s1", "age"] == pytest.approx(3653 / 365.25)  # ten years and three leap days
    assert f.loc["s2", "age"] == pytest.approx(4384 / 365.25)
    assert f.loc["s1", "ethnic_minority"] and not f.loc["s2", "ethnic_minority"]
    assert f.loc["s1", "disability"] == "visual"
    assert list(f["disability"].cat.categories)[0] == "none"
    assert (pd.Timestamp(AS_OF) - pd.Timestamp("2012-02-29")).days == 4384
