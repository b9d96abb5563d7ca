"""Files that are not what their name says, through the real CLI in a real process.

A clerk's folder holds whatever Excel, a zip tool or a broken USB stick left in it. Each
case must give a clear message naming the file and the right exit code, and nothing else:
no traceback, no "Exception ignored" from a library callback, no raw bytes in the terminal.
A subprocess (not CliRunner) is used because library noise goes to the real stderr.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.features.county_files import HEADERS, clean_rows, write_county

pytestmark = pytest.mark.slow  # a Python process per case: a few seconds each


def _replace(name: str, data: bytes) -> Callable[[Path], Path]:
    def edit(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return edit


def _random_text_bytes(folder: Path) -> Path:
    rng = random.Random(4)
    # No NUL byte, so the file reaches the decoders rather than the binary check.
    return _replace("students.csv", bytes(rng.randrange(1, 256) for _ in range(6000)))(folder)


def _binary(folder: Path) -> Path:
    return _replace("students.csv", bytes(range(256)) * 40)(folder)


def _truncated_parquet(folder: Path) -> Path:
    rows = clean_rows()["grades"]
    table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(HEADERS["grades"])})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    (folder / "grades.csv").unlink()
    return _replace("grades.parquet", buffer.getvalue()[: len(buffer.getvalue()) // 2])(folder)


def _zip_as_csv(folder: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(folder / "students.csv", "students.csv")
    return _replace("students.csv", buffer.getvalue())(folder)


def _folder(folder: Path) -> Path:
    (folder / "students.csv").unlink()
    (folder / "students.csv").mkdir()
    return folder / "students.csv"


def _dangling_link(folder: Path) -> Path:
    (folder / "students.csv").unlink()
    (folder / "students.csv").symlink_to(folder / "gone" / "students.csv")
    return folder / "students.csv"


def _no_permission(folder: Path) -> Path:
    (folder / "students.csv").chmod(0)
    return folder / "students.csv"


def _mixed_endings(folder: Path) -> Path:
    text = (folder / "attendance.csv").read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    ends = [b"\r\n", b"\n", b"\r"]
    mixed = b"".join(line + ends[i % 3] for i, line in enumerate(text) if line)
    return _replace("attendance.csv", mixed)(folder)


def _trailing_empty_column(folder: Path) -> Path:
    lines = (folder / "students.csv").read_bytes().splitlines()
    return _replace("students.csv", b"".join(line + b",\r\n" for line in lines))(folder)


def _trailing_separator_on_rows_only(folder: Path) -> Path:
    lines = (folder / "grades.csv").read_bytes().splitlines()
    fixed = lines[0] + b"\n" + b"".join(line + b",\n" for line in lines[1:])
    return _replace("grades.csv", fixed)(folder)


CASES = {
    # id: (edit, exit code, words the message must hold)
    "random-bytes": (_random_text_bytes, 1, "cannot decode"),
    "binary-file": (_binary, 1, "binary data"),
    "truncated-parquet": (_truncated_parquet, 1, "cut short"),
    "zip-renamed-csv": (_zip_as_csv, 1, "zip archive"),
    "folder-named-csv": (_folder, 1, "a folder, not a file"),
    "dangling-link": (_dangling_link, 1, "cannot open the file"),
    "unreadable-file": (_no_permission, 1, "cannot open the file"),
    "empty-file": (_replace("students.csv", b""), 1, "empty"),
    "only-a-bom": (_replace("students.csv", b"\xef\xbb\xbf"), 1, "only blanks or a BOM"),
    "mixed-line-endings": (_mixed_endings, 0, "No problems found"),
    "trailing-empty-column": (_trailing_empty_column, 0, "No problems found"),
    "trailing-separator-on-rows-only": (_trailing_separator_on_rows_only, 0, "No problems found"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_gives_a_clean_message(case: str, tmp_path: Path) -> None:
    edit, code, words = CASES[case]
    if case == "unreadable-file" and os.geteuid() == 0:
        pytest.skip("root reads a file without permissions")
    folder = write_county(tmp_path / "county")
    path = edit(folder)
    result = subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", "validate", str(folder)],
        capture_output=True,
        env={**os.environ, "DROPOUT_RISK_HOME": str(tmp_path / "home"), "COLUMNS": ""},
        timeout=120,
    )
    output = (result.stdout + result.stderr).decode("utf-8")  # strict: raw bytes would fail
    assert result.returncode == code, output
    assert words in output, output
    if code:
        assert "cannot be used" in output and path.name in output, output
    for noise in ("Traceback", "Exception ignored", "\ufffd"):
        assert noise not in output, output
    assert all(ch.isprintable() or ch in "\n\t" for ch in output), repr(output)


def test_the_report_reads_whole_lines_in_a_pipe(tmp_path: Path) -> None:
    """Piped (as in CI or `| less`), nothing wraps at 80 columns: a problem is one line."""
    rows = clean_rows()
    rows["attendance"][5][2] = "gone_fishing_with_grandfather_in_the_mountains"
    folder = write_county(tmp_path / "county", rows)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    result = subprocess.run(
        [sys.executable, "-m", "dropout_risk.cli", "validate", str(folder)],
        capture_output=True,
        env={**env, "DROPOUT_RISK_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert result.returncode == 0
    lines = result.stderr.decode("utf-8").splitlines()
    problem = [line for line in lines if "bad_code" in line]
    assert len(problem) == 1, lines
    assert "attendance.csv: not one of present/late/absent_excused" in problem[0]
    example = "attendance.csv:7  status='gone_fishing_with_grandfather_in_the_mountains'"
    assert any(example in line for line in lines), lines
    assert any("rows were set aside" in line and "quarantine" in line for line in lines), lines
