"""Choosing a candidate: each one validated over rolling snapshots, the best mean wins.

`plan_for` gives the folds (rolling-origin temporal, or one stratified fold without
time); `select` fits every candidate on each validation fold, scores it on the fold's
snapshot, and chooses the best mean `promote_metric`. The test snapshot takes no part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training import metrics
from training.candidates import ENVIRONMENT, Candidate, fit
from training.cluster_matrix import Matrix
from training.dataset import Prepared
from training.spec import ModelSpec
from training.split import Plan, stratified_plan, temporal_split

Progress = Callable[[str], None]
Engine = tuple[str, str | None]  # "local" or "dask", and the Dask scheduler address


@dataclass
class Selection:
    """Candidates × validation folds on the promote metric, and the one chosen."""

    metric: str
    table: pd.DataFrame  # index: candidate name; columns: fold names + "mean"
    chosen: Candidate
    described: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "chosen": self.chosen.name,
            "family": self.chosen.family,
            "folds": [c for c in self.table.columns if c != "mean"],
            "scores": {
                name: {k: finite(v) for k, v in row.items()}
                for name, row in self.table.to_dict("index").items()
            },
            "candidates": self.described,
        }


def finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, 6) if np.isfinite(value) else None


def plan_for(prepared: Prepared, spec: ModelSpec) -> Plan:
    """Rolling-origin folds when the table has time, else one stratified fold."""
    if prepared.time_column:
        times = prepared.frame[prepared.time_column]
        dated = pd.api.types.is_datetime64_any_dtype(times.dtype)
        horizon = spec.horizon_days if dated else None
        return temporal_split(times, spec.split, horizon, prepared.y)
    groups = prepared.frame[prepared.id_column].to_numpy() if prepared.id_column else None
    return stratified_plan(prepared.y, spec.split, spec.seed, groups)


def select(
    prepared: Prepared,
    x: Matrix,
    plan: Plan,
    spec: ModelSpec,
    pool: list[Candidate],
    say: Progress,
    engine: Engine,
) -> Selection:
    """Each candidate's validation metric on each fold; the best mean is chosen."""
    times = prepared.frame[prepared.time_column].to_numpy() if prepared.time_column else None
    keys = metrics.tie_keys(prepared.ids)
    y = prepared.y
    scores: dict[str, dict[str, float]] = {c.name: {} for c in pool}
    for fold in plan.folds:
        snaps = times[fold.target] if times is not None else None
        for cand in pool:
            say(f"Validating {cand.name} on {fold.name}")
            trained = fit(cand, prepared, x, fold.train, times, spec, *engine)
            risk = trained.score(prepared, x, fold.target)
            figures = metrics.evaluate_scores(
                y[fold.target], risk, keys[fold.target], spec.capacity.k, snaps, False
            )
            scores[cand.name][fold.name] = figures[spec.promote_metric]
    table = pd.DataFrame(scores).T
    table["mean"] = table.mean(axis=1)
    # Only a model that scores students can be chosen; the environment model is the bar
    # it must clear on the test snapshot. Ties go to the candidate listed first.
    servable = [c for c in pool if c.family != ENVIRONMENT]
    means = table["mean"].reindex([c.name for c in servable]).fillna(-np.inf)
    chosen = servable[int(np.argmax(means.to_numpy()))]
    return Selection(spec.promote_metric, table, chosen, {c.name: c.describe() for c in pool})
