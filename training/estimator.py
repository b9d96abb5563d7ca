"""The two model families behind one interface: raw score (log-odds) and contributions.

A tree estimator wraps LightGBM's booster (contributions = TreeSHAP's pred_contrib); a
linear one wraps `linear.LinearModel` (contributions = coefficient × centred value).
Both give rows × (features + 1) contributions whose sum is the raw score.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import lightgbm as lgb
import numpy as np

from training.linear import LinearModel

BOOSTER_FILE = "booster.txt"
LINEAR_FILE = "linear.json"


class Estimator(Protocol):
    family: str

    def raw_score(self, x: np.ndarray) -> np.ndarray: ...
    def contributions(self, x: np.ndarray) -> np.ndarray: ...
    def save(self, directory: Path) -> None: ...


class TreeEstimator:
    """LightGBM's text model."""

    family = "lightgbm"

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, raw_score=True)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return self.booster.predict(x, pred_contrib=True)

    def save(self, directory: Path) -> None:
        (directory / BOOSTER_FILE).write_text(self.booster.model_to_string(), encoding="utf-8")


class LinearEstimator:
    """A logistic regression's coefficients, centres and scales as JSON."""

    family = "logistic_regression"

    def __init__(self, model: LinearModel) -> None:
        self.model = model

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        return self.model.raw_score(x)

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return self.model.contributions(x)

    def save(self, directory: Path) -> None:
        (directory / LINEAR_FILE).write_text(json.dumps(self.model.to_dict()), encoding="utf-8")


def wrap(model: object) -> Estimator:
    """An estimator from a booster, a LinearModel, or an estimator (returned as is)."""
    if isinstance(model, lgb.Booster):
        return TreeEstimator(model)
    if isinstance(model, LinearModel):
        return LinearEstimator(model)
    return model  # type: ignore[return-value]


def load(directory: Path) -> Estimator | None:
    """The estimator saved in a model folder, or None when the folder holds neither file."""
    if (directory / BOOSTER_FILE).is_file():
        text = (directory / BOOSTER_FILE).read_text(encoding="utf-8")
        return TreeEstimator(lgb.Booster(model_str=text))
    if (directory / LINEAR_FILE).is_file():
        data = json.loads((directory / LINEAR_FILE).read_text(encoding="utf-8"))
        return LinearEstimator(LinearModel.from_dict(data))
    return None
