"""The validation report for people (a rich table) and for machines (JSON).

Both say the same things: the export date and where it came from, rows read, kept, kept
with a blanked cell, and set aside, and every problem with its file, rule, column,
decision and first examples.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from features.contract import TABLE_NAMES
from features.validate import ValidationReport

_DECISION_STYLE = {
    "fatal": "[red]fatal[/]",
    "set aside": "[yellow]set aside[/]",
    "blanked": "[cyan]blanked[/]",
    "warning": "warning",
}


def summary_line(report: ValidationReport) -> str:
    """One sentence: what was read, kept, blanked and set aside, and the export date."""
    total_in = sum(report.rows_in.values())
    total_kept = sum(report.rows_kept.values())
    required = sum(name in report.rows_in for name in TABLE_NAMES)
    optional = [name for name in report.rows_in if name not in TABLE_NAMES]
    text = (
        f"{total_in:,} rows read from {required} of {len(TABLE_NAMES)} tables"
        f"{''.join(f' and {name}' for name in optional)}: "
        f"{total_kept:,} kept ({report.blanked:,} of them with a blanked cell), "
        f"{report.set_aside:,} set aside"
    )
    if report.export is not None:
        text += f"; export date {report.export.date:%Y-%m-%d} ({report.export.source})"
    return text


# Piped or in CI, rich would wrap at 80 columns (one example over six lines); a log or a
# `less -S` reads better with each line whole.
PIPE_WIDTH = 4000


def unwrapped(console: Console) -> Console:
    """`console` itself on a terminal; elsewhere a console on the same file that never wraps."""
    if console.is_terminal:
        return console
    return Console(
        file=console.file, width=max(console.width, PIPE_WIDTH), color_system=None, highlight=False
    )


def _where(name: str, row: int, text: str) -> str:
    """`file:row  value`; a piece's example (`county002.parquet: status='xx'`, a folder of
    pieces) reads `attendance/county002.parquet:6  status='xx'`."""
    piece, sep, rest = text.partition(": ")
    if sep and piece.endswith(".parquet") and "=" not in piece:
        return f"{name}/{piece}:{row}  {rest}"
    return f"{name}:{row}  {text}"


def print_report(report: ValidationReport, console: Console, brief: bool = False) -> None:
    """A readable summary: counts per rule, first examples with file, row and column.

    `brief`: the summary line and the count of problems only, for a dataset checked before
    (every command that reads it would otherwise print the same table again)."""
    console = unwrapped(console)
    console.print(
        f"Checked [bold]{escape(str(report.data_dir))}[/]: {escape(summary_line(report))}",
        highlight=False,
    )
    if report.clean:
        console.print("[green]No problems found.[/]")
        return
    if brief and report.usable:
        console.print(
            f"{len(report.problems)} kind(s) of problem found when it was ingested; "
            f"`dropout-risk validate {escape(str(report.data_dir))}` lists them again.",
            highlight=False,
        )
        return
    grid = RichTable(title="Problems", show_lines=True)
    for header in ("table", "rule", "column", "rows", "", "first examples (file:row  value)"):
        grid.add_column(header, overflow="fold")
    for p in report.problems:
        name = p.file.name if p.file else p.table
        examples = "\n".join(_where(name, row, text) for row, text in p.examples)
        detail = p.message + ("\n" + examples if examples else "")
        grid.add_row(
            escape(p.table),
            escape(p.rule),
            escape(p.column or ""),
            f"{p.count:,}" if p.count else "",
            _DECISION_STYLE[p.decision],
            escape(f"{name}: {detail}"),
        )
    console.print(grid)
    if report.set_aside or report.blanked:
        where = (
            f"every decision is in {escape(str(report.quarantine_path))}"
            if report.quarantine_path
            else "the quarantine was not written (no quarantine folder given)"
        )
        console.print(
            f"[yellow]warning:[/] {report.set_aside:,} rows were set aside and left out; "
            f"{report.blanked:,} rows were kept with {report.cells_blanked:,} blanked cells; "
            f"{where}.",
            highlight=False,
        )
    if not report.usable:
        fatal = sum(p.fatal for p in report.problems)
        console.print(f"[red]{fatal} fatal problem(s): the data cannot be used as it is.[/]")


def report_dict(report: ValidationReport) -> dict[str, Any]:
    """The report as plain JSON types (`validate --format json`)."""
    export = report.export
    return {
        "data_dir": str(report.data_dir),
        "usable": report.usable,
        "export_date": None if export is None else f"{export.date:%Y-%m-%d}",
        "export_date_source": None if export is None else export.source,
        "rows_in": report.rows_in,
        "rows_kept": report.rows_kept,
        "rows_kept_with_blanked_cell": report.rows_blanked,
        "rows_set_aside": {n: report.rows_in[n] - report.rows_kept[n] for n in report.rows_in},
        "cells_blanked": report.cells_blanked,
        "quarantine": None if report.quarantine_path is None else str(report.quarantine_path),
        "problems": [
            {
                "table": p.table,
                "file": None if p.file is None else str(p.file),
                "rule": p.rule,
                "column": p.column,
                "rows": p.count,
                "decision": p.decision,
                "message": p.message,
                "examples": [{"row": row, "value": text} for row, text in p.examples],
            }
            for p in report.problems
        ],
    }
