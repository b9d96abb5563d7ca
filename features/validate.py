"""Validate a data folder against the contract; hand back typed tables and a report.

The steps, per table: find the file (`features.io`), read it as written, check the
header, type the columns (`features.parse`), run the table's pandera schema
(`features.schema`), set aside the rows that broke a rule, and cast what is kept
to the contract's dtypes. Tables are checked in `schema.ORDER`, so a reference
check sees only the ids the referenced table kept: a student set aside for a bad
code takes its enrollments and attendance with it, each row with its own reason.

Design decisions:
- The export date (`features.export`) comes first: export.json, else the latest date in
  any table. Every record dated on or before it is valid.
- Set aside the smallest unit. A doubtful cell the row can live without (a nullable
  column: a returned_on after the export date, an impossible distance) is blanked and
  the row kept; a row is set aside only when its key or a required value is unusable
  (`schema.CELL_RULES`). Both decisions go to the quarantine (`features.quarantine`),
  one line per set-aside row and per blanked cell.
- Every row-level rule is a named pandera `Check`; the validator reads each
  check's full boolean output rather than pandera's failure-case list (see
  `features.schema` for why: speed on 20M rows, and exact masks for setting rows
  aside). Cross-table rules (references) are pandera checks over the kept ids.
- What cannot be set aside is fatal: a missing or ambiguous file, a missing
  column, an unreadable file, an empty file, a bad export.json, and
  schools/students/enrollments with no usable rows.
- Nothing here lets an exception escape for bad data: anything unexpected while
  reading or checking a table becomes a fatal `Problem` naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors as pa_errors
import pandera.pandas as pa
import pyarrow as pa_arrow

from features.contract import (
    ALL_TABLES,
    ID_DTYPE,
    OPTIONAL,
    TABLE_NAMES,
    Table,
    Tables,
    date_columns,
)
from features.errors import DataError
from features.export import EXPORT_FILE, ExportDate, export_date, read_export_file
from features.io import FileProblem, RawTable, clean_text, find_table_files, read_table_file
from features.parse import ColumnError, ParsedTable, parse_table
from features.quarantine import (
    BLANKED,
    SET_ASIDE,
    decision_lines,
    malformed_lines,
    write_quarantine,
)
from features.reconcile.ids import normalize_ids
from features.schema import (
    CELL_RULES,
    HIDDEN_COLUMNS,
    ORDER,
    REFERENCES,
    WARNINGS,
    Context,
    build_schema,
    describe,
    output_schema,
)

EXAMPLES = 5
REQUIRED_ROWS = ("schools", "students", "enrollments")


@dataclass
class Problem:
    """One rule broken in one table (and column), with how often and the first examples."""

    table: str
    file: Path | None
    rule: str
    column: str | None
    count: int
    examples: list[tuple[int, str]]
    """(spreadsheet row: the header is row 1, the first data row 2; value or message)."""
    fatal: bool
    message: str = ""
    set_aside: bool = False
    """True when the rows counted here were removed (and are in the quarantine)."""
    blanked: bool = False
    """True when the cells counted here were emptied, their rows kept (and in the quarantine)."""

    @property
    def decision(self) -> str:
        if self.fatal:
            return "fatal"
        return SET_ASIDE if self.set_aside else BLANKED if self.blanked else "warning"


@dataclass
class ValidationReport:
    """What `validate_folder` found, and the tables when the folder is usable."""

    data_dir: Path
    tables: Tables | None
    problems: list[Problem]
    set_aside: int
    """Rows left out (one quarantine line each)."""
    quarantine_path: Path | None
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_kept: dict[str, int] = field(default_factory=dict)
    rows_blanked: dict[str, int] = field(default_factory=dict)
    """Rows kept with at least one blanked cell, per table."""
    cells_blanked: int = 0
    export: ExportDate | None = None

    @property
    def export_date(self) -> pd.Timestamp | None:
        return None if self.export is None else self.export.date

    @property
    def blanked(self) -> int:
        """Rows kept with at least one blanked cell."""
        return sum(self.rows_blanked.values())

    @property
    def usable(self) -> bool:
        return not any(p.fatal for p in self.problems)

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass
class Checked:
    """One table after its checks: the kept rows and the decisions for the quarantine."""

    kept: pd.DataFrame
    problems: list[Problem]
    quarantine: list[pd.DataFrame]
    rows_in: int
    set_aside: int
    rows_blanked: int
    cells_blanked: int


def validate_folder(
    data_dir: Path,
    quarantine_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationReport:
    """Check every table of `data_dir`; raise DataError only when the folder does not exist."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: no such data folder")
    say = progress or (lambda _message: None)
    problems: list[Problem] = []
    try:
        declared = read_export_file(data_dir)
    except DataError as exc:
        declared = None
        problems.append(
            Problem("export", data_dir / EXPORT_FILE, "bad_export_file", None, 0, [], True,
                    str(exc).split(": ", 1)[-1])
        )  # fmt: skip
    raws: dict[str, RawTable] = {}
    parsed: dict[str, ParsedTable] = {}
    for name in (*TABLE_NAMES, *OPTIONAL):
        if name in OPTIONAL and not find_table_files(data_dir, name):
            continue  # an optional table may be absent
        say(f"reading {name}")
        raw = _read(data_dir, name, problems)
        if raw is None:
            continue
        raws[name] = raw
        result = parse_raw(raw, problems)
        if result is not None:
            parsed[name] = result

    export = export_date(declared, date_columns((n, p.frame) for n, p in parsed.items()))
    context = Context(export_date=export.date)
    checked: dict[str, Checked] = {}
    for name in ORDER:
        if name not in parsed:
            continue
        say(f"checking {name}")
        context.unparseable = parsed[name].unparseable
        context.birth_dates = kept_birth_dates(checked.get("students"))
        try:
            result = check_rows(raws[name], parsed[name], context)
        except Exception as exc:  # a bug or a case nobody foresaw: still no traceback
            message = f"checking failed: {clean_text(exc)}"
            problems.append(fatal_problem(raws[name], "check_failed", None, message))
            continue
        checked[name] = result
        for target, column in set(REFERENCES.values()):
            if target == name:  # ids later tables may point at; a missing table: no check
                context.known_ids[f"{target}.{column}"] = kept_ids(result, column)
        problems.extend(result.problems)
        problems.extend(emptiness(name, raws[name].path, len(result.kept), result.rows_in))
        # The raw text has given its examples and quarantine rows: free it (GBs for 40M rows).
        raws[name].data = raws[name].data.schema.empty_table()
        del parsed[name]

    quarantine = [part for c in checked.values() for part in c.quarantine]
    report = ValidationReport(
        data_dir=data_dir,
        tables=None,
        problems=problems,
        set_aside=sum(c.set_aside for c in checked.values()),
        quarantine_path=write_quarantine(data_dir, quarantine_dir, quarantine)
        if quarantine
        else None,
        rows_in={n: c.rows_in for n, c in checked.items()},
        rows_kept={n: len(c.kept) for n, c in checked.items()},
        rows_blanked={n: c.rows_blanked for n, c in checked.items()},
        cells_blanked=sum(c.cells_blanked for c in checked.values()),
        export=export,
    )
    if report.usable:
        say("typing tables")
        report.tables = _to_tables(checked, raws, problems, export.date)
    return report


