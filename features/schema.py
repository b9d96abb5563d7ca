"""Pandera schemas built from `features.contract`: every rule a row can break, by name.

`build_schema(table, context)` turns one contract table into a `pandera.DataFrameSchema`
over the validation frame (see `features.parse`). Column checks cover required
values, unreadable values, allowed codes, ranges and dates; frame checks cover
uniqueness of the contract key and consistency between columns. References to
other tables are column checks too: the context carries the ids the referenced
table kept, so the schema is rebuilt per run, in `ORDER`.

Why the check functions are hand-made rather than pandera's built-ins: the
attendance table has ~20M rows, and the built-ins work value by value on the
rows (a 20M-row `isin` on strings, a hash-based `duplicated` on a 20M-row key).
These work on categorical codes and sorted integer keys instead, so the whole
attendance schema runs in about a second. They are still declarative: each is
one named pandera `Check` returning a boolean Series (True = the row is fine),
`title` holding the column it reports, and `n_failure_cases=1` because the
validator reads the full boolean mask (`SchemaError.check_output`), not
pandera's list of failure cases, which would cost minutes when millions fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa

from features.contract import TEXT_DTYPE, Column, Table
from features.export import EARLIEST_DATE
from features.reconcile.ids import parse_ids

__all__ = ["EARLIEST_DATE", "build_schema", "describe", "output_schema"]
# Referenced tables come first so that the ids they keep are known when checking others.
ORDER = (
    "schools", "households", "students", "enrollments", "attendance", "grades", "dropouts",
    "residents",
    "visits",
)  # fmt: skip
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("students", "household_id"): ("households", "household_id"),
    ("enrollments", "school_id"): ("schools", "school_id"),
    ("enrollments", "student_id"): ("students", "student_id"),
    ("attendance", "student_id"): ("students", "student_id"),
    ("grades", "student_id"): ("students", "student_id"),
    ("dropouts", "student_id"): ("students", "student_id"),
    ("visits", "student_id"): ("students", "student_id"),
}
_KIND_WORDS = {
    "date": "a date (like 2023-09-01 or 2023/9/1)",
    "bool": "a yes/no value (true/false, 1/0, yes/no, 是/否)",
    "int": "a whole number",
    "float": "a number",
}
_VALIDATION_DTYPES: dict[str, object] = {
    "id": "category",
    "code": "category",
    "text": TEXT_DTYPE,
    "bool": "boolean",
    "int": "float64",
    "float": "float64",
    "date": "datetime64[ns]",
}
RULES: dict[str, str] = {
    "unparseable": "value cannot be read as the column's type",
    "missing_value": "required value is empty",
    "bad_code": "code not in the allowed list",
    "out_of_range": "number outside the allowed range",
    "date_before_1990": "date before 1990-01-01",
    "date_after_export": "date after the export date",
    "unknown_reference": "id not found in the referenced table",
    "duplicate_key": "repeats the key of an earlier row (the first is kept)",
    "returned_before_left": "returned_on is not after left_on",
    "implausible_age": "age at enrollment outside 3..25 (rows kept)",
    "bad_person_id": "not a valid resident id (GB 11643: 17 digits and a check character, "
    "or a 15-digit legacy number)",
    "person_id_disagrees": "the birth date or sex inside the id differs from the row's (kept)",
}
# Columns whose values are personal identifiers: never shown in a report or the quarantine.
HIDDEN_COLUMNS = frozenset({"person_id"})
# Rules that are reported but do not set rows aside.
WARNINGS = frozenset({"implausible_age", "person_id_disagrees"})
# Rules about one cell. On a column the row can live without (nullable: a returned_on, a
# distance) the cell is blanked and the row kept; on a key or required column the row is
# set aside. A returned_on after the export date is blanked: the child counts as still out.
CELL_RULES = frozenset(
    {"unparseable", "bad_code", "out_of_range", "date_before_1990", "date_after_export",
     "returned_before_left", "bad_person_id"}
)  # fmt: skip
AGE_RANGE = (3, 25)


@dataclass
class Context:
    """What the checks of one table need to know from outside it."""

    export_date: pd.Timestamp
    known_ids: dict[str, pd.Index | None] = field(default_factory=dict)
    """Ids each referenced table kept, by "table.column"; None skips the check."""
    unparseable: dict[str, np.ndarray] = field(default_factory=dict)
    birth_dates: pd.Series | None = None
    """Kept students' birth dates by student id, for the age-at-enrollment warning."""
    repeated_elsewhere: np.ndarray | None = None
    """Rows whose key an earlier piece of the table holds (found by a join on the cluster when
    the pieces are checked one by one): duplicates as if the pieces were one table."""


