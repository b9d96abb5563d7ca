"""The model itself: reproducible, calibrated, sensible in direction, better than the rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.training.conftest import fast
from training.pipeline import Fitted, fit_and_evaluate
from training.scorer import RiskScorer
from training.spec import ModelSpec


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame, spec: ModelSpec) -> Fitted:
    return fit_and_evaluate(table, spec, label="label", time_column="as_of")


def test_same_data_and_spec_give_the_same_model(
    fitted: Fitted, table: pd.DataFrame, spec: ModelSpec
) -> None:
    again = fit_and_evaluate(table, spec, label="label", time_column="as_of")
    assert again.scorer.booster.model_to_string() == fitted.scorer.booster.model_to_string()
    assert again.scorer.calibrator == fitted.scorer.calibrator
    assert again.evaluation.model == fitted.evaluation.model


def test_temporal_split_tests_on_the_latest_snapshot(fitted: Fitted, table: pd.DataFrame) -> None:
    dates = sorted(table["as_of"].unique())
    card = fitted.scorer.meta
    assert card["test_snapshots"] == [pd.Timestamp(dates[-1]).strftime("%Y-%m-%d")]
    assert card["validation_snapshots"] == [
        pd.Timestamp(d).strftime("%Y-%m-%d") for d in dates[-3:-1]
    ]
    # The test model trains on every snapshot whose 180-day window closed before the test one.
    assert len(card["train_snapshots"]) == 3
    assert (fitted.evaluation.test["as_of"] == dates[-1]).all()


def test_risks_are_calibrated_probabilities(fitted: Fitted) -> None:
    ev = fitted.evaluation
    risk = ev.test["_risk"].to_numpy()
    assert ((risk >= 0) & (risk <= 1)).all()
    # Mean risk close to the observed share who left, and a small calibration error.
    assert abs(risk.mean() - ev.model["base_rate"]) < 0.03
    assert ev.model["ece"] < 0.05


def test_quality_floor_against_the_rule_baselines(fitted: Fitted) -> None:
    ev = fitted.evaluation
    for rule in ("ministry_rule", "abc_flags"):
        assert ev.model["pr_auc"] > ev.baselines[rule]["pr_auc"] + 0.05
        assert ev.model["recall_at_k"] >= ev.baselines[rule]["recall_at_k"]
    assert ev.model["roc_auc"] > 0.7


def test_student_id_does_not_change_the_risk(fitted: Fitted) -> None:
    rows = fitted.evaluation.test.head(200)
    renamed = rows.assign(student_id=[f"X{i}" for i in range(len(rows))])
    np.testing.assert_array_equal(fitted.scorer.predict(rows), fitted.scorer.predict(renamed))


def test_more_unexcused_absence_never_lowers_the_risk(fitted: Fitted) -> None:
    rows = fitted.evaluation.test.head(300)
    before = fitted.scorer.predict(rows)
    for bump in (0.05, 0.2, 0.5):
        more = rows.assign(unexcused_rate_30d=np.clip(rows["unexcused_rate_30d"] + bump, 0, 1))
        assert (fitted.scorer.predict(more) >= before - 1e-12).all()


def test_scorer_round_trips_through_plain_files(fitted: Fitted, tmp_path: Path) -> None:
    fitted.scorer.save(tmp_path / "model")
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "booster.txt",
        "calibrator.json",
        "scorer.json",
    ]
    loaded = RiskScorer.load(str(tmp_path / "model"))
    rows = fitted.evaluation.test.head(100)
    np.testing.assert_array_equal(loaded.predict(rows), fitted.scorer.predict(rows))
    # The numpy hot path gives the same risks from the coded matrix.
    np.testing.assert_array_equal(loaded.predict_matrix(loaded.matrix(rows)), loaded.predict(rows))
    assert loaded.categorical["gender"] == ["F", "M"]


def test_contributions_add_up_and_factors_only_raise_risk(fitted: Fitted) -> None:
    scorer = fitted.scorer
    rows = fitted.evaluation.test.head(50)
    contrib = scorer.contributions(rows)
    raw = scorer.booster.predict(scorer.matrix(rows), raw_score=True)
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), raw, rtol=1e-6, atol=1e-9)
    factors = scorer.top_factors(rows, k=3)
    assert len(factors) == 50
    for row in factors:
        assert len(row) <= 3
        assert all(f["contribution"] > 0 for f in row)
        assert [f["contribution"] for f in row] == sorted(
            (f["contribution"] for f in row), reverse=True
        )
    some = next(row for row in factors if row)
    assert set(some[0]) == {"indicator", "value", "contribution", "en", "zh"}
    assert some[0]["en"] and some[0]["zh"]


def test_categories_unseen_in_training_score_as_missing(fitted: Fitted) -> None:
    rows = fitted.evaluation.test.head(5).copy()
    rows["disability"] = rows["disability"].astype("string")
    rows.loc[rows.index[0], "disability"] = "never seen"
    risk = fitted.scorer.predict(rows)
    assert np.isfinite(risk).all()


def test_platt_calibration_and_stratified_split_without_time(
    table: pd.DataFrame, default_spec: ModelSpec
) -> None:
    plain = table[table["as_of"] == table["as_of"].max()].drop(columns=["as_of"])
    spec = fast(default_spec, calibration="platt", capacity={"count": 40})
    fitted = fit_and_evaluate(plain, spec, label="label")
    assert fitted.scorer.calibrator.method == "platt"
    assert fitted.evaluation.k == 40
    assert "stratified" in fitted.run_info["split"]
    assert len(fitted.evaluation.test) == pytest.approx(0.2 * len(plain), abs=2)


def test_fairness_audit_covers_the_spec_groups(fitted: Fitted) -> None:
    audit = fitted.evaluation.fairness
    assert set(audit["attribute"]) == {
        "gender",
        "ethnic_minority",
        "disability",
        "registered_poor",
        "left_behind",
        "rural_school",
    }
    by_attr = audit.groupby("attribute")["size"].sum()
    assert (by_attr == len(fitted.evaluation.test)).all()
    assert audit.groupby("attribute")["reference"].sum().eq(1).all()


def test_stratified_split_keeps_each_student_in_one_part(
    table: pd.DataFrame, spec: ModelSpec
) -> None:
    from training.split import stratified_split

    ids = table["student_id"].to_numpy()
    split = stratified_split(table["label"].to_numpy(), spec.split, spec.seed, ids)
    parts = [set(ids[mask]) for mask in (split.train, split.validation, split.test)]
    assert not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])
    assert (split.train.astype(int) + split.validation + split.test == 1).all()
    assert split.test.mean() == pytest.approx(spec.split.test_share, abs=0.03)


def test_a_model_that_loses_to_the_rules_is_never_promoted(
    table: pd.DataFrame, default_spec: ModelSpec
) -> None:
    from training.promotion import decide

    noise = fast(default_spec, name="noise", indicators=["noise", "gender"])
    fitted = fit_and_evaluate(table, noise, label="label", time_column="as_of")
    # The baseline gate decides before any registry is consulted.
    promoted, message = decide(fitted.evaluation, "9", tracking_uri="sqlite:///unused.db")
    assert not promoted
    assert "does not beat" in message and "not promoted" in message
