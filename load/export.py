"""Placeholder: `govreports export` is not built yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="export", help="Export the warehouse as csv, parquet or xlsx (issue 6). Not built yet.")
    def _not_built() -> None:
        typer.echo("govreports export: not built yet")
        raise typer.Exit(2)
