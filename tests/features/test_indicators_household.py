"""Poverty, left-behind, guardian and sibling indicators; snapshot 1 October 2023."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.build import build_features
from tests.features.factory import tables

AS_OF = "2023-10-01"


@pytest.fixture(scope="module")
def features() -> pd.DataFrame:
    t = tables(
        schools=[
            ("A", "School A", "C", "T", "primary", True, False),
            ("B", "School B", "C", "T", "junior", True, False),
        ],
        students=[
            ("s1", "h1", "F", "2014-01-01", False, "none"),
            ("s2", "h1", "M", "2010-01-01", False, "none"),
            ("s3", "h2", "F", "2014-01-01", True, "hearing"),
            ("s4", "h2", "M", "2010-01-01", False, "none"),
            ("s5", "h3", "F", "2014-01-01", False, "none"),
            ("s6", "h4", "M", "2014-01-01", False, "none"),
        ],
        enrollments=[
            ("s1", 2023, "A", 4, False, 1.0),
            ("s2", 2023, "B", 8, False, 1.0),
            ("s3", 2023, "A", 4, False, 1.0),
            ("s4", 2023, "B", 8, False, 1.0),
            ("s5", 2023, "A", 4, False, 1.0),
            ("s6", 2023, "A", 4, False, 1.0),
        ],
        households=[
            # h1: poor until March 2023 (so within the year before the snapshot)
            ("h1", "2022-01-01", True, False, False, False, "parents"),
            ("h1", "2023-03-01", False, True, True, True, "grandparents"),
            ("h1", AS_OF, True, True, False, False, "parents"),  # recorded on the day: unknown
            # h2: left poverty more than a year ago; only the father works away
            ("h2", "2020-01-01", True, False, True, False, "mother"),
            ("h2", "2021-06-01", False, False, True, False, "mother"),
            # h3: only a record after the snapshot
            ("h3", "2023-12-01", True, True, True, True, "none"),
            # h4: still poor
            ("h4", "2022-12-01", True, False, False, True, "father"),
            ("h4", "2023-05-01", True, False, False, True, "father"),
        ],
        dropouts=[
            ("s2", "2023-05-10", "child_labor", "2023-06-01"),  # left and came back
            ("s4", AS_OF, "child_labor", None),  # leaves on the snapshot day
        ],
        attendance=[("s1", "2024-07-01", "present")],
    )
    return build_features(t, AS_OF).set_index("student_id")


def test_latest_record_before_the_date(features: pd.DataFrame) -> None:
    s1 = features.loc["s1"]
    assert not s1["registered_poor"]
    assert s1["low_income_allowance"]
    assert s1["exited_poverty_1y"]
    assert s1["father_migrant"] and s1["mother_migrant"]
    assert s1["left_behind"]
    assert s1["guardian"] == "grandparents"


def test_exit_more_than_a_year_ago(features: pd.DataFrame) -> None:
    s3 = features.loc["s3"]
    assert not s3["registered_poor"]
    assert not s3["exited_poverty_1y"]
    assert s3["father_migrant"] and not s3["mother_migrant"]
    assert not s3["left_behind"]
    assert s3["guardian"] == "mother"


def test_no_record_yet_stays_missing(features: pd.DataFrame) -> None:
    s5 = features.loc["s5"]
    for col in ("registered_poor", "low_income_allowance", "exited_poverty_1y", "left_behind"):
        assert pd.isna(s5[col]), col
    assert pd.isna(s5["guardian"])


def test_still_poor(features: pd.DataFrame) -> None:
    s6 = features.loc["s6"]
    assert s6["registered_poor"]
    assert not s6["exited_poverty_1y"]


def test_sibling_left_crosses_schools(features: pd.DataFrame) -> None:
    # s2 (school B) left in May and came back: s1 (school A) has a sibling who left.
    assert features.loc["s1", "sibling_left"]
    # s2's own departure does not count for s2; s1 never left.
    assert not features.loc["s2", "sibling_left"]
    # s4 leaves on the snapshot day: not yet known, so not for s3.
    assert not features.loc["s3", "sibling_left"]
    assert "s4" in features.index  # still in school at the snapshot
    assert not features["sibling_left"].isna().any()


def test_left_before_is_the_childs_own_earlier_departure(features: pd.DataFrame) -> None:
    # s2 left in May and came back before the snapshot; s4 leaves on the snapshot day.
    assert features.loc["s2", "left_before"]
    assert not features.loc["s1", "left_before"]
    assert not features.loc["s4", "left_before"]  # not yet known
    assert not features["left_before"].isna().any()


def test_left_before_is_an_indicator_the_model_reads() -> None:
    from features.catalogue import CATALOGUE, feature_names
    from training.spec import load_spec

    assert CATALOGUE["left_before"].direction == "higher_is_riskier"
    for path in (Path(__file__).resolve().parents[2] / "models").glob("*.yaml"):
        spec = load_spec(path)
        names = feature_names() if spec.indicators == "all" else spec.indicators
        assert "left_before" in names and "left_before" not in spec.exclude, path
