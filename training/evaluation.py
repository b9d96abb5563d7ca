"""One model's evaluation on its holdout, beside the baselines: everything the report shows.

The holdout frame holds the validation and test rows with the label, the ids, the
indicators, the model's risk (`_risk`) and each baseline's score (`_score_<name>`),
and a `_part` column. It is logged with the run, so a registered version's report can
be rebuilt without the original data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from training import fairness, metrics
from training.baselines import NAMES
from training.spec import ModelSpec

RISK = "_risk"
RULES = ("ministry_rule", "abc_flags")
PART = "_part"
SCORE_PREFIX = "_score_"


@dataclass
class Evaluation:
    """The test-snapshot figures of the model and the baselines, and the tables behind the plots."""

    spec: ModelSpec
    label: str
    time_column: str | None
    id_column: str | None
    test: pd.DataFrame
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    reliability: pd.DataFrame
    deciles: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    stability: pd.DataFrame
    fairness: pd.DataFrame
    fairness_skipped: dict[str, str]
    importance: pd.Series
    top_students: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)
    chosen: str = "lightgbm"
    """The candidate chosen on validation (its scores are `model`)."""
    family: str = "lightgbm"
    selection: pd.DataFrame | None = None
    """Candidates × validation snapshots on the promote metric, and their mean."""

    @property
    def test_ids(self) -> np.ndarray:
        """The test rows' ids for the tie rule."""
        return _ids(self.test, self.id_column)

    @property
    def k(self) -> int:
        return int(self.model["k"])

    def margins(self, metric: str = "pr_auc") -> dict[str, float]:
        """Model minus each baseline on one metric (positive = the model is better)."""
        return {n: self.model[metric] - b[metric] for n, b in self.baselines.items()}

    def beats_all(self, metric: str = "pr_auc") -> bool:
        return all(m > 0 for m in self.margins(metric).values())

    def flat_metrics(self) -> dict[str, float]:
        """Every figure as an MLflow metric name -> value."""
        out = {f"test_{k}": v for k, v in self.model.items()}
        for name, values in self.baselines.items():
            out.update({f"{name}_test_{k}": v for k, v in values.items()})
            out[f"margin_pr_auc_vs_{name}"] = self.model["pr_auc"] - values["pr_auc"]
            out[f"margin_recall_at_k_vs_{name}"] = self.model["recall_at_k"] - values["recall_at_k"]
        for _, row in self.stability.iterrows():
            to = row["to"]
            tag = f"{to:%Y%m%d}" if isinstance(to, pd.Timestamp) else re.sub(r"\W", "_", str(to))
            out[f"topk_jaccard_{tag}"] = row["jaccard"]
        if not self.fairness.empty:
            out["fairness_groups_flagged"] = float(self.fairness["disparity"].sum())
        return {k: float(v) for k, v in out.items() if v is not None and np.isfinite(v)}


def evaluate_holdout(
    holdout: pd.DataFrame,
    spec: ModelSpec,
    label: str,
    time_column: str | None,
    id_column: str | None,
    group_columns: list[str],
    importance: pd.Series,
    contributions: pd.DataFrame | None = None,
) -> Evaluation:
    """Metrics, tables and audit on the test part; stability across all holdout snapshots."""
    ids = _ids(holdout, id_column)
    keys = metrics.tie_keys(ids)
    is_test = (holdout[PART] == "test").to_numpy()
    test = holdout[is_test]
    y = test[label].to_numpy(dtype=int)
    t_keys = keys[is_test]
    snaps = test[time_column].to_numpy() if time_column else None
    k_of = spec.capacity.k
    risk = test[RISK].to_numpy()

    model = metrics.evaluate_scores(y, risk, t_keys, k_of, snaps)
    baselines = {}
    curves = {"Chosen model": metrics.precision_curve(y, risk, t_keys)}
    for col in holdout.columns:
        if col.startswith(SCORE_PREFIX):
            name = col.removeprefix(SCORE_PREFIX)
            scores = test[col].to_numpy()
            baselines[name] = metrics.evaluate_scores(
                y, scores, t_keys, k_of, snaps, probabilities=name not in RULES
            )
            curves[NAMES.get(name, name)] = metrics.precision_curve(y, scores, t_keys)

    flagged = metrics.flag_top(risk, t_keys, k_of, snaps)
    audit, skipped = fairness.audit(test, y, flagged, group_columns)
    if time_column:
        stability = metrics.jaccard_stability(
            holdout[RISK].to_numpy(), keys, ids, holdout[time_column].to_numpy(), k_of
        )
    else:
        stability = pd.DataFrame(columns=["from", "to", "jaccard", "kept"])

    order = metrics.rank_order(risk, t_keys)[:10]
    top = test.iloc[order]
    top_students = pd.DataFrame(
        {"id": ids[is_test][order], "risk": top[RISK].to_numpy(), "left": top[label].to_numpy()}
    )
    if contributions is not None:
        top_students["reasons"] = [
            ", ".join(contributions.loc[i].drop("bias").nlargest(3).index) for i in top.index
        ]
    return Evaluation(
        spec=spec,
        label=label,
        time_column=time_column,
        id_column=id_column,
        test=test,
        model=model,
        baselines=baselines,
        reliability=metrics.reliability_table(y, risk),
        deciles=metrics.decile_table(y, risk, t_keys),
        curves=curves,
        stability=stability,
        fairness=audit,
        fairness_skipped=skipped,
        importance=importance,
        top_students=top_students,
    )


IMPORTANCE_SAMPLE = 5000


def sample_contributions(
    holdout: pd.DataFrame, scorer: Any, id_column: str | None, seed: int
) -> tuple[pd.DataFrame, pd.Series]:
    """pred_contrib for the ten highest-risk test rows and a seeded sample of test rows.

    TreeSHAP costs far more than scoring, so global importance (mean |contribution|) is
    taken on a random sample of up to IMPORTANCE_SAMPLE test students.
    """
    test = holdout[holdout[PART] == "test"]
    keys = metrics.tie_keys(_ids(test, id_column))
    top = metrics.rank_order(test[RISK].to_numpy(), keys)[:10]
    rng = np.random.default_rng(seed)
    sample = rng.choice(len(test), size=min(IMPORTANCE_SAMPLE, len(test)), replace=False)
    rows = np.union1d(top, sample)
    contrib = scorer.contributions(test.iloc[rows])
    importance = contrib.iloc[np.isin(rows, sample)][scorer.features].abs().mean()
    return contrib, importance.sort_values(ascending=False)


def _ids(frame: pd.DataFrame, id_column: str | None) -> np.ndarray:
    if id_column and id_column in frame.columns:
        return frame[id_column].astype("string").to_numpy(dtype=object)
    return frame.index.astype(str).to_numpy(dtype=object)
