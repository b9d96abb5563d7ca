"""The candidates a spec lists, and how each is fitted on some rows and scores others.

LightGBM (one per grid entry) and the logistic regression fit on the training rows minus
an inner slice: half of that slice early-stops the booster, the other half calibrates,
so the calibrator never sees the rows that chose the booster's rounds. The environment
model needs no fitting: a row's score is its school's leaving rate on the rows whose
label was known before its snapshot, shrunk towards the township's and the county's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training import metrics
from training.cluster_matrix import Matrix, linear_rows, on_rows
from training.dataset import Prepared
from training.errors import TableError
from training.linear import LinearModel
from training.model import DEFAULT_PARAMS, Calibrator, RiskModel
from training.scorer import RiskScorer
from training.spec import ModelSpec

ENVIRONMENT = "environment"
LOGISTIC = "logistic_regression"
PLACE_COLUMNS = ("school_id", "township")
SHRINK = 20.0  # pseudo-students pulling a small school's rate towards its township's
LEAF_SHARE, MIN_LEAF = 20, 5  # a leaf never needs more than 1/20 of the training rows
FAMILY_NAMES = {"lightgbm": "LightGBM", LOGISTIC: "Logistic regression", ENVIRONMENT: "Environment"}


@dataclass(frozen=True)
class Candidate:
    """One model the selection compares: a name, a family and (LightGBM) its parameters."""

    name: str
    family: str
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.family == "lightgbm":
            shown = ", ".join(f"{k}={v}" for k, v in self.params.items()) or "spec parameters"
            return f"LightGBM ({shown})"
        if self.family == LOGISTIC:
            return "logistic regression (median-imputed, standardised, one-hot, L2)"
        return "each school's leaving rate before the snapshot, shrunk to its township's"


def candidates(spec: ModelSpec, frame: pd.DataFrame, notes: dict[str, str]) -> list[Candidate]:
    """The spec's candidates that this table can run (the others are noted)."""
    grid = spec.candidates.lightgbm_grid or [{}]
    out = [
        Candidate("lightgbm" if len(grid) == 1 else f"lightgbm-{i + 1}", "lightgbm", dict(p))
        for i, p in enumerate(grid)
    ]
    if spec.candidates.logistic_regression:
        out.append(Candidate(LOGISTIC, LOGISTIC))
    if spec.candidates.environment:
        missing = [c for c in PLACE_COLUMNS[:1] if c not in frame.columns]
        if missing:
            notes["Environment model"] = f"not run: the table has no {missing[0]} column"
        else:
            out.append(Candidate(ENVIRONMENT, ENVIRONMENT))
    return out


@dataclass
class Trained:
    """A fitted candidate: scores rows of the prepared table by position."""

    candidate: Candidate
    scorer: RiskScorer | None = None
    model: RiskModel | None = None
    rates: dict[str, Any] | None = None

    def score(self, prepared: Prepared, x: Matrix, rows: np.ndarray) -> np.ndarray:
        if self.scorer is not None:
            return on_rows(x[rows], self.scorer.predict_matrix)
        return _environment_scores(prepared.frame.loc[rows], self.rates or {})


def inner_slices(
    train: np.ndarray, times: np.ndarray | None, ids: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fit, stop, calibrate) masks inside `train`.

    The inner slice is the latest training snapshot, widened to the latest two, three...
    until both halves hold leavers and stayers; without time (or when no widening
    works) a quarter of the training students. Students are halved between early
    stopping and calibration by the tie rule's hash of their id.
    """
    keys = metrics.tie_keys(ids)
    half = (keys >> np.uint64(32)) % np.uint64(2) == 0  # a bit independent of the one below
    tries: list[tuple[np.ndarray, np.ndarray]] = []
    if times is not None:
        distinct = np.unique(times[train])
        tries = [(train & np.isin(times, distinct[-n:]), half) for n in range(1, len(distinct))]
    tries.append((train & (keys % np.uint64(4) == 0), half))
    tries.append(_stratified_thirds(train, keys, y))
    for inner, halves in tries:
        stop, calib = inner & halves, inner & ~halves
        if all(len(np.unique(y[m])) == 2 for m in (train & ~inner, stop, calib)):
            break
    return train & ~inner, stop, calib


def _stratified_thirds(
    train: np.ndarray, keys: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Few leavers: a third of each class (in hash order) is the inner slice, alternated
    between the halves, so that each half holds leavers whenever there are six or more."""
    inner, halves = np.zeros_like(train), np.zeros_like(train)
    for value in (0, 1):
        rows = np.flatnonzero(train & (y == value))
        rows = rows[np.argsort(keys[rows], kind="stable")]
        picked = rows[::3]
        inner[picked] = True
        halves[picked[::2]] = True
    return inner, halves


