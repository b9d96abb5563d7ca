"""`dropout-risk demo`: the whole flow on a synthetic county, from records to a served watchlist."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from dropout_risk.console import console, fail
from dropout_risk.settings import get_settings


def demo(
    students: Annotated[
        int, typer.Option(min=200, help="Students in the synthetic county.")
    ] = 4000,
    years: Annotated[int, typer.Option(min=3, max=8, help="School years of records.")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed of the county.")] = 7,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop before serving.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Synthetic county -> validate -> train -> promote -> score -> users -> serve."""
    from dropout_risk.commands.data import load_validated
    from dropout_risk.commands.generate import generate
    from dropout_risk.commands.serve import _open_store, score, serve
    from dropout_risk.commands.train import train
    from serving.auth import Scope

    settings = get_settings()
    data_dir = settings.home / "demo-county"
    console.rule("1/5 Generate a synthetic county")
    generate(data_dir, students=students, years=years, seed=seed, fmt="csv")
    console.rule("2/5 Validate it")
    tables = load_validated(data_dir)
    console.rule("3/5 Train, evaluate and promote")
    train(data_dir, promote=True)
    from training.registry import champion_version

    if champion_version(settings.tracking_uri, settings.model_name) is None:
        fail(
            "no champion: the chosen model did not beat the rules and the environment model on "
            "this county's test snapshot (see above), so nothing is scored or served; "
            "a county with more --students has more leavers to learn from"
        )
    console.rule("4/5 Score everyone in school on the day after the export date")
    as_of = tables.export_date().last_snapshot
    score(data_dir, as_of=as_of.to_pydatetime())
    console.rule("5/5 People who may look")
    places = tables.schools[["county", "township"]].drop_duplicates()
    townships = sorted(f"{c}/{t}" for c, t in places.itertuples(index=False))[:2]
    if len(townships) < 2:
        fail("the demo county has fewer than two townships; use more --students")
    people = [
        ("demo-researcher", "researcher", "all"),
        *[
            (f"demo-caseworker-{i + 1}", "caseworker", f"township:{t}")
            for i, t in enumerate(townships)
        ],
    ]
    store = _open_store()
    try:
        for name, role, scope in people:
            token = store.add_user(f"{name}-{dt.datetime.now():%H%M%S}", role, Scope.parse(scope))
            console.print(f"{role:<11} {scope:<20} [bold]{token}[/]", soft_wrap=True)
    finally:
        store.close()
    url = f"http://{host}:{port}/"
    console.print(f"\nThe case workers' page: {url}   API docs: {url}docs", soft_wrap=True)
    console.print(
        f'Try: curl -H "Authorization: Bearer TOKEN" "{url}v1/watchlist?limit=5"', soft_wrap=True
    )
    console.print(
        "On a phone: `dropout-risk users code NAME` prints a one-time sign-in code (10 minutes);"
        " on a computer, the page also takes a token under “使用访问令牌登录”.",
        soft_wrap=True,
    )
    if no_serve:
        console.print(f"--no-serve: start it later with `dropout-risk serve --port {port}`.")
        return
    serve(host=host, port=port, workers=1)


def register(app: typer.Typer) -> None:
    """Add the demo command to the CLI."""
    app.command()(demo)
