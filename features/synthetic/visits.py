"""Home visits with a known effect (`generate --visit-effect E`), and the truth kept apart.

At each term start (1 September and 1 March, the `term_start` snapshots) the county draws
up a list from what it can observe: absence over the last 30 school days (the previous
year's end for September), registered poverty, over-age, repeats, disability, a sibling
out of school, a junior-school grade. The top `capacity` share of each block of children
is listed; a listed child is visited with probability `compliance`, anyone else in school
with `off_list`; the visit falls on a day in the 30 days after the snapshot. A visit cuts
the chance of leaving after it, within the horizon, by the share E: each visited child who
would have left in [visit, snapshot + horizon) stays, with probability E.

Absence before a child leaves still climbs in the no-visit world (their intention shows
before the visit); only what comes after the visit changes. The truth (each visited or
listed child's outcome with and without the visit) goes to a folder the pipeline never
reads (`truth/` by default); the county's files carry only `visits.csv`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .calendar import SchoolCalendar

WINDOW_DAYS = 30
HORIZON_DAYS = 180
RECENT_DAYS = 30  # the absence_rate_30d indicator's window
ABSENT_CODES = (2, 3, 4)  # days.EXCUSED, SICK, UNEXCUSED
TRUTH_FILE = "visit_truth.csv"
SUMMARY_FILE = "visit_truth.json"


@dataclass
class VisitSim:
    """Settings of the simulated visits, and the rows gathered year by year."""

    effect: float
    n_students: int
    capacity: float = 0.05
    compliance: float = 0.7
    off_list: float = 0.03
    prev_absence: np.ndarray = field(init=False)
    rows: list[dict[str, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.effect <= 1.0:
            raise ValueError("the visit effect is a share between 0 and 1")
        self.prev_absence = np.full(self.n_students, np.nan)


@dataclass(frozen=True)
class Observed:
    """What the county sees of a block of children on a snapshot (one entry per child)."""

    poor_before: np.ndarray
    poor_after: np.ndarray
    change_day: np.ndarray  # first school day of the household's new record
    over_age: np.ndarray
    repeats: np.ndarray
    disabled: np.ndarray
    sibling_out: np.ndarray
    grade: np.ndarray


def snapshot_days(cal: SchoolCalendar) -> list[tuple[np.datetime64, int]]:
    """The year's two term-start snapshots as (date, first school day index on or after)."""
    year = int(str(cal.first_day)[:4])
    dates = [np.datetime64(f"{year}-09-01", "D"), np.datetime64(f"{year + 1}-03-01", "D")]
    return [(d, int(cal.index_on_or_after(d))) for d in dates]


