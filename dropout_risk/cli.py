"""The `dropout-risk` command line: thin commands over library functions.

Each group of commands lives in `dropout_risk/commands/`; heavy libraries are
imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os

import typer

# On the command line MLflow speaks only when something is wrong: no INFO lines about its
# database tables, no download bars for artifacts we just wrote (the command says what it did).
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

from dropout_risk.commands import (
    cases,
    data,
    demo,
    effects,
    generate,
    ingest,
    reconcile,
    serve,
    train,
    users,
)

app = typer.Typer(
    name="dropout-risk",
    help="Dropout early-warning service: validate records, build indicators, train, score, serve.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

demo.register(app)
generate.register(app)
data.register(app)
ingest.register(app)
train.register(app)
serve.register(app)
users.register(app)
cases.register(app)
reconcile.register(app)
effects.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
