"""The optional `visits` table: validated like the others when present, absent otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

from features.validate import validate_folder


def test_visits_table_is_optional_and_validated(county_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "county"
    shutil.copytree(county_dir, folder)
    without = validate_folder(folder)
    assert without.tables is not None and without.tables.visits is None
    assert "visits" not in dict(without.tables.items())

    ids = (folder / "students.csv").read_text().splitlines()[1:4]
    a, b, c = (line.split(",")[0] for line in ids)
    (folder / "visits.csv").write_text(
        "student_id,visited_on,visitor,outcome\n"
        f"{a},2023-03-05,Li,stays_in_school\n"
        f"{b},2023-03-06,Li,\n"
        "NOBODY,2023-03-05,Li,left\n"
        f"{c},2023-03-07,Wang,bogus\n"
    )
    report = validate_folder(folder)
    assert report.tables is not None and report.tables.visits is not None
    visits = report.tables.visits
    assert list(visits["student_id"]) == [a, b, c]  # the unknown child is set aside
    assert visits["outcome"].isna().tolist() == [False, True, True]  # a bad code is blanked
    found = {(p.table, p.rule, p.column) for p in report.problems}
    assert ("visits", "unknown_reference", "student_id") in found
    assert ("visits", "bad_code", "outcome") in found
    assert "visits" in dict(report.tables.items())