def recent_absence(
    child: np.ndarray, day: np.ndarray, status: np.ndarray, n: int, until: int
) -> np.ndarray:
    """Each child's share of absent days over their last RECENT_DAYS school days before
    `until` (NaN with none)."""
    before = (day < until) & (day >= until - RECENT_DAYS)
    absent = np.isin(status[before], ABSENT_CODES)
    days = np.bincount(child[before], minlength=n)
    missed = np.bincount(child[before], weights=absent, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(days > 0, missed / np.maximum(days, 1), np.nan)


def plan_visits(
    rng: np.random.Generator,
    sim: VisitSim,
    cal: SchoolCalendar,
    ids: np.ndarray,
    observed: Observed,
    attendance: tuple[np.ndarray, np.ndarray, np.ndarray],
    start: np.ndarray,
    left: np.ndarray,
    back: np.ndarray,
) -> np.ndarray:
    """List, visit and apply the effect for one block of children; returns the new `left`.

    `ids` are the children's global indices; `attendance` = (child, day, status) of the
    block in the no-visit world; `left`/`back` are school-day indices (n_days: none).
    """
    d = cal.n_days
    left = left.copy()
    n = len(ids)
    for when, t in snapshot_days(cal):
        if t >= d:
            continue
        absence = sim.prev_absence[ids] if t == 0 else recent_absence(*attendance, n, t)
        # The estimator's population (features.indicators.population): a child back on
        # the snapshot day itself, from this year's leaving or an earlier year's (whose
        # first day is the return: back == start), has not yet "returned before T".
        returning = (back == start) & (back < d)
        in_pop = np.where(returning, start < t, start <= t) & ~((left < t) & (back >= t))
        score = (
            5.0 * np.nan_to_num(absence, nan=0.0)
            + 0.9 * np.where(observed.change_day < t, observed.poor_after, observed.poor_before)
            + 0.5 * np.clip(observed.over_age, 0, 3)
            + 0.5 * (observed.repeats > 0)
            + 0.6 * observed.disabled
            + 0.5 * observed.sibling_out
            + 1.5 * (observed.grade >= 7)
            + rng.normal(0.0, 0.5, n)  # what the county weighs but does not record
        )
        pop = np.flatnonzero(in_pop)
        k = int(np.ceil(sim.capacity * len(pop)))
        listed = np.zeros(n, dtype=bool)
        listed[pop[np.argsort(-score[pop], kind="stable")[:k]]] = True
        u = rng.random(n)
        visited = in_pop & np.where(listed, u < sim.compliance, u < sim.off_list)
        visit_on = when + rng.integers(0, WINDOW_DAYS, n).astype("timedelta64[D]")
        visit_day = cal.index_on_or_after(visit_on)
        end_day = int(cal.index_on_or_after(when + np.timedelta64(HORIZON_DAYS, "D")))
        y0 = in_pop & (left >= t) & (left < end_day)
        saved = visited & (left >= visit_day) & (left < end_day) & (rng.random(n) < sim.effect)
        left[saved] = d
        y1 = in_pop & (left >= t) & (left < end_day)
        keep = listed | visited
        sim.rows.append(
            {
                "student": ids[keep],
                "snapshot": np.full(int(keep.sum()), when),
                "listed": listed[keep],
                "visited": visited[keep],
                "visited_on": visit_on[keep],
                "left_before_visit": (left < visit_day)[keep],
                "y0": y0[keep],
                "y1": y1[keep],
            }
        )
    return left


def remember_absence(
    sim: VisitSim, ids: np.ndarray, child: np.ndarray, day: np.ndarray, status: np.ndarray, d: int
) -> None:
    """Keep each child's absence over the year's last school days for next September's list."""
    sim.prev_absence[ids] = recent_absence(child, day, status, len(ids), d)


def write_visits(
    out_dir: Path,
    truth_dir: Path,
    sim: VisitSim,
    student_id: np.ndarray,
    school_of: np.ndarray,
    fmt: str,
    export_date: np.datetime64 | None,
) -> int:
    """Write `visits.<fmt>` (what the county recorded) and the truth; returns visit rows."""
    rows = {k: np.concatenate([r[k] for r in sim.rows]) for k in sim.rows[0]} if sim.rows else {}
    if not rows:
        return 0
    visited = rows["visited"]
    on = rows["visited_on"][visited].astype("datetime64[D]")
    known = np.ones(len(on), bool) if export_date is None else on <= export_date
    who = rows["student"][visited][known]
    outcome = np.where(rows["left_before_visit"][visited][known], "left", "stays_in_school")
    table = pa.table(
        {
            "student_id": pa.array(student_id[who]),
            "visited_on": pa.array(on[known]),
            "visitor": pa.array([f"mentor-{s}" for s in school_of[who]]),
            "outcome": pa.array(outcome),
        }
    )
    order = np.lexsort((table["student_id"].to_numpy(), on[known]))
    table = table.take(pa.array(order))
    if fmt == "csv":
        pacsv.write_csv(table, out_dir / "visits.csv")
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, out_dir / "visits.parquet", compression="zstd")
    _write_truth(truth_dir, sim, rows, student_id)
    return table.num_rows


def _write_truth(
    truth_dir: Path, sim: VisitSim, rows: dict[str, np.ndarray], student_id: np.ndarray
) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "snapshot": pa.array(rows["snapshot"].astype("datetime64[D]")),
            "student_id": pa.array(student_id[rows["student"]]),
            "listed": pa.array(rows["listed"]),
            "visited": pa.array(rows["visited"]),
            "y0": pa.array(rows["y0"].astype(np.int8)),
            "y1": pa.array(rows["y1"].astype(np.int8)),
        }
    )
    pacsv.write_csv(table, truth_dir / TRUTH_FILE)
    per_snapshot = {}
    for when in np.unique(rows["snapshot"]):
        v = rows["visited"] & (rows["snapshot"] == when)
        diff = rows["y1"][v].astype(float) - rows["y0"][v].astype(float)
        per_snapshot[str(when)] = {
            "n_visited": int(v.sum()),
            "att": float(diff.mean()) if v.any() else None,
        }
    summary = {
        "visit_effect": sim.effect,
        "window_days": WINDOW_DAYS,
        "horizon_days": HORIZON_DAYS,
        "capacity": sim.capacity,
        "compliance": sim.compliance,
        "off_list": sim.off_list,
        "note": "att: mean of y1 - y0 over the visited in the population at the snapshot "
        "(risk difference, negative = visits keep children in school)",
        "snapshots": per_snapshot,
    }
    (truth_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
