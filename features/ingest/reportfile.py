"""The validation report kept beside an ingested dataset, so later commands can show it."""

from __future__ import annotations

from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import pandas as pd

from features.export import ExportDate
from features.validate import Problem, ValidationReport


def report_to_json(report: ValidationReport) -> dict[str, Any]:
    """Every field of the report but the tables, as JSON types."""
    problems = []
    for problem in report.problems:
        item = asdict(problem)
        item["file"] = None if problem.file is None else str(problem.file)
        item["examples"] = [[row, text] for row, text in problem.examples]
        problems.append(item)
    export = report.export
    return {
        "data_dir": str(report.data_dir),
        "problems": problems,
        "set_aside": report.set_aside,
        "quarantine_path": None if report.quarantine_path is None else str(report.quarantine_path),
        "rows_in": report.rows_in,
        "rows_kept": report.rows_kept,
        "rows_blanked": report.rows_blanked,
        "cells_blanked": report.cells_blanked,
        "export": None
        if export is None
        else {"date": f"{export.date:%Y-%m-%d}", "source": export.source},
    }


def report_from_json(data: dict[str, Any]) -> ValidationReport:
    """The report as `validate_folder` returned it (without its tables)."""
    names = {f.name for f in fields(Problem)}
    problems = []
    for item in data["problems"]:
        item = {k: v for k, v in item.items() if k in names}
        item["file"] = None if item["file"] is None else Path(item["file"])
        item["examples"] = [(row, text) for row, text in item["examples"]]
        problems.append(Problem(**item))
    export = data["export"]
    quarantine = data["quarantine_path"]
    return ValidationReport(
        data_dir=Path(data["data_dir"]),
        tables=None,
        problems=problems,
        set_aside=data["set_aside"],
        quarantine_path=None if quarantine is None else Path(quarantine),
        rows_in=data["rows_in"],
        rows_kept=data["rows_kept"],
        rows_blanked=data["rows_blanked"],
        cells_blanked=data["cells_blanked"],
        export=None
        if export is None
        else ExportDate(pd.Timestamp(export["date"]), export["source"]),
    )
