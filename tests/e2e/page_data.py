"""A small scored county for the page tests: three batches scored by a real model.

Indicator rows drift from batch to batch (some students' absence grows), and each batch
goes through the same path as `dropout-risk score`: `serving.scoring.score_frame` (risk,
tiers, ranks, factors written from the indicator catalogue) and `serving.scoring.publish`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from serving.people import write_people
from serving.scoring import publish, score_frame
from serving.store import ScoreStore
from tests.serving.serving_model import FEATURES, GUARDIANS
from training.scorer import RiskScorer

AS_OFS = (dt.date(2024, 9, 1), dt.date(2025, 3, 1), dt.date(2025, 9, 1))
TOWNSHIPS = ("T0", "T1")
SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "明华芳伟静磊敏强丽军洋艳"


def _name(i: int) -> str:
    """A distinct made-up Chinese name for each of the first 1,440 students."""
    return SURNAMES[i % 10] + GIVEN[i // 10 % 12] + GIVEN[i // 120 % 12]


def students(n: int, seed: int = 3) -> pd.DataFrame:
    """Who is where: two townships of one county, three schools each, with names."""
    rng = np.random.default_rng(seed)
    school = rng.integers(0, 6, n)
    return pd.DataFrame(
        {
            "student_id": [f"S{i:04d}" for i in range(n)],
            "school_id": [f"SCH{s:02d}" for s in school],
            "township": [TOWNSHIPS[s // 3] for s in school],
            "county": "C0",
            "grade": rng.integers(1, 10, n),
            "name": [_name(i) for i in range(n)],
        }
    )


def indicators(who: pd.DataFrame, as_of: dt.date, step: int, seed: int = 5) -> pd.DataFrame:
    """Indicator rows at one date; the same students get a little worse with each step."""
    rng = np.random.default_rng(seed)
    n = len(who)
    drift = rng.random(n) < 0.3  # these students' attendance slips from batch to batch
    unexcused = rng.beta(1, 40, n) + drift * 0.03 * step
    frame = who.drop(columns="name").copy()
    frame["as_of"] = pd.Timestamp(as_of)
    frame["unexcused_rate_30d"] = unexcused.clip(0, 1)
    frame["absence_rate_90d"] = (rng.beta(1.2, 25, n) + drift * 0.03 * step).clip(0, 1)
    frame["term_mean_score"] = rng.normal(78, 10, n).clip(0, 100) - drift * 3 * step
    frame["registered_poor"] = rng.random(n) < 0.2
    frame["left_behind"] = rng.random(n) < 0.3
    frame["guardian"] = pd.Series(rng.choice(GUARDIANS, n), dtype="string")
    frame["distance_km"] = rng.gamma(2, 2, n)
    assert set(FEATURES) <= set(frame.columns)
    return frame


def publish_county(store: ScoreStore, scorer: RiskScorer, n: int = 240) -> pd.DataFrame:
    """Score and publish three batches with `scorer`; returns the latest batch."""
    who = students(n)
    names = who.set_index("student_id")["name"]
    frame = pd.DataFrame()
    for step, as_of in enumerate(AS_OFS):
        frame = score_frame(scorer, indicators(who, as_of, step), names)
        publish(store, frame)
    people = contact_rows(who, AS_OFS[-1])
    write_people(store.engine, ["C0"], school_rows(), people)
    return frame


def guardians() -> list[str]:
    """Each student's guardian in the latest batch's indicators (the contact agrees)."""
    who = students(240)
    return list(indicators(who, AS_OFS[-1], len(AS_OFS) - 1)["guardian"].astype(str))


SCHOOL_NAMES = ("城关一小", "城关二小", "城关中学", "河口小学", "河口中学", "上坪教学点")
VILLAGES = ("上坪村", "下沟村", "河湾村")


def school_rows() -> list[dict]:
    """The six schools' names (what schools.csv holds)."""
    return [
        {"county": "C0", "school_id": f"SCH{s:02d}", "name": name, "township": TOWNSHIPS[s // 3]}
        for s, name in enumerate(SCHOOL_NAMES)
    ]


def contact_rows(who: pd.DataFrame, as_of: dt.date) -> list[dict]:
    """Each child's guardian, village, address and phone (what households.csv holds)."""
    guardian = list(indicators(who, as_of, len(AS_OFS) - 1)["guardian"].astype(str))
    both_away = ("grandparents", "relatives", "other", "none")
    return [
        {
            "county": "C0",
            "student_id": sid,
            "guardian": guardian[i],
            "father_migrant": guardian[i] in both_away or guardian[i] == "mother",
            "mother_migrant": guardian[i] in both_away or guardian[i] == "father",
            "village": VILLAGES[i % 3],
            "address": f"{VILLAGES[i % 3]}{i % 7 + 1}组{i}号",
            "guardian_name": None,
            "guardian_phone": f"1390000{i:04d}",
            "as_of": as_of,
        }
        for i, sid in enumerate(who["student_id"])
    ]
