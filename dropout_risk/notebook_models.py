"""The workbench's registered-model half: load a version, score a county, explain,
compare two versions, the list at other capacities, the fairness audit at another one.

Re-exported by `dropout_risk.workbench` (use it as `dr.score(...)`, `dr.compare(...)`);
every call reads the CLI's settings (tracking URI, model name) and hands the work to
`serving.scoring` or `training.analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dropout_risk.settings import get_settings

if TYPE_CHECKING:
    from features.contract import Tables
    from training.evaluation import Evaluation
    from training.outcome import Outcome
    from training.scorer import RiskScorer


def scorer(model: str | int | RiskScorer = "champion") -> RiskScorer:
    """A registered model: "champion" (or another alias), a version number, a models:/ URI,
    a model folder, or a `RiskScorer` (returned as is)."""
    from training.registry import model_uri
    from training.scorer import RiskScorer

    if isinstance(model, RiskScorer):
        return model
    s = get_settings()
    return RiskScorer.load(model_uri(str(model), s.model_name), s.tracking_uri)


def compare(
    version_a: str | int,
    version_b: str | int,
    capacity: int | float | None = None,
) -> pd.DataFrame:
    """Two registered versions scored on the newer one's test snapshot, beside the baselines
    (`training.analysis.compare`): one row per scorer, ROC-AUC, PR-AUC, figures at the
    capacity (a count, or a share < 1; default the newer spec's), Brier and ECE."""
    from training.analysis import compare as run

    s = get_settings()
    return run(version_a, version_b, s.tracking_uri, s.model_name, capacity)


def capacity_sweep(result: Outcome | Evaluation, capacities: Sequence[int | float]) -> pd.DataFrame:
    """Precision, recall and leavers reached by the model and each baseline at several visit
    capacities on the test snapshot (`training.analysis.capacity_sweep`)."""
    from training.analysis import capacity_sweep as run

    return run(_evaluation(result), capacities)


def fairness_at(
    result: Outcome | Evaluation,
    capacity: int | float | None = None,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The per-group audit of the model's list at a visit capacity (default: the spec's);
    `disparity` is True when a ratio lies outside 0.8-1.25 (`training.analysis.fairness_at`)."""
    from training.analysis import fairness_at as run

    return run(_evaluation(result), capacity, groups)


def score(
    tables: Tables | Path | str,
    as_of: object,
    model: str | int | RiskScorer = "champion",
    factors: int = 5,
) -> pd.DataFrame:
    """Everyone in school at `as_of`, ranked and explained (`dropout-risk score`, not published).

    One row per student: risk, tier, ranks in school and county, `factors` (dicts with the
    indicator, its value, its contribution and the zh/en plain words the case workers' page
    shows) and the same words joined in `factors_zh` / `factors_en`.
    """
    from dropout_risk.workbench import _tables, features
    from serving.scoring import in_list_order, score_frame, with_words

    data = _tables(tables)
    names = None
    if "name" in data.students.columns:
        names = data.students.set_index("student_id")["name"]
    scored = score_frame(scorer(model), features(data, as_of), names, k=factors)
    return in_list_order(with_words(scored))


def _evaluation(result: Outcome | Evaluation) -> Evaluation:
    return getattr(result, "evaluation", result)  # type: ignore[return-value]


def explain(frame: pd.DataFrame, model: str | int | RiskScorer = "champion") -> pd.DataFrame:
    """Each indicator's push on each student's risk (LightGBM's pred_contrib, log-odds).

    One row per row of `frame` (indicators as from `features()`), one column per indicator,
    plus `bias`; positive values raise the risk.
    """
    return scorer(model).contributions(frame)
