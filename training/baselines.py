"""The simple rules the model must beat, scored on the same students.

(a) the ministry-style rule and (b) the ABC early-warning flags each score a student
by how many of their flags are raised (so ties are many: see the tie rule in
metrics.py). The logistic regression and the environment model are candidates
(candidates.py); their display names are here too.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.spec import Condition

_OPS: dict[str, Callable] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

NAMES = {
    "ministry_rule": "Ministry rule",
    "abc_flags": "ABC flags",
    "logistic_regression": "Logistic regression",
    "environment": "Environment",
}


@dataclass(frozen=True)
class RuleBaseline:
    """A count of raised flags; a missing value never raises a flag."""

    name: str
    conditions: tuple[Condition, ...]

    def missing(self, columns: pd.Index) -> list[str]:
        return [c.indicator for c in self.conditions if c.indicator not in columns]

    def flags(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for c in self.conditions:
            series = frame[c.indicator]
            if isinstance(c.value, str):
                values = series.astype("string")
            elif isinstance(c.value, bool):
                values = series.astype("boolean")
            else:
                values = pd.to_numeric(series, errors="coerce")
            raised = _OPS[c.op](values, c.value)
            out[f"{c.indicator} {c.op} {c.value}"] = raised.fillna(False).astype(bool).to_numpy()
        return pd.DataFrame(out, index=frame.index)

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        return self.flags(frame).sum(axis=1).to_numpy(dtype=np.float64)

    def describe(self) -> str:
        return "one point each for " + "; ".join(
            f"{c.indicator} {c.op} {c.value}" for c in self.conditions
        )
