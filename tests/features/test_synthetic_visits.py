"""`generate --visit-effect`: visits in the county, the known truth kept apart."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.synthetic import generate_county
from features.validate import validate_folder


@pytest.fixture(scope="module")
def visited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("visited")
    generate_county(out, students=900, years=2, seed=5, visit_effect=1.0)
    return out


def test_visits_and_truth_agree(visited: Path) -> None:
    truth = pd.read_csv(visited / "truth" / "visit_truth.csv", dtype={"student_id": str})
    visits = pd.read_csv(visited / "visits.csv", dtype={"student_id": str})
    assert len(visits) == int(truth["visited"].sum()) > 0
    assert set(visits["student_id"]) == set(truth.loc[truth["visited"], "student_id"])
    # Effect 1: nobody visited leaves after the visit; the truth never adds a leaver.
    assert (truth["y1"] <= truth["y0"]).all()
    assert (truth.loc[~truth["visited"], "y1"] == truth.loc[~truth["visited"], "y0"]).all()
    summary = json.loads((visited / "truth" / "visit_truth.json").read_text())
    assert summary["visit_effect"] == 1.0 and len(summary["snapshots"]) == 4
    # Visits fall in the 30 days after a term start.
    on = pd.to_datetime(visits["visited_on"])
    starts = pd.to_datetime(sorted(summary["snapshots"]))
    offset = [min((d - s).days for s in starts if s <= d) for d in on]
    assert max(offset) < 30 and min(offset) >= 0
    # Mostly to the listed children: the list is drawn from what the county can see.
    assert truth.loc[truth["visited"], "listed"].mean() > 0.5


def test_truth_is_outside_what_the_pipeline_reads(visited: Path) -> None:
    report = validate_folder(visited)
    assert report.tables is not None and report.tables.visits is not None
    assert "truth" not in {p.table for p in report.problems}
    assert len(report.tables.visits) == len(pd.read_csv(visited / "visits.csv"))


def test_no_effect_changes_no_outcome(tmp_path: Path) -> None:
    generate_county(tmp_path / "c", students=500, years=2, seed=2, visit_effect=0.0)
    truth = pd.read_csv(tmp_path / "c" / "truth" / "visit_truth.csv")
    assert (truth["y0"] == truth["y1"]).all()
    generate_county(tmp_path / "c", students=500, years=2, seed=2)  # again, without visits
    assert not (tmp_path / "c" / "visits.csv").exists()


@pytest.mark.parametrize(("students", "seed"), [(900, 5), (1000, 1000)])
def test_truth_is_over_the_children_the_estimator_reads(
    tmp_path: Path, students: int, seed: int
) -> None:
    """The visited in the truth are the treated rows of the estimator's population at the same
    snapshots (a child back on the snapshot day is not yet in school), and their observed
    outcome is the truth's y1."""
    from features.validate import load_tables
    from training.effects.frames import snapshot_rows, student_county, visits_frame

    generate_county(tmp_path / "c", students=students, years=2, seed=seed, visit_effect=0.5)
    tables = load_tables(tmp_path / "c")
    truth = pd.read_csv(
        tmp_path / "c" / "truth" / "visit_truth.csv",
        dtype={"student_id": str},
        parse_dates=["snapshot"],
    )
    when = sorted(truth["snapshot"].unique())[:3]  # the fourth's window is still open
    visits = visits_frame([tables.visits], student_county(tables))
    frame = snapshot_rows(tables, when, visits).frame
    rows = frame.loc[frame["treated"] == 1, ["snapshot", "student_id", "left"]]
    visited = truth.loc[truth["visited"] & truth["snapshot"].isin(when)]
    both = visited.merge(rows, on=["snapshot", "student_id"], how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    assert (both["left"] == both["y1"]).all()
