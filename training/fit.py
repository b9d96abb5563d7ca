"""Fitting and testing: the chosen candidate, with every other beside it, on the test period.

`select` (training.selection) chooses on the validation folds. Then every candidate is
refitted on all rows whose label window closed before the test period and scored on it:
the chosen one is the model, the others sit beside the rules in the report. The test
period never takes part in the choice. Nothing here touches MLflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from training import metrics, tiers
from training.baselines import NAMES, RuleBaseline
from training.candidates import FAMILY_NAMES, Candidate, Trained, candidates, fit
from training.cluster_matrix import ClusterMatrix, Matrix, holdout_rows
from training.dataset import NEVER_INDICATORS, Prepared, fingerprint, prepare
from training.evaluation import (
    PART,
    RISK,
    SCORE_PREFIX,
    Evaluation,
    evaluate_holdout,
    sample_contributions,
)
from training.model import RiskModel
from training.scorer import RiskScorer
from training.selection import Selection, finite, plan_for, select
from training.spec import ModelSpec
from training.split import Plan, time_label

Progress = Callable[[str], None]


def _noop(_: str) -> None:
    pass


@dataclass
class Fitted:
    """A chosen, tested model before it is logged: everything MLflow will receive."""

    scorer: RiskScorer
    model: RiskModel | None
    evaluation: Evaluation
    holdout: pd.DataFrame
    dataset: dict[str, Any]
    run_info: dict[str, Any]
    selection: Selection


def fit_and_evaluate(
    frame: pd.DataFrame,
    spec: ModelSpec,
    *,
    label: str,
    time_column: str | None = None,
    id_column: str | None = None,
    group_columns: list[str] | None = None,
    source: str = "the table",
    dataset_info: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Fitted:
    """Validate the candidates, choose one, fit all on the test fold's rows, evaluate; no MLflow."""
    (progress or _noop)("Checking the table")
    prepared = prepare(frame, spec, label, time_column, id_column, source)
    return fit_prepared(
        prepared, prepared.matrix(), spec, group_columns=group_columns, source=source,
        dataset_info=dataset_info, notes=notes, engine=engine, scheduler=scheduler,
        progress=progress,
    )  # fmt: skip


