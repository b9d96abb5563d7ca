"""LightGBM on a Dask cluster (`--engine dask`): the same model, trained data-parallel.

lightgbm.dask has no early stopping, so the cluster trains all `num_boost_round` trees and
the best round is chosen afterwards on the whole validation snapshot, by the spec's first
metric, exactly as early stopping would have; the trees after it are dropped.
"""

from __future__ import annotations

import math
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

# Metric name -> (function of labels and probabilities, higher is better?)
_METRICS = {
    "binary_logloss": (lambda y, p: log_loss(y, p, labels=[0, 1]), False),
    "average_precision": (average_precision_score, True),
    "auc": (roc_auc_score, True),
}


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
    """Train on the cluster at `scheduler` (a local 2-worker cluster when None).

    Returns the local booster, the best round (1-based) and the validation curve.
    """
    import dask.array as da
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    client = Client(scheduler or cluster)
    try:
        workers = max(1, len(client.scheduler_info()["workers"]))

        def parts(x: np.ndarray) -> da.Array:
            rows = max(1, math.ceil(len(x) / workers))
            return da.from_array(x, chunks=(rows, -1) if x.ndim == 2 else (rows,))

        settings = {k: v for k, v in params.items() if k not in ("metric", "num_threads")}
        model = lgb.DaskLGBMClassifier(client=client, n_estimators=num_boost_round, **settings)
        model.fit(
            parts(x_train),
            parts(y_train),
            feature_name=features,
            categorical_feature=categorical_idx,
        )
        booster = model.to_local().booster_
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    metric = params.get("metric", ["binary_logloss"])
    metric = metric[0] if isinstance(metric, list) else metric
    best, curve = best_round(booster, x_val, y_val, metric)
    return booster, best, {metric: curve}


def best_round(
    booster: lgb.Booster, x_val: np.ndarray, y_val: np.ndarray, metric: str
) -> tuple[int, list[float]]:
    """The 1-based round with the best validation metric, and the whole curve."""
    score_fn, higher = _METRICS.get(metric, _METRICS["binary_logloss"])
    raw = np.zeros(len(x_val))
    curve = []
    for i in range(booster.current_iteration()):
        # Adding one tree at a time gives every round's score without re-predicting.
        raw += booster.predict(x_val, raw_score=True, start_iteration=i, num_iteration=1)
        curve.append(float(score_fn(y_val, 1.0 / (1.0 + np.exp(-raw)))))
    values = np.asarray(curve)
    best = int(np.argmax(values) if higher else np.argmin(values)) + 1
    return best, curve
