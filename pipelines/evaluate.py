"""Placeholder: `govreports eval` is not built yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="eval", help="Score the pipeline against every *.expected.json under DIR (issue 3). Not built yet.")
    def _not_built() -> None:
        typer.echo("govreports eval: not built yet")
        raise typer.Exit(2)