def load_tables(data_dir: Path, quarantine_dir: Path | None = None) -> Tables:
    """The validated tables of `data_dir`; raise DataError naming the problems when unusable."""
    report = validate_folder(data_dir, quarantine_dir)
    if report.tables is None:
        fatal = [p for p in report.problems if p.fatal]
        lines = [f"{p.file or p.table}: {p.rule} {p.column or ''} {p.message}" for p in fatal]
        raise DataError(f"{data_dir} cannot be used:\n  " + "\n  ".join(lines))
    return report.tables


# --- reading -------------------------------------------------------------------------------


def _read(data_dir: Path, name: str, problems: list[Problem]) -> RawTable | None:
    path = locate(data_dir, name, problems)
    return None if path is None else read_raw(path, name, problems)


def locate(data_dir: Path, name: str, problems: list[Problem]) -> Path | None:
    """The one file (or folder of pieces) holding table `name`; None, with the problem, else."""
    files = find_table_files(data_dir, name)
    if not files:
        problems.append(
            Problem(name, data_dir / f"{name}.csv", "missing_file", None, 0, [], True,
                    f"no {name}.csv or {name}.parquet in {data_dir}")
        )  # fmt: skip
        return None
    if len(files) > 1:
        problems.append(
            Problem(name, files[0], "ambiguous_file", None, 0, [], True,
                    f"both {files[0].name} and {files[1].name} exist; keep only one")
        )  # fmt: skip
        return None
    return files[0]


