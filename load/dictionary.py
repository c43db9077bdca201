"""Placeholder: `govreports dict` is not built yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="dict", help="Show the data dictionary (issue 6). Not built yet.")
    def _not_built() -> None:
        typer.echo("govreports dict: not built yet")
        raise typer.Exit(2)
