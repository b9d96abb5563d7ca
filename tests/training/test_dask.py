"""`--engine dask`: LightGBM trained data-parallel on a local Dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.dask_train import best_round
from training.pipeline import fit_and_evaluate
from training.spec import ModelSpec


def test_best_round_sums_trees_one_at_a_time(table: pd.DataFrame, spec: ModelSpec) -> None:
    fitted = fit_and_evaluate(table, spec, label="label", time_column="as_of")
    booster = fitted.scorer.booster
    x = fitted.scorer.matrix(fitted.evaluation.test)
    y = fitted.evaluation.test["label"].to_numpy()
    best, curve = best_round(booster, x, y, "binary_logloss")
    assert len(curve) == booster.current_iteration()
    assert curve[best - 1] == min(curve)
    # The last point of the curve is the full model's log-loss.
    p = 1 / (1 + np.exp(-booster.predict(x, raw_score=True)))
    full = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert curve[-1] == pytest.approx(full, rel=1e-9)


def test_training_on_a_dask_cluster(table: pd.DataFrame, spec: ModelSpec) -> None:
    fitted = fit_and_evaluate(table, spec, label="label", time_column="as_of", engine="dask")
    assert 1 <= fitted.model.best_iteration_ <= spec.lightgbm.num_boost_round
    assert fitted.scorer.booster.current_iteration() == fitted.model.best_iteration_
    ev = fitted.evaluation
    assert ev.model["pr_auc"] > ev.baselines["ministry_rule"]["pr_auc"]
    assert ev.model["roc_auc"] > 0.7
