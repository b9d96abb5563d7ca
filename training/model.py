"""LightGBM on a float matrix, early-stopped on one slice and calibrated on another.

The booster outputs a raw score (log-odds); a calibrator fitted on rows that did not
choose the booster's rounds turns it into a risk that means what it says ("30% of students with this
risk leave within the horizon"). Both are plain data: LightGBM's text model and a
JSON calibrator, so a model loads without unpickling anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from training.cluster_matrix import ClusterRows, on_rows
from training.errors import TableError

# Defaults a spec's `lightgbm.params` overrides; chosen for small, noisy, imbalanced data.
DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_cat_to_onehot": 8,
    "verbose": -1,
}


@dataclass(frozen=True)
class Calibrator:
    """Raw score -> probability: isotonic (a step curve, interpolated) or Platt (a logistic)."""

    method: str
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "isotonic":
            # Same as IsotonicRegression(out_of_bounds="clip").predict, without sklearn.
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        return 1.0 / (1.0 + np.exp(-(self.a * raw + self.b)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "x": list(self.x),
            "y": list(self.y),
            "a": self.a,
            "b": self.b,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        return cls(data["method"], tuple(data["x"]), tuple(data["y"]), data["a"], data["b"])

    @classmethod
    def fit(cls, method: str, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        if method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
            return cls(
                "isotonic",
                tuple(map(float, iso.X_thresholds_)),
                tuple(map(float, iso.y_thresholds_)),
            )
        lr = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if not a > 0:
            # A falling (or flat) curve comes from a slice with too few leavers to show the
            # model's signal: it would turn the model's ranking upside down (or into one
            # tie). Keep the raw score's own log-odds slope and fit only the level.
            a, b = 1.0, _platt_level(raw, y)
        return cls("platt", a=a, b=b)


def _platt_level(raw: np.ndarray, y: np.ndarray) -> float:
    """The b for which sigmoid(raw + b) predicts as many leavers as `y` holds."""
    from scipy.optimize import brentq
    from scipy.special import expit

    target = float(np.mean(y))
    if not 0.0 < target < 1.0:
        raise TableError("calibration needs both leavers and stayers")

    def excess(b: float) -> float:
        return float(np.mean(expit(raw + b))) - target

    # excess rises with b from -target to 1 - target; widen the bracket around it.
    span = 50.0 + float(np.max(np.abs(raw))) if len(raw) else 50.0
    return float(brentq(excess, -span, span))


class RiskModel:
    """LightGBM binary classifier + calibrator; scikit-learn style (`fit` returns self)."""

    def __init__(
        self,
        params: dict[str, Any] | None = None,
        num_boost_round: int = 500,
        early_stopping_rounds: int = 50,
        calibration: str = "isotonic",
        monotone: dict[str, int] | None = None,
        seed: int = 42,
        engine: str = "local",
        scheduler: str | None = None,
    ) -> None:
        self.params = params or {}
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.calibration = calibration
        self.monotone = monotone or {}
        self.seed = seed
        self.engine = engine
        self.scheduler = scheduler

    def lgb_params(self, features: list[str]) -> dict[str, Any]:
        """The full parameter set: defaults, the spec's, then what makes it reproducible."""
        params = {**DEFAULT_PARAMS, **self.params}
        params.update(
            objective="binary",
            seed=self.seed,
            deterministic=True,
            force_row_wise=not params.get("force_col_wise", False),
            # Early stopping watches the first metric; AUC is left out: sorting every round
            # costs more than it tells.
            metric=params.get("metric", ["average_precision", "binary_logloss"]),
        )
        if self.monotone:
            params["monotone_constraints"] = [int(self.monotone.get(f, 0)) for f in features]
        return params

    def fit(
        self,
        x_train: np.ndarray | ClusterRows,
        y_train: np.ndarray,
        x_val: np.ndarray | ClusterRows,
        y_val: np.ndarray,
        features: list[str],
        categorical: list[str],
        x_calibrate: np.ndarray | ClusterRows | None = None,
        y_calibrate: np.ndarray | None = None,
    ) -> RiskModel:
        """Early-stop on (x_val, y_val); calibrate on (x_calibrate, y_calibrate) when given,
        so that the calibrator does not see the rows that chose the number of rounds.
        ClusterRows (rows the Dask workers hold) are fitted there by lightgbm.dask."""
        for part, y in (("training", y_train), ("validation", y_val)):
            if len(np.unique(y)) < 2:
                raise TableError(
                    f"the {part} part has only one label value ({int(y[0]) if len(y) else '-'}); "
                    "both leavers and stayers are needed"
                )
        params = self.lgb_params(features)
        cat_idx = [features.index(c) for c in categorical]
        if isinstance(x_train, ClusterRows):  # rows held by the Dask workers
            from training.dask_train import train_rows

            booster, best, evals = train_rows(
                params, self.num_boost_round, x_train, y_train, x_val, y_val, features, cat_idx
            )
            self.best_iteration_ = best
        elif self.engine == "dask":
            from training.dask_train import train_dask

            booster, best, evals = train_dask(
                params,
                self.num_boost_round,
                x_train,
                y_train,
                x_val,
                y_val,
                features,
                cat_idx,
                self.scheduler,
            )
            self.best_iteration_ = best
        else:
            booster, evals = self._train_local(
                params, x_train, y_train, x_val, y_val, features, cat_idx
            )
            self.best_iteration_ = int(booster.best_iteration or booster.current_iteration())
        # Keep only the trees up to the best round, and work from the text model from
        # here on so that what is scored in training is exactly what is saved.
        self.model_text_ = booster.model_to_string(num_iteration=self.best_iteration_)
        self.booster_ = lgb.Booster(model_str=self.model_text_)
        self.evals_ = evals
        self.features_ = list(features)
        if x_calibrate is None or y_calibrate is None:
            x_calibrate, y_calibrate = x_val, y_val
        raw = on_rows(x_calibrate, partial(self.booster_.predict, raw_score=True))
        self.calibrator_ = Calibrator.fit(self.calibration, raw, y_calibrate)
        return self

    def _train_local(
        self,
        params: dict[str, Any],
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_val: np.ndarray,
        y_val: np.ndarray,
        features: list[str],
        cat_idx: list[int],
    ) -> tuple[lgb.Booster, dict[str, Any]]:
        train = lgb.Dataset(
            x_train, y_train, feature_name=features, categorical_feature=cat_idx, free_raw_data=True
        )
        val = lgb.Dataset(x_val, y_val, reference=train)
        evals: dict[str, Any] = {}
        booster = lgb.train(
            params,
            train,
            num_boost_round=self.num_boost_round,
            valid_sets=[val],
            valid_names=["validation"],
            callbacks=[
                lgb.early_stopping(
                    self.early_stopping_rounds, first_metric_only=True, verbose=False
                ),
                lgb.record_evaluation(evals),
            ],
        )
        return booster, evals.get("validation", {})

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        return self.booster_.predict(x, raw_score=True)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Calibrated risk of leaving within the horizon, one per row."""
        return self.calibrator_(self.raw_score(x))

    def importance(self) -> dict[str, float]:
        """Total gain per indicator, as a share of all gain."""
        gain = self.booster_.feature_importance(importance_type="gain")
        total = float(gain.sum()) or 1.0
        return {f: float(g) / total for f, g in zip(self.features_, gain, strict=True)}