def read_raw(
    path: Path, name: str, problems: list[Problem], pieces: list[Path] | None = None
) -> RawTable | None:
    """Read a table's file (or these `pieces` of its folder) and check its header; None,
    with the problems, when it cannot be used."""
    try:
        raw = read_table_file(path, name, pieces)
    except FileProblem as exc:
        problems.append(Problem(name, exc.path, exc.rule, None, 0, [], True, exc.message))
        return None
    except Exception as exc:  # anything else the readers raise is still "cannot read"
        message = f"cannot read: {clean_text(exc)}"
        problems.append(Problem(name, path, "unreadable_file", None, 0, [], True, message))
        return None
    header = raw.data.column_names
    table = ALL_TABLES[name]
    missing = [c for c in table.required_columns if c not in header]
    doubled = sorted({c for c in header if c in table.column_names and header.count(c) > 1})
    for column in missing:
        problems.append(
            fatal_problem(
                raw, "missing_column", column, f"required column {column!r} is not in the header"
            )
        )
    for column in doubled:
        problems.append(fatal_problem(raw, "duplicate_column", column, "the header names it twice"))
    return None if missing or doubled else raw


def parse_raw(raw: RawTable, problems: list[Problem]) -> ParsedTable | None:
    try:
        return parse_table(raw.data, ALL_TABLES[raw.name])
    except ColumnError as exc:
        problems.append(fatal_problem(raw, "unreadable_column", exc.column, str(exc)))
    except Exception as exc:
        problems.append(
            fatal_problem(raw, "unreadable_file", None, f"cannot read: {clean_text(exc)}")
        )
    return None


def fatal_problem(raw: RawTable, rule: str, column: str | None, message: str) -> Problem:
    return Problem(raw.name, raw.path, rule, column, 0, [], True, message)


def kept_ids(checked: Checked | None, column: str) -> pd.Index | None:
    """The ids a checked table kept; None (no check) when it is missing or header-only."""
    if checked is None or checked.rows_in == 0:
        return None
    ids = checked.kept[column]
    codes = np.asarray(ids.array.codes)
    return pd.Index(np.asarray(ids.cat.categories, dtype=object)[np.unique(codes[codes >= 0])])


def kept_birth_dates(students: Checked | None) -> pd.Series | None:
    if students is None or students.kept.empty:
        return None
    kept = students.kept
    ids = pd.Index(np.asarray(kept["student_id"].astype(object)), dtype=object)
    return pd.Series(kept["birth_date"].to_numpy(), index=ids)


# --- checking ------------------------------------------------------------------------------


