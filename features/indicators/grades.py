"""Grade indicators: the latest term's mean score, its change, failing subjects, percentile.

A term is (school_year, term); the latest term is the most recent one with an exam dated
before the as-of date, and only those exams count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.indicators.keys import positions

FAIL_BELOW = 60.0


def grade_indicators(
    grades: pd.DataFrame, roster: pd.DataFrame, as_of: pd.Timestamp
) -> dict[str, np.ndarray]:
    """Grade indicators per roster row; the percentile ranks only students in the population."""
    n = len(roster)
    out = {
        "term_mean_score": np.full(n, np.nan),
        "term_score_change": np.full(n, np.nan),
        "failing_subjects": np.full(n, np.nan),
        "score_percentile": np.full(n, np.nan),
    }
    known = grades.loc[grades["exam_date"] < as_of]
    code = positions(known["student_id"], roster["student_id"])
    keep = code >= 0
    if not keep.any():
        return out
    known = known.loc[keep]
    frame = pd.DataFrame(
        {
            "code": code[keep],
            "term": known["school_year"].to_numpy(np.int32) * 2 + known["term"].to_numpy(np.int32),
            "score": known["score"].to_numpy(np.float64),
        }
    )
    # A canonical row order makes the float sums independent of how the rows arrived, so
    # both engines agree to the last bit.
    frame = frame.sort_values(["code", "term", "score"], kind="stable", ignore_index=True)
    frame["fail"] = frame["score"] < FAIL_BELOW
    terms = frame.groupby(["code", "term"], sort=True).agg(
        mean=("score", "mean"), fail=("fail", "sum")
    )
    terms = terms.reset_index()
    latest = terms.drop_duplicates("code", keep="last")
    previous = terms.drop(latest.index).drop_duplicates("code", keep="last")

    at = latest["code"].to_numpy()
    out["term_mean_score"][at] = latest["mean"].to_numpy()
    out["failing_subjects"][at] = latest["fail"].to_numpy()
    prev = np.full(n, np.nan)
    prev[previous["code"].to_numpy()] = previous["mean"].to_numpy()
    out["term_score_change"] = out["term_mean_score"] - prev

    # Percentile among classmates still in school: same school and grade at the as-of date.
    pop = roster["in_population"].to_numpy()
    scores = pd.Series(np.where(pop, out["term_mean_score"], np.nan))
    ranks = scores.groupby([roster["school_id"], roster["grade"]], sort=False).rank(pct=True)
    out["score_percentile"] = ranks.to_numpy(np.float64) * 100.0
    return out
