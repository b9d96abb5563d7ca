"""Regression discontinuity at the visit capacity: children just inside the day's list
against those just outside it, where visits followed the service's own list.

The running variable is the child's rank in the county on the published batch, centred on
the cut-off (positive = listed). Being listed does not force a visit, so the design is
fuzzy: rdrobust estimates the effect of a visit on the children whom the list moved
(local to the cut-off, not the effect on all the visited), with its MSE-optimal bandwidth
and robust bias-corrected interval. rddensity checks that children do not bunch on one
side of the cut-off; with ranks, each rank occurs once per batch, so the check mostly
confirms the list was not edited by hand.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_SIDE = 30  # children needed on each side of the cut-off


@dataclass(frozen=True)
class Discontinuity:
    """The fuzzy RD estimate at the cut-off, or why there is none."""

    att: float | None
    ci_low: float | None
    ci_high: float | None
    bandwidth: float | None
    n_left: int
    n_right: int
    first_stage: float | None
    """Jump in the visit rate at the cut-off (how much the list moved visits)."""
    density_p: float | None
    """rddensity's p-value for no jump in the density of ranks at the cut-off."""
    reason: str | None = None

    def describe(self) -> str:
        if self.att is None:
            return f"regression discontinuity: not estimated ({self.reason})"
        return (
            f"regression discontinuity at the capacity cut-off: {self.att:+.3f} "
            f"(95% robust CI {self.ci_low:+.3f} to {self.ci_high:+.3f}), bandwidth "
            f"{self.bandwidth:.1f} ranks, {self.n_right} listed and {self.n_left} unlisted "
            f"children in it; visit rate jumps {self.first_stage:+.2f} at the cut-off; "
            f"density check p = {self.density_p:.2f}"
        )


def running_variable(rank: pd.Series, cutoff_rank: pd.Series) -> np.ndarray:
    """Rank distance to the cut-off: +0.5 for the last listed child, -0.5 for the first not."""
    return cutoff_rank.to_numpy(dtype=float) + 0.5 - rank.to_numpy(dtype=float)


def discontinuity(x: np.ndarray, treated: np.ndarray, left: np.ndarray) -> Discontinuity:
    """Fuzzy RD of `left` on `treated` at x = 0 (x > 0: listed)."""
    n_left, n_right = int((x < 0).sum()), int((x > 0).sum())
    if min(n_left, n_right) < MIN_SIDE:
        return Discontinuity(
            None, None, None, None, n_left, n_right, None, None,
            f"fewer than {MIN_SIDE} children on a side of the cut-off",
        )  # fmt: skip
    if np.ptp(treated[x > 0]) == 0 and np.ptp(treated[x < 0]) == 0:
        return Discontinuity(
            None, None, None, None, n_left, n_right, None, None, "no variation in visits"
        )
    from rddensity import rddensity
    from rdrobust import rdrobust

    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")
        try:
            fit = rdrobust(
                y=left.astype(float), x=x, c=0.0, fuzzy=treated.astype(float), masspoints="off"
            )
            density = rddensity(X=x, c=0.0, massPoints=False)
        except Exception as exc:  # rdrobust refuses degenerate designs with plain exceptions
            return Discontinuity(
                None, None, None, None, n_left, n_right, None, None, f"rdrobust failed: {exc}"
            )
    coef = float(fit.coef.iloc[0, 0])
    low, high = (float(v) for v in fit.ci.iloc[2])  # robust bias-corrected row
    h = float(fit.bws.iloc[0, 0])
    first = getattr(fit, "tau_T", None)
    first_stage = float(np.asarray(first).ravel()[0]) if first is not None else None
    p = _density_p(density)
    inside = np.abs(x) <= h
    return Discontinuity(
        coef,
        low,
        high,
        h,
        int((inside & (x < 0)).sum()),
        int((inside & (x > 0)).sum()),
        first_stage,
        p,
    )


def _density_p(density: object) -> float | None:
    try:
        test = density.test  # type: ignore[attr-defined]
        return float(np.asarray(test["p_jk"]).ravel()[0])
    except Exception:
        return None
