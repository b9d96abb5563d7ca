"""Day by day within one school year: the day a child leaves, and daily attendance.

Both work on a children x school-days matrix for a chunk of children, so that a
county of 100k children is a few vectorised passes per year rather than a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import SchoolCalendar

PRESENT, LATE, EXCUSED, SICK, UNEXCUSED = range(5)


@dataclass(frozen=True)
class LeavingInputs:
    """Per child: the year's log-risk pieces and from which day each applies."""

    static: np.ndarray  # log-risk that holds all year
    household_before: np.ndarray  # household log-risk before the household's change
    household_after: np.ndarray
    change_day: np.ndarray  # first school day of the new household record (n_days if none)
    after_exam: np.ndarray  # extra log-risk after term-1 exams (falling grades)
    start_day: np.ndarray  # first school day in school this year
    can_leave: np.ndarray
    rural: np.ndarray


def leaving_days(rng: np.random.Generator, cal: SchoolCalendar, x: LeavingInputs) -> np.ndarray:
    """The school-day index on which each child leaves, or n_days when the child stays.

    The hazard on day t is exp(log-risk) * season(t) / n_days, so the yearly chance of
    leaving is 1 - exp(-mean risk): the log-risk sets the yearly odds, the season the timing.
    """
    n, d = len(x.static), cal.n_days
    t = np.arange(d)
    season = np.where(x.rural[:, None], cal.leaving_weights(True), cal.leaving_weights(False))
    before = np.exp(x.static + x.household_before)[:, None]
    after = np.exp(x.static + x.household_after)[:, None]
    hazard = np.where(t < x.change_day[:, None], before, after) * season / d
    hazard *= np.where(t > cal.term1_exam, np.exp(x.after_exam)[:, None], 1.0)
    hazard[t < x.start_day[:, None]] = 0.0
    hazard[~x.can_leave] = 0.0
    total = np.cumsum(hazard, axis=1)
    threshold = rng.exponential(1.0, n)
    left = (total < threshold[:, None]).sum(axis=1)
    return left.astype(np.int64)


@dataclass(frozen=True)
class AttendanceInputs:
    """Per child: the usual chance of absence (log-odds) and the days in and out of school."""

    base: np.ndarray  # log-odds of absence on an ordinary day
    late: np.ndarray  # chance of being late on a day present
    rural: np.ndarray
    unexcused_shift: np.ndarray  # children at risk skip without an excuse more often
    start_day: np.ndarray
    left_day: np.ndarray  # n_days when the child did not leave
    back_day: np.ndarray  # n_days when the child did not come back this year
    ramp_left_day: np.ndarray | None = None
    """The day absence climbs towards, when it differs from `left_day` (a visit kept the
    child in school: the intention to leave showed before it)."""


@dataclass(frozen=True)
class AttendanceChunk:
    """Attendance rows of a chunk (child index, day index, status) and per-child counts."""

    child: np.ndarray
    day: np.ndarray
    status: np.ndarray
    days_in: np.ndarray
    days_absent: np.ndarray


def attendance(
    rng: np.random.Generator, cal: SchoolCalendar, x: AttendanceInputs
) -> AttendanceChunk:
    """Daily status for every day a child is in school; none while the child is out."""
    n, d = len(x.base), cal.n_days
    season = 0.25 * cal.winter + 0.1 * (cal.weekday == 0) + 0.1 * (cal.weekday == 4)
    logit = x.base.astype(np.float32)[:, None] + season.astype(np.float32)[None, :]
    logit[x.rural] += (0.7 * cal.harvest).astype(np.float32)

    # Absence climbs in the weeks before a child leaves: fast just before, slow long before;
    # and stays high for a while after a child comes back. Only those rows pay for it.
    ramp = np.zeros((n, d), dtype=np.float32)
    t = np.arange(d, dtype=np.float32)[None, :]
    ramp_to = x.left_day if x.ramp_left_day is None else x.ramp_left_day
    leaves = np.flatnonzero(ramp_to < d)
    to_leave = ramp_to[leaves, None].astype(np.float32) - 1 - t
    ramp[leaves] = np.where(
        to_leave >= 0, 3.0 * np.exp(-to_leave / 8.0) + 1.3 * np.exp(-to_leave / 40.0), 0.0
    )
    back = np.flatnonzero(x.back_day < d)
    since_back = t - x.back_day[back, None].astype(np.float32)
    ramp[back] += np.where(since_back >= 0, np.exp(-np.abs(since_back) / 20.0), 0.0)
    logit += ramp
    q = 1.0 / (1.0 + np.exp(-logit))

    u = rng.random((n, d), dtype=np.float32)
    absent = u < q
    status = np.where(u > 1 - x.late[:, None].astype(np.float32), LATE, PRESENT).astype(np.uint8)
    # Among the absent, u / q is uniform on [0, 1) again: reuse it to pick the kind.
    rows, cols = np.nonzero(absent)
    share = u[rows, cols] / q[rows, cols]
    unexcused = 1.0 / (1.0 + np.exp(1.3 - 0.9 * ramp[rows, cols] - x.unexcused_shift[rows]))
    sick = np.where(cal.winter[cols], 0.65, 0.45)
    kind = np.where((share - unexcused) / (1 - unexcused) < sick, SICK, EXCUSED)
    status[rows, cols] = np.where(share < unexcused, UNEXCUSED, kind)

    ti = np.arange(d)[None, :]
    in_school = (ti >= x.start_day[:, None]) & ~(
        (ti >= x.left_day[:, None]) & (ti < x.back_day[:, None])
    )
    child, day = np.nonzero(in_school)
    return AttendanceChunk(
        child=child,
        day=day,
        status=status[child, day].astype(np.uint8),
        days_in=in_school.sum(axis=1),
        days_absent=(absent & in_school).sum(axis=1),
    )
