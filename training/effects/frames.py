"""The frames the effect estimators read: visits from every source, and one row per child in
the population at each snapshot with its indicators, treatment and outcome.

Everything is keyed by (county, student_id): two counties' exports may share ids. Visits
come from the store (recorded through the API) and from a data folder's `visits` table
(kept on paper, imported); both arrive as plain frames and are read alike.

A snapshot is used only when its outcome window has closed before the export date
(`features.export`): [T, T + horizon) and the visit window [T, T + W) both end on or
before it. Otherwise a child who leaves after the export would count as staying.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.build import build_features
from features.contract import Tables
from features.indicators.population import left_within

VISIT_COLUMNS = ["county", "student_id", "visited_on", "visitor"]


@dataclass
class Snapshots:
    """Stacked snapshot rows and the snapshots left out, each with why."""

    frame: pd.DataFrame
    used: list[pd.Timestamp]
    left_out: list[tuple[pd.Timestamp, str]] = field(default_factory=list)


def student_county(tables: Tables) -> pd.Series:
    """Each student's county (that of their latest enrollment's school), by student_id."""
    enr = tables.enrollments.sort_values("school_year")
    enr = enr.drop_duplicates("student_id", keep="last")
    schools = tables.schools
    county = enr["school_id"].map(dict(zip(schools["school_id"], schools["county"], strict=True)))
    return pd.Series(county.astype(str).to_numpy(), index=enr["student_id"].astype(str).to_numpy())


def visits_frame(
    parts: Sequence[pd.DataFrame | None], counties: pd.Series | None = None
) -> pd.DataFrame:
    """Visits from several sources as one frame (county, student_id, visited_on, visitor).

    A source without a county (visits.csv; a store that does not keep one) takes the child's
    county from `counties`. The same visit in two sources counts once.
    """
    frames = []
    for part in parts:
        if part is None or part.empty:
            continue
        frame = pd.DataFrame(
            {
                "county": (
                    part["county"].astype(object)
                    if "county" in part
                    else pd.Series(None, index=part.index, dtype=object)
                ),
                "student_id": part["student_id"].astype(str),
                # one unit whatever the source (a driver may give dates in seconds)
                "visited_on": pd.to_datetime(part["visited_on"])
                .dt.normalize()
                .astype("datetime64[us]"),
                "visitor": part["visitor"].astype(str),
            }
        )
        if counties is not None:
            missing = frame["county"].isna()
            frame.loc[missing, "county"] = (
                frame.loc[missing, "student_id"].map(counties).astype(object)
            )
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in VISIT_COLUMNS})
    out = pd.concat(frames, ignore_index=True).astype({"county": object})
    return out.drop_duplicates(VISIT_COLUMNS).reset_index(drop=True)


def closed_reason(
    tables: Tables, as_of: pd.Timestamp, window_days: int, horizon_days: int
) -> str | None:
    """Why a snapshot's windows are still open at the export date, or None when closed."""
    export = tables.export_date().date
    last = as_of + pd.Timedelta(days=max(window_days, horizon_days) - 1)
    if last > export:
        return f"its outcome window ends {last:%Y-%m-%d}, after the export date {export:%Y-%m-%d}"
    return None


def treated(
    visits: pd.DataFrame, keys: pd.DataFrame, as_of: pd.Timestamp, window_days: int
) -> np.ndarray:
    """1 where the child (county, student_id) had a visit in [as_of, as_of + window)."""
    end = as_of + pd.Timedelta(days=window_days)
    inside = visits[(visits["visited_on"] >= as_of) & (visits["visited_on"] < end)]
    seen = set(zip(inside["county"].astype(str), inside["student_id"], strict=True))
    pairs = zip(keys["county"].astype(str), keys["student_id"].astype(str), strict=True)
    return np.fromiter((p in seen for p in pairs), dtype=np.int8, count=len(keys))


def visits_before(visits: pd.DataFrame, keys: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """How many visits each child had in the year before `as_of`: earlier visits change
    later absence and leaving, so the estimators adjust for them."""
    start = as_of - pd.Timedelta(days=365)
    inside = visits[(visits["visited_on"] >= start) & (visits["visited_on"] < as_of)]
    counts = inside.groupby([inside["county"].astype(str), inside["student_id"]]).size()
    index = pd.MultiIndex.from_arrays([keys["county"].astype(str), keys["student_id"].astype(str)])
    return counts.reindex(index, fill_value=0).to_numpy(dtype=np.int64)


def snapshot_rows(
    tables: Tables,
    snapshots: Sequence[pd.Timestamp],
    visits: pd.DataFrame,
    window_days: int = 30,
    horizon_days: int = 180,
    progress: Callable[[int, int], None] | None = None,
) -> Snapshots:
    """Indicators of the population at each closed snapshot, with `treated` and `left`."""
    used, left_out = [], []
    for when in sorted(set(snapshots)):
        reason = closed_reason(tables, when, window_days, horizon_days)
        if reason is None:
            used.append(when)
        else:
            left_out.append((when, reason))
    frames = []
    for i, when in enumerate(used):
        frame = build_features(tables, when)
        frame["student_id"] = frame["student_id"].astype(str)
        frame["county"] = frame["county"].astype(str)
        frame["snapshot"] = when
        frame["treated"] = treated(visits, frame, when, window_days)
        frame["visits_before"] = visits_before(visits, frame, when)
        frame["left"] = left_within(tables.dropouts, frame["student_id"], when, horizon_days)
        frames.append(frame)
        if progress is not None:
            progress(i + 1, len(used))
    stacked = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Snapshots(stacked, used, left_out)
