"""Batch scoring: everyone in the population at a date, ranked, tiered and explained.

Ranks follow training's one tie rule (`training.metrics`: equal risks ordered by a hash
of the student id) and tiers its one tier rule (`training.tiers`: the model's cut-offs),
so the list served is the list evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.errors import UserError
from serving import inference
from serving.compulsory import PAST_AGE_TIER, past_compulsory_age
from serving.lifecycle import ServedModel
from serving.reasons import school_means
from training import metrics

if TYPE_CHECKING:
    from serving.store import ScoreStore
    from training.scorer import RiskScorer

OUTPUT_COLUMNS = [
    "student_id",
    "name",
    "school_id",
    "township",
    "county",
    "grade",
    "risk",
    "tier",
    "rank_in_school",
    "rank_in_county",
    "factors",
    "as_of",
    "model_version",
]


def score_frame(
    scorer: RiskScorer,
    features: pd.DataFrame,
    names: pd.Series | None = None,
    k: int = 5,
) -> pd.DataFrame:
    """One row per student: risk, tier, ranks in school and county, top-k factors in zh/en."""
    if features.empty:
        raise UserError("nobody is in the population at this date; nothing to score")
    version = str(scorer.model_version)
    served = ServedModel.wrap(scorer, version, "batch")
    x = scorer.matrix(features)
    risk = scorer.predict_matrix(x)
    out = features[["student_id", "school_id", "township", "county"]].astype(str)
    out["grade"] = features["grade"].astype("int64").to_numpy()
    out["risk"] = risk
    # Rank order: the one tie rule (risk descending, then the hash of the student id).
    # Children past compulsory-school age are not ranked: tier `past_age`, ranks 0.
    past = np.asarray(past_compulsory_age(features), dtype=bool)
    order = metrics.rank_order(risk, metrics.tie_keys(out["student_id"].to_numpy()))
    ordered = out.iloc[order[~past[order]]]
    for key, column in (("school_id", "rank_in_school"), ("county", "rank_in_county")):
        rank = ordered.groupby(key).cumcount().reindex(out.index) + 1
        out[column] = rank.fillna(0).astype("int64")
    tiers = np.asarray(scorer.tier(risk), dtype=object)
    tiers[past] = PAST_AGE_TIER
    out["tier"] = tiers
    means = school_means(features, scorer.features)
    factors = inference.top_factors(served, x, k, means)
    out["factors"] = pd.Series(factors, index=features.index, dtype=object)
    if names is not None:
        by_id = names.astype(object).where(names.notna(), None)
        out["name"] = out["student_id"].map(dict(zip(by_id.index.astype(str), by_id, strict=True)))
    else:
        out["name"] = None
    out["as_of"] = pd.Timestamp(features["as_of"].iloc[0]).date()
    out["model_version"] = version
    return out[OUTPUT_COLUMNS].reset_index(drop=True)


def store_rows(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The frame's rows in the store's column names (plain Python values)."""
    columns = {
        "student_id": frame["student_id"].astype(str).tolist(),
        "name": [n if isinstance(n, str) else None for n in frame["name"].astype(object)],
        "school_id": frame["school_id"].astype(str).tolist(),
        "township": frame["township"].astype(str).tolist(),
        "county": frame["county"].astype(str).tolist(),
        "grade": frame["grade"].astype("int64").tolist(),
        "risk": frame["risk"].astype("float64").tolist(),
        "tier": frame["tier"].astype(str).tolist(),
        "rank_school": frame["rank_in_school"].astype("int64").tolist(),
        "rank_county": frame["rank_in_county"].astype("int64").tolist(),
        "enrolled_since": (
            [d if isinstance(d, dt.date) else None for d in frame["enrolled_since"]]
            if "enrolled_since" in frame.columns
            else [None] * len(frame)
        ),
        "factors": frame["factors"].tolist(),
    }
    keys = list(columns)
    for values in zip(*columns.values(), strict=True):
        yield dict(zip(keys, values, strict=True))


def publish(
    store: ScoreStore,
    frame: pd.DataFrame,
    progress: Callable[[int], None] | None = None,
    *,
    in_service: bool = True,
    force: bool = False,
) -> int:
    """Write the frame as a new batch and (unless `in_service` is False) publish it
    atomically; returns the batch id. `force` publishes a batch older than the one in
    service."""
    as_of = frame["as_of"].iloc[0]
    version = str(frame["model_version"].iloc[0])
    if not in_service:
        return store.write_batch(as_of, version, store_rows(frame), progress=progress)
    return store.publish_batch(as_of, version, store_rows(frame), progress=progress, force=force)


def first_enrollment(enrollments: pd.DataFrame) -> dict[str, dt.date]:
    """The start (1 September) of each student's first school year on record."""
    first = enrollments.groupby(enrollments["student_id"].astype(str))["school_year"].min()
    return {sid: dt.date(int(year), 9, 1) for sid, year in first.items()}


def with_words(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with `factors_zh` / `factors_en`: each child's reasons (not the context facts)
    in words, joined."""
    out = frame.copy()
    reasons = [[f for f in fs if f.get("kind", "reason") == "reason"] for fs in out["factors"]]
    out["factors_zh"] = ["；".join(f["zh"] for f in fs) for fs in reasons]
    out["factors_en"] = ["; ".join(f["en"] for f in fs) for fs in reasons]
    return out


def in_list_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Ranked children first, by county rank; those past compulsory-school age (rank 0,
    not ranked) after them."""
    unranked = frame["rank_in_county"] == 0
    ordered = frame.assign(_unranked=unranked).sort_values(
        ["_unranked", "rank_in_county", "risk"], ascending=[True, True, False], kind="stable"
    )
    return ordered.drop(columns="_unranked").reset_index(drop=True)


def write_out(frame: pd.DataFrame, path: Path) -> Path:
    """The batch as CSV or Parquet: factors as JSON, plus readable `factors_zh`/`factors_en`."""
    flat = with_words(frame)
    flat["factors"] = [json.dumps(f, ensure_ascii=False) for f in flat["factors"]]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        flat.to_csv(path, index=False, encoding="utf-8")
    elif suffix in (".parquet", ".pq"):
        flat.to_parquet(path, index=False)
    else:
        raise UserError(f"--out {path}: use a .csv or .parquet file name")
    return path
