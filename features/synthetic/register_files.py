"""Writing the household register and its truth; removing both when a county has none.

The truth (`truth/residents.csv`: for each residents row, the school register's student it
is, if any, and what kind of person it is) sits in a folder no table file is named after:
the validator and every command read `<table>.csv|.parquet` only, so they never see it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa

from .residents import Register
from .writer import Format, write_table

TRUTH_DIR = "truth"


def write_register(out_dir: Path, fmt: Format, register: Register) -> int:
    """Write `residents.<fmt>` and `truth/residents.csv`; returns the residents' rows."""
    c = register.columns
    rows = write_table(
        out_dir,
        "residents",
        {
            "person_id": pa.array(c["person_id"], pa.string()),
            "name": pa.array(c["name"], pa.string()),
            "gender": pa.array(c["gender"], pa.string()),
            "birth_date": pa.array(c["birth_date"]),
            "county": pa.array(c["county"], pa.string()),
            "township": pa.array(c["township"], pa.string()),
            "village": pa.array(c["village"], pa.string()),
            "status": pa.array(c["status"], pa.string()),
            "recorded_on": pa.array(c["recorded_on"]),
        },
        fmt,
    )
    (out_dir / TRUTH_DIR).mkdir(exist_ok=True)
    register.truth.to_csv(out_dir / TRUTH_DIR / "residents.csv", index=False)
    return rows


def remove_register(out_dir: Path) -> None:
    """Remove a register (either format) and its truth left by an earlier run."""
    for fmt in ("csv", "parquet"):
        (out_dir / f"residents.{fmt}").unlink(missing_ok=True)
    shutil.rmtree(out_dir / TRUTH_DIR, ignore_errors=True)
