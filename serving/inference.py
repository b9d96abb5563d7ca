"""On-demand scoring for the HTTP hot path: indicator rows -> matrix -> booster, no pandas."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from features.errors import UserError
from serving.lifecycle import ServedModel
from training import explain

Value = float | int | bool | str | None


class RowError(UserError):
    """An indicator row the model cannot read; the message names the row and the indicator."""


def encode_rows(served: ServedModel, rows: Sequence[Mapping[str, Value]]) -> np.ndarray:
    """The float matrix in the model's feature order; missing indicators and gaps are NaN.

    LightGBM treats NaN as "unknown", as in training, so a row may leave indicators out.
    Unknown indicator names are refused: they are almost always a typo.
    """
    x = np.full((len(rows), len(served.positions)), np.nan, dtype=np.float64)
    for i, row in enumerate(rows):
        for name, value in row.items():
            j = served.positions.get(name)
            if j is None:
                raise RowError(f"row {i}: {name!r} is not an indicator of model {served.version}")
            if value is None:
                continue
            levels = served.levels.get(name)
            if levels is not None:
                code = levels.get(str(value))
                if code is None:
                    raise RowError(f"row {i}: {name}={value!r} is not one of {', '.join(levels)}")
                x[i, j] = code
            elif isinstance(value, str):
                raise RowError(f"row {i}: {name} must be a number, not {value!r}")
            else:
                x[i, j] = float(value)
    return x


def top_factors(
    served: ServedModel, x: np.ndarray, k: int = 5, references: np.ndarray | None = None
) -> list[list[dict[str, Any]]]:
    """Per row, up to k actionable reasons that raise the risk (strongest first), then the
    context facts; see `serving.reasons` for which indicators may be shown as a reason.

    `references` (rows x features): each indicator's average in the row's school, for the
    comparison in the words. Ties between equal contributions go to the model's order.
    """
    from serving.reasons import SHOWN_CONTEXT, factor, reason_mask

    n_features = x.shape[1]
    contrib = served.scorer.contributions_matrix(x)[:, :n_features]  # the family's own
    features = served.scorer.features
    readers = explain.readers(features, served.scorer.categorical)
    shown = reason_mask(features, x, references, served.scorer.categorical) & (contrib > 0)
    order = np.argsort(-np.where(shown, contrib, -np.inf), axis=1, kind="stable")[:, :k]
    context = [j for j, name in enumerate(features) if name in SHOWN_CONTEXT]
    out = []
    for i in range(len(x)):
        row, factors = x[i].tolist(), []
        for j in order[i].tolist():
            if not shown[i, j]:
                break
            ref = None if references is None else _ref(references[i, j])
            factors.append(factor(features[j], readers[j](row[j]), contrib[i, j], ref, "reason"))
        for j in context:
            if math.isnan(row[j]) or (value := readers[j](row[j])) == "none":
                continue
            factors.append(factor(features[j], value, 0.0, None, "context"))
        out.append(factors)
    return out


def _ref(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def tiers(served: ServedModel, risk: np.ndarray) -> list[str | None]:
    """Tier of each risk by the one tier rule (training.tiers); None when the model has none."""
    if not served.scorer.meta.get("tier_thresholds"):
        return [None] * len(risk)
    return [str(t) for t in served.scorer.tier(risk)]


def score(
    served: ServedModel, rows: Sequence[Mapping[str, Value]], k: int = 5
) -> list[dict[str, Any]]:
    """Risk, tier and top factors for each row, scored by `served`."""
    x = encode_rows(served, rows)
    risk = served.scorer.predict_matrix(x)
    factors = top_factors(served, x, k) if k > 0 else [[] for _ in range(len(x))]
    return [
        {"risk": float(r), "tier": t, "factors": f}
        for r, t, f in zip(risk, tiers(served, risk), factors, strict=True)
    ]
