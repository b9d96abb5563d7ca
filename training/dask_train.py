"""LightGBM on a Dask cluster (`--engine dask`): the same model, trained data-parallel.

lightgbm.dask has no early stopping, so the cluster trains all `num_boost_round` trees and
the best round is chosen afterwards on the whole validation snapshot, by the spec's first
metric, exactly as early stopping would have; the trees after it are dropped.

`train_on_cluster` trains from a training set whose rows stay on the workers
(`features.training_set.stack_on_cluster`): the workers encode their pieces into the float
matrix and LightGBM reads it there; the client gathers only the validation labels and raw
scores (a block of rounds at a time) to choose the best round.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from training.dataset import encode

# Metric name -> (function of labels and probabilities, higher is better?)
_METRICS = {
    "binary_logloss": (lambda y, p: log_loss(y, p, labels=[0, 1]), False),
    "average_precision": (average_precision_score, True),
    "auc": (roc_auc_score, True),
}
# Validation scores the client holds at once while choosing the round (float64 cells).
CURVE_CELLS = 1 << 23


def _first_metric(params: dict[str, Any]) -> str:
    metric = params.get("metric", ["binary_logloss"])
    return metric[0] if isinstance(metric, list) else metric


def _fit(
    client: Any,
    params: dict[str, Any],
    num_boost_round: int,
    x: Any,
    y: Any,
    features: list[str],
    categorical_idx: list[int],
) -> lgb.Booster:
    """lightgbm.dask on the dask arrays `x`, `y` (their chunks on the workers)."""
    settings = {k: v for k, v in params.items() if k not in ("metric", "num_threads")}
    model = lgb.DaskLGBMClassifier(client=client, n_estimators=num_boost_round, **settings)
    model.fit(x, y, feature_name=features, categorical_feature=categorical_idx)
    return model.to_local().booster_


def train_dask(
    params: dict[str, Any],
    num_boost_round: int,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    features: list[str],
    categorical_idx: list[int],
    scheduler: str | None = None,
) -> tuple[lgb.Booster, int, dict[str, list[float]]]:
    """Train on the cluster at `scheduler` (a local 2-worker cluster when None) from arrays
    the client holds. Returns the local booster, the best round (1-based) and the curve."""
    import dask.array as da

    from features.engines.dask import dask_client

    with dask_client(scheduler) as client:
        workers = max(1, len(client.scheduler_info()["workers"]))

        def parts(x: np.ndarray) -> da.Array:
            rows = max(1, math.ceil(len(x) / workers))
            return da.from_array(x, chunks=(rows, -1) if x.ndim == 2 else (rows,))

        booster = _fit(
            client, params, num_boost_round, parts(x_train), parts(y_train), features,
            categorical_idx,
        )  # fmt: skip
    metric = _first_metric(params)
    best, curve = best_round(booster, x_val, y_val, metric)
    return booster, best, {metric: curve}


def _matrix(frame: Any, features: list[str], categorical: dict[str, list[str]]) -> Any:
    """The float matrix of a dask DataFrame, encoded piece by piece on the workers."""
    meta = pd.DataFrame({f: pd.Series(dtype=np.float64) for f in features})
    encoded = frame.map_partitions(
        lambda piece: pd.DataFrame(encode(piece, features, categorical), columns=features),
        meta=meta,
    )
    return encoded.to_dask_array(lengths=True)


def train_on_cluster(
    client: Any,
    params: dict[str, Any],
    num_boost_round: int,
    train: Any,
    validation: Any,
    features: list[str],
    categorical: dict[str, list[str]],
    label: str = "label",
) -> tuple[lgb.Booster, int, dict[str, list[float]]]:
    """Train from rows that stay on the workers: `train` a dask DataFrame, `validation` the
    futures of the validation snapshot's pieces (`ClusterTrainingSet.pieces[date]`);
    `categorical`: indicator -> its levels, as `training.dataset.prepare` gives them.
    Returns the local booster, the best round (1-based) and the validation curve."""
    from training.cluster_matrix import encode_pieces

    cat_idx = [features.index(c) for c in categorical]
    x = _matrix(train, features, categorical)
    y = train[label].astype(np.int8).to_dask_array(lengths=True)
    # Computed into blocks on the workers first: lightgbm.dask then reads plain futures.
    x, y = client.persist([x, y])
    booster = _fit(client, params, num_boost_round, x, y, features, cat_idx)
    pieces = list(validation)
    labels = client.gather(client.map(_labels, pieces, label=label))
    y_val = np.concatenate(labels) if labels else np.zeros(0, np.int8)
    matrices = encode_pieces(client, pieces, features, categorical)
    best, curve = cluster_curve(client, booster, matrices, y_val, _first_metric(params))
    return booster, best, {_first_metric(params): curve}


def train_rows(
    params: dict[str, Any],
    num_boost_round: int,
    train: Any,
    y_train: np.ndarray,
    validation: Any,
    y_val: np.ndarray,
    features: list[str],
    categorical_idx: list[int],
) -> tuple[lgb.Booster, int, dict[str, list[float]]]:
    """Train from some rows of a `training.cluster_matrix.ClusterMatrix` (`train` and
    `validation` are its ClusterRows): the matrix never leaves the workers; the client sends
    the training labels (a byte a row) and reads back each round's validation scores."""
    import dask.array as da
    from dask import delayed

    client = train.matrix.client
    width = len(features)
    parts = train.parts()
    x = da.concatenate([da.from_delayed(delayed(f), (n, width), np.float64) for f, n in parts])
    y = da.from_array(y_train, chunks=(tuple(n for _, n in parts),))
    x, y = client.persist([x, y])
    booster = _fit(client, params, num_boost_round, x, y, features, categorical_idx)
    matrices = [f for f, _ in validation.parts()]
    metric = _first_metric(params)
    best, curve = cluster_curve(client, booster, matrices, y_val, metric)
    return booster, best, {metric: curve}


