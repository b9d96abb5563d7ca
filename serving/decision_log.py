"""The decision log: every published batch (each child's risk, rank, tier, top reason, and the
visit capacity and cut-off that day) and every recorded visit, read as plain frames.

The store keeps the newest batches for the case workers' page and prunes the rest; a batch
is archived to Parquet under the home (`decision-log/`) in the same transaction that
deletes it, so a failed write leaves it in the store. `batches()` reads the archive and the
store alike; `effects` hands the frames to `training.effects`, which never imports serving.

Capacity per (batch, county): the number of children in the `high` tier, the tier that is
the day's visit list; the cut-off is the last listed rank and its risk. No names are kept.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, inspect, select

from serving.models import Batch, Score

ARCHIVE = "decision-log"
COLUMNS = [
    "batch_id",
    "as_of",
    "model_version",
    "published_at",
    "county",
    "student_id",
    "school_id",
    "township",
    "grade",
    "risk",
    "tier",
    "rank_school",
    "rank_county",
    "top_reason",
]


def archive_dir(home: Path | None = None) -> Path:
    if home is None:
        from dropout_risk.settings import get_settings

        home = get_settings().home
    return Path(home) / ARCHIVE


def _frame(conn: Connection, batch_ids: Sequence[int] | None) -> pd.DataFrame:
    """Published batches' rows (all, or the given ids) as the decision log's columns."""
    query = (
        select(
            Batch.id.label("batch_id"),
            Batch.as_of,
            Batch.model_version,
            Batch.published_at,
            Score.county,
            Score.student_id,
            Score.school_id,
            Score.township,
            Score.grade,
            Score.risk,
            Score.tier,
            Score.rank_school,
            Score.rank_county,
            Score.factors,
        )
        .join(Score, Score.batch_id == Batch.id)
        .where(Batch.published_at.is_not(None))
    )
    if batch_ids is not None:
        query = query.where(Batch.id.in_(list(batch_ids)))
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=[*COLUMNS[:-1], "factors"])
    frame["top_reason"] = [_top(f) for f in frame["factors"]]
    frame = frame.drop(columns="factors")
    frame["as_of"] = pd.to_datetime(frame["as_of"])
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    return frame[COLUMNS]


def _top(factors: object) -> str | None:
    if isinstance(factors, str):
        import json

        factors = json.loads(factors)
    if isinstance(factors, list) and factors and isinstance(factors[0], dict):
        return str(factors[0].get("indicator"))
    return None


def archive(conn: Connection, batch_ids: Sequence[int], home: Path | None = None) -> None:
    """Write each published batch to `decision-log/batch-<id>.parquet` before it is pruned.

    Raises on any write failure, so the caller's transaction (the delete) rolls back.
    """
    if not batch_ids:
        return
    frame = _frame(conn, batch_ids)
    directory = archive_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    for batch_id, rows in frame.groupby("batch_id"):
        path = directory / f"batch-{int(batch_id):08d}.parquet"
        partial = path.with_suffix(".parquet.partial")
        rows.to_parquet(partial, index=False)
        os.replace(partial, path)  # a reader never sees half a file


def batches(engine: Engine, home: Path | None = None) -> pd.DataFrame:
    """Every published batch ever: archived ones and those still in the store, with capacity.

    Adds per (batch, county): `capacity` (children listed `high`), `cutoff_rank` (the last
    listed rank) and `cutoff_risk` (its risk).
    """
    with engine.connect() as conn:
        parts = [_frame(conn, None)]
    directory = archive_dir(home)
    if directory.is_dir():
        parts += [pd.read_parquet(p) for p in sorted(directory.glob("batch-*.parquet"))]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=[*COLUMNS, "capacity", "cutoff_rank", "cutoff_risk"])
    log = pd.concat(parts, ignore_index=True)
    log = log.drop_duplicates(["batch_id", "county", "student_id"], keep="first")
    listed = log[log["tier"] == "high"].groupby(["batch_id", "county"])
    cut = pd.DataFrame(
        {
            "capacity": listed.size(),
            "cutoff_rank": listed["rank_county"].max(),
            "cutoff_risk": listed["risk"].min(),
        }
    ).reset_index()
    log = log.merge(cut, on=["batch_id", "county"], how="left")
    log["capacity"] = log["capacity"].fillna(0).astype("int64")
    return log.sort_values(["as_of", "batch_id", "county", "rank_county"], ignore_index=True)


def visits(engine: Engine) -> pd.DataFrame:
    """Every recorded visit: county (when the store keeps it), student_id, visited_on, visitor,
    outcome."""
    with engine.connect() as conn:
        has_county = "county" in {c["name"] for c in inspect(conn).get_columns("visits")}
        county = "county" if has_county else "NULL AS county"
        rows = conn.exec_driver_sql(
            f"SELECT {county}, student_id, visited_on, visitor, outcome FROM visits"
        ).all()
    frame = pd.DataFrame(rows, columns=["county", "student_id", "visited_on", "visitor", "outcome"])
    frame["visited_on"] = pd.to_datetime(frame["visited_on"])
    frame["student_id"] = frame["student_id"].astype(str)
    return frame
