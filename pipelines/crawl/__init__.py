"""Placeholder: `govreports crawl` is not built yet."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(name="crawl", help="Crawl portals, archive raw files and ingest them (issue 5). Not built yet.")
    def _not_built() -> None:
        typer.echo("govreports crawl: not built yet")
        raise typer.Exit(2)
