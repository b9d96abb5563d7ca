"""Children past compulsory-school age (16 on the 31 August before the school year) are not
ranked: a 17-year-old still in grade 9 is listed apart, never on the watchlist's ranks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from serving.auth import Scope
from serving.compulsory import past_compulsory_age, school_year_start
from serving.scoring import publish, score_frame
from serving.store import ScoreStore
from tests.serving.serving_model import make_scorer
from tests.serving.test_scoring import feature_frame

AS_OF = pd.Timestamp("2025-03-01")


def _age(birth: str, as_of: pd.Timestamp = AS_OF) -> float:
    return (as_of - pd.Timestamp(birth)).days / 365.25  # as the age indicator computes it


def test_the_31_august_boundary() -> None:
    assert school_year_start(dt.date(2025, 3, 1)) == dt.date(2024, 8, 31)
    assert school_year_start(dt.date(2025, 9, 1)) == dt.date(2025, 8, 31)
    frame = pd.DataFrame(
        {
            "as_of": AS_OF,
            # 16 on 31 Aug 2024 exactly; 16 one day later; 17.2 at the snapshot; 12
            "age": [_age("2008-08-31"), _age("2008-09-01"), 17.2, 12.0, None],
        }
    )
    assert past_compulsory_age(frame).tolist() == [True, False, True, False, False]


@pytest.mark.parametrize("seed", [5, 8])
def test_a_17_year_old_in_grade_9_is_not_ranked(tmp_path, seed: int) -> None:
    scorer = make_scorer("3", seed=3)
    features = feature_frame(n=200, seed=seed)
    features["age"] = 6 + features["grade"].astype(float) + 0.5
    old = features["student_id"].isin(["S0007", "S0010"])
    features.loc[old, "grade"] = 9
    features.loc[old, "age"] = [17.2, 18.3]
    features.loc[old, "unexcused_rate_30d"] = 0.9  # the riskiest in the county otherwise
    out = score_frame(scorer, features).set_index("student_id")
    assert out.loc[["S0007", "S0010"], "tier"].tolist() == ["past_age", "past_age"]
    assert (out.loc[["S0007", "S0010"], ["rank_in_school", "rank_in_county"]] == 0).all().all()
    ranked = out.drop(["S0007", "S0010"])
    for county, group in ranked.groupby("county"):
        assert sorted(group["rank_in_county"]) == list(range(1, len(group) + 1)), county
    # the ranked children keep the one tier rule (the model's cut-offs on their risk)
    assert ranked["tier"].tolist() == list(scorer.tier(ranked["risk"].to_numpy()))
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    publish(store, out.reset_index())
    who = store.authenticate(store.add_user("c", "caseworker", Scope.parse("all")))
    assert who is not None
    listed, total = store.watchlist(who, "t", {}, limit=500)
    assert total == 198 and {"S0007", "S0010"}.isdisjoint(r.student_id for r in listed)
    apart, n = store.watchlist(who, "t", {"tier": "past_age"})
    assert n == 2 and {r.student_id for r in apart} == {"S0007", "S0010"}
    store.close()
