"""Reasons a visit can act on: which indicators may be shown as raising a child's risk.

An explanation has two parts. *Reasons* are actionable (attendance, learning, family and
poverty, left-behind, transition and distance, a sibling who left): shown only when they
push this child's risk up (positive contribution) *and* the child's own value is on the
adverse side (more absence than the school's average, a fall in grades, a flag that is
set). *Context* (age, grade, disability) is shown as a fact, never as raising the risk;
gender and ethnicity are never shown at all: the fairness audit is where they belong.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

Domain = Literal["attendance", "learning", "family", "left_behind", "transition", "sibling"]
DOMAIN_OF_GROUP: dict[str, Domain] = {
    "attendance": "attendance",
    "grades": "learning",
    "poverty": "family",
    "left_behind": "left_behind",
    "enrollment": "transition",
    "household": "sibling",
}
# Enrollment indicators about learning, not about moving between schools.
DOMAIN_OVERRIDES: dict[str, Domain] = {"over_age": "learning", "repeated_grades": "learning"}
CONTEXT: tuple[str, ...] = ("age", "grade", "gender", "ethnic_minority", "disability")
SHOWN_CONTEXT: tuple[str, ...] = ("age", "grade", "disability")
# Below these a value is ordinary even without a school average to compare with.
_PLAIN_FLOORS: dict[str, float] = {"term_mean_score": 60.0, "score_percentile": 50.0}


@functools.lru_cache(maxsize=256)
def domain(name: str) -> Domain | None:
    """The actionable domain of an indicator, or None for context and unknown names."""
    from features.catalogue import CATALOGUE

    ind = CATALOGUE.get(name)
    if ind is None or name in CONTEXT:
        return None
    return DOMAIN_OVERRIDES.get(name) or DOMAIN_OF_GROUP.get(ind.group)


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def adverse(name: str, value: object, reference: float | None) -> bool:
    """Whether the child's own value is on the risky side (of the school average, if known)."""
    from features.catalogue import CATALOGUE

    ind = CATALOGUE[name]
    if is_missing(value):
        return False
    if ind.unit == "flag":
        return bool(value)
    if ind.unit == "category":  # guardian: anyone but the parents
        return str(value) != "parents"
    v = float(value)  # type: ignore[arg-type]
    if ind.direction == "lower_is_riskier":
        if name == "term_score_change":
            return v < 0
        floor = _PLAIN_FLOORS.get(name, -math.inf)
        return v < reference if reference is not None else v < floor
    if ind.direction == "higher_is_riskier":
        if reference is None or name in ("over_age", "repeated_grades", "failing_subjects"):
            return v > 0
        return v > reference and v > 0
    return False


def school_means(features: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Per row, each numeric actionable indicator's mean over the row's school (NaN: none)."""
    out = np.full((len(features), len(names)), np.nan)
    for j, name in enumerate(names):
        if name not in features.columns or domain(name) is None:
            continue
        col = features[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or str(col.dtype) in ("boolean", "bool"):
            continue
        numeric = pd.to_numeric(col, errors="coerce").astype("float64")
        out[:, j] = numeric.groupby(features["school_id"].to_numpy()).transform("mean").to_numpy()
    return out


def reason_mask(
    names: Sequence[str],
    x: np.ndarray,
    references: np.ndarray | None,
    categorical: Mapping[str, Sequence[str]],
) -> np.ndarray:
    """Rows x indicators: actionable and on the adverse side (`adverse`, for a whole matrix
    of encoded values: flags 0/1, categories as their level codes, gaps NaN)."""
    from features.catalogue import CATALOGUE

    mask = np.zeros(x.shape, dtype=bool)
    nan = np.full(len(x), np.nan)
    for j, name in enumerate(names):
        if domain(name) is None:
            continue
        ind, v = CATALOGUE[name], x[:, j]
        ref = nan if references is None else references[:, j]
        with np.errstate(invalid="ignore"):
            if ind.unit == "flag":
                m = v > 0.5
            elif ind.unit == "category":
                levels = list(categorical.get(name, ()))
                parents = levels.index("parents") if "parents" in levels else -1
                m = ~np.isnan(v) & (v != parents)
            elif ind.direction == "lower_is_riskier":
                floor = 0.0 if name == "term_score_change" else _PLAIN_FLOORS.get(name, -np.inf)
                use_ref = ~np.isnan(ref) & (name != "term_score_change")
                m = np.where(use_ref, v < ref, v < floor)
            elif ind.direction == "higher_is_riskier":
                plain = name in ("over_age", "repeated_grades", "failing_subjects")
                use_ref = ~np.isnan(ref) & (not plain)
                m = np.where(use_ref, (v > ref) & (v > 0), v > 0)
            else:
                continue
        mask[:, j] = m & ~np.isnan(v)
    return mask


def factor(
    name: str,
    value: Any,
    contribution: float,
    reference: float | None,
    kind: Literal["reason", "context"],
) -> dict[str, Any]:
    """One shown factor with its words in both languages."""
    from serving.wording import reason_text

    reference = None if reference is None else round(reference, 4)
    out: Mapping[str, Any] = {
        "indicator": name,
        "value": value,
        "contribution": round(float(contribution), 6),
        "kind": kind,
        "domain": domain(name) if kind == "reason" else None,
        "school_mean": reference,
        "zh": reason_text(name, value, reference, "zh"),
        "en": reason_text(name, value, reference, "en"),
    }
    return dict(out)
