"""A logistic regression on the model's float matrix, kept as plain numbers (no pickle).

Preprocessing: a number's gaps take the training median (and, when training had gaps, a
"missing" column); a category becomes one column per frequent level; every design
column is centred and scaled on the training rows. The score is the intercept plus
coefficient × centred value summed over the columns, so each indicator's contribution
(its columns' terms) and the intercept add up to the raw score, as LightGBM's
pred_contrib does. The same scorer explains both families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

MIN_LEVEL_COUNT = 10


@dataclass(frozen=True)
class Column:
    """One design column: feature `j`, what it reads (`value`, `missing` or a level code)."""

    j: int
    kind: str  # "value" | "missing" | "level"
    code: float = 0.0
    fill: float = 0.0
    mean: float = 0.0
    scale: float = 1.0
    coef: float = 0.0


def _raw_column(x: np.ndarray, col: Column) -> np.ndarray:
    values = x[:, col.j]
    if col.kind == "missing":
        return np.isnan(values).astype(np.float64)
    if col.kind == "level":
        return (values == col.code).astype(np.float64)
    return np.where(np.isnan(values), col.fill, values)


def _design_columns(x: np.ndarray, categorical_idx: list[int]) -> list[Column]:
    columns: list[Column] = []
    for j in range(x.shape[1]):
        values = x[:, j]
        known = values[~np.isnan(values)]
        if j in categorical_idx:
            codes, counts = np.unique(known, return_counts=True)
            columns += [
                Column(j, "level", code=float(c))
                for c, n in zip(codes, counts, strict=True)
                if n >= MIN_LEVEL_COUNT
            ]
            continue
        fill = float(np.median(known)) if len(known) else 0.0
        columns.append(Column(j, "value", fill=fill))
        if len(known) < len(values):
            columns.append(Column(j, "missing"))
    return columns


class LinearModel:
    """L2 logistic regression with the preprocessing above; `fit` returns self."""

    def __init__(self, c: float = 1.0, seed: int = 42) -> None:
        self.c = c
        self.seed = seed

    def fit(self, x: np.ndarray, y: np.ndarray, categorical_idx: list[int]) -> LinearModel:
        columns = _design_columns(x, categorical_idx)
        raw = np.column_stack([_raw_column(x, c) for c in columns])
        means = raw.mean(axis=0)
        scales = raw.std(axis=0)
        scales[scales == 0] = 1.0
        lr = LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed)
        lr.fit((raw - means) / scales, y)
        self.columns_ = [
            Column(c.j, c.kind, c.code, c.fill, float(m), float(s), float(w))
            for c, m, s, w in zip(columns, means, scales, lr.coef_[0], strict=True)
        ]
        self.intercept_ = float(lr.intercept_[0])
        self.n_features_ = x.shape[1]
        return self

    def terms(self, x: np.ndarray) -> np.ndarray:
        """Coefficient × centred (scaled) value of each design column, rows × columns."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.n_features_)
        out = np.empty((len(x), len(self.columns_)))
        for k, col in enumerate(self.columns_):
            out[:, k] = col.coef * (_raw_column(x, col) - col.mean) / col.scale
        return out

    def raw_score(self, x: np.ndarray) -> np.ndarray:
        return self.terms(x).sum(axis=1) + self.intercept_

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per feature, the sum of its columns' terms; last column the intercept (bias)."""
        terms = self.terms(x)
        out = np.zeros((len(terms), self.n_features_ + 1))
        for k, col in enumerate(self.columns_):
            out[:, col.j] += terms[:, k]
        out[:, -1] = self.intercept_
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": "logistic_regression",
            "intercept": self.intercept_,
            "n_features": self.n_features_,
            "columns": [c.__dict__ for c in self.columns_],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LinearModel:
        model = cls()
        model.columns_ = [Column(**c) for c in data["columns"]]
        model.intercept_ = float(data["intercept"])
        model.n_features_ = int(data["n_features"])
        return model
