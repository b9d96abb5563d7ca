"""From a student-level table to what LightGBM sees: the indicator list and a float matrix.

Categorical indicators are coded by this project, not by pandas: each level's code is
its position in `categorical[name]`, unknown levels and gaps become NaN. The same coding
serves training, the pandas scorer and the numpy hot path, so a model file never
depends on how pandas happened to order categories.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from training.errors import TableError
from training.spec import ModelSpec

# Columns that identify a row or its date; never indicators. Mirrors
# features.catalogue.ID_COLUMNS without making a plain table depend on the catalogue.
ID_COLUMNS = ("student_id", "school_id", "township", "county", "as_of")
# Never an indicator, never logged: the student's name is only for case workers.
NEVER_INDICATORS = ("name", "household_id")


@dataclass(frozen=True)
class Prepared:
    """A table ready to train on: its label, time, id and indicator columns."""

    frame: pd.DataFrame
    label: str
    time_column: str | None
    id_column: str | None
    features: list[str]
    categorical: dict[str, list[str]]
    skipped: dict[str, str] = field(default_factory=dict)
    """Columns left out of the model and why."""

    @property
    def y(self) -> np.ndarray:
        return self.frame[self.label].to_numpy(dtype="int8")

    @property
    def ids(self) -> np.ndarray:
        """Row ids for the tie rule: the id column, else the row position as text."""
        if self.id_column is not None:
            return self.frame[self.id_column].astype("string").to_numpy(dtype=object)
        return np.arange(len(self.frame)).astype(str).astype(object)

    def matrix(self, rows: np.ndarray | None = None) -> np.ndarray:
        frame = self.frame if rows is None else self.frame.loc[rows]
        return encode(frame, self.features, self.categorical)


def _is_categorical(series: pd.Series) -> bool:
    return (
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(series.dtype)
        or series.dtype == object
    )


def _levels(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(str(v) for v in series.dropna().unique())


def _label(frame: pd.DataFrame, label: str, source: str) -> pd.Series:
    if label not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:20]))
        raise TableError(f"{source} has no label column {label!r}; its columns are: {shown}")
    values = frame[label]
    if values.isna().any():
        first = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise TableError(
            f"{source}: label column {label!r} is empty on {int(values.isna().sum())} rows "
            f"(first at row {first + 1})"
        )
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("int8")
    numeric = pd.to_numeric(values, errors="coerce")
    bad = ~numeric.isin([0, 1])
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        raise TableError(
            f"{source}: label column {label!r} must hold 0/1 or true/false; "
            f"row {first + 1} holds {values.iloc[first]!r}"
        )
    return numeric.astype("int8")


def orderable_time(values: pd.Series, column: str, source: str) -> pd.Series:
    """Dates stay dates, numbers stay numbers; text that all reads as dates becomes dates,
    other text (period labels such as 2013B, 2014J) is ordered as text."""
    if values.isna().any():
        first = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise TableError(f"{source}: time column {column!r} row {first + 1} is empty")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("int64") if (values % 1 == 0).all() else values.astype("float64")
    text = values.astype(str)
    dates = pd.to_datetime(text, errors="coerce", format="mixed")
    if dates.notna().all() and text.str.contains(r"\d{4}-\d{1,2}|\d{1,2}/\d{1,2}").all():
        return dates
    return text.astype(object)


def prepare(
    frame: pd.DataFrame,
    spec: ModelSpec,
    label: str,
    time_column: str | None = None,
    id_column: str | None = None,
    source: str = "the table",
) -> Prepared:
    """Check the label, time and id columns and choose the indicators the spec asks for."""
    frame = frame.reset_index(drop=True)
    y = _label(frame, label, source)
    frame = frame.assign(**{label: y})
    for name, role in ((time_column, "time"), (id_column, "id")):
        if name is not None and name not in frame.columns:
            raise TableError(f"{source} has no {role} column {name!r}")
    if time_column is not None:
        frame[time_column] = orderable_time(frame[time_column], time_column, source)
    if id_column is None and "student_id" in frame.columns:
        id_column = "student_id"

    not_indicators = {label, time_column, id_column, *ID_COLUMNS, *NEVER_INDICATORS}
    skipped: dict[str, str] = {}
    if spec.indicators == "all":
        wanted = [c for c in frame.columns if c not in not_indicators and c not in spec.exclude]
    else:
        missing = [c for c in spec.indicators if c not in frame.columns]
        if missing:
            raise TableError(
                f"{source} lacks indicators the spec lists: {', '.join(missing)} "
                "(remove them from `indicators` or add the columns)"
            )
        wanted = [c for c in spec.indicators if c not in spec.exclude]
        forbidden = [c for c in wanted if c in not_indicators]
        if forbidden:
            raise TableError(f"spec `indicators` names id/label columns: {', '.join(forbidden)}")

    features: list[str] = []
    categorical: dict[str, list[str]] = {}
    for name in wanted:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            skipped[name] = "a date, not an indicator"
            continue
        if series.isna().all():
            skipped[name] = "empty on every row"
            continue
        if _is_categorical(series) and not pd.api.types.is_bool_dtype(series.dtype):
            levels = _levels(series)
            if len(levels) > 200:
                skipped[name] = f"text with {len(levels)} distinct values (an id?)"
                continue
            categorical[name] = levels
        features.append(name)
    for name in spec.lightgbm.monotone:
        # A constraint on an indicator this spec leaves out is moot; a misspelt one is not.
        if name not in frame.columns:
            raise TableError(f"spec `lightgbm.monotone` names {name!r}, which is not a column")
        if name in categorical:
            raise TableError(f"spec `lightgbm.monotone` names categorical indicator {name!r}")
    if not features:
        raise TableError(f"{source} has no indicator columns besides the label and ids")
    return Prepared(frame, label, time_column, id_column, features, categorical, skipped)


def encode(
    frame: pd.DataFrame, features: list[str], categorical: dict[str, list[str]]
) -> np.ndarray:
    """The float matrix in `features` order; categories as their codes, gaps as NaN."""
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise TableError(f"the rows lack indicators the model needs: {', '.join(missing)}")
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        series = frame[name]
        if name in categorical:
            text = series.astype("string") if not _is_plain_string(series) else series
            codes = pd.Categorical(text, categories=categorical[name]).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        elif pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(
            series.dtype
        ):
            out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            # Objects from JSON or CSV: numbers, true/false, "true"/"false", gaps.
            if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
                series = series.replace({"true": 1, "false": 0, "True": 1, "False": 0})
            out[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
    return out


def _is_plain_string(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    )


def fingerprint(frame: pd.DataFrame) -> str:
    """A short content hash of a table: same rows and columns, same fingerprint."""
    digest = hashlib.sha256()
    digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]
