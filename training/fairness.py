"""Fairness audit at the visit capacity, with the Aequitas convention for disparity.

For each group column (gender, ethnic minority, disability, registered poor, left
behind, rural school), each group's precision, recall, false negative rate, false
positive rate and false omission rate among students flagged at the capacity, and
the ratio of each to the largest group's. Ratios outside 0.8–1.25 are flagged, unless
the group has fewer than MIN_LEAVERS leavers (too few to judge; shown, not flagged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOW, HIGH = 0.8, 1.25
# Below this many leavers a group's recall and precision swing on one child; such groups
# are shown but not flagged.
MIN_LEAVERS = 5
RATIO_METRICS = ("precision", "recall", "fnr", "fpr", "for")
MAX_LEVELS = 12


def _rate(num: float, den: float) -> float:
    return num / den if den else float("nan")


def group_table(y: np.ndarray, flagged: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """One row per level of one group column: size and error rates at the capacity."""
    levels = groups.astype("string").fillna("(missing)").to_numpy()
    rows = []
    for level in pd.unique(levels):
        m = levels == level
        yy, ff = y[m], flagged[m]
        tp = int((yy & ff).sum())
        fp = int((~yy & ff).sum())
        fn = int((yy & ~ff).sum())
        tn = int((~yy & ~ff).sum())
        rows.append(
            {
                "group": str(level),
                "size": int(m.sum()),
                "left": int(yy.sum()),
                "flagged": int(ff.sum()),
                "precision": _rate(tp, tp + fp),
                "recall": _rate(tp, tp + fn),
                "fnr": _rate(fn, tp + fn),
                "fpr": _rate(fp, fp + tn),
                "for": _rate(fn, fn + tn),
            }
        )
    table = pd.DataFrame(rows).sort_values("size", ascending=False, kind="stable")
    reference = table.iloc[0]
    for metric in RATIO_METRICS:
        table[f"{metric}_ratio"] = (
            table[metric] / reference[metric] if reference[metric] else np.nan
        )
    ratios = table[[f"{m}_ratio" for m in RATIO_METRICS]]
    table["too_small"] = table["left"] < MIN_LEAVERS
    table["disparity"] = ((ratios < LOW) | (ratios > HIGH)).any(axis=1) & ~table["too_small"]
    table["reference"] = table["group"] == reference["group"]
    return table.reset_index(drop=True)


def audit(
    frame: pd.DataFrame, y: np.ndarray, flagged: np.ndarray, columns: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Tables for every usable group column, stacked; and why other columns were skipped."""
    y = np.asarray(y, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    tables, skipped = [], {}
    for column in columns:
        if column not in frame.columns:
            skipped[column] = "not in the data"
            continue
        if frame[column].nunique(dropna=False) > MAX_LEVELS:
            skipped[column] = f"more than {MAX_LEVELS} distinct values; not a group column"
            continue
        table = group_table(y, flagged, frame[column])
        table.insert(0, "attribute", column)
        tables.append(table)
    out = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return out, skipped
