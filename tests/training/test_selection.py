"""Selection: the label-window gap, the choice made on validation only, a logistic champion
scored and explained through the same scorer, the environment model, any time column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.training.conftest import fast
from training.candidates import Candidate, _environment_rates, _environment_scores, fit
from training.dataset import prepare
from training.errors import TableError
from training.fit import fit_and_evaluate
from training.model import RiskModel
from training.scorer import RiskScorer
from training.spec import ModelSpec, SplitSpec
from training.split import temporal_split


def _times(dates: list[str], per: int = 3) -> pd.Series:
    return pd.Series(np.repeat(pd.to_datetime(dates), per))


def test_each_fold_trains_only_on_windows_closed_before_its_snapshot() -> None:
    times = _times(["2022-09-01", "2023-02-20", "2023-09-01", "2024-02-20"])
    plan = temporal_split(times, SplitSpec(validation_snapshots=2), horizon_days=180)
    # 2022-09-01 + 180 days = 2023-02-28: nothing had closed by 2023-02-20, a fold left out.
    assert [f.name for f in plan.folds] == ["2023-09-01"]
    assert plan.skipped[0].startswith("2023-02-20")
    # 2023-09-01 + 180 days = 2024-02-28 reaches past the test snapshot: not trained on.
    trained = sorted({str(t.date()) for t in times[plan.test.train]})
    assert trained == ["2022-09-01", "2023-02-20"]
    # Validation on 2023-09-01 trains on both earlier snapshots (2023-02-20 + 180 < 2023-09-01).
    assert sorted({str(t.date()) for t in times[plan.folds[-1].train]}) == trained
    for fold in [*plan.folds, plan.test]:
        assert not (fold.train & fold.target).any()
        ends = times[fold.train] + pd.Timedelta(days=180)
        assert (ends <= times[fold.target].min()).all()


def test_a_horizon_whose_window_reaches_the_next_snapshot_is_refused() -> None:
    times = _times(["2022-09-01", "2023-03-01", "2023-09-01", "2024-03-01"])
    with pytest.raises(TableError, match="horizon reaches a later snapshot"):
        temporal_split(times, SplitSpec(validation_snapshots=2), horizon_days=400)
    # Period labels have no days: earlier periods train, ordered as text.
    labels = pd.Series(np.repeat(["2013B", "2013J", "2014B", "2014J"], 3))
    plan = temporal_split(labels, SplitSpec(validation_snapshots=2), horizon_days=None)
    assert set(labels[plan.test.target]) == {"2014J"}
    assert set(labels[plan.test.train]) == {"2013B", "2013J", "2014B"}
    assert [f.name for f in plan.folds] == ["2013J", "2014B"]


def _leavers(per_snapshot: list[int], size: int = 40) -> np.ndarray:
    labels = np.zeros((len(per_snapshot), size), dtype=int)
    for i, n in enumerate(per_snapshot):
        labels[i, :n] = 1
    return labels.ravel()


def test_the_test_period_grows_until_it_holds_enough_leavers() -> None:
    dates = ["2022-09-01", "2023-03-01", "2023-09-01", "2024-03-01", "2024-09-01", "2025-03-01"]
    times = _times(dates, per=40)
    labels = _leavers([9, 9, 9, 9, 8, 7])
    spec = SplitSpec(validation_snapshots=2, min_test_leavers=12)
    plan = temporal_split(times, spec, horizon_days=180, labels=labels)
    assert plan.test.name == "2024-09-01, 2025-03-01"  # 7 leavers alone, 15 with the one before
    assert int(labels[plan.test.target].sum()) == 15
    assert [f.name for f in plan.folds] == ["2023-09-01", "2024-03-01"]
    assert plan.test_note and "grown from 1" in plan.test_note and "15 leavers" in plan.test_note
    # Every window still closes before the first snapshot it predicts.
    for fold in [*plan.folds, plan.test]:
        ends = times[fold.train] + pd.Timedelta(days=180)
        assert (ends <= times[fold.target].min()).all()
    assert sorted({str(t.date()) for t in times[plan.test.train]}) == dates[:4]
    # Enough leavers in the last snapshot: the spec's one test snapshot, no note.
    plenty = temporal_split(times, spec, horizon_days=180, labels=_leavers([9, 9, 9, 9, 8, 20]))
    assert plenty.test.name == "2025-03-01" and plenty.test_note is None


def test_the_test_period_stops_growing_where_no_fold_could_train() -> None:
    times = _times(["2022-09-01", "2023-03-01", "2023-09-01", "2024-03-01"], per=40)
    labels = _leavers([5, 5, 5, 5])
    spec = SplitSpec(validation_snapshots=1, min_test_leavers=50)
    plan = temporal_split(times, spec, horizon_days=180, labels=labels)
    # Two test snapshots leave one to validate and one to train on; no further.
    assert plan.test.name == "2023-09-01, 2024-03-01"
    assert plan.test_note and "fewer than 50" in plan.test_note
    # Never tested on more snapshots than the test model learns from: of eight snapshots,
    # at most four test (and four train), however few the leavers.
    eight = _times([f"{y}-{m}-01" for y in range(2021, 2025) for m in ("03", "09")], per=40)
    plan = temporal_split(eight, spec, horizon_days=180, labels=_leavers([5] * 8))
    assert len(plan.split.test_times) == len(plan.split.train_times) == 4
    # A horizon whose window reaches the next snapshot is still refused outright.
    with pytest.raises(TableError, match="horizon reaches a later snapshot"):
        temporal_split(times, spec, horizon_days=400, labels=labels)


@pytest.fixture(scope="module")
def chosen(table: pd.DataFrame, default_spec: ModelSpec):
    spec = fast(default_spec)
    data = spec.model_dump(mode="json", exclude_none=True)
    data["candidates"]["lightgbm_grid"] = [{"num_leaves": 3}, {"num_leaves": 15}]
    return fit_and_evaluate(
        table, ModelSpec.model_validate(data), label="label", time_column="as_of"
    )


def test_the_choice_is_the_best_mean_on_validation_and_ignores_the_test(chosen) -> None:
    table = chosen.selection.table
    folds = [c for c in table.columns if c != "mean"]
    assert folds == chosen.scorer.meta["validation_snapshots"]
    assert chosen.scorer.meta["test_snapshots"][0] not in folds
    assert np.allclose(table["mean"], table[folds].mean(axis=1))
    assert chosen.evaluation.chosen == table["mean"].idxmax()
    # Every other candidate sits beside the rules on the test snapshot.
    others = set(table.index) - {chosen.evaluation.chosen}
    assert others <= set(chosen.evaluation.baselines)
    assert chosen.scorer.meta["margins"]["ministry_rule"] > 0


def test_a_logistic_champion_scores_and_explains_through_the_same_scorer(
    table: pd.DataFrame, spec: ModelSpec, tmp_path: Path
) -> None:
    prepared = prepare(table, spec, "label", "as_of")
    x = prepared.matrix()
    times = prepared.frame["as_of"].to_numpy()
    train = times < times.max()
    trained = fit(
        Candidate("logistic_regression", "logistic_regression"), prepared, x, train, times, spec
    )
    scorer = trained.scorer
    assert scorer is not None and scorer.family == "logistic_regression"
    rows = table[~train].head(300)
    contrib = scorer.contributions(rows)
    raw = scorer.estimator.raw_score(scorer.matrix(rows))
    np.testing.assert_allclose(contrib.sum(axis=1).to_numpy(), raw, atol=1e-9)
    # Coefficient × centred value, by hand from the stored numbers for one indicator.
    j = scorer.features.index("unexcused_rate_30d")
    columns = [c for c in scorer.estimator.model.columns_ if c.j == j]
    values = rows["unexcused_rate_30d"].to_numpy(dtype=float)
    by_hand = sum(c.coef * (values - c.mean) / c.scale for c in columns if c.kind == "value")
    np.testing.assert_allclose(contrib["unexcused_rate_30d"].to_numpy(), by_hand, atol=1e-9)
    # Round trip through plain files; reasons and tiers from the same code as LightGBM's.
    back = RiskScorer.from_dir(scorer.save(tmp_path / "lr"))
    np.testing.assert_allclose(back.predict(rows), scorer.predict(rows))
    factors = back.top_factors(rows.head(20), k=3)
    assert any(factors) and all(f["contribution"] > 0 and f["zh"] for fs in factors for f in fs)


def test_environment_scores_are_each_schools_earlier_rate_shrunk_to_its_townships() -> None:
    rows = pd.DataFrame(
        {
            "school_id": ["a"] * 10 + ["b"] * 30,
            "township": ["t"] * 40,
            "label": [1] * 5 + [0] * 5 + [1] * 3 + [0] * 27,
        }
    )
    prepared = prepare(rows.assign(x=1.0), ModelSpec(name="e"), "label")
    rates = _environment_rates(prepared.frame, prepared)
    got = _environment_scores(
        pd.DataFrame({"school_id": ["a", "zz"], "township": ["t", "t"]}), rates
    )
    overall = 8 / 40
    township = (8 + 20 * overall) / (40 + 20)
    assert got[0] == pytest.approx((5 + 20 * township) / (10 + 20))
    assert got[1] == pytest.approx(township)  # an unseen school takes its township's rate


def test_every_grid_entry_is_a_real_model_on_a_small_table(spec: ModelSpec) -> None:
    """min_data_in_leaf 200 cannot split a few hundred rows: capped, the entry still learns."""
    from training.synthetic import synthetic_table

    small = synthetic_table(students=120, snapshots=4, seed=3)
    prepared = prepare(small, spec, "label", "as_of")
    x = prepared.matrix()
    times = prepared.frame["as_of"].to_numpy()
    train, target = times < times.max(), times == times.max()
    big_leaves = {"min_data_in_leaf": 200, "num_leaves": 15}
    trained = fit(Candidate("lightgbm-1", "lightgbm", big_leaves), prepared, x, train, times, spec)
    assert trained.model is not None
    assert trained.model.params["min_data_in_leaf"] < 200
    assert len(np.unique(trained.score(prepared, x, target))) > 10
    # The same entry uncapped: one leaf, every student the same risk.
    uncapped = RiskModel(
        params={**spec.lightgbm.params, **big_leaves}, num_boost_round=50, seed=spec.seed
    ).fit(x[train], prepared.y[train], x[target], prepared.y[target], prepared.features, [])
    assert len(np.unique(uncapped.predict_proba(x[target]))) == 1
