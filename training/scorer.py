"""RiskScorer: a trained model as plain files, and the one way everything scores with it.

A model directory holds `booster.txt` (LightGBM's text model), `calibrator.json` and
`scorer.json` (indicators, category levels, tiers, training window). No pickles.
Serving, the MLflow pyfunc wrapper and evaluation all score through this class.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from training.dataset import encode
from training.errors import RegistryError
from training.model import Calibrator

BOOSTER_FILE = "booster.txt"
CALIBRATOR_FILE = "calibrator.json"
META_FILE = "scorer.json"
MODEL_DIR_ARTIFACT = "model_dir"


class RiskScorer:
    """Calibrated dropout risk, per-indicator contributions and top factors in plain words."""

    def __init__(
        self,
        booster: lgb.Booster,
        calibrator: Calibrator,
        features: list[str],
        categorical: dict[str, list[str]],
        meta: dict[str, Any] | None = None,
        model_version: str | None = None,
    ) -> None:
        self.booster = booster
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
        (directory / BOOSTER_FILE).write_text(self.booster.model_to_string(), encoding="utf-8")
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
        if not (directory / BOOSTER_FILE).is_file():
            nested = directory / "artifacts" / MODEL_DIR_ARTIFACT
            if (nested / BOOSTER_FILE).is_file():
                directory = nested
            else:
                raise RegistryError(
                    f"{directory} holds no {BOOSTER_FILE}; not a dropout-risk model"
                )
        meta = json.loads((directory / META_FILE).read_text())
        booster = lgb.Booster(model_str=(directory / BOOSTER_FILE).read_text(encoding="utf-8"))
        calibrator = Calibrator.from_dict(json.loads((directory / CALIBRATOR_FILE).read_text()))
        return cls(
            booster,
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
    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        return encode(frame, self.features, self.categorical)

    def predict_matrix(self, x: np.ndarray) -> np.ndarray:
        """Risk from a float matrix in `features` order (categories as codes); no pandas."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        return self.calibrator(self.booster.predict(x, raw_score=True))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated risk of leaving school within the horizon, one per row, in [0, 1]."""
        return self.predict_matrix(self.matrix(frame))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """LightGBM's pred_contrib: each indicator's push on the raw score (log-odds), + bias."""
        values = self.booster.predict(self.matrix(frame), pred_contrib=True)
        return pd.DataFrame(values, columns=[*self.features, "bias"], index=frame.index)

    def top_factors(self, frame: pd.DataFrame, k: int = 5) -> list[list[dict[str, Any]]]:
        """Per row, up to k indicators that raise the risk most, in plain English and Chinese."""
        contrib = self.contributions(frame)[self.features].to_numpy()
        describe = _describer()
        out: list[list[dict[str, Any]]] = []
        for i in range(len(frame)):
            order = np.argsort(-contrib[i], kind="stable")[:k]
            factors = []
            for j in order:
                if contrib[i, j] <= 0:
                    break
                name = self.features[j]
                value = _plain(frame[name].iloc[i])
                factors.append(
                    {
                        "indicator": name,
                        "value": value,
                        "contribution": float(contrib[i, j]),
                        "en": describe(name, value, "en"),
                        "zh": describe(name, value, "zh"),
                    }
                )
            out.append(factors)
        return out

    def tier(self, risk: np.ndarray) -> np.ndarray:
        """Tier of each risk from the cut-offs found on the test snapshot: high/medium/low."""
        cut = self.meta.get("tier_thresholds") or {}
        high, medium = cut.get("high", math.inf), cut.get("medium", math.inf)
        risk = np.asarray(risk)
        return np.where(risk >= high, "high", np.where(risk >= medium, "medium", "low"))


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar: numpy types to Python, gaps to None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _describer():
    """features.catalogue.describe when the indicator is catalogued, else "name = value"."""
    try:
        from features.catalogue import CATALOGUE, describe
    except ImportError:  # a plain table trained without the feature pipeline installed
        CATALOGUE, describe = {}, None

    def text(name: str, value: Any, lang: str) -> str:
        if describe is not None and name in CATALOGUE:
            try:
                return describe(name, value, lang)
            except (KeyError, ValueError, TypeError):
                pass
        shown = "unknown" if value is None else value
        return f"{name.replace('_', ' ')}: {shown}" if lang == "en" else f"{name}：{shown}"

    return text
