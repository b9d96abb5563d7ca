"""Metrics, the tie rule and the fairness audit on hand-checkable examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training import fairness, metrics


def test_ties_are_broken_by_id_hash_not_by_row_order() -> None:
    ids = np.array([f"S{i}" for i in range(50)], dtype=object)
    scores = np.repeat([0.9, 0.5], 25)
    keys = metrics.tie_keys(ids)
    top = set(ids[metrics.flag_top(scores, keys, lambda n: 30)])
    shuffled = np.random.default_rng(0).permutation(50)
    top_shuffled = set(
        ids[shuffled][
            metrics.flag_top(scores[shuffled], metrics.tie_keys(ids[shuffled]), lambda n: 30)
        ]
    )
    assert top == top_shuffled
    assert set(ids[:25]) <= top  # the higher scores always come first
    assert len(top) == 30


def test_precision_recall_lift_at_k() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.0])
    keys = metrics.tie_keys(np.arange(10).astype(str))
    out = metrics.evaluate_scores(y, scores, keys, lambda n: 3)
    assert out["precision_at_k"] == pytest.approx(2 / 3)
    assert out["recall_at_k"] == pytest.approx(2 / 3)
    assert out["lift_at_k"] == pytest.approx((2 / 3) / 0.3)
    assert out["k"] == 3


def test_capacity_is_taken_per_snapshot() -> None:
    scores = np.array([0.9, 0.8, 0.1, 0.2])
    snaps = np.array(["a", "a", "b", "b"])
    flagged = metrics.flag_top(
        scores, metrics.tie_keys(np.arange(4).astype(str)), lambda n: 1, snaps
    )
    assert flagged.tolist() == [True, False, False, True]


def test_ece_is_zero_when_calibrated_and_large_when_not() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 200_000)
    y = (rng.uniform(0, 1, p.size) < p).astype(int)
    assert metrics.expected_calibration_error(y, p) < 0.01
    assert metrics.expected_calibration_error(y, np.clip(p + 0.3, 0, 1)) > 0.2


def test_deciles_hold_tenths_and_all_leavers() -> None:
    y = np.r_[np.ones(10), np.zeros(90)].astype(int)
    p = np.linspace(1, 0, 100)
    table = metrics.decile_table(y, p, metrics.tie_keys(np.arange(100).astype(str)))
    assert table["students"].tolist() == [10] * 10
    assert table.loc[0, "left"] == 10 and table["left"].sum() == 10


def test_jaccard_of_consecutive_top_lists() -> None:
    ids = np.array(["a", "b", "c", "a", "b", "c"], dtype=object)
    snaps = np.array([1, 1, 1, 2, 2, 2])
    scores = np.array([0.9, 0.8, 0.1, 0.9, 0.1, 0.8])
    out = metrics.jaccard_stability(scores, metrics.tie_keys(ids), ids, snaps, lambda n: 2)
    assert out["jaccard"].tolist() == [pytest.approx(1 / 3)]


def test_fairness_ratios_against_the_largest_group() -> None:
    # Group A (30 students): 10 leavers, all flagged. Group B (20): 10 leavers, 5 flagged.
    # Group C (5): 1 leaver, missed - too few leavers to judge, so shown but not flagged.
    groups = pd.Series(["A"] * 30 + ["B"] * 20 + ["C"] * 5)
    y = np.r_[np.ones(10), np.zeros(20), np.ones(10), np.zeros(10), np.ones(1), np.zeros(4)]
    flagged = np.r_[np.ones(10), np.zeros(20), np.ones(5), np.zeros(15), np.zeros(5)]
    table = fairness.group_table(y.astype(bool), flagged.astype(bool), groups).set_index("group")
    assert table.loc["A", "reference"]
    assert table.loc["A", "recall"] == 1.0 and table.loc["B", "recall"] == 0.5
    assert table.loc["B", "recall_ratio"] == pytest.approx(0.5)
    assert table.loc["B", "for"] == pytest.approx(5 / 15)
    assert table.loc["B", "disparity"] and not table.loc["A", "disparity"]
    assert table.loc["C", "too_small"] and not table.loc["C", "disparity"]
