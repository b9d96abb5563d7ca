"""The decision log: pruned batches are archived, every batch reads back with its capacity,
and visits recorded in the store read like those of a data folder's visits.csv."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from serving import decision_log
from serving.auth import Scope
from serving.store import ScoreStore
from tests.serving.serving_rows import county_rows


def test_every_published_batch_is_kept_with_its_capacity(store: ScoreStore, tmp_path: Path) -> None:
    days = [dt.date(2024, 9, 1) + dt.timedelta(days=30 * i) for i in range(5)]
    for i, day in enumerate(days):
        store.publish_batch(day, str(i + 1), county_rows(120, seed=i), keep=2)
    assert len([b for b in store.batches() if b.published_at]) == 2  # the store prunes...
    log = decision_log.batches(store.engine)  # ...the decision log keeps all five
    assert sorted(log["as_of"].dt.date.unique()) == days
    assert (log.groupby("batch_id").size() == 120).all()
    assert "name" not in log.columns
    archived = sorted((decision_log.archive_dir() / "").glob("batch-*.parquet"))
    assert len(archived) == 3

    # Capacity and cut-off, recomputed by hand from the rows that went in (seed 4: in store).
    rows = pd.DataFrame(county_rows(120, seed=4))
    for county, group in rows.groupby("county"):
        high = group[group["tier"] == "high"]
        got = log[(log["model_version"] == "5") & (log["county"] == county)].iloc[0]
        assert got["capacity"] == len(high)
        assert got["cutoff_rank"] == high["rank_county"].max()
        assert got["cutoff_risk"] == high["risk"].min()
    # An archived batch (seed 0) reads back the same as it went in.
    first = log[log["model_version"] == "1"].set_index("student_id")
    for row in county_rows(120, seed=0):
        assert first.loc[row["student_id"], "risk"] == row["risk"]
        assert first.loc[row["student_id"], "top_reason"] == row["factors"][0]["indicator"]


def test_a_failed_archive_keeps_the_batch_in_the_store(store: ScoreStore) -> None:
    store.publish_batch(dt.date(2024, 9, 1), "1", county_rows(30, seed=1), keep=1)
    target = decision_log.archive_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not a folder")  # the archive cannot be written
    with pytest.raises(OSError):
        store.publish_batch(dt.date(2024, 10, 1), "2", county_rows(30, seed=2), keep=1)
    assert {b.model_version for b in store.batches() if b.published_at} >= {"1"}


def test_store_visits_read_like_a_folders_visits(store: ScoreStore) -> None:
    from training.effects.frames import visits_frame

    store.publish_batch(dt.date(2024, 9, 1), "1", county_rows(40))
    token = store.add_user("li", "caseworker", Scope.parse("all"))
    who = store.authenticate(token)
    assert who is not None
    store.add_visit(who, "S00003", dt.date(2024, 9, 5), "Li", "stays_in_school", "", "ep")
    store.add_visit(who, "S00007", dt.date(2024, 9, 9), "Li", "left", "", "ep")
    from_store = decision_log.visits(store.engine)
    # each child's county as the batch has it (the store keeps visits by county and id)
    counties = pd.Series({r["student_id"]: r["county"] for r in county_rows(40)})
    paper = pd.DataFrame(
        {
            "student_id": ["S00003", "S00007"],
            "visited_on": pd.to_datetime(["2024-09-05", "2024-09-09"]),
            "visitor": ["Li", "Li"],
            "outcome": ["stays_in_school", None],
        }
    )
    a = visits_frame([from_store], counties)
    b = visits_frame([paper], counties)
    pd.testing.assert_frame_equal(a, b)
    both = visits_frame([from_store, paper], counties)
    assert len(both) == 2  # the same visit in both sources counts once


def test_archive_is_plain_parquet(store: ScoreStore) -> None:
    for i in range(3):
        store.publish_batch(dt.date(2024, 9, 1 + i), str(i), county_rows(20, seed=i), keep=1)
    files = sorted(decision_log.archive_dir().glob("batch-*.parquet"))
    assert len(files) == 2
    # An independent reader: plain pyarrow.
    import pyarrow.parquet as pq

    table = pq.read_table(files[0])
    assert table.num_rows == 20 and "risk" in table.column_names
