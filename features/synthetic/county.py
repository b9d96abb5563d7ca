"""Generate a whole synthetic county, year by year, and write it in the data contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from features.contract import DISABILITIES, DROPOUT_REASONS, GUARDIANS, TABLE_NAMES
from features.errors import UserError

from .calendar import school_calendar
from .enrollments import initial_population
from .geography import COUNTY, LEVEL_NAMES, County, build_county
from .grades import SUBJECTS
from .households import Households, build_households
from .students import Students, build_students, children_per_household
from .summary import GenerationSummary
from .writer import Format, StreamWriter, write_table
from .yearly import Records, simulate_year

Progress = Callable[[str, float], None]


def _rng_factory(seed: int, *prefix: int) -> Callable[..., np.random.Generator]:
    """Independent streams per purpose, so one change does not reshuffle everything else."""

    def make(*keys: int) -> np.random.Generator:
        return np.random.default_rng([seed, *prefix, *keys])

    return make


def _concat(parts: list[dict[str, np.ndarray]], key: str) -> np.ndarray:
    return np.concatenate([p[key] for p in parts]) if parts else np.zeros(0)


def _codes(names: tuple[str, ...] | list[str], codes: np.ndarray) -> pa.Array:
    return pa.array(np.array(names, dtype=object)[codes.astype(np.int64)])


def generate_county(
    out_dir: Path,
    students: int = 5000,
    years: int = 3,
    seed: int = 0,
    fmt: Format = "csv",
    start_year: int = 2022,
    progress: Progress | None = None,
) -> GenerationSummary:
    """Write a synthetic county of `students` children over `years` school years to `out_dir`.

    `students` counts every child in the data: those in grades 1-9 in `start_year` and
    those who start grade 1 later. The same arguments give byte-identical files.
    """
    if students < 1:
        raise UserError(f"--students must be at least 1, got {students}")
    if seed < 0:
        raise UserError(f"--seed must be zero or more, got {seed}")
    if not 1 <= years <= 12:
        raise UserError(f"--years must be between 1 and 12, got {years}")
    if fmt not in ("csv", "parquet"):
        raise UserError(f"--format must be csv or parquet, got {fmt!r}")
    if not 1990 <= start_year <= 2090:
        raise UserError(f"--start-year must be between 1990 and 2090, got {start_year}")
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    other = "parquet" if fmt == "csv" else "csv"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in TABLE_NAMES:  # a stale table of the other format would be read instead
            (out_dir / f"{name}.{other}").unlink(missing_ok=True)
    except OSError as exc:
        raise UserError(f"cannot write the county to {out_dir}: {exc.strerror or exc}") from exc

    rng = _rng_factory(seed)
    report("Laying out the county", 0.0)
    county = build_county(rng(1), students)
    household, entry = children_per_household(
        rng(2), students, start_year - 8, start_year + years - 1
    )
    used, household = np.unique(household, return_inverse=True)
    hh = build_households(rng(3), county, len(used), start_year)
    st = build_students(rng(4), hh, household, entry)
    pop = initial_population(rng(5), hh, st, start_year)
    records = Records()
    data_end = school_calendar(start_year + years - 1).last_day

    with StreamWriter(out_dir, "attendance", fmt) as attendance_out:
        for k in range(years):
            year = start_year + k
            label = f"School year {year}-{year + 1}"

            def step(fraction: float, k: int = k, label: str = label) -> None:
                report(label, 0.02 + 0.9 * (k + fraction) / years)

            simulate_year(
                _rng_factory(seed, 100, year),
                year,
                county,
                hh,
                st,
                pop,
                records,
                attendance_out,
                data_end,
                step,
            )
    report("Writing tables", 0.93)
    rows = _write_tables(out_dir, fmt, county, hh, st, records)
    rows["attendance"] = attendance_out.rows
    report("Done", 1.0)

    levels = {name: int((county.school_level == i).sum()) for i, name in enumerate(LEVEL_NAMES)}
    returned = sum(int((~np.isnat(p["returned_on"])).sum()) for p in records.dropouts)
    returned += sum(len(idx) for idx, _ in records.late_returns)
    return GenerationSummary(
        out_dir=out_dir,
        fmt=fmt,
        seed=seed,
        county=COUNTY,
        townships=len(county.township_names),
        schools_by_level=levels,
        students=st.n,
        rows={name: rows[name] for name in TABLE_NAMES},
        enrolled=records.enrolled,
        dropouts=records.left,
        returned=returned,
        graduates=records.graduates,
    )


def _write_tables(
    out_dir: Path, fmt: Format, county: County, hh: Households, st: Students, records: Records
) -> dict[str, int]:
    """Write every table but attendance (already streamed); returns rows per table."""
    rows: dict[str, int] = {}
    town = county.school_township
    rows["schools"] = write_table(
        out_dir,
        "schools",
        {
            "school_id": pa.array(county.school_id),
            "name": pa.array(county.school_name),
            "county": pa.array([COUNTY] * county.n_schools),
            "township": pa.array([county.township_names[t] for t in town]),
            "level": _codes(LEVEL_NAMES, county.school_level),
            "rural": pa.array(county.school_rural),
            "boarding": pa.array(county.school_boarding),
        },
        fmt,
    )
    rows["students"] = write_table(
        out_dir,
        "students",
        {
            "student_id": pa.array(st.student_id),
            "household_id": pa.array(hh.household_id[st.household]),
            "gender": pa.array(np.where(st.female, "F", "M")),
            "birth_date": pa.array(st.birth_date),
            "ethnic_minority": pa.array(st.minority),
            "disability": _codes(DISABILITIES, st.disability),
            "name": pa.array(st.name, mask=st.name == ""),
        },
        fmt,
    )

    # Household records: the first one before school starts, then one per change.
    idx = np.concatenate([r[0] for r in hh.records])
    dates = np.concatenate([r[1] for r in hh.records])
    fields = {
        name: np.concatenate([getattr(r[2], name)[r[0]] for r in hh.records])
        for name in ("poor", "allowance", "father_migrant", "mother_migrant")
    }
    guardian = np.concatenate([r[2].guardian()[r[0]] for r in hh.records])
    order = np.lexsort((dates, idx))
    rows["households"] = write_table(
        out_dir,
        "households",
        {
            "household_id": pa.array(hh.household_id[idx[order]]),
            "recorded_on": pa.array(dates[order]),
            "registered_poor": pa.array(fields["poor"][order]),
            "low_income_allowance": pa.array(fields["allowance"][order]),
            "father_migrant": pa.array(fields["father_migrant"][order]),
            "mother_migrant": pa.array(fields["mother_migrant"][order]),
            "guardian": _codes(GUARDIANS, guardian[order]),
        },
        fmt,
    )

    e = records.enrollments
    km = _concat(e, "km")
    rows["enrollments"] = write_table(
        out_dir,
        "enrollments",
        {
            "student_id": pa.array(st.student_id[_concat(e, "student").astype(np.int64)]),
            "school_year": pa.array(_concat(e, "year").astype(np.int16)),
            "school_id": pa.array(np.array(county.school_id)[_concat(e, "school").astype(int)]),
            "grade": pa.array(_concat(e, "grade").astype(np.int16)),
            "boarding": pa.array(_concat(e, "boarding").astype(bool)),
            "distance_km": pa.array(km, mask=np.isnan(km)),
        },
        fmt,
    )

    g = records.grades
    rows["grades"] = write_table(
        out_dir,
        "grades",
        {
            "student_id": pa.array(st.student_id[_concat(g, "student").astype(np.int64)]),
            "school_year": pa.array(_concat(g, "year").astype(np.int16)),
            "term": pa.array(_concat(g, "term").astype(np.int16)),
            "subject": _codes(SUBJECTS, _concat(g, "subject")),
            "score": pa.array(_concat(g, "score").astype(float)),
            "exam_date": pa.array(_concat(g, "exam_date").astype("datetime64[D]")),
        },
        fmt,
    )

    d = records.dropouts
    returned_on = (
        np.concatenate([p["returned_on"] for p in d]) if d else np.zeros(0, dtype="datetime64[D]")
    )
    for numbers, dates_back in records.late_returns:
        returned_on[numbers] = dates_back
    rows["dropouts"] = write_table(
        out_dir,
        "dropouts",
        {
            "student_id": pa.array(st.student_id[_concat(d, "student").astype(np.int64)]),
            "left_on": pa.array(_concat(d, "left_on").astype("datetime64[D]")),
            "reason": _codes(DROPOUT_REASONS, _concat(d, "reason")),
            "returned_on": pa.array(returned_on.astype("datetime64[D]")),
        },
        fmt,
    )
    return rows
