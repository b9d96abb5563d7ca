"""`dropout-risk effects`: did the visits work? Reads the store's decision log and visits,
hands plain frames to `training.effects`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dropout_risk.console import console, err_console, fail, progress
from dropout_risk.settings import get_settings


def _store_frames():  # -> (decision log, visits) as DataFrames
    from serving import decision_log
    from serving.store import ScoreStore

    settings = get_settings()
    try:
        store = ScoreStore.open(settings.database_url)
    except Exception as exc:
        fail(f"cannot open the score store {settings.database_url}: {exc}")
    try:
        return decision_log.batches(store.engine), decision_log.visits(store.engine)
    finally:
        store.close()


def effects(
    data_dir: Annotated[Path, typer.Argument(help="Folder holding the county's tables.")],
    window_days: Annotated[
        int, typer.Option(min=1, help="A visit within this many days after a snapshot counts.")
    ] = 30,
    horizon: Annotated[
        int, typer.Option(min=1, help="Outcome: left school within this many days.")
    ] = 180,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimates as JSON.")] = False,
    snapshots: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated dates; default the published batches, else term starts."
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw the estimate by tier into this PNG file.")
    ] = None,
) -> None:
    """Did the visits work? Effect of a visit on leaving school, naive and doubly robust."""
    import warnings

    from dropout_risk.commands.data import load_validated
    from features.errors import UserError
    from training.effects.report import estimate_effects

    tables = load_validated(data_dir)
    log, store_visits = _store_frames()
    dates = [d.strip() for d in snapshots.split(",")] if snapshots else None
    try:
        with progress() as bar, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            task = bar.add_task("snapshots", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = estimate_effects(
                tables, [store_visits, tables.visits], log, window_days, horizon, dates,
                progress=step,
            )  # fmt: skip
    except UserError as exc:
        fail(str(exc))
    counties = sorted(set(tables.schools["county"].astype(str)))
    result.save(get_settings().home / "effects" / "latest.json", counties)  # for the page
    for when, reason in result.left_out:
        err_console.print(f"[yellow]snapshot {when:%Y-%m-%d} left out:[/] {reason}")
    if plot is not None:
        from training.effects.plot import plot_by_tier

        plot_by_tier(result.summary(counties), plot)
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
        return
    _print(result)


def _print(result) -> None:  # result: training.effects.report.EffectsResult
    e, n = result.dr.estimate, result.naive
    used = ", ".join(f"{d:%Y-%m-%d}" for d in result.used)
    console.print(f"Snapshots used: {used} (window {result.window_days} d, horizon "
                  f"{result.horizon_days} d)")  # fmt: skip
    console.print(
        f"[bold]{e.method}[/]: {e.att:+.4f} (95% CI {e.ci_low:+.4f} to {e.ci_high:+.4f}); "
        f"{e.n_treated:,} visited, {e.n_control:,} not; {result.dr.n_trimmed} propensities "
        "trimmed to [0.01, 0.99]"
    )
    console.print(
        f"[yellow]naive difference (confounded: visits go to high-risk children)[/]: "
        f"{n.att:+.4f} (95% CI {n.ci_low:+.4f} to {n.ci_high:+.4f})"
    )
    console.print(result.rd.describe())
    bal = result.dr.balance
    if len(bal):
        worst = bal.head(5)
        console.print(
            f"balance (standardised differences, |max| before {bal['smd_before'].abs().max():.2f}, "
            f"after weighting {bal['smd_after'].abs().max():.2f}): "
            + "; ".join(
                f"{r.covariate} {r.smd_before:+.2f} -> {r.smd_after:+.2f}"
                for r in worst.itertuples()
            )
        )
    for g in result.by_group:
        if g["att"] is None:
            console.print(f"  {g['group']} = {g['value']}: too few to estimate "
                          f"({g['n_treated']} visited, {g['n_control']} not)")  # fmt: skip
        else:
            console.print(f"  {g['group']} = {g['value']}: {g['att']:+.4f} "
                          f"({g['ci_low']:+.4f} to {g['ci_high']:+.4f}); "
                          f"{g['n_treated']} visited, {g['n_control']} not")  # fmt: skip
    for note in result.notes:
        console.print(f"[dim]{note}[/]")
    console.print(result.plain_words())


def register(app: typer.Typer) -> None:
    app.command()(effects)
