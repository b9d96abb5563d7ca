"""The school calendar of one school year: school days, exam days and seasons.

A school year `Y` runs from 1 September of `Y` to mid-July of `Y+1`. School days are
weekdays minus the public holidays and breaks that every county observes. Dates are
kept as numpy `datetime64[D]` so the whole year is one vector the generator can index.

The winter break (Spring Festival) is where schools differ: `WINTER_BREAKS` holds the
breaks a county's schools may keep. The standard county gives every school the first;
`--calendar varied` spreads the three over its schools, and the year is then simulated on
the days any school is open, each school's attendance kept on its own school days only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (month, first day, last day) ranges with no school, relative to the school year.
_AUTUMN_HOLIDAYS = ((10, 1, 7),)  # National Day golden week
_SPRING_HOLIDAYS = (
    (1, 1, 1),  # New Year's Day
    (4, 4, 5),  # Qingming
    (5, 1, 5),  # Labour Day week
)
# Winter breaks as (first day off, last day off), (month, day) in January-February: the
# standard one (school resumes around 20 February), a long one ending in late February,
# and a short one.
WINTER_BREAKS: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (
    ((1, 20), (2, 19)),
    ((1, 16), (2, 26)),
    ((1, 23), (2, 16)),
)
CALENDARS = ("standard", "varied")
_LAST_DAY = (7, 12)  # summer break from mid-July to the end of August


def _date(year: int, month: int, day: int) -> np.datetime64:
    return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D")


def _in_ranges(days: np.ndarray, year: int, ranges: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    mask = np.zeros(days.shape, dtype=bool)
    for month, first, last in ranges:
        mask |= (days >= _date(year, month, first)) & (days <= _date(year, month, last))
    return mask


@dataclass(frozen=True)
class SchoolCalendar:
    """The school days of one school year and the seasons that shape absence and leaving."""

    school_year: int
    days: np.ndarray  # datetime64[D], sorted school days
    weekday: np.ndarray  # 0 = Monday
    term1_exam: int  # index into days
    term2_exam: int
    term2_start: int  # first school day after the winter break
    harvest: np.ndarray  # bool per day: rural families need children in the fields
    winter: np.ndarray  # bool per day: colds and flu

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def first_day(self) -> np.datetime64:
        return self.days[0]

    @property
    def last_day(self) -> np.datetime64:
        return self.days[-1]

    def index_on_or_after(self, dates: np.ndarray) -> np.ndarray:
        """The index of the first school day on or after each date (n_days when none)."""
        return np.searchsorted(self.days, dates, side="left")

    def leaving_weights(self, rural: bool) -> np.ndarray:
        """Relative chance per school day that a child at risk leaves on that day (mean 1).

        Children most often fail to come back after the winter break, leave at the
        start of the year, or leave for the fields in harvest; few leave just before
        the summer when the year is nearly done.
        """
        w = np.ones(self.n_days)
        w[:10] = 1.6
        w[self.term2_start : self.term2_start + 15] = 2.4
        if rural:
            w[self.harvest] *= 1.5
        w[-15:] = 0.5
        return w / w.mean()


def winter_break(school_year: int, variant: int) -> tuple[np.datetime64, np.datetime64]:
    """First and last day off of a winter break of `WINTER_BREAKS` in school year `school_year`."""
    (m0, d0), (m1, d1) = WINTER_BREAKS[variant]
    return _date(school_year + 1, m0, d0), _date(school_year + 1, m1, d1)


def school_calendar(school_year: int, variants: tuple[int, ...] = (0,)) -> SchoolCalendar:
    """Build the calendar of school year `school_year` (September to July): the days on which
    a school keeping any of the winter breaks `variants` is open."""
    y, y1 = school_year, school_year + 1
    all_days = np.arange(_date(y, 9, 1), _date(y1, *_LAST_DAY) + 1, dtype="datetime64[D]")
    # 1970-01-01 was a Thursday; shift so Monday is 0.
    weekday = (all_days.astype(np.int64) + 3) % 7
    off = _in_ranges(all_days, y, _AUTUMN_HOLIDAYS) | _in_ranges(all_days, y1, _SPRING_HOLIDAYS)
    closed = np.ones(all_days.shape, dtype=bool)
    for variant in variants:
        first, last = winter_break(y, variant)
        closed &= (all_days >= first) & (all_days <= last)
    off |= closed
    keep = (weekday < 5) & ~off
    days = all_days[keep]
    weekday = weekday[keep]

    term1_exam = int(np.searchsorted(days, _date(y1, 1, 13)))
    # Term 2 ends with exams around the turn of June and July.
    term2_exam = int(np.searchsorted(days, _date(y1, 6, 30)))
    term2_start = int(np.searchsorted(days, _date(y1, 2, 20)))
    harvest = ((days >= _date(y, 9, 20)) & (days <= _date(y, 10, 25))) | (
        (days >= _date(y1, 5, 25)) & (days <= _date(y1, 6, 12))
    )
    winter = (days >= _date(y, 12, 1)) & (days <= _date(y1, 3, 15))
    return SchoolCalendar(
        school_year=y,
        days=days,
        weekday=weekday,
        term1_exam=term1_exam,
        term2_exam=term2_exam,
        term2_start=term2_start,
        harvest=harvest,
        winter=winter,
    )
