"""The Dask engine gives exactly the local engine's features (a local cluster of 2 workers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.build import build_features
from features.engines.dask import assign_parts
from features.indicators.population import roster
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
    county = random_county(seed=11, students=70, schools=4)
    as_of = "2023-11-20"
    local = build_features(county, as_of, engine="local", chunk_students=15)
    seen: list[tuple[int, int]] = []
    distributed = build_features(
        county, as_of, engine="dask", progress=lambda done, total: seen.append((done, total))
    )
    pd.testing.assert_frame_equal(distributed, local, check_exact=True)
    assert seen[-1] == (2, 2)  # two partitions of whole schools
    assert local["sibling_left"].any()  # the cross-school join had something to find
