"""Generate a whole synthetic county, year by year, and write it in the data contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from features.contract import DISABILITIES, DROPOUT_REASONS, GUARDIANS, TABLE_NAMES
from features.errors import UserError

from .calendar import CALENDARS, school_calendar
from .contacts import household_contacts
from .enrollments import initial_population
from .geography import COUNTY, LEVEL_NAMES, County, build_county
from .grades import SUBJECTS
from .households import Households, build_households
from .plan import CalendarPlan, plan_for, write_export_file
from .register_files import remove_register, write_register
from .residents import build_register
from .students import Students, build_students, children_per_household
from .summary import GenerationSummary
from .visits import VisitSim, write_visits
from .writer import STUDENTS_WITH_PERSON_ID, Format, StreamWriter, write_table
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
    calendar: str = "standard",
    export_date: str | None = None,
    residents: bool = True,
    visit_effect: float | None = None,
    truth_dir: Path | None = None,
) -> GenerationSummary:
    """Write a synthetic county of `students` children over `years` school years to `out_dir`.

    `students` counts every child in the data: those in grades 1-9 in `start_year` and
    those who start grade 1 later. The same arguments give byte-identical files.
    `calendar="varied"` gives the county's schools different winter breaks; `export_date`
    (YYYY-MM-DD) cuts every record after it and writes `export.json`, as a county exporting
    on that day would (a date in the winter break: the spring term starts after it).
    `residents` writes the household register and `students.person_id` (`residents.py`), and
    what is true about them under `truth/`, which the pipeline never reads.
    `visit_effect` (0..1) simulates home visits that cut the chance of leaving by that share
    (`features.synthetic.visits`): `visits.<fmt>` in the county, the truth in `truth_dir`
    (default `out_dir/truth`), which the pipeline never reads. Without it nothing changes.
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
    if visit_effect is not None and not 0.0 <= visit_effect <= 1.0:
        raise UserError(f"--visit-effect must be between 0 and 1, got {visit_effect}")
    if calendar not in CALENDARS:
        raise UserError(f"--calendar must be one of {', '.join(CALENDARS)}, got {calendar!r}")
    data_end = school_calendar(start_year + years - 1).last_day
    cut = _export_date(export_date, start_year, data_end)
    report = progress or (lambda stage, fraction: None)
    out_dir = Path(out_dir)
    other = "parquet" if fmt == "csv" else "csv"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in TABLE_NAMES:  # a stale table of the other format would be read instead
            (out_dir / f"{name}.{other}").unlink(missing_ok=True)
        remove_register(out_dir)
        for ext in ("csv", "parquet"):  # visits only when asked for
            (out_dir / f"visits.{ext}").unlink(missing_ok=True)
        (out_dir / "export.json").unlink(missing_ok=True)
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
    sim = None if visit_effect is None else VisitSim(float(visit_effect), st.n)
    plan = plan_for(calendar, county.n_schools, cut)
    if cut is not None:
        data_end = min(data_end, cut)  # a return after the export is not in it

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
                plan,
                sim,
            )
    report("Writing tables", 0.93)
    contacts = household_contacts(rng(40), county, hh.township)
    register = build_register(rng(6), county, hh, st, start_year, years) if residents else None
    person_id = None if register is None else register.student_person_id
    rows = _write_tables(out_dir, fmt, county, hh, st, records, plan, contacts, person_id)
    if register is not None:
        try:
            rows["residents"] = write_register(out_dir, fmt, register)
        except OSError as exc:
            raise UserError(f"cannot write the register to {out_dir}: {exc.strerror}") from exc
    rows["attendance"] = attendance_out.rows
    if sim is not None:
        school_of = np.asarray(county.school_id, dtype=object)[pop.school]
        truth = Path(truth_dir) if truth_dir is not None else out_dir / "truth"
        rows["visits"] = write_visits(out_dir, truth, sim, st.student_id, school_of, fmt, cut)
    if cut is not None:
        try:
            write_export_file(out_dir, cut)
        except OSError as exc:
            raise UserError(f"cannot write export.json to {out_dir}: {exc.strerror}") from exc
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
        rows={name: rows[name] for name in (*TABLE_NAMES, "residents", "visits") if name in rows},
        enrolled=records.enrolled,
        dropouts=records.left,
        returned=returned,
        graduates=records.graduates,
        calendar=calendar,
        export_date=None if cut is None else str(cut),
    )


