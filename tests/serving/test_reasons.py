"""Reasons a visit can act on: never a demographic, never a factor that lowers the risk,
always the child's own value on the risky side, with the school's average in the words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serving.reasons import CONTEXT, adverse, school_means
from serving.scoring import score_frame
from serving.wording import reason_text
from training.model import RiskModel
from training.scorer import RiskScorer

FEATURES = [
    "unexcused_rate_30d",
    "term_score_change",
    "registered_poor",
    "gender",
    "age",
    "ethnic_minority",
    "grade",
    "disability",
]
CATEGORICAL = {"gender": ["F", "M"], "disability": ["none", "physical", "visual"]}


def _rows(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Demographics drive the label hard, and a *rise* in grades raises it too, so a plain
    top-by-contribution explainer would show gender, age and "+15 points ▲" as reasons."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame(
        {
            "unexcused_rate_30d": rng.beta(1, 10, n),
            "term_score_change": rng.normal(0, 10, n),
            "registered_poor": rng.random(n) < 0.2,
            "gender": pd.Categorical(rng.choice(["F", "M"], n), categories=["F", "M"]),
            "age": rng.uniform(7, 18, n),
            "ethnic_minority": rng.random(n) < 0.3,
            "grade": rng.integers(1, 10, n),
            "disability": pd.Categorical(
                rng.choice(["none", "physical", "visual"], n, p=[0.9, 0.05, 0.05]),
                categories=CATEGORICAL["disability"],
            ),
        }
    )
    logit = (
        -3
        + 8 * f["unexcused_rate_30d"]
        + 1.5 * (f["gender"] == "F")
        + 0.4 * (f["age"] - 12)
        + 1.2 * f["ethnic_minority"]
        + 0.06 * f["term_score_change"]
        + 0.5 * f["registered_poor"]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return f, y


@pytest.fixture(scope="module", params=[11, 29])
def scored(request) -> tuple[RiskScorer, pd.DataFrame, pd.DataFrame]:
    seed = request.param
    rows, y = _rows(4000, seed)
    scorer0 = RiskScorer(None, None, FEATURES, CATEGORICAL)  # type: ignore[arg-type]
    x = scorer0.matrix(rows)
    model = RiskModel(
        params={"num_leaves": 15, "learning_rate": 0.1, "min_data_in_leaf": 20},
        num_boost_round=80,
        early_stopping_rounds=20,
        seed=seed,
    ).fit(x[:2000], y[:2000], x[2000:], y[2000:], FEATURES, list(CATEGORICAL))
    scorer = RiskScorer(model.booster_, model.calibrator_, FEATURES, CATEGORICAL, {}, "1")
    test, _ = _rows(600, seed + 1)
    ids = pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in range(len(test))],
            "school_id": [f"{i % 4:04d}" for i in range(len(test))],
            "township": "镇",
            "county": "县",
            "as_of": pd.Timestamp("2025-03-03"),
        }
    )
    features = pd.concat([ids, test], axis=1)
    return scorer, features, score_frame(scorer, features, k=5)


def test_raw_contributions_would_have_shown_demographics(scored) -> None:
    """The check below can fail: without the rule, demographics top many children's lists."""
    scorer, features, _ = scored
    contrib = scorer.contributions(features)[FEATURES]
    top = contrib.idxmax(axis=1)
    assert top.isin(["gender", "age", "ethnic_minority", "grade"]).mean() > 0.2


def test_no_demographic_is_ever_a_reason_and_gender_is_never_shown(scored) -> None:
    _, _, out = scored
    for shown in out["factors"]:
        reasons = [f["indicator"] for f in shown if f["kind"] == "reason"]
        assert not set(reasons) & set(CONTEXT)
        assert not {f["indicator"] for f in shown} & {"gender", "ethnic_minority"}
        for f in shown:
            if f["kind"] == "context":
                assert f["contribution"] == 0 and f["indicator"] in ("age", "grade", "disability")


def test_every_reason_raises_this_childs_risk_on_an_adverse_value(scored) -> None:
    scorer, features, out = scored
    contrib = scorer.contributions(features)[FEATURES].set_index(features["student_id"])
    n_reasons = 0
    for sid, shown in zip(out["student_id"], out["factors"], strict=True):
        reasons = [f for f in shown if f["kind"] == "reason"]
        n_reasons += len(reasons)
        for f in reasons:
            assert contrib.loc[sid, f["indicator"]] > 0  # the model's own push, independently
            assert f["contribution"] == pytest.approx(contrib.loc[sid, f["indicator"]], abs=1e-5)
            assert adverse(f["indicator"], f["value"], f["school_mean"])
            if f["indicator"] == "term_score_change":
                assert f["value"] < 0 and "下降" in f["zh"]
    assert n_reasons > len(out) / 3  # reasons are shown, not filtered away altogether


def test_school_means_match_a_plain_loop() -> None:
    frame = pd.DataFrame(
        {
            "school_id": ["a", "a", "b", "b", "b"],
            "absence_rate_30d": [0.2, 0.0, 0.1, np.nan, 0.3],
            "gender": ["F", "M", "F", "M", "F"],
        }
    )
    got = school_means(frame, ["absence_rate_30d", "gender"])
    assert got[:, 0].tolist() == pytest.approx([0.1, 0.1, 0.2, 0.2, 0.2])
    assert np.isnan(got[:, 1]).all()


def test_words_compare_with_the_school_and_read_right() -> None:
    zh = reason_text("absence_rate_30d", 0.2, 1 / 30, "zh")
    assert zh == "近30个教学日缺勤 6 天，全校平均 1 天"
    assert reason_text("absence_rate_30d", 0.2, 1 / 30, "en") == (
        "Absent 6 days of the last 30 (school average 1)"
    )
    assert reason_text("over_age", 1, None, "en") == "1 year older than usual for the grade"
    assert "3th" not in reason_text("score_percentile", 3, None, "en")
    assert reason_text("term_score_change", -12, None, "zh") == "最近一学期平均分比上学期下降 12 分"
    assert reason_text("guardian", "grandparents", None, "zh") == "监护人：祖父母"


def test_every_flag_a_model_can_raise_has_words() -> None:
    """A flag the model reads (left_before was missing) must be said, or scoring crashes."""
    from features.catalogue import CATALOGUE

    flags = [
        i.name
        for i in CATALOGUE.values()
        if i.unit == "flag" and i.direction == "higher_is_riskier"
    ]
    assert "left_before" in flags
    for name in flags:
        for lang in ("zh", "en"):
            assert reason_text(name, True, None, lang)  # type: ignore[arg-type]