def check_rows(raw: RawTable, parsed: ParsedTable, context: Context) -> Checked:
    table = ALL_TABLES[raw.name]
    frame = parsed.frame
    failures: list[tuple[str, str | None, np.ndarray]] = []
    problems: list[Problem] = []
    try:
        build_schema(table, context).validate(frame, lazy=True, inplace=True)
    except pa_errors.SchemaErrors as exc:
        for error in exc.schema_errors:
            check = error.check
            if isinstance(check, pa.Check) and error.check_output is not None:
                mask = ~np.asarray(error.check_output, dtype=bool)
                failures.append((str(check.name), check.title, mask))
            else:
                # A dtype mismatch or a check that raised: a loader bug, never bad data.
                column = getattr(error.schema, "name", None)
                message = clean_text(str(error), 300)
                rule = "wrong_type" if "dtype" in str(check) else "check_failed"
                problems.append(fatal_problem(raw, rule, column, message))

    rows = raw.row_numbers
    decisions = [_decision(table, rule, column) for rule, column, _ in failures]
    first_rule = np.full(len(frame), -1, dtype=np.int64)
    for i in reversed(range(len(failures))):
        if decisions[i] == SET_ASIDE:
            first_rule[failures[i][2]] = i
    set_aside = first_rule >= 0
    # Per blanked column, the first rule that blanked each cell of a kept row (-1: none).
    blanked: dict[str, np.ndarray] = {}
    for i, (_rule, column, mask) in enumerate(failures):
        if decisions[i] == BLANKED and column is not None:
            at = blanked.setdefault(column, np.full(len(frame), -1, dtype=np.int64))
            at[mask & ~set_aside & (at < 0)] = i
    for column, at in blanked.items():
        frame[column] = frame[column].where(at < 0)

    for (rule, column, mask), decision in zip(failures, decisions, strict=True):
        count = int(mask.sum())
        if count:
            problems.append(
                Problem(table.name, raw.path, rule, column, count,
                        _examples(raw, table, rule, column, mask, rows), False,
                        describe(rule, table, column, context),
                        set_aside=decision == SET_ASIDE, blanked=decision == BLANKED)
            )  # fmt: skip
    if raw.malformed:
        problems.append(_malformed_problem(raw))

    def lines(which: np.ndarray, decision: str) -> list[pd.DataFrame]:
        out = []
        for i in np.unique(which[which >= 0]):
            rule, column, _ = failures[i]
            reason = f"{column}: {describe(rule, table, column, context)}"
            if decision == BLANKED:
                reason += " (blanked, row kept)"
            positions = np.flatnonzero(which == i)
            out.append(decision_lines(raw, positions, rows, column, rule, decision, reason))
        return out

    quarantine = lines(first_rule, SET_ASIDE)
    for at in blanked.values():
        quarantine += lines(at, BLANKED)
    if raw.malformed:
        quarantine.append(malformed_lines(raw))
    any_blank = np.zeros(len(frame), dtype=bool)
    for at in blanked.values():
        any_blank |= at >= 0
    kept = frame.loc[~set_aside] if set_aside.any() else frame
    return Checked(
        kept=kept,
        problems=problems,
        quarantine=quarantine,
        rows_in=len(frame) + len(raw.malformed),
        set_aside=int(set_aside.sum()) + len(raw.malformed),
        rows_blanked=int(any_blank.sum()),
        cells_blanked=int(sum((at >= 0).sum() for at in blanked.values())),
    )


def _decision(table: Table, rule: str, column: str | None) -> str:
    """What a broken rule does: warn, blank the cell, or set the row aside."""
    if rule in WARNINGS:
        return "warning"
    if rule in CELL_RULES and column in table.column_names and table.column(column).nullable:
        return BLANKED
    return SET_ASIDE


def _examples(
    raw: RawTable,
    table: Table,
    rule: str,
    column: str | None,
    mask: np.ndarray,
    rows: np.ndarray,
) -> list[tuple[int, str]]:
    """The first few failing rows, with the raw text of the columns the rule is about."""
    positions = np.flatnonzero(mask)[:EXAMPLES]
    if rule == "duplicate_key":
        shown = list(table.key)
    elif rule == "returned_before_left":
        shown = ["left_on", "returned_on"]
    elif rule == "implausible_age":
        shown = ["student_id", "school_year"]
    elif rule == "person_id_disagrees":
        shown = ["person_id", "birth_date", "gender"]
    else:
        shown = [column] if column else []
    out = []
    # A folder of pieces: say which piece the row is in (rows count from 2 in each piece).
    files = raw.files_at(positions) if raw.pieces else None
    for i, pos in enumerate(positions):
        values = [
            f"{c}={_raw_value(raw, c, int(pos))!r}" for c in shown if c in raw.data.column_names
        ]
        where = "" if files is None else f"{Path(files[i]).name}: "
        out.append((int(rows[pos]), where + ", ".join(values)))
    return out


