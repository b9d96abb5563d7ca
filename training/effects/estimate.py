"""The effect of a visit on the visited: the naive difference and the doubly robust estimate.

Why DoubleML and not EconML: the question is one number, the average effect on the
visited (ATT), with an honest interval. DoubleML's `DoubleMLIRM(score="ATTE")` is exactly
that: the AIPW score for the ATT with K-fold cross-fitting, propensity trimming and its
standard error built in, and the fitted nuisances kept for balance checks. EconML's
`DRLearner` aims at heterogeneous effects (CATE) and gives the ATT only by averaging a
CATE model over the treated, an extra modelling step whose interval we would then have to
justify ourselves. Both are maintained; DoubleML answers this question directly.

Nuisances are LightGBM, tuned in `training.effects.learners` (which says why). The
same child may appear at several snapshots, so standard errors are clustered by child.
Effects by group reuse the cross-fitted nuisances: the ATT score averaged over the
group's rows, with its own influence-function interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from training.effects.learners import nuisance_learners

Z95 = 1.959963984540054
TRIM = 0.01
MIN_VISITED = 20  # visited (and unvisited) children: a few per cross-fitting fold
MIN_LEAVERS = 5  # children who left at all: below that every interval is noise


@dataclass(frozen=True)
class Estimate:
    """One effect as a risk difference (negative = visits keep children in school)."""

    method: str
    att: float
    ci_low: float
    ci_high: float
    n_treated: int
    n_control: int

    def as_dict(self) -> dict[str, object]:
        return {
            "att": self.att,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n_treated": self.n_treated,
            "n_control": self.n_control,
            "method": self.method,
        }


@dataclass
class DoublyRobust:
    """The DR estimate, the nuisances it rests on, and the balance and trimming it shows."""

    estimate: Estimate
    propensity: np.ndarray
    outcome_control: np.ndarray
    balance: pd.DataFrame
    n_trimmed: int
    notes: list[str] = field(default_factory=list)


def naive(treated: np.ndarray, left: np.ndarray) -> Estimate:
    """Leaving rate of the visited minus that of the others; confounded by who gets visited."""
    t, y = np.asarray(treated, bool), np.asarray(left, float)
    a, b = y[t], y[~t]
    diff = a.mean() - b.mean() if len(a) and len(b) else float("nan")
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) if min(len(a), len(b)) > 1 else 0
    return Estimate(
        "naive difference (confounded)",
        float(diff),
        float(diff - Z95 * se),
        float(diff + Z95 * se),
        int(t.sum()),
        int((~t).sum()),
    )


def design_matrix(frame: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Numeric covariates: numbers as they are (NaN kept), booleans as 0/1, categories one-hot,
    plus one column per snapshot (time effects)."""
    out = {}
    for name in covariates:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
            for level, dummy in pd.get_dummies(col.astype(str), prefix=name).items():
                out[level] = dummy.to_numpy(dtype=float)
        else:
            out[name] = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
    if frame["snapshot"].nunique() > 1:
        for level, dummy in pd.get_dummies(frame["snapshot"].astype(str), prefix="snap").items():
            out[level] = dummy.to_numpy(dtype=float)
    x = pd.DataFrame(out, index=frame.index)
    return x.loc[:, x.nunique(dropna=True) > 1]


def check_enough(treated: np.ndarray, left: np.ndarray, horizon_days: int) -> None:
    """A clean refusal when the rows cannot carry a doubly robust estimate."""
    from features.errors import UserError

    d, y = np.asarray(treated, bool), np.asarray(left, bool)
    n1, n0, leavers = int(d.sum()), int((~d).sum()), int(y.sum())
    if n1 < MIN_VISITED or n0 < MIN_VISITED:
        raise UserError(
            f"too few children to compare: {n1:,} visited and {n0:,} not at the closed "
            f"snapshots (the doubly robust estimate needs at least {MIN_VISITED} of each)"
        )
    if leavers < MIN_LEAVERS:
        raise UserError(
            f"only {leavers} of {n1 + n0:,} children left school within {horizon_days} days of "
            f"the snapshots: too few to tell what a visit changed (at least {MIN_LEAVERS})"
        )


