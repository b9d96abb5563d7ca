"""The Dask engine gives exactly the local engine's features (a local cluster of 2 workers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import build_features
from features.engines.dask import assign_parts
from features.indicators.population import roster
from features.training_set import build_training_set
from tests.features.factory import random_county


def test_parts_hold_whole_schools() -> None:
    county = random_county(seed=5, students=60, schools=5)
    people = roster(county, pd.Timestamp("2023-03-15"))
    parts = assign_parts(people, part_students=20)
    per_school = pd.Series(parts).groupby(people["school_id"].to_numpy()).nunique()
    assert (per_school == 1).all()
    assert len(np.unique(parts)) >= 2
    assert (np.diff(parts) >= 0).all()  # consecutive schools, so the roster order holds


def test_dask_equals_local() -> None:
    """Two snapshots on one local cluster of 2 worker processes, compared bit for bit."""
    county = random_county(seed=11, students=70, schools=4)
    snapshots = ["2023-03-01", "2023-11-20"]
    local = build_training_set(county, snapshots, horizon_days=120, engine="local")
    distributed = build_training_set(county, snapshots, horizon_days=120, engine="dask")
    pd.testing.assert_frame_equal(distributed.frame, local.frame, check_exact=True)
    assert distributed.snapshots == local.snapshots == [pd.Timestamp(d) for d in snapshots]
    assert local.frame["sibling_left"].any()  # the cross-school join had something to find
    assert local.frame.groupby("as_of")["school_id"].nunique().min() == 4


def test_chunk_size_does_not_change_features() -> None:
    county = random_county(seed=4, students=60, schools=5)
    whole = build_features(county, "2023-05-10")
    chunks: list[int] = []
    chunked = build_features(
        county, "2023-05-10", chunk_students=10, progress=lambda done, total: chunks.append(total)
    )
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    assert chunks[-1] >= 4  # whole schools of about 12 students each
