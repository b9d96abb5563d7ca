"""`dropout-risk cases sync`: open and move casework cases from a data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from dropout_risk.console import console, fail, progress
from dropout_risk.settings import get_settings

cases_app = typer.Typer(help="The casework ledger (控辍保学).", no_args_is_help=True)


def run_sync(store, tables, as_of: dt.date, absent_days: int, close_days: int):  # noqa: ANN001
    """Sync the ledger with a progress bar; returns the SyncReport."""
    from serving.cases.events import SyncRules
    from serving.cases.sync import sync_cases

    rules = SyncRules(absent_days=absent_days, close_days=close_days)
    with progress() as bar:
        task = bar.add_task("cases", total=None)
        report = sync_cases(
            store.engine,
            tables,
            as_of,
            rules,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    return _with_not_enrolled(store, as_of, report)


def _with_not_enrolled(store, as_of: dt.date, report):  # noqa: ANN001
    """Children of the latest `reconcile` run whom no school lists: suspected cases too."""
    from serving.cases.unregistered import sync_not_enrolled

    extra = sync_not_enrolled(store.engine, get_settings().home, as_of)
    report.opened += extra.opened
    report.moved += extra.moved
    report.skipped += extra.skipped
    report.by_state = extra.by_state
    report.not_enrolled = extra.opened
    return report


def describe(report) -> str:  # noqa: ANN001
    states = ", ".join(f"{n:,} {s}" for s, n in sorted(report.by_state.items())) or "none"
    return (
        f"Cases: {report.opened:,} opened, {report.moved:,} moved, "
        f"{report.relocated:,} followed a child to a new school; in the ledger: {states}."
    ) + _not_enrolled_words(report)


def _not_enrolled_words(report) -> str:  # noqa: ANN001
    n = getattr(report, "not_enrolled", 0)
    return f" {n:,} opened for school-age children in no school register." if n else ""


@cases_app.command("sync")
def sync(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the county's tables.")],
    as_of: Annotated[
        dt.datetime,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Sync date: records before it count."),
    ],
    absent_days: Annotated[
        int | None,
        typer.Option(min=1, help="Consecutive unexcused absent school days that open a case."),
    ] = None,
    close_days: Annotated[
        int | None, typer.Option(min=1, help="Days back in school before a returned case closes.")
    ] = None,
) -> None:
    """Open and move cases from the data (idempotent; hand-made moves are never undone)."""
    from dropout_risk.commands.data import load_validated
    from dropout_risk.commands.serve import _open_store

    settings = get_settings()
    tables = load_validated(data_dir)
    store = _open_store()
    try:
        report = run_sync(
            store,
            tables,
            as_of.date(),
            absent_days or settings.cases_absent_days,
            close_days or settings.cases_close_days,
        )
    except Exception as exc:  # a store that went away mid-run: say so, no traceback
        fail(f"cases sync failed: {exc}")
    finally:
        store.close()
    console.print(describe(report))


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
