"""Commands of the train group; see DESIGN.md's command line."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this group's commands to the CLI."""