def fit_prepared(
    prepared: Prepared,
    x: Matrix,
    spec: ModelSpec,
    *,
    group_columns: list[str] | None = None,
    source: str = "the table",
    dataset_info: dict[str, Any] | None = None,
    notes: dict[str, str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Fitted:
    """`fit_and_evaluate` on a checked table and its matrix `x` (local, or held by the Dask
    workers: a `training.cluster_matrix.ClusterMatrix`)."""
    say = progress or _noop
    label, time_column = prepared.label, prepared.time_column
    plan = plan_for(prepared, spec)
    notes = dict(notes or {})
    for why in plan.skipped:
        notes[f"Validation snapshot {why.split(':')[0]}"] = "left out" + why.split(":", 1)[1]
    if plan.test_note:
        notes["Test period"] = plan.test_note
        say(plan.test_note[0].upper() + plan.test_note[1:])
    pool = candidates(spec, prepared.frame, notes)
    on = (engine, scheduler)
    selection = select(prepared, x, plan, spec, pool, say, on)
    chosen = selection.chosen

    times = prepared.frame[time_column].to_numpy() if time_column else None
    trained: dict[str, Trained] = {}
    for cand in pool:
        say(f"Fitting {cand.name} for the test snapshot")
        trained[cand.name] = fit(cand, prepared, x, plan.test.train, times, spec, *on)
    best = trained[chosen.name]
    scorer = best.scorer
    assert scorer is not None  # only candidates with a scorer are chosen
    holdout = _holdout(prepared, plan, x, trained, chosen, spec, notes)
    groups = group_columns if group_columns is not None else spec.fairness_groups
    contrib, importance = sample_contributions(holdout, scorer, prepared.id_column, spec.seed)

    say("Evaluating on the test snapshot")
    ev = evaluate_holdout(
        holdout, spec, label, time_column, prepared.id_column, groups, importance, contrib
    )
    ev.chosen, ev.family = chosen.name, chosen.family
    ev.selection = selection.table
    scorer.meta.update(_card(spec, prepared, plan, ev, best, selection))
    dataset = {
        "source": source,
        "rows": len(prepared.frame),
        "positives": int(prepared.y.sum()),
        "fingerprint": (
            x.fingerprint() if isinstance(x, ClusterMatrix) else fingerprint(prepared.frame)
        ),
        "snapshots": (
            [time_label(t) for t in np.unique(prepared.frame[time_column].to_numpy())]
            if time_column
            else []
        ),
        "train_rows": int(plan.split.train.sum()),
        "validation_rows": int(plan.split.validation.sum()),
        "test_rows": int(plan.split.test.sum()),
        **(dataset_info or {}),
    }
    run_info = {
        "label": label,
        "time_column": time_column,
        "id_column": prepared.id_column,
        "group_columns": groups,
        "split": plan.split.describe(),
        "best_iteration": best.model.best_iteration_ if best.model else None,
        "features": prepared.features,
        "chosen": chosen.name,
        "family": chosen.family,
        "selection": selection.to_dict(),
        "notes": {
            **notes,
            **{f"column {k}": f"left out: {v}" for k, v in prepared.skipped.items()},
        },
    }
    return Fitted(scorer, best.model, ev, holdout, dataset, run_info, selection)


def _holdout(
    prepared: Prepared,
    plan: Plan,
    x: Matrix,
    trained: dict[str, Trained],
    chosen: Candidate,
    spec: ModelSpec,
    notes: dict[str, str],
) -> pd.DataFrame:
    """The last validation snapshot and the test rows, with every scorer's score.

    `_risk` is the chosen candidate's; `_score_<name>` each rule's and other candidate's.
    """
    validation = plan.folds[-1].target & ~plan.test.target
    mask = validation | plan.test.target
    drop = tuple(c for c in NEVER_INDICATORS if c != prepared.label)
    holdout = holdout_rows(prepared.frame, x, mask, drop)
    holdout[PART] = np.where(plan.test.target[mask], "test", "validation")
    for name, model in trained.items():
        column = RISK if name == chosen.name else SCORE_PREFIX + name
        holdout[column] = model.score(prepared, x, mask)
    for name in ("ministry_rule", "abc_flags"):
        conditions = getattr(spec.baselines, name)
        if not conditions:
            continue
        rule = RuleBaseline(name, tuple(conditions))
        missing = rule.missing(holdout.columns)
        if missing:
            notes[NAMES[name]] = f"not run: the data lacks {', '.join(missing)}"
            continue
        holdout[SCORE_PREFIX + name] = rule.score(holdout)
        notes[NAMES[name]] = rule.describe()
    return holdout


def _card(
    spec: ModelSpec,
    prepared: Prepared,
    plan: Plan,
    ev: Evaluation,
    best: Trained,
    selection: Selection,
) -> dict[str, Any]:
    """What the scorer carries about itself: the model card serving shows."""
    test = ev.test
    latest = test
    if ev.time_column:
        latest = test[test[ev.time_column] == test[ev.time_column].max()]
    ids = latest[prepared.id_column].astype(str).to_numpy() if prepared.id_column else None
    if ids is None:
        ids = latest.index.astype(str).to_numpy()
    split = plan.split
    metric = spec.promote_metric
    return {
        "spec_name": spec.name,
        "family": selection.chosen.family,
        "family_name": FAMILY_NAMES.get(selection.chosen.family, selection.chosen.family),
        "candidate": selection.chosen.name,
        "selection": selection.to_dict(),
        "margins": {n: finite(m) for n, m in ev.margins(metric).items()},
        "promote_metric": metric,
        "horizon_days": spec.horizon_days,
        "label": prepared.label,
        "calibration": spec.calibration,
        "capacity": spec.capacity.model_dump(exclude_none=True),
        "tiers": {"high": "top capacity", "medium_share": spec.tiers.medium_share},
        "tier_thresholds": tiers.cutoffs(
            latest[RISK].to_numpy(), ids, spec.capacity.k, spec.tiers.medium_share
        ),
        "tier_rule": tiers.TIER_RULE,
        "split": split.describe(),
        "train_snapshots": split.train_times,
        "validation_snapshots": split.validation_times,
        "test_snapshots": split.test_times,
        "best_iteration": best.model.best_iteration_ if best.model else None,
        "test_metrics": {k: finite(v) for k, v in ev.model.items()},
        "tie_rule": metrics.TIE_RULE,
    }