def cluster_curve(
    client: Any, booster: lgb.Booster, matrices: list[Any], y_val: np.ndarray, metric: str
) -> tuple[int, list[float]]:
    """The best round and the curve on validation rows held as matrices on the workers;
    the client reads each round's added scores, a block of rounds at a time."""
    model = client.scatter(booster)
    block = max(1, CURVE_CELLS // max(len(y_val), 1))

    def increments() -> Iterator[np.ndarray]:
        total = booster.current_iteration()
        for first in range(0, total, block):
            count = min(block, total - first)
            scores = client.map(
                _tree_scores, matrices, booster=model, first=first, count=count, pure=False
            )
            yield from np.vstack(client.gather(scores)).T

    return _choose(increments(), y_val, metric)


def _labels(piece: pd.DataFrame, label: str) -> np.ndarray:
    return piece[label].to_numpy(np.int8)


def _tree_scores(x: np.ndarray, booster: lgb.Booster, first: int, count: int) -> np.ndarray:
    """On a worker: the raw score each of trees first..first+count-1 adds, one column each."""
    columns = [
        booster.predict(x, raw_score=True, start_iteration=i, num_iteration=1)
        for i in range(first, first + count)
    ]
    return np.column_stack(columns)


def _choose(
    increments: Iterator[np.ndarray], y_val: np.ndarray, metric: str
) -> tuple[int, list[float]]:
    """The 1-based best round and the curve, from each round's added raw score."""
    score_fn, higher = _METRICS.get(metric, _METRICS["binary_logloss"])
    raw = np.zeros(len(y_val))
    curve = []
    for added in increments:
        raw += added  # one tree at a time, as the sum LightGBM makes
        curve.append(float(score_fn(y_val, 1.0 / (1.0 + np.exp(-raw)))))
    values = np.asarray(curve)
    best = int(np.argmax(values) if higher else np.argmin(values)) + 1
    return best, curve


def best_round(
    booster: lgb.Booster, x_val: np.ndarray, y_val: np.ndarray, metric: str
) -> tuple[int, list[float]]:
    """The 1-based round with the best validation metric, and the whole curve."""
    # Adding one tree at a time gives every round's score without re-predicting.
    increments = (
        booster.predict(x_val, raw_score=True, start_iteration=i, num_iteration=1)
        for i in range(booster.current_iteration())
    )
    return _choose(increments, y_val, metric)
