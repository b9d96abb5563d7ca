"""The calibrator maps a raw score to a risk and never turns the model's order around.

A calibration slice with a handful of leavers can make Platt's fitted slope negative (the
1,000-student demo, seed 2: slope -0.40, the chosen model's test ROC-AUC 0.07 instead of
0.93, and no champion). Then the slope stays the raw score's own and only the level is fitted.
"""

from __future__ import annotations

import numpy as np
import pytest

from training.model import Calibrator


def _unlucky_slice() -> tuple[np.ndarray, np.ndarray]:
    """300 rows, 4 leavers, all among the lowest raw scores: a falling Platt curve."""
    raw = np.linspace(-6.0, 0.0, 300)
    y = np.zeros(300, dtype=int)
    y[[3, 10, 20, 40]] = 1
    return raw, y


def test_a_falling_platt_fit_keeps_the_models_order() -> None:
    raw, y = _unlucky_slice()
    free = np.polyfit(raw, y, 1)[0]
    assert free < 0  # the slice really does point the wrong way
    cal = Calibrator.fit("platt", raw, y)
    risk = cal(raw)
    assert cal.a == 1.0
    assert np.all(np.diff(risk) > 0)  # strictly increasing: same order, no ties
    assert risk.mean() == pytest.approx(y.mean(), rel=1e-6)  # the level matches the slice


def test_a_rising_platt_fit_is_kept() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(-3.0, 1.0, 2000)
    y = (rng.random(2000) < 1 / (1 + np.exp(-(2.0 * raw + 1.0)))).astype(int)
    cal = Calibrator.fit("platt", raw, y)
    assert 1.5 < cal.a < 2.5  # the fitted slope, not the fallback