def describe(rule: str, table: Table, column: str | None, context: Context) -> str:
    """The reason shown for one rule on one column, in the report and the quarantine."""
    col = table.column(column) if column in table.column_names else None
    if rule == "unparseable" and col is not None:
        return f"not {_KIND_WORDS.get(col.kind, 'readable')}"
    if rule == "bad_code" and col is not None:
        return "not one of " + "/".join(col.codes or ())
    if rule == "out_of_range" and col is not None:
        return f"outside {col.min:g}..{col.max:g}"
    if rule == "date_before_1990" and col is not None and col.earliest:
        return f"date before {col.earliest}"
    if rule == "date_after_export":
        return f"after the export date {context.export_date:%Y-%m-%d}"
    if rule == "unknown_reference":
        target = REFERENCES.get((table.name, column or ""))
        if target is None:
            return RULES[rule]
        return f"not found among the usable rows of {target[0]} (absent, or set aside there)"
    if rule == "duplicate_key":
        return f"repeats ({', '.join(table.key)}) of an earlier row; the first is kept"
    return RULES[rule]


def build_schema(table: Table, context: Context) -> pa.DataFrameSchema:
    """The pandera schema of one table's validation frame."""
    columns = {
        col.name: pa.Column(
            _VALIDATION_DTYPES[col.kind],
            nullable=True,  # emptiness is the `missing_value` check, with a full mask
            required=col.required,
            checks=_column_checks(table, col, context),
        )
        for col in table.columns
    }
    frame_checks = [
        _check(
            "duplicate_key",
            "+".join(table.key),
            _unique_key(list(table.key), context.repeated_elsewhere),
        )
    ]
    if table.name == "dropouts":
        frame_checks.append(_check("returned_before_left", "returned_on", _returned_after_left))
    if {"person_id", "birth_date", "gender"} <= set(table.column_names):
        frame_checks.append(_check("person_id_disagrees", "person_id", _id_agrees))
    if table.name == "enrollments" and context.birth_dates is not None:
        frame_checks.append(_check("implausible_age", "student_id", _age_plausible(context)))
    return pa.DataFrameSchema(columns, checks=frame_checks, name=table.name, strict=False)


def _check(rule: str, column: str, fn: Callable[..., pd.Series]) -> pa.Check:
    return pa.Check(fn, name=rule, title=column, ignore_na=False, n_failure_cases=1)


def _column_checks(table: Table, col: Column, context: Context) -> list[pa.Check]:
    checks: list[pa.Check] = []
    bad = context.unparseable.get(col.name)
    if bad is not None:
        checks.append(
            _check("unparseable", col.name, lambda s, bad=bad: pd.Series(~bad, s.index, copy=False))
        )
    if not col.nullable:
        checks.append(_check("missing_value", col.name, _present(bad)))
    if col.kind == "code":
        codes = pd.Index(col.codes or (), dtype=object)
        checks.append(_check("bad_code", col.name, _in_categories(codes)))
    if col.min is not None or col.max is not None:
        checks.append(_check("out_of_range", col.name, _within(col.min, col.max)))
    if col.kind == "date":
        earliest = pd.Timestamp(col.earliest) if col.earliest else EARLIEST_DATE
        checks.append(_check("date_before_1990", col.name, _not_below(earliest)))
        checks.append(_check("date_after_export", col.name, _not_above(context.export_date)))
    if col.name == "person_id":
        checks.append(_check("bad_person_id", col.name, _valid_person_id))
    target = REFERENCES.get((table.name, col.name))
    known = context.known_ids.get(".".join(target)) if target else None
    if known is not None:
        checks.append(_check("unknown_reference", col.name, _in_categories(known)))
    return checks


