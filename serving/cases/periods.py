"""Reporting periods: the school term, the month and the quarter a date falls in."""

from __future__ import annotations

import datetime as dt
from typing import Literal

Period = Literal["month", "quarter"]


def term_start(on: dt.date) -> dt.date:
    """Term 1 runs from 1 September through January, term 2 from 1 February to the summer."""
    if on.month >= 9:
        return dt.date(on.year, 9, 1)
    if on.month >= 2:
        return dt.date(on.year, 2, 1)
    return dt.date(on.year - 1, 9, 1)


def period_start(on: dt.date, period: Period) -> dt.date:
    """The first day of the month or quarter containing `on`."""
    if period == "month":
        return on.replace(day=1)
    return dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)


def previous_end(on: dt.date, period: Period) -> dt.date:
    """The last day of the period before the one containing `on`."""
    return period_start(on, period) - dt.timedelta(days=1)


def period_label(on: dt.date, period: Period) -> str:
    """2025-03 for a month, 2025-Q1 for a quarter."""
    if period == "month":
        return f"{on:%Y-%m}"
    return f"{on.year}-Q{(on.month - 1) // 3 + 1}"