def doubly_robust(
    frame: pd.DataFrame,
    covariates: list[str],
    seed: int = 0,
    folds: int = 5,
    horizon_days: int = 180,
) -> DoublyRobust:
    """ATT of `treated` on `left` by DoubleML's IRM (ATTE score), cross-fitted, clustered by
    child, propensities trimmed to [0.01, 0.99]."""
    import doubleml as dml

    from features.errors import UserError

    check_enough(frame["treated"].to_numpy(), frame["left"].to_numpy(), horizon_days)
    x = design_matrix(frame, covariates)
    if x.empty:
        raise UserError("no indicator differs between the children: nothing to adjust for")
    data = x.copy()
    data["_y"] = frame["left"].to_numpy(dtype=float)
    data["_d"] = frame["treated"].to_numpy(dtype=float)
    data["_child"] = pd.factorize(frame["county"] + "\x1f" + frame["student_id"])[0]
    ml_g, ml_m = nuisance_learners(seed)
    np.random.seed(seed)  # DoubleML draws its folds from numpy's global generator
    dml_data = dml.DoubleMLData(
        data, "_y", "_d", list(x.columns), cluster_cols="_child", force_all_x_finite=False
    )
    model = dml.DoubleMLIRM(
        dml_data, ml_g, ml_m, n_folds=folds, score="ATTE", trimming_threshold=TRIM
    )
    try:
        model.fit(store_predictions=True)
    except ValueError as exc:  # the checks above should leave nothing for this to catch
        raise UserError(f"the doubly robust estimate failed on these data: {exc}") from exc
    att = float(model.coef[0])
    low, high = (float(v) for v in model.confint(level=0.95).iloc[0])
    m_raw = model.predictions["ml_m"][:, 0, 0]
    m = np.clip(m_raw, TRIM, 1 - TRIM)
    g0 = model.predictions["ml_g0"][:, 0, 0]
    d = data["_d"].to_numpy()
    certain = (d == 1) & (m_raw >= 1 - TRIM - 1e-12)
    if certain.sum() == d.sum():
        raise UserError(
            "no overlap: every visited child was certain to be visited given the indicators, "
            "so no unvisited child is comparable"
        )
    notes = []
    if certain.sum() > 0.1 * d.sum():
        notes.append(
            f"{int(certain.sum())} of {int(d.sum())} visited children were almost certain to be "
            f"visited (propensity above {1 - TRIM:.2f}): few comparable unvisited children"
        )
    estimate = Estimate(
        "doubly robust ATT (DoubleML IRM, ATTE score, 5-fold cross-fitting, LightGBM)",
        att,
        low,
        high,
        int(d.sum()),
        int((1 - d).sum()),
    )
    return DoublyRobust(
        estimate=estimate,
        propensity=m,
        outcome_control=g0,
        balance=balance_table(x, d, m),
        # DoubleML may hand back its predictions already clipped: count those at the bounds.
        n_trimmed=int(((m_raw <= TRIM + 1e-12) | (m_raw >= 1 - TRIM - 1e-12)).sum()),
        notes=notes,
    )


def att_scores(y: np.ndarray, d: np.ndarray, m: np.ndarray, g0: np.ndarray) -> np.ndarray:
    """Per row, the ATT score's numerator: D(Y - g0) - m(1 - D)(Y - g0)/(1 - m)."""
    resid = y - g0
    return d * resid - m * (1 - d) * resid / (1 - m)


def group_estimate(
    y: np.ndarray, d: np.ndarray, m: np.ndarray, g0: np.ndarray, method: str
) -> Estimate:
    """The AIPW ATT over some rows from the cross-fitted nuisances, with its IF interval."""
    n, n1 = len(y), float(d.sum())
    if n1 == 0 or n1 == n:
        return Estimate(method, float("nan"), float("nan"), float("nan"), int(n1), int(n - n1))
    score = att_scores(y, d, m, g0)
    theta = score.sum() / n1
    influence = (score - theta * d) / (n1 / n)
    se = np.sqrt(np.mean(influence**2) / n)
    return Estimate(
        method, float(theta), float(theta - Z95 * se), float(theta + Z95 * se), int(n1), int(n - n1)
    )


def balance_table(x: pd.DataFrame, d: np.ndarray, m: np.ndarray) -> pd.DataFrame:
    """Standardised mean differences (treated - control) / pooled sd, before and after the
    ATT weights m/(1-m) on the controls; missing values left out per covariate."""
    t = d.astype(bool)
    w = m / (1 - m)
    rows = []
    for name in x.columns:
        v = x[name].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        a, b, wb = v[t & ok], v[~t & ok], w[~t & ok]
        if len(a) < 2 or len(b) < 2:
            continue
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        if not sd > 0:
            continue
        after = np.average(b, weights=wb) if wb.sum() > 0 else np.nan
        rows.append(
            {
                "covariate": name,
                "smd_before": (a.mean() - b.mean()) / sd,
                "smd_after": (a.mean() - after) / sd,
            }
        )
    table = pd.DataFrame(rows, columns=["covariate", "smd_before", "smd_after"])
    return table.sort_values("smd_before", key=np.abs, ascending=False, ignore_index=True)