def _present(unparseable: np.ndarray | None) -> Callable[[pd.Series], pd.Series]:
    def value_present(s: pd.Series) -> pd.Series | bool:
        if not s.hasnans:
            return True
        ok = s.notna().to_numpy(dtype=bool)
        if unparseable is not None:
            ok = ok | unparseable  # already reported as unreadable, with its raw text
        return pd.Series(ok, s.index, copy=False)

    return value_present


def _in_categories(allowed: pd.Index) -> Callable[[pd.Series], pd.Series]:
    """Membership on a categorical's distinct values, spread to rows by code."""

    def in_categories(s: pd.Series) -> pd.Series | bool:
        categories = pd.Index(s.cat.categories, dtype=object)
        fine = np.append(categories.isin(allowed), True)  # code -1: missing, not wrong
        if fine.all():
            return True
        return pd.Series(fine[np.asarray(s.array.codes)], s.index, copy=False)

    return in_categories


def _within(low: float | None, high: float | None) -> Callable[[pd.Series], pd.Series]:
    def within_range(s: pd.Series) -> pd.Series | bool:
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isnan(values).all():
            return True
        low_ok = low is None or np.nanmin(values) >= low
        if low_ok and (high is None or np.nanmax(values) <= high):
            return True
        outside = np.zeros(len(values), dtype=bool)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        return pd.Series(~outside, s.index, copy=False)

    return within_range


def _not_below(low: pd.Timestamp) -> Callable[[pd.Series], pd.Series | bool]:
    def not_before(s: pd.Series) -> pd.Series | bool:
        earliest = s.min()
        return True if pd.isna(earliest) or earliest >= low else ~(s < low)

    return not_before


def _not_above(high: pd.Timestamp) -> Callable[[pd.Series], pd.Series | bool]:
    def not_after(s: pd.Series) -> pd.Series | bool:
        latest = s.max()
        return True if pd.isna(latest) or latest <= high else ~(s > high)

    return not_after


def _age_plausible(context: Context) -> Callable[[pd.DataFrame], pd.Series | bool]:
    """Age on 1 September of the school year, from the student's birth date."""
    births = context.birth_dates

    def age_plausible(frame: pd.DataFrame) -> pd.Series | bool:
        ids = frame["student_id"]
        per_id = births.reindex(pd.Index(ids.cat.categories, dtype=object)).to_numpy()
        per_id = np.append(per_id.astype("datetime64[ns]"), np.datetime64("NaT"))
        born = pd.DatetimeIndex(per_id[np.asarray(ids.array.codes)])
        start = frame["school_year"].to_numpy(dtype=np.float64, na_value=np.nan)
        age = start - born.year - ((born.month - 1) / 12 + (born.day - 1) / 365) + 8 / 12
        age = np.asarray(age, dtype=np.float64)
        odd = (age < AGE_RANGE[0]) | (age > AGE_RANGE[1])  # NaN compares False: no opinion
        return True if not odd.any() else pd.Series(~odd, frame.index, copy=False)

    return age_plausible


def _valid_person_id(s: pd.Series) -> pd.Series | bool:
    if not s.notna().any():
        return True
    return pd.Series(parse_ids(s).problem == "", s.index, copy=False)


def _id_agrees(frame: pd.DataFrame) -> pd.Series | bool:
    """Birth date and sex inside a usable id against the row's own (either may be wrong)."""
    ids = frame["person_id"]
    if not ids.notna().any():
        return True
    parsed = parse_ids(ids)
    usable = parsed.normalized.notna().to_numpy()
    born = frame["birth_date"].to_numpy(dtype="datetime64[ns]")
    gender = frame["gender"].astype(object).to_numpy()
    other_day = usable & ~np.isnat(born) & (parsed.birth_date != born)
    female = gender == "F"
    other_sex = usable & pd.notna(gender) & np.isin(gender, ("F", "M")) & (parsed.female != female)
    odd = other_day | other_sex
    return True if not odd.any() else pd.Series(~odd, frame.index, copy=False)


