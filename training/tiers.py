"""The one tier rule, used by evaluation, batch scoring and on-demand scoring alike.

Cut-offs are found once, on the test snapshot, by rank (the tie rule of `metrics`):
`high` is the risk of the student ranked at the visit capacity, `medium` the risk of the
student ranked `medium_share` of the population further down. Every score, in a batch
or alone, then gets its tier from its risk: high if risk >= high, else medium if
risk >= medium, else low.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from training import metrics

TIER_RULE = (
    "Tiers by risk against two cut-offs found on the test snapshot by rank: high = at or "
    "above the risk ranked at the visit capacity; medium = at or above the risk ranked "
    "medium_share of students further down; low = the rest."
)


def cutoffs(
    risk: np.ndarray, ids: np.ndarray, k_of: Callable[[int], int], medium_share: float
) -> dict[str, float]:
    """The high and medium cut-offs of one population (1.0 when it is empty)."""
    n = len(risk)
    if n == 0:
        return {"high": 1.0, "medium": 1.0}
    ranked = np.asarray(risk, dtype=np.float64)[metrics.rank_order(risk, metrics.tie_keys(ids))]
    k = max(1, k_of(n))
    medium = min(n, k + math.ceil(medium_share * n))
    return {"high": float(ranked[k - 1]), "medium": float(ranked[medium - 1])}


def assign(risk: np.ndarray, cut: dict[str, float] | None) -> np.ndarray:
    """Each risk's tier; every risk is "low" when there are no cut-offs."""
    cut = cut or {}
    high, medium = cut.get("high", math.inf), cut.get("medium", math.inf)
    risk = np.asarray(risk, dtype=np.float64)
    return np.where(risk >= high, "high", np.where(risk >= medium, "medium", "low")).astype(object)
