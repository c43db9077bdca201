"""`govreports crawl`: crawl portals' annual-report columns, archive every raw file, ingest the reports.

Modules: discover (pure page reading), fetch (polite client), archive (raw snapshots),
sites (YAML site specs), crawler (one source), run (sources → ingest → status table),
flow (the Prefect flow and its nightly deployment). See docs/crawl.md.
"""

from __future__ import annotations

from pathlib import Path

import typer

from govreports.data import default_out
from govreports.pipelines.progress import QUIET_HELP, reporting

DEFAULT_OUT = default_out()


def register(app: typer.Typer) -> None:
    @app.command(name="crawl")
    def crawl(
        sources: list[str] = typer.Argument(
            None, help="Listing URLs or site-spec names from data/sites/ (default: every enabled spec)."
        ),
        out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output folder: raw/, lake/, warehouse.duckdb."),
        min_interval: float = typer.Option(None, help="Seconds between requests to one host (default 1.0)."),
        max_per_host: int = typer.Option(None, help="Requests in flight per host (default 2)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    ) -> None:
        """Crawl portals' report columns, archive every response under OUT/raw/ and ingest the reports."""
        from govreports.pipelines.crawl.run import (
            crawl_and_ingest,
            format_status_table,
            politeness_overrides,
            specs_for,
        )
        from govreports.pipelines.crawl.sites import SiteSpecError

        overrides = politeness_overrides(min_interval=min_interval, max_per_host=max_per_host)
        try:
            specs = specs_for(sources, **overrides)
        except SiteSpecError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if not specs:
            typer.echo("error: no sources given and no enabled site spec in data/sites/", err=True)
            raise typer.Exit(2)
        with reporting(quiet) as shown:
            run = crawl_and_ingest(specs, out, shown)
        typer.echo(format_status_table(run.statuses))
        if run.summary is None:
            typer.echo("nothing new to ingest; warehouse unchanged")
        else:
            typer.echo(f"ingested {run.summary.written} new documents; warehouse: {run.summary.warehouse}")
        if not all(s.listing_pages for s in run.statuses):
            raise typer.Exit(1)

    @app.command(name="crawl-serve")
    def crawl_serve(
        sources: list[str] = typer.Argument(None, help="Sources (default: every enabled spec in data/sites/)."),
        out: Path = typer.Option(DEFAULT_OUT, "--out"),
        cron: str = typer.Option("0 2 * * *", help="Cron schedule."),
        timezone: str = typer.Option("Asia/Shanghai", help="Time zone of the cron schedule."),
        min_interval: float = typer.Option(None, help="Seconds between requests to one host (default 1.0)."),
    ) -> None:
        """Serve the nightly crawl-and-ingest deployment (needs a Prefect server at PREFECT_API_URL:
        see docs/operations.md); one run at a time, stopped cleanly by SIGTERM, the schedule kept."""
        from govreports.pipelines.prefect_env import NoServerError, require_server

        try:
            require_server()
        except NoServerError as exc:
            typer.echo(f"error: crawl-serve needs a running Prefect server: {exc}", err=True)
            raise typer.Exit(2) from exc
        from govreports.pipelines.crawl.flow import serve_nightly

        serve_nightly(sources or None, str(out), cron, timezone, min_interval)
