"""Did the visits work? The estimators against generated counties with a known effect."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.synthetic import generate_county
from features.validate import load_tables
from training.effects.estimate import group_estimate
from training.effects.frames import snapshot_rows, student_county, visits_frame
from training.effects.rd import discontinuity
from training.effects.report import estimate_effects


def _truth(county: Path, used: list[pd.Timestamp]) -> float:
    """The true effect on the visited at the snapshots used: mean of y1 - y0."""
    truth = pd.read_csv(
        county / "truth" / "visit_truth.csv", dtype={"student_id": str}, parse_dates=["snapshot"]
    )
    visited = truth[truth["visited"] & truth["snapshot"].isin(used)]
    return float((visited["y1"] - visited["y0"]).mean())


def _run(county: Path):
    tables = load_tables(county)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimate_effects(tables, [tables.visits])


@pytest.mark.slow
def test_strong_effect_found_and_naive_has_the_wrong_sign(tmp_path: Path) -> None:
    county = tmp_path / "strong"
    generate_county(county, students=2500, years=3, seed=11, visit_effect=0.9)
    result = _run(county)
    truth = _truth(county, result.used)
    e = result.dr.estimate
    assert truth < -0.02  # a strong effect on the visited
    assert e.ci_high < 0, "the doubly robust interval excludes zero"
    assert e.ci_low <= truth <= e.ci_high, "and covers the truth"
    assert result.naive.att > 0, "the naive difference says visits raise leaving"
    assert e.n_treated > 300 and e.n_control > 5000
    # The balance weights close most of the gap between visited and not.
    bal = result.dr.balance
    assert bal["smd_before"].abs().max() > 0.5 > bal["smd_after"].abs().median()
    # Independent computation: the AIPW ATT from the cross-fitted nuisances equals DoubleML's.
    frame = snapshot_rows(
        load_tables(county),
        result.used,
        visits_frame([load_tables(county).visits], student_county(load_tables(county))),
    ).frame
    again = group_estimate(
        frame["left"].to_numpy(float),
        frame["treated"].to_numpy(float),
        result.dr.propensity,
        result.dr.outcome_control,
        "check",
    )
    assert again.att == pytest.approx(e.att, abs=1e-9)
    assert "points less often" in result.plain_words()


@pytest.mark.slow
def test_no_effect_interval_covers_zero(tmp_path: Path) -> None:
    county = tmp_path / "none"
    generate_county(county, students=2000, years=3, seed=14, visit_effect=0.0, calendar="varied")
    result = _run(county)
    assert _truth(county, result.used) == 0.0
    assert result.dr.estimate.ci_low <= 0.0 <= result.dr.estimate.ci_high
    assert result.naive.att > 0  # the confounding is there all the same
    tiers = {g["value"] for g in result.by_group}
    assert tiers == {"high", "medium", "low"}


def test_an_unclosed_window_is_left_out(county_dir: Path) -> None:
    tables = load_tables(county_dir)
    export = tables.export_date().date
    closed, open_ = export - pd.Timedelta(days=200), export - pd.Timedelta(days=100)
    ids = tables.students["student_id"].astype(str).head(2).tolist()
    visits = visits_frame(
        [
            pd.DataFrame(
                {
                    "student_id": ids,
                    "visited_on": [closed + pd.Timedelta(days=3), open_ + pd.Timedelta(days=3)],
                    "visitor": ["Li", "Li"],
                }
            )
        ],
        student_county(tables),
    )
    snaps = snapshot_rows(tables, [closed, open_], visits, window_days=30, horizon_days=180)
    assert snaps.used == [closed]
    assert [d for d, _ in snaps.left_out] == [open_]
    assert "after the export date" in snaps.left_out[0][1]
    assert set(snaps.frame["snapshot"]) == {closed}


def test_regression_discontinuity_finds_a_known_jump() -> None:
    rng = np.random.default_rng(3)
    rank = np.tile(np.arange(1, 1201), 6)
    x = 60.5 - rank
    visited = rng.random(len(x)) < np.where(x > 0, 0.8, 0.03)
    base = 0.25 * np.exp(-rank / 400)
    left = rng.random(len(x)) < base * (1 - 0.8 * visited)
    result = discontinuity(x, visited.astype(float), left.astype(float))
    local_truth = -0.8 * 0.25 * np.exp(-60 / 400)
    assert result.att is not None and result.ci_low <= local_truth <= result.ci_high
    assert result.first_stage == pytest.approx(0.77, abs=0.1)
    assert result.bandwidth is not None and result.density_p is not None
    assert "bandwidth" in result.describe()
    few = discontinuity(x[:50] * 100, visited[:50], left[:50])
    assert few.att is None and "fewer than" in (few.reason or "")


@pytest.mark.slow
def test_published_lists_give_tiers_reasons_and_the_cut_off(county_dir: Path) -> None:
    """With a decision log, groups come from its tiers and reasons, and the RD runs on its
    ranks; the counts per group add up to the whole."""
    from features.build import build_features

    tables = load_tables(county_dir)
    rng = np.random.default_rng(0)
    logs, visits = [], []
    for i, day in enumerate(["2023-03-01", "2023-09-01", "2024-03-01", "2024-09-01"]):
        when = pd.Timestamp(day)
        f = build_features(tables, when)
        risk = f["absence_rate_30d"].fillna(0).to_numpy() + rng.random(len(f)) * 0.05
        order = np.argsort(-risk, kind="stable")
        rank = np.empty(len(f), dtype=int)
        rank[order] = np.arange(1, len(f) + 1)
        tier = np.where(rank <= 40, "high", np.where(rank <= 120, "medium", "low"))
        logs.append(
            pd.DataFrame(
                {"batch_id": i, "as_of": when, "county": f["county"].astype(str),
                 "student_id": f["student_id"].astype(str), "tier": tier,
                 "top_reason": np.where(rank % 2 == 0, "absence_rate_30d", "registered_poor"),
                 "rank_county": rank, "cutoff_rank": 40}
            )
        )  # fmt: skip
        go = rng.random(len(f)) < np.where(rank <= 40, 0.8, 0.05)
        visits.append(
            pd.DataFrame(
                {"student_id": f["student_id"].astype(str)[go],
                 "visited_on": when + pd.Timedelta(days=5), "visitor": "Li"}
            )
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate_effects(tables, [pd.concat(visits)], pd.concat(logs))
    e = result.dr.estimate
    tiers = [g for g in result.by_group if g["group"] == "tier"]
    reasons = [g for g in result.by_group if g["group"] == "top_reason"]
    assert {g["value"] for g in tiers} == {"high", "medium", "low"}
    assert sum(g["n_treated"] for g in tiers) == e.n_treated
    assert sum(g["n_control"] for g in reasons) == e.n_control
    assert not result.notes  # tiers are the published ones
    assert result.rd.att is not None or "fewer than" in (result.rd.reason or "")
    assert [f"{d:%Y-%m-%d}" for d in result.used][:2] == ["2023-03-01", "2023-09-01"]