def _returned_after_left(frame: pd.DataFrame) -> pd.Series:
    return ~(frame["returned_on"] <= frame["left_on"])


def _unique_key(
    key: list[str], elsewhere: np.ndarray | None = None
) -> Callable[[pd.DataFrame], pd.Series]:
    def key_unique(frame: pd.DataFrame) -> pd.Series | bool:
        codes, complete = key_codes(frame, key)
        if not complete.all():
            codes = codes[complete]
        repeated = duplicated_after_first(codes)
        other = elsewhere is not None and bool(elsewhere.any())
        if not repeated.any() and not other:
            return True
        fine = np.ones(len(frame), dtype=bool)
        fine[complete] = ~repeated
        if other:
            fine &= ~elsewhere
        return pd.Series(fine, frame.index, copy=False)

    return key_unique


def key_codes(frame: pd.DataFrame, key: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One integer per row for a multi-column key, and which rows have every part."""
    parts = [_column_codes(frame[name]) for name in key]
    complete = np.ones(len(frame), dtype=bool)
    for codes, _size in parts:
        if codes.min(initial=0) < 0:
            complete &= codes >= 0
    span = int(np.prod([max(size, 1) for _codes, size in parts], dtype=object))
    # 32-bit keys when they fit: half the memory and a faster sort on 20M rows.
    dtype = np.int32 if span < 2**31 else np.int64
    combined: np.ndarray | None = None
    span = 1
    for codes, size in parts:
        size = max(size, 1)
        part = np.maximum(codes, 0) if codes.min(initial=0) < 0 else codes
        if combined is None:
            combined = part.astype(dtype)  # a copy: the codes belong to the frame
        else:
            if span * size >= 2**62:
                # Re-number the key so far before it could overflow.
                combined, uniques = pd.factorize(combined)
                span = len(uniques)
            combined *= size
            combined += part.astype(combined.dtype, copy=False)
        span *= size
    if combined is None:
        combined = np.zeros(len(frame), dtype=dtype)
    return combined, complete


def _column_codes(s: pd.Series) -> tuple[np.ndarray, int]:
    """Small non-negative integers standing for a column's values; -1 where missing."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return np.asarray(s.array.codes), len(s.cat.categories)
    if pd.api.types.is_datetime64_dtype(s.dtype):
        stamps = s.to_numpy(dtype="datetime64[ns]")
        valid = ~np.isnat(stamps)
        if not valid.any():
            return np.full(len(s), -1, dtype=np.int32), 0
        days = stamps.view(np.int64) // (86_400 * 10**9)
        every = bool(valid.all())  # the usual case: no copy for the min and max
        low = days.min() if every else days[valid].min()
        high = days.max() if every else days[valid].max()
        days -= low
        days = days.astype(np.int32)  # dates span well under 2**31 days
        if not every:
            days[~valid] = -1
        return days, int(high - low + 1)
    codes, uniques = pd.factorize(s)
    return codes, len(uniques)


def duplicated_after_first(key: np.ndarray) -> np.ndarray:
    """Like `duplicated(keep="first")`, but sorts (vectorised) before hashing only the repeats."""
    if len(key) < 2:
        return np.zeros(len(key), dtype=bool)
    ordered = np.sort(key)
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    if len(repeats) == 0:
        return np.zeros(len(key), dtype=bool)
    involved = np.isin(key, np.unique(repeats))
    out = np.zeros(len(key), dtype=bool)
    out[involved] = pd.Series(key[involved]).duplicated(keep="first").to_numpy()
    return out


def output_schema(table: Table) -> pa.DataFrameSchema:
    """The contract's in-memory types, checked (cheaply) on the tables the loader hands out."""
    return pa.DataFrameSchema(
        {c.name: pa.Column(c.dtype, nullable=c.nullable) for c in table.columns},
        name=table.name,
        strict=True,
        ordered=True,
    )
