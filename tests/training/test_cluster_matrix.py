"""The training set held by Dask workers reads as the local one: the same indicators and
levels, the same scores, rows, sample and fingerprint as the stacked frame gives."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from training.cluster_matrix import ClusterMatrix, holdout_rows, linear_rows, on_rows
from training.cluster_pipeline import prepare_on_cluster
from training.dataset import fingerprint, prepare
from training.spec import ModelSpec, parse_spec


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def spec(default_spec: ModelSpec) -> ModelSpec:
    """The default spec without its monotone constraint (on an indicator this table lacks)."""
    data = default_spec.model_dump(mode="json", exclude_none=True)
    data["lightgbm"]["monotone"] = {}
    return parse_spec(data)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """Stacked snapshots as the workers build them: ids, place, a categorical indicator
    (categories in their own order), a text one whose levels differ between pieces, one
    empty everywhere, one a date."""
    rng = np.random.default_rng(3)
    n = 600
    return pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in range(n)],
            "as_of": pd.to_datetime(np.repeat(["2023-09-01", "2024-03-01", "2024-09-01"], 200)),
            "school_id": rng.choice(["A", "B", "C"], n),
            "township": rng.choice(["T1", "T2"], n),
            "absence": rng.random(n),
            "grade": pd.Categorical(rng.choice(["9", "7", "8"], n), categories=["9", "7", "8"]),
            "track": np.where(np.arange(n) < 300, "plain", rng.choice(["arts", "trade"], n)),
            "nothing": np.full(n, np.nan),
            "enrolled_on": pd.to_datetime("2020-09-01"),
            "name": "x",
            "label": (rng.random(n) < 0.2).astype("int8"),
        }
    )


@pytest.fixture(scope="module")
def held(client, frame: pd.DataFrame, spec: ModelSpec):
    bounds = [0, 150, 200, 410, 600]
    parts = [
        frame.iloc[a:b].reset_index(drop=True) for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    pieces = client.scatter(parts)
    return prepare_on_cluster(client, pieces, frame.head(0), spec, "the pieces")


def test_the_same_indicators_as_the_stacked_frame(held, frame: pd.DataFrame, spec) -> None:
    prepared, x = held
    local = prepare(frame, spec, "label", "as_of", "student_id")
    assert (prepared.features, prepared.categorical) == (local.features, local.categorical)
    assert prepared.categorical == {"grade": ["9", "7", "8"], "track": ["arts", "plain", "trade"]}
    assert (
        prepared.skipped
        == local.skipped
        == {
            "nothing": "empty on every row",
            "enrolled_on": "a date, not an indicator",
        }
    )
    assert list(prepared.frame.columns) == ["student_id", "as_of", "label", "school_id", "township"]
    pd.testing.assert_frame_equal(prepared.frame, local.frame[prepared.frame.columns])
    assert len(x) == len(frame) and x.fingerprint() == fingerprint(frame)


def test_rows_scored_gathered_and_sampled_as_locally(held, frame: pd.DataFrame, spec) -> None:
    prepared, x = held
    assert isinstance(x, ClusterMatrix)
    local = prepare(frame, spec, "label", "as_of", "student_id")
    matrix = local.matrix()
    mask = np.zeros(len(frame), dtype=bool)
    mask[[3, 149, 150, 205, 599]] = True

    def weigh(m: np.ndarray) -> np.ndarray:
        return np.nansum(m * np.arange(1, m.shape[1] + 1), axis=1)

    np.testing.assert_array_equal(on_rows(x[mask], weigh), weigh(matrix[mask]))
    drop = ("name", "household_id")
    pd.testing.assert_frame_equal(
        holdout_rows(prepared.frame, x, mask, drop), holdout_rows(frame, matrix, mask, drop)
    )
    y = prepared.y
    rows, labels = linear_rows(x, mask, y, seed=1)
    np.testing.assert_array_equal(rows, matrix[mask])
    np.testing.assert_array_equal(labels, y[mask])
    import training.cluster_matrix as cm

    sampled, positions = x[np.ones(len(frame), dtype=bool)].sample(50, seed=1)
    assert cm.LINEAR_SAMPLE > 50 and len(positions) == 50 == len(np.unique(positions))
    np.testing.assert_array_equal(sampled, matrix[positions])
