"""On-demand scoring for the HTTP hot path: indicator rows -> matrix -> booster, no pandas."""

from __future__ import annotations

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


def top_factors(served: ServedModel, x: np.ndarray, k: int = 5) -> list[list[dict[str, Any]]]:
    """Per row, up to k indicators that raise the risk most (training's one explainer)."""
    return explain.top_factors(served.scorer, x, k)


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