def _raw_value(raw: RawTable, column: str, position: int) -> object:
    if column in HIDDEN_COLUMNS:
        return "(hidden)"
    value = raw.data.column(column)[position].as_py()
    return value.isoformat() if hasattr(value, "isoformat") else value


def _malformed_problem(raw: RawTable) -> Problem:
    examples = [
        (m.row or 0, f"{m.actual} fields where the header has {m.expected}: {m.text[:60]!r}")
        for m in raw.malformed[:EXAMPLES]
    ]
    return Problem(raw.name, raw.path, "malformed_row", None, len(raw.malformed), examples, False,
                   "the line does not split into the header's columns", set_aside=True)  # fmt: skip


def emptiness(name: str, path: Path, kept: int, rows_in: int) -> list[Problem]:
    """No usable rows is fatal for the tables everything hangs on, a warning for the others."""
    if kept:
        return []
    fatal = name in REQUIRED_ROWS
    if rows_in == 0:
        rule, message = "no_rows", "the file has a header but no rows"
    else:
        rule, message = "no_usable_rows", "every row was set aside"
    if name == "dropouts" and rows_in == 0:
        message += " (fine if nobody left school)"
    if name == "households" and rows_in == 0:
        message += "; students' household ids were not checked"
    return [Problem(name, path, rule, None, 0, [], fatal, message)]


# --- typed tables --------------------------------------------------------------------------


def _to_tables(
    checked: dict[str, Checked],
    raws: dict[str, RawTable],
    problems: list[Problem],
    exported_on: pd.Timestamp,
) -> Tables | None:
    frames = {}
    for name in (*TABLE_NAMES, *(n for n in OPTIONAL if n in checked)):
        table = ALL_TABLES[name]
        try:
            # Pop as we go so that each validation frame is freed once typed.
            frame = typed_frame(checked.pop(name).kept, table)
        except Exception as exc:  # a loader bug, reported rather than raised
            message = f"typing failed: {clean_text(exc)}"
            problems.append(fatal_problem(raws[name], "check_failed", None, message))
            return None
        frames[name] = frame
    return Tables(**frames, exported_on=exported_on)  # optional tables are keywords too


def typed_frame(kept: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The kept rows in the contract's dtypes, checked against the output schema."""
    frame = to_contract(kept, table)
    if "person_id" in frame.columns:  # one form for every id: 18 characters
        frame["person_id"] = normalize_ids(frame["person_id"])
    output_schema(table).validate(frame)
    return frame


def to_contract(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Cast a validated frame to the contract's dtypes, with a fresh 0..n-1 index."""
    out: dict[str, object] = {}
    for col in table.columns:
        s = frame[col.name]
        if col.kind == "id":
            out[col.name] = _categorical_to_string(s)
        elif col.kind in ("int", "bool", "code", "float", "text"):
            out[col.name] = s.to_numpy() if col.kind == "float" else s.astype(col.dtype).array
        else:
            out[col.name] = s.to_numpy(dtype="datetime64[ns]")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=False)


def _categorical_to_string(s: pd.Series) -> pd.arrays.ArrowStringArray:
    """Arrow `take` of the distinct ids: fast for 20M rows, unlike a pandas astype."""
    codes = np.asarray(s.array.codes)
    categories = pa_arrow.array(np.asarray(s.cat.categories, dtype=object), type=pa_arrow.string())
    indices = pa_arrow.array(codes, mask=codes < 0)
    values = categories.take(indices)
    return pd.array(values, dtype=ID_DTYPE)