def fit(
    candidate: Candidate,
    prepared: Prepared,
    x: Matrix,
    train: np.ndarray,
    times: np.ndarray | None,
    spec: ModelSpec,
    engine: str = "local",
    scheduler: str | None = None,
) -> Trained:
    """Fit one candidate on the `train` rows."""
    y = prepared.y
    if candidate.family == ENVIRONMENT:
        return Trained(candidate, rates=_environment_rates(prepared.frame.loc[train], prepared))
    fit_rows, stop, calib = inner_slices(train, times, prepared.ids, y)
    for part, mask in (("training", fit_rows), ("early-stopping", stop), ("calibration", calib)):
        if len(np.unique(y[mask])) < 2:
            raise TableError(
                f"the {part} slice ({int(mask.sum())} rows) has only one label value; "
                "both leavers and stayers are needed (more students or snapshots)"
            )
    cat_idx = [prepared.features.index(c) for c in prepared.categorical]
    if candidate.family == LOGISTIC:
        linear = LinearModel(seed=spec.seed).fit(*linear_rows(x, fit_rows, y, spec.seed), cat_idx)
        raw = on_rows(x[calib], linear.raw_score)
        calibrator = Calibrator.fit(spec.calibration, raw, y[calib])
        scorer = RiskScorer(linear, calibrator, prepared.features, prepared.categorical)
        return Trained(candidate, scorer=scorer)
    params = leaf_cap({**spec.lightgbm.params, **candidate.params}, int(fit_rows.sum()))
    model = RiskModel(
        params=params,
        num_boost_round=spec.lightgbm.num_boost_round,
        early_stopping_rounds=spec.lightgbm.early_stopping_rounds,
        calibration=spec.calibration,
        monotone={k: v for k, v in spec.lightgbm.monotone.items() if k in prepared.features},
        seed=spec.seed,
        engine=engine,
        scheduler=scheduler,
    ).fit(
        x[fit_rows],
        y[fit_rows],
        x[stop],
        y[stop],
        prepared.features,
        list(prepared.categorical),
        x_calibrate=x[calib],
        y_calibrate=y[calib],
    )
    scorer = RiskScorer(model.booster_, model.calibrator_, prepared.features, prepared.categorical)
    return Trained(candidate, scorer=scorer, model=model)


def leaf_cap(params: dict[str, Any], rows: int) -> dict[str, Any]:
    """`min_data_in_leaf` capped at 1/LEAF_SHARE of the training rows (and never below 5).

    A grid entry's 200 rows per leaf cannot split 350 training rows: it would score every
    student the same. Capped, it is still a real (if shallow) model on a small table; on a
    county's thousands of rows the cap is far above the grid's values and changes nothing.
    """
    asked = int(params.get("min_data_in_leaf", DEFAULT_PARAMS["min_data_in_leaf"]))
    cap = max(MIN_LEAF, rows // LEAF_SHARE)
    return {**params, "min_data_in_leaf": cap} if asked > cap else params


def _environment_rates(rows: pd.DataFrame, prepared: Prepared) -> dict[str, Any]:
    y = rows[prepared.label].to_numpy(dtype=float)
    overall = float(y.mean()) if len(y) else 0.0
    out: dict[str, Any] = {"overall": overall}
    for column in PLACE_COLUMNS:
        if column in rows.columns:
            grouped = pd.DataFrame({"g": rows[column].astype(str).to_numpy(), "y": y})
            out[column] = grouped.groupby("g")["y"].agg(["sum", "count"])
    return out


def _environment_scores(rows: pd.DataFrame, rates: dict[str, Any]) -> np.ndarray:
    """School rate shrunk to the township's, the township's shrunk to the county's."""
    prior = np.full(len(rows), rates.get("overall", 0.0))
    for column in reversed(PLACE_COLUMNS):  # township shrunk to county, then school to township
        table = rates.get(column)
        if table is None or column not in rows.columns:
            continue
        keys = rows[column].astype(str)
        left = keys.map(table["sum"]).fillna(0).to_numpy(dtype=float)
        seen = keys.map(table["count"]).fillna(0).to_numpy(dtype=float)
        prior = (left + SHRINK * prior) / (seen + SHRINK)
    return prior
