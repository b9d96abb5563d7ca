"""Compulsory-school age (DESIGN.md): a child aged 16 or more on the 31 August before the
school year is past it. Such a child is not ranked on the watchlist; if still enrolled, they
are listed apart with the tier `past_age`, so an official sees why they are not ranked."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PAST_AGE_TIER = "past_age"
LEAVING_AGE = 16
DAYS_PER_YEAR = 365.25  # as features.indicators.demographics computes `age`


def school_year_start(as_of: dt.date) -> dt.date:
    """The 31 August before the school year that `as_of` falls in."""
    year = as_of.year if as_of.month >= 9 else as_of.year - 1
    return dt.date(year, 8, 31)


def past_compulsory_age(features: pd.DataFrame) -> np.ndarray:
    """Per row, whether the child was 16 or older on the 31 August before the school year.

    Rows without an age (or frames without the indicator) count as of compulsory age.
    """
    if "age" not in features.columns or features.empty:
        return np.zeros(len(features), dtype=bool)
    as_of = pd.Timestamp(features["as_of"].iloc[0]).date()
    since = (as_of - school_year_start(as_of)).days / DAYS_PER_YEAR
    age = pd.to_numeric(features["age"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    # A whisker below 16 from float rounding of days / 365.25 still counts as 16.
    return np.nan_to_num(age - since, nan=0.0) >= LEAVING_AGE - 1e-9
