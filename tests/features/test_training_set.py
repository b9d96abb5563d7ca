"""Population rules, labels and snapshot coverage of training sets."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from features.errors import UserError
from features.training_set import build_training_set, snapshot_dates
from tests.features.factory import attendance_rows, school_days, tables

T = pd.Timestamp("2023-10-02")  # + 180 days = 2024-03-30


@pytest.fixture(scope="module")
def county():
    people = ["a", "b", "c", "d", "e", "f", "g", "h"]
    return tables(
        schools=[("A", "School A", "C", "T", "primary", True, False)],
        students=[(s, f"h{s}", "F", "2014-01-01", False, "none") for s in people],
        enrollments=[(s, 2023, "A", 4, False, 1.0) for s in people if s != "g"]
        + [("g", 2022, "A", 3, False, 1.0)],
        dropouts=[
            ("a", "2023-09-20", "child_labor", None),  # left before T: out
            ("b", "2023-09-10", "illness", "2023-09-25"),  # returned before T: in
            ("c", "2023-10-02", "family_poverty", None),  # leaves on T: in, label 1
            ("d", "2023-09-10", "illness", "2023-10-05"),  # returns after T: out
            ("e", "2024-03-29", "migration", None),  # last day of the window: label 1
            ("f", "2024-03-30", "migration", None),  # first day after it: label 0
            ("h", "2022-11-01", "other", "2023-01-10"),  # an old episode, back since
            ("h", "2023-11-01", "other", None),  # and a new one after T: label 1
        ],
        attendance=attendance_rows("b", school_days("2023-09-01", "2024-07-10"), "present"),
    )


def test_population_at_the_date(county) -> None:
    ids = set(build_features(county, T)["student_id"])
    assert ids == {"b", "c", "e", "f", "h"}


def test_labels_and_kept_snapshot(county) -> None:
    with pytest.warns(UserWarning, match="2024-03-01 dropped"):
        result = build_training_set(county, [T, "2024-03-01"], horizon_days=180)
    assert result.snapshots == [T]
    assert result.horizon_days == 180
    labels = result.frame.set_index("student_id")["label"]
    assert labels.to_dict() == {"b": 0, "c": 1, "e": 1, "f": 0, "h": 1}
    assert labels.dtype == "int8"
    assert list(result.frame.columns[-1:]) == ["label"]
    assert (result.frame["as_of"] == T).all()


def test_uncovered_snapshots_are_dropped_and_said_so(county) -> None:
    # The data ends 2024-07-10: a 180-day window from 1 March 2024 reaches 27 August.
    with pytest.warns(UserWarning) as caught:
        result = build_training_set(county, "term_start", horizon_days=180)
    # g's enrollment in 2022 opens the data's range a year earlier.
    assert result.snapshots == [pd.Timestamp(d) for d in ("2022-09-01", "2023-03-01", "2023-09-01")]
    assert result.frame.groupby("as_of").size().to_dict() == {
        pd.Timestamp("2022-09-01"): 1,
        pd.Timestamp("2023-03-01"): 1,
        pd.Timestamp("2023-09-01"): 7,  # nobody gone yet: h came back in January
    }
    assert [d for d, _ in result.dropped] == [pd.Timestamp("2024-03-01")]
    assert "runs past the export date 2024-07-10" in result.dropped[0][1]
    assert any("2024-03-01" in str(w.message) for w in caught)
    # A horizon that ends exactly on the last day is covered.
    last = pd.Timestamp("2024-07-10")
    exact = build_training_set(county, [last - pd.Timedelta(days=179)], horizon_days=180)
    assert exact.dropped == []


def test_no_covered_snapshot_is_an_error(county) -> None:
    with pytest.warns(UserWarning), pytest.raises(UserError, match="label window"):
        build_training_set(county, ["2024-06-01"], horizon_days=180)


def test_snapshot_rules(county) -> None:
    assert snapshot_dates(county, "term_start") == [
        pd.Timestamp(d) for d in ("2022-09-01", "2023-03-01", "2023-09-01", "2024-03-01")
    ]
    monthly = snapshot_dates(county, "monthly")
    assert monthly[0] == pd.Timestamp("2022-09-01") and monthly[-1] == pd.Timestamp("2024-07-01")
    assert len(monthly) == 23
    assert snapshot_dates(county, ["2024-01-05", "2023-10-02"]) == [
        pd.Timestamp("2023-10-02"),
        pd.Timestamp("2024-01-05"),
    ]
    with pytest.raises(UserError, match="not a date"):
        snapshot_dates(county, ["2023-13-45"])


def test_as_of_outside_the_data(county) -> None:
    with pytest.raises(UserError, match="outside the data"):
        build_features(county, "2030-01-01")
    with pytest.raises(UserError, match="outside the data"):
        build_features(county, "2010-01-01")
    with pytest.raises(UserError, match="not a date"):
        build_features(county, "yesterday-ish")
