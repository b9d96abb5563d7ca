"""A student-level training table with a known signal, for tests, benchmarks and demos.

Columns follow the indicator catalogue's names (a subset), so the rule baselines and
fairness groups of models/lightgbm.yaml apply. The risk rises with unexcused absence,
failing subjects, over-age, poverty and being left behind; `noise` carries no signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_table(
    students: int = 400,
    snapshots: int = 4,
    seed: int = 0,
    signal: float = 1.0,
    start: str = "2022-09-01",
) -> pd.DataFrame:
    """`students` x `snapshots` rows (one per student per snapshot) with a `label` column."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=snapshots, freq="6MS")
    ids = np.array([f"S{i:06d}" for i in range(students)], dtype=object)
    # Stable per-student traits, and per-snapshot drift in attendance and grades.
    poor = rng.random(students) < 0.25
    left_behind = rng.random(students) < 0.3
    rural = rng.random(students) < 0.6
    minority = rng.random(students) < 0.15
    gender = rng.choice(["F", "M"], students)
    disability = rng.choice(["none", "physical", "intellectual"], students, p=[0.94, 0.03, 0.03])
    frailty = rng.normal(0, 1, students)
    frames = []
    for date in dates:
        base = frailty + rng.normal(0, 0.6, students)
        unexcused = np.clip(rng.beta(1.2, 20, students) * np.exp(0.5 * base), 0, 1)
        absence = np.clip(unexcused + rng.beta(1.5, 25, students), 0, 1)
        failing = rng.poisson(np.exp(0.4 * base - 0.3), students).clip(0, 9)
        over_age = rng.poisson(0.15 + 0.2 * (base > 1), students).clip(0, 4)
        repeated = (rng.random(students) < 0.05 + 0.05 * (base > 1)).astype(int)
        score = np.clip(75 - 8 * base + rng.normal(0, 8, students), 0, 100)
        # Threshold effects and interactions, as in real records: a linear model misses them.
        logit = -4.2 + signal * (
            2.0 * (unexcused > 0.12)
            + 1.0 * (unexcused > 0.25)
            + 1.5 * ((unexcused > 0.12) & (failing >= 2))
            + 0.6 * over_age.clip(0, 2)
            + 0.5 * repeated
            + 2.5 * (poor & left_behind)
            + 1.5 * ((score < 50) & rural)
            + 1.0 * (minority & (failing >= 3))
        )
        label = rng.random(students) < 1 / (1 + np.exp(-logit))
        frame = pd.DataFrame(
            {
                "student_id": pd.array(ids, dtype=pd.StringDtype("pyarrow")),
                "as_of": np.full(students, date),
                "unexcused_rate_30d": unexcused,
                "absence_rate_ytd": absence,
                "failing_subjects": pd.array(failing, dtype="Int32"),
                "term_mean_score": score,
                "over_age": pd.array(over_age, dtype="Int32"),
                "repeated_grades": pd.array(repeated, dtype="Int32"),
                "registered_poor": pd.array(poor, dtype="boolean"),
                "left_behind": pd.array(left_behind, dtype="boolean"),
                "rural_school": pd.array(rural, dtype="boolean"),
                "ethnic_minority": pd.array(minority, dtype="boolean"),
                "gender": pd.Categorical(gender, categories=["F", "M"]),
                "disability": pd.Categorical(disability),
                "noise": rng.normal(0, 1, students),
                "label": label.astype("int8"),
            }
        )
        # A few gaps, as in real records: no grades yet for some students.
        gaps = rng.random(students) < 0.03
        frame.loc[gaps, "term_mean_score"] = np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
