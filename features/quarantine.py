"""The quarantine file: every decision the validator took about a row or a cell.

One CSV per run, `quarantine_dir/<folder name>-<UTC timestamp>.csv`, UTF-8 with BOM so that
Excel shows Chinese text. One line per decision:

- `set aside`: the row was left out (its key or a required value is unusable); one line per
  row, with the first rule it broke;
- `blanked`: one cell the row can live without (a returned_on after the export date, an
  impossible distance) was emptied and the row kept; one line per cell.

Columns: table, file, row (spreadsheet row: the header is row 1), column, value (the cell as
written), rule, decision, reason, values (the whole raw row as JSON, extra columns included).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.io import RawTable

HIDDEN = ("person_id",)
# A run of digits as long as an id (15 to 18, maybe ending in X) in a line that did not parse.
_ID_LIKE = re.compile(r"\d{14,17}[\dXx]")
COLUMNS = ["table", "file", "row", "column", "value", "rule", "decision", "reason", "values"]
SET_ASIDE = "set aside"
BLANKED = "blanked"


def decision_lines(
    raw: RawTable,
    positions: np.ndarray,
    rows: np.ndarray,
    column: str | None,
    rule: str,
    decision: str,
    reason: str,
) -> pd.DataFrame:
    """Quarantine lines for the rows at `positions` (data-row positions in `raw`)."""
    taken = _hidden(raw.data.take(pa.array(positions, type=pa.int64())))
    return pd.DataFrame(
        {
            "table": raw.name,
            "file": raw.files_at(positions),
            "row": rows[positions],
            "column": column,
            "value": _cells(taken, column),
            "rule": rule,
            "decision": decision,
            "reason": reason,
            "values": json_rows(taken),
        }
    )


def malformed_lines(raw: RawTable) -> pd.DataFrame:
    """Lines that did not split into the header's columns: always set aside."""
    return pd.DataFrame(
        {
            "table": raw.name,
            "file": str(raw.path),
            "row": [m.row for m in raw.malformed],
            "column": None,
            "value": None,
            "rule": "malformed_row",
            "decision": SET_ASIDE,
            "reason": [
                f"{m.actual} fields where the header has {m.expected}" for m in raw.malformed
            ],
            "values": [
                json.dumps({"line": _ID_LIKE.sub("(hidden)", m.text)}, ensure_ascii=False)
                for m in raw.malformed
            ],
        }
    )


def _hidden(taken: pa.Table) -> pa.Table:
    """Resident ids are personal data: the quarantine says a cell held one, never which."""
    for name in HIDDEN:
        if name in taken.column_names:
            i = taken.column_names.index(name)
            present = pc.is_valid(taken.column(i))
            masked = pc.if_else(present, pa.scalar("(hidden)"), pa.scalar(None, pa.string()))
            taken = taken.set_column(i, name, masked)
    return taken


def _cells(taken: pa.Table, column: str | None) -> list[str | None]:
    """The cell(s) a rule is about, as written; a key of several columns joined by "+"."""
    names = [c for c in (column or "").split("+") if c in taken.column_names]
    if not names:
        return [None] * taken.num_rows
    values = [taken.column(c).to_pylist() for c in names]
    return ["+".join(_text(v) for v in row) for row in zip(*values, strict=True)]


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def json_rows(data: pa.Table) -> list[str]:
    """Each row as JSON of its values as written (extra columns included)."""
    frame = data.to_pandas(types_mapper=None)
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.has_duplicates:
        # JSON keys must differ: the second "x" becomes "x#2", the third "x#3".
        seen: dict[str, int] = {}
        names = []
        for c in frame.columns:
            seen[c] = seen.get(c, 0) + 1
            names.append(c if seen[c] == 1 else f"{c}#{seen[c]}")
        frame.columns = names
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    # pandas escapes every "/" as "\/"; undo it so dates read 2023/9/1 (still valid JSON).
    lines = text.rstrip("\n").replace("\\/", "/").split("\n") if text else []
    if len(lines) == len(frame):
        return lines
    # Should not happen (JSON escapes newlines); the slow per-row way never loses a row.
    return [json.dumps(r, ensure_ascii=False, default=str) for r in data.to_pylist()]


def write_quarantine(
    data_dir: Path, quarantine_dir: Path | None, parts: list[pd.DataFrame]
) -> Path | None:
    """Write every decision to a new file in `quarantine_dir`; None when there is no folder."""
    if quarantine_dir is None:
        return None
    quarantine_dir = Path(quarantine_dir)
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    stem = f"{data_dir.resolve().name or 'data'}-{stamp}"
    path = quarantine_dir / f"{stem}.csv"
    n = 1
    while path.exists():
        n += 1
        path = quarantine_dir / f"{stem}-{n}.csv"
    frame = pd.concat(parts, ignore_index=True)[COLUMNS]
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path