def _export_date(
    value: str | None, start_year: int, data_end: np.datetime64
) -> np.datetime64 | None:
    if value is None:
        return None
    try:
        date = np.datetime64(str(value).strip(), "D")
    except ValueError as exc:
        raise UserError(f"--export-date must be a date YYYY-MM-DD, got {value!r}") from exc
    first = np.datetime64(f"{start_year}-09-01", "D")
    if not first <= date <= data_end:
        raise UserError(f"--export-date must be between {first} and {data_end}, got {date}")
    return date


def _school_year(day: np.datetime64) -> int:
    year, month = (int(p) for p in str(np.datetime64(day, "D")).split("-")[:2])
    return year if month >= 9 else year - 1


def _write_tables(
    out_dir: Path,
    fmt: Format,
    county: County,
    hh: Households,
    st: Students,
    records: Records,
    plan: CalendarPlan,
    contacts: dict[str, np.ndarray],
    person_id: np.ndarray | None = None,
) -> dict[str, int]:
    """Write every table but attendance (already streamed); returns rows per table.

    With an export date, records dated after it are left out and a return after it is
    left empty: the export does not know it yet.
    """
    cut = plan.export_date

    def upto(dates: np.ndarray) -> np.ndarray:
        return np.ones(len(dates), dtype=bool) if cut is None else dates <= cut

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
            **({} if person_id is None else {"person_id": pa.array(person_id, pa.string())}),
        },
        fmt,
        schema=None if person_id is None else STUDENTS_WITH_PERSON_ID,
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
    order = order[upto(dates[order])]
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
            **{k: pa.array(v[idx[order]]) for k, v in contacts.items()},
        },
        fmt,
    )

    e = records.enrollments
    year = _concat(e, "year").astype(np.int16)
    # School year Y starts in September of Y: none that starts after the export.
    on = np.ones(len(year), bool) if cut is None else year <= _school_year(cut)
    km = _concat(e, "km")[on]
    rows["enrollments"] = write_table(
        out_dir,
        "enrollments",
        {
            "student_id": pa.array(st.student_id[_concat(e, "student").astype(np.int64)][on]),
            "school_year": pa.array(year[on]),
            "school_id": pa.array(np.array(county.school_id)[_concat(e, "school").astype(int)][on]),
            "grade": pa.array(_concat(e, "grade").astype(np.int16)[on]),
            "boarding": pa.array(_concat(e, "boarding").astype(bool)[on]),
            "distance_km": pa.array(km, mask=np.isnan(km)),
        },
        fmt,
    )

    g = records.grades
    exam_date = _concat(g, "exam_date").astype("datetime64[D]")
    sat = upto(exam_date)
    rows["grades"] = write_table(
        out_dir,
        "grades",
        {
            "student_id": pa.array(st.student_id[_concat(g, "student").astype(np.int64)][sat]),
            "school_year": pa.array(_concat(g, "year").astype(np.int16)[sat]),
            "term": pa.array(_concat(g, "term").astype(np.int16)[sat]),
            "subject": _codes(SUBJECTS, _concat(g, "subject")[sat]),
            "score": pa.array(_concat(g, "score").astype(float)[sat]),
            "exam_date": pa.array(exam_date[sat]),
        },
        fmt,
    )

    d = records.dropouts
    returned_on = (
        np.concatenate([p["returned_on"] for p in d]) if d else np.zeros(0, dtype="datetime64[D]")
    )
    for numbers, dates_back in records.late_returns:
        returned_on[numbers] = dates_back
    returned_on = returned_on.astype("datetime64[D]")
    left_on = _concat(d, "left_on").astype("datetime64[D]")
    known = upto(left_on)
    if cut is not None:
        returned_on[returned_on > cut] = np.datetime64("NaT")
    rows["dropouts"] = write_table(
        out_dir,
        "dropouts",
        {
            "student_id": pa.array(st.student_id[_concat(d, "student").astype(np.int64)][known]),
            "left_on": pa.array(left_on[known]),
            "reason": _codes(DROPOUT_REASONS, _concat(d, "reason")[known]),
            "returned_on": pa.array(returned_on[known]),
        },
        fmt,
    )
    return rows
