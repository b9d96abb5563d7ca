"""The researchers' Python API reads like the CLI and agrees with it: a real county, a real
MLflow SQLite store in a temporary home, two trained versions."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropout_risk import workbench as dr
from dropout_risk.settings import get_settings
from features.errors import DataError, UserError
from tests.training.conftest import fast
from training.pipeline import Outcome
from training.spec import load_spec


@dataclass
class Trained:
    home: Path
    default: Outcome
    small: Outcome


@pytest.fixture(scope="module")
def trained(county_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    """Two versions (the default spec, then the small one) trained through the workbench."""
    home = tmp_path_factory.mktemp("workbench-home")
    with pytest.MonkeyPatch.context() as mp:
        # Module fixtures start before the per-test home fixture: clear what it clears.
        mp.setenv("DROPOUT_RISK_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        get_settings.cache_clear()
        tables = dr.load(county_dir)
        default = dr.train(tables, spec=fast(load_spec(dr.spec_path("models/lightgbm.yaml"))))
        small = dr.train(
            county_dir, spec=fast(load_spec(dr.spec_path("models/lightgbm-small.yaml")))
        )
        yield Trained(home, default, small)
    get_settings.cache_clear()


@pytest.fixture
def in_trained_home(trained: Trained, monkeypatch: pytest.MonkeyPatch) -> Trained:
    monkeypatch.setenv("DROPOUT_RISK_HOME", str(trained.home))
    get_settings.cache_clear()
    return trained


def test_load_names_the_broken_file(county_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "county"
    shutil.copytree(county_dir, broken)
    (broken / "students.csv").unlink()
    report = dr.validate(broken)
    assert not report.usable
    with pytest.raises(DataError, match="students"):
        dr.load(broken)
    with pytest.raises(DataError, match="no such data folder"):
        dr.load(tmp_path / "nowhere")


def test_demo_county_is_written_once(dropout_risk_home: Path) -> None:
    first = dr.demo_county(students=60, years=1, seed=2)
    assert first.is_relative_to(dropout_risk_home) and (first / "students.parquet").is_file()
    stamp = (first / "students.parquet").stat().st_mtime_ns
    assert dr.demo_county(students=60, years=1, seed=2) == first
    assert (first / "students.parquet").stat().st_mtime_ns == stamp


def test_features_and_training_set(county_dir: Path) -> None:
    tables = dr.load(county_dir)
    frame = dr.features(tables, "2024-03-01")
    assert frame["student_id"].is_unique and (frame["as_of"] == "2024-03-01").all()
    training = dr.training_set(tables, horizon_days=180)
    assert set(training.frame["label"].unique()) <= {0, 1}
    assert [f"{t:%m-%d}" for t in training.snapshots][:2] == ["09-01", "03-01"]
    # The last term start's label window runs past the data: listed, not silently lost.
    assert [f"{t:%Y-%m-%d}" for t, _ in training.dropped] == ["2026-03-01"]
    with pytest.raises(UserError, match="not a date"):
        dr.features(tables, "someday")


def test_compare_scores_both_versions_on_the_newer_test_snapshot(in_trained_home: Trained) -> None:
    default, small = in_trained_home.default, in_trained_home.small
    table = dr.compare(small.model_version, default.model_version)  # either order
    newer = f"version {small.model_version} (lightgbm-small)"
    older = f"version {default.model_version} (lightgbm)"
    assert list(table.index[:2]) == [newer, older]
    assert {"Ministry rule", "ABC flags", "Logistic regression"} <= set(table.index)
    # Same data, same test snapshot: each version's figures are its own evaluation's.
    assert table.loc[newer, "pr_auc"] == pytest.approx(small.evaluation.model["pr_auc"])
    assert table.loc[older, "pr_auc"] == pytest.approx(default.evaluation.model["pr_auc"])
    assert table.loc[older, "roc_auc"] == pytest.approx(default.evaluation.model["roc_auc"])
    # At the newer spec's capacity (a count of 200, not the default's 5%).
    assert table.loc[newer, "caught_at_k"] == small.evaluation.model["caught_at_k"]
    assert table.loc["ABC flags", "pr_auc"] == pytest.approx(
        small.evaluation.baselines["abc_flags"]["pr_auc"]
    )
    assert np.isnan(table.loc["Ministry rule", "brier"])
    card = dr.scorer(small.model_version).meta
    assert table.attrs["test_snapshot"] == card["test_snapshots"] == ["2025-09-01"]
    with pytest.raises(UserError, match="two different versions"):
        dr.compare(1, "1")
    with pytest.raises(UserError, match="no version '9'"):
        dr.compare(1, 9)


def test_evaluate_rebuilds_the_same_figures(in_trained_home: Trained) -> None:
    outcome = dr.evaluate(in_trained_home.default.model_version)
    assert outcome.evaluation.model["pr_auc"] == pytest.approx(
        in_trained_home.default.evaluation.model["pr_auc"]
    )
    assert outcome.report_path.is_file()


def test_score_ranks_explains_and_matches_the_scorer(
    in_trained_home: Trained, county_dir: Path
) -> None:
    version = in_trained_home.default.model_version
    tables = dr.load(county_dir)
    scores = dr.score(tables, "2025-09-01", model=version)
    ranked = scores[scores["tier"] != "past_age"]  # past compulsory-school age: listed last
    assert list(ranked["rank_in_county"]) == list(range(1, len(ranked) + 1))
    assert ranked["risk"].is_monotonic_decreasing
    assert (scores.iloc[len(ranked) :]["tier"] == "past_age").all()
    assert (scores["model_version"] == version).all()
    high = scores[scores["tier"] == "high"]
    assert len(high) > 0 and all(high["factors_zh"].str.len() > 0)
    assert all(high["factors_en"].str.len() > 0)
    indicators = dr.features(tables, "2025-09-01").set_index("student_id")
    expected = dr.scorer(version).predict(indicators.loc[scores["student_id"]])
    np.testing.assert_allclose(scores["risk"], expected)
    contrib = dr.explain(indicators.head(3), model=version)
    assert "bias" in contrib.columns and len(contrib) == 3


def test_no_champion_is_a_clear_error(in_trained_home: Trained) -> None:
    with pytest.raises(UserError, match="champion"):
        dr.scorer("champion")


def test_fairness_and_capacity_helpers_agree_with_the_evaluation(in_trained_home: Trained) -> None:
    ev = in_trained_home.default.evaluation
    audit = dr.fairness_at(in_trained_home.default)
    pd.testing.assert_frame_equal(audit, ev.fairness)
    wider = dr.fairness_at(ev, capacity=0.3)
    assert (
        wider.groupby("attribute")["flagged"].sum().min()
        > audit.groupby("attribute")["flagged"].sum().max()
    )
    sweep = dr.capacity_sweep(ev, [ev.k, 2 * ev.k])
    model_at_k = sweep[(sweep["scorer"] == "Chosen model") & (sweep["capacity"] == ev.k)]
    assert model_at_k["recall"].item() == pytest.approx(ev.model["recall_at_k"])
    assert set(sweep["scorer"]) == {"Chosen model", "Ministry rule", "ABC flags",
                                    "Logistic regression", "Environment"}  # fmt: skip
    with pytest.raises(ValueError, match="positive"):
        dr.capacity_sweep(ev, [0])


def test_leavers_have_the_grade_of_their_school_year(county_dir: Path) -> None:
    tables = dr.load(county_dir)
    left = dr.leavers(tables)
    assert len(left) == len(tables.dropouts)
    assert left["grade"].between(1, 9).all() and left["township"].notna().all()
    assert set(left["month"]) <= set(range(1, 13))
