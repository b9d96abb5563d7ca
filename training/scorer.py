"""RiskScorer: a trained model as plain files, and the one way everything scores with it.

A model directory holds the estimator (`booster.txt`, LightGBM's text model, or
`linear.json`, a logistic regression's numbers), `calibrator.json` and `scorer.json`
(indicators, category levels, tier cut-offs, training window). No pickles. Serving, the
MLflow pyfunc wrapper and evaluation all score through this class, whatever the family.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from training import estimator as est
from training import explain, tiers
from training.dataset import encode
from training.errors import RegistryError
from training.model import Calibrator

BOOSTER_FILE = est.BOOSTER_FILE
CALIBRATOR_FILE = "calibrator.json"
META_FILE = "scorer.json"
MODEL_DIR_ARTIFACT = "model_dir"


class RiskScorer:
    """Calibrated dropout risk, per-indicator contributions and top factors in plain words."""

    def __init__(
        self,
        model: lgb.Booster | est.Estimator | Any,
        calibrator: Calibrator,
        features: list[str],
        categorical: dict[str, list[str]],
        meta: dict[str, Any] | None = None,
        model_version: str | None = None,
    ) -> None:
        self.estimator = est.wrap(model)
        self.calibrator = calibrator
        self.features = list(features)
        self.categorical = {k: list(v) for k, v in categorical.items()}
        self.meta = dict(meta or {})
        self.model_version = model_version or self.meta.get("model_version")

    # -- files ---------------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        """Write the three files; `model_version` is kept so a cached copy knows what it is."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.estimator.save(directory)
        (directory / CALIBRATOR_FILE).write_text(json.dumps(self.calibrator.to_dict()))
        meta = {
            **self.meta,
            "features": self.features,
            "categorical": self.categorical,
            "model_version": self.model_version,
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, default=str))
        return directory

    @classmethod
    def from_dir(cls, directory: Path, model_version: str | None = None) -> RiskScorer:
        directory = Path(directory)
        model = est.load(directory)
        if model is None:
            directory = directory / "artifacts" / MODEL_DIR_ARTIFACT
            model = est.load(directory)
        if model is None:
            raise RegistryError(
                f"{directory} holds no {BOOSTER_FILE} or {est.LINEAR_FILE}; "
                "not a dropout-risk model"
            )
        meta = json.loads((directory / META_FILE).read_text())
        calibrator = Calibrator.from_dict(json.loads((directory / CALIBRATOR_FILE).read_text()))
        return cls(
            model,
            calibrator,
            meta.pop("features"),
            meta.pop("categorical"),
            meta,
            model_version or meta.get("model_version"),
        )

    @classmethod
    def load(cls, model_uri: str, tracking_uri: str | None = None) -> RiskScorer:
        """From "models:/dropout-risk@champion", "models:/dropout-risk/3", "runs:/…" or a folder."""
        path = Path(model_uri)
        if path.exists():
            return cls.from_dir(path)
        from training.registry import download_model

        local, version = download_model(model_uri, tracking_uri)
        return cls.from_dir(local, model_version=version)

    # -- scoring ---------------------------------------------------------------------------
    @property
    def family(self) -> str:
        """ "lightgbm" or "logistic_regression"."""
        return self.estimator.family

    @property
    def booster(self) -> lgb.Booster:
        """LightGBM's booster (tree models only)."""
        if not isinstance(self.estimator, est.TreeEstimator):
            raise AttributeError(f"a {self.family} model has no booster")
        return self.estimator.booster

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return encode(frame, self.features, self.categorical)

    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        """Risk from a float matrix in `features` order (categories as codes); no pandas."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        return self.calibrator(self.estimator.raw_score(x))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated risk of leaving school within the horizon, one per row, in [0, 1]."""
        return self.predict_matrix(self.matrix(frame))

    def contributions_matrix(self, x: np.ndarray) -> np.ndarray:
        """Each indicator's push on the raw score (log-odds), + bias as the last column."""
        return self.estimator.contributions(np.asarray(x, dtype=np.float64))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """`contributions_matrix` as a frame: one column per indicator, plus `bias`."""
        values = self.contributions_matrix(self.matrix(frame))
        return pd.DataFrame(values, columns=[*self.features, "bias"], index=frame.index)

    def top_factors(self, frame: pd.DataFrame, k: int = 5) -> list[list[dict[str, Any]]]:
        """Per row, up to k indicators that raise the risk most, in plain English and Chinese."""
        return explain.top_factors(self, self.matrix(frame), k)

    def tier(self, risk: np.ndarray) -> np.ndarray:
        """Tier of each risk by the one tier rule (cut-offs found on the test snapshot)."""
        return tiers.assign(risk, self.meta.get("tier_thresholds"))
