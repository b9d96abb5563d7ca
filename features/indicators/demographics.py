"""Demographic indicators: gender, age, ethnic minority, disability."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


def demographic_indicators(people: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, np.ndarray]:
    """Demographics per row of `people` (the students table aligned with the roster)."""
    age_days = (as_of - people["birth_date"]).dt.days
    return {
        "gender": people["gender"].astype("object").to_numpy(),
        "age": age_days.to_numpy(np.float64, na_value=np.nan) / DAYS_PER_YEAR,
        "ethnic_minority": people["ethnic_minority"].astype("object").to_numpy(),
        "disability": people["disability"].astype("object").to_numpy(),
    }
