"""Batch scoring: ranks, tiers from the model's capacity, factors, output files, publishing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serving.auth import Scope
from serving.scoring import publish, score_frame, write_out
from serving.store import ScoreStore
from tests.serving.serving_model import FEATURES, GUARDIANS, indicator_matrix, make_scorer
from training import metrics


@pytest.fixture(scope="module")
def scorer():
    return make_scorer("3", seed=3)


def feature_frame(n: int = 400, seed: int = 5) -> pd.DataFrame:
    """Shaped like build_features' output: ids, places, as_of, then indicators."""
    x, _ = indicator_matrix(n, seed)
    frame = pd.DataFrame(x, columns=FEATURES)
    frame["guardian"] = pd.Categorical.from_codes(x[:, 5].astype(int), categories=GUARDIANS)
    frame["registered_poor"] = frame["registered_poor"].astype(bool)
    frame["left_behind"] = frame["left_behind"].astype(bool)
    frame["grade"] = frame["grade"].astype("int16")
    school = np.arange(n) % 10
    ids = pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in range(n)],
            "school_id": [f"{s:04d}" for s in school],
            "township": [f"镇{s % 3}" for s in school],
            "county": [f"县{s % 2}" for s in school],
            "as_of": pd.Timestamp("2025-03-01"),
        }
    )
    return pd.concat([ids.astype({"student_id": "string[pyarrow]"}), frame], axis=1)


def test_score_frame_ranks_tiers_and_factors(scorer) -> None:
    features = feature_frame()
    names = pd.Series({"S0001": "张三"}, name="name")
    out = score_frame(scorer, features, names, k=4)
    assert len(out) == len(features) and out["student_id"].is_unique
    assert np.allclose(
        out.set_index("student_id")["risk"].loc[features["student_id"]].to_numpy(),
        scorer.predict(features),
    )
    out["key"] = metrics.tie_keys(out["student_id"].to_numpy())
    for key, rank in (("school_id", "rank_in_school"), ("county", "rank_in_county")):
        for _, group in out.groupby(key):
            expected = group.sort_values(["risk", "key"], ascending=[False, True])
            assert expected[rank].tolist() == list(range(1, len(group) + 1))
    # The model's cut-offs (training.tiers), not this batch's ranks, set the tiers.
    cut = scorer.meta["tier_thresholds"]
    expected = np.where(
        out["risk"] >= cut["high"], "high", np.where(out["risk"] >= cut["medium"], "medium", "low")
    )
    assert out["tier"].tolist() == expected.tolist() and set(expected) == {"high", "medium", "low"}
    high = out["tier"] == "high"
    assert out.loc[high, "risk"].min() >= out.loc[~high, "risk"].max()
    for shown in out["factors"]:
        factors = [f for f in shown if f["kind"] == "reason"]
        contributions = [f["contribution"] for f in factors]
        assert len(factors) <= 4 and contributions == sorted(contributions, reverse=True)
        assert all(c > 0 for c in contributions) and all(f["zh"] and f["en"] for f in factors)
    top = out.sort_values("risk").iloc[-1]["factors"][0]
    assert "%" in top["en"] or top["value"] is not None
    assert out.set_index("student_id").loc["S0001", "name"] == "张三"
    assert out["model_version"].unique().tolist() == ["3"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_out(scorer, tmp_path: Path, suffix: str) -> None:
    out = score_frame(scorer, feature_frame(100))
    path = write_out(out, tmp_path / f"batch{suffix}")
    if suffix == ".csv":
        back = pd.read_csv(path, dtype={"student_id": str})
    else:
        back = pd.read_parquet(path)
    assert len(back) == 100
    for column in ("student_id", "risk", "tier", "rank_in_school", "rank_in_county", "factors"):
        assert column in back.columns
    first = back.sort_values("rank_in_county").iloc[0]
    assert json.loads(first["factors"])[0]["zh"] in first["factors_zh"]


def test_published_batch_is_what_the_store_serves(scorer, tmp_path: Path) -> None:
    store = ScoreStore.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    out = score_frame(scorer, feature_frame(150))
    publish(store, out)
    who = store.authenticate(store.add_user("r", "researcher", Scope.parse("all")))
    assert who is not None
    rows, total = store.watchlist(who, "test", {}, limit=5)
    best = out.sort_values(["risk", "rank_in_county"], ascending=[False, True]).head(5)
    assert total == 150 and [r.student_id for r in rows] == best["student_id"].tolist()
    assert rows[0].factors == best.iloc[0]["factors"] and rows[0].model_version == "3"
    store.close()
