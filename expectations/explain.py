"""Placeholder: `govreports explain` is not built yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="explain", help="Explain one document's checks and doubtful cells (issue 4). Not built yet.")
    def _not_built() -> None:
        typer.echo("govreports explain: not built yet")
        raise typer.Exit(2)
