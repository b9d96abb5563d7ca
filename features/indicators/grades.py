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
    code = code[keep]
    term = (
        known["school_year"].to_numpy(np.int64)[keep] * 2 + known["term"].to_numpy(np.int64)[keep]
    )
    score = known["score"].to_numpy(np.float64)[keep]
    # Sorted by student, term and score: a canonical order makes the float sums independent
    # of how the rows arrived, so both engines agree to the last bit.
    order = np.lexsort((score, term, code))
    code, term, score = code[order], term[order], score[order]
    first = np.flatnonzero(np.r_[True, (np.diff(code) != 0) | (np.diff(term) != 0)])
    term_code = code[first]
    size = np.diff(np.r_[first, len(code)])
    mean = np.add.reduceat(score, first) / size
    fails = np.add.reduceat((score < FAIL_BELOW).astype(np.int64), first)
    # Each student's last term is the latest; the one before it (if any) is the previous.
    last = np.flatnonzero(np.r_[term_code[1:] != term_code[:-1], True])
    out["term_mean_score"][term_code[last]] = mean[last]
    out["failing_subjects"][term_code[last]] = fails[last]
    has_previous = (last > 0) & (term_code[np.maximum(last - 1, 0)] == term_code[last])
    prev = np.full(n, np.nan)
    prev[term_code[last[has_previous]]] = mean[last[has_previous] - 1]
    out["term_score_change"] = out["term_mean_score"] - prev

    # Percentile among classmates still in school: same school and grade at the as-of date.
    pop = roster["in_population"].to_numpy()
    scores = pd.Series(np.where(pop, out["term_mean_score"], np.nan))
    ranks = scores.groupby([roster["school_id"], roster["grade"]], sort=False).rank(pct=True)
    out["score_percentile"] = ranks.to_numpy(np.float64) * 100.0
    return out
