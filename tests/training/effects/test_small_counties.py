"""Small counties: an estimate, or one line saying why there is none; never a traceback.

The regression: on a 300-student county (seed 2) only one visited child left school, so a
cross-fitting fold trained the outcome learner on visited rows of one class; LightGBM answered
with two columns where scikit-learn expected one ("shape mismatch ... (233,2) ... (233,1)").
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.errors import UserError
from features.synthetic import generate_county
from training.effects.estimate import MIN_VISITED, doubly_robust
from training.effects.learners import BothClasses, nuisance_learners


def _frame(n: int, n_treated: int, treated_leavers: int, seed: int = 0) -> pd.DataFrame:
    """Child-snapshot rows: the riskier are visited; `treated_leavers` of the visited left."""
    rng = np.random.default_rng(seed)
    absence = rng.beta(1, 8, n)
    treated = np.zeros(n, dtype=np.int8)
    treated[np.argsort(-(absence + rng.normal(0, 0.05, n)))[:n_treated]] = 1
    left = (rng.random(n) < 0.02 + 0.3 * absence).astype(np.int8)
    left[treated == 1] = 0
    left[np.flatnonzero(treated)[:treated_leavers]] = 1
    return pd.DataFrame(
        {
            "county": "C",
            "student_id": [f"S{i}" for i in range(n)],
            "snapshot": pd.Timestamp("2023-09-01"),
            "absence_rate_30d": absence,
            "registered_poor": rng.random(n) < 0.2,
            "treated": treated,
            "left": left,
        }
    )


def test_a_one_class_learner_answers_for_both_classes() -> None:
    x = np.arange(12.0).reshape(-1, 1)
    model = BothClasses(nuisance_learners(0)[0]).fit(x, np.zeros(12))
    proba = model.predict_proba(x)
    assert proba.shape == (12, 2)
    assert np.all(proba[:, 1] == 0.0) and list(model.classes_) == [0, 1]
    both = BothClasses(nuisance_learners(0)[0]).fit(x, (x[:, 0] > 5).astype(float))
    assert both.predict_proba(x).shape == (12, 2)


@pytest.mark.parametrize("treated_leavers", [0, 1])
def test_no_leaver_among_the_visited_still_gives_an_estimate(treated_leavers: int) -> None:
    frame = _frame(600, 60, treated_leavers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dr = doubly_robust(frame, ["absence_rate_30d", "registered_poor"])
    e = dr.estimate
    assert np.isfinite([e.att, e.ci_low, e.ci_high]).all()
    assert e.ci_low <= e.att <= e.ci_high and e.n_treated == 60


def test_too_few_visited_or_leavers_is_said_plainly() -> None:
    few = _frame(600, MIN_VISITED - 1, 1)
    with pytest.raises(UserError, match=f"{MIN_VISITED - 1} visited"):
        doubly_robust(few, ["absence_rate_30d"])
    nobody = _frame(600, 60, 0).assign(left=0)
    with pytest.raises(UserError, match="only 0 of 600 children left school"):
        doubly_robust(nobody, ["absence_rate_30d"])


@pytest.mark.slow  # a real process each: a few seconds of CPU, a minute on the loaded machine
@pytest.mark.parametrize(
    ("students", "seed", "expect"),
    [(300, 2, "estimate"), (60, 1, "too few children to compare")],
)
def test_effects_on_a_small_county(tmp_path: Path, students: int, seed: int, expect: str) -> None:
    county = tmp_path / "county"
    generate_county(county, students=students, years=3, seed=seed, visit_effect=0.4)
    env = {**os.environ, "DROPOUT_RISK_HOME": str(tmp_path / "home")}
    env.pop("DROPOUT_RISK_DB", None)
    run = subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", "effects", str(county), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert "Traceback" not in run.stderr
    if expect == "estimate":
        assert run.returncode == 0, run.stderr[-2000:]
        assert '"att"' in run.stdout
    else:
        assert run.returncode == 1
        assert expect in run.stderr
