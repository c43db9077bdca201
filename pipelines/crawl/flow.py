"""The crawl-and-ingest Prefect flow and its nightly deployment.

Schedules fire only with a running Prefect server (`prefect server start`, then
PREFECT_API_URL=http://127.0.0.1:4200/api); the ephemeral mode never fires them.
`govreports crawl-serve` registers the deployment and keeps a runner polling
for its scheduled runs. (Not `python -m` this module: the runner would then look
for the flow in `__main__`.)
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import prefect
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from govreports.load.warehouse import warehouse_path
from govreports.pipelines.crawl.crawler import SiteCrawl
from govreports.pipelines.crawl.fetch import RateLimiter
from govreports.pipelines.crawl.run import (
    crawl_one,
    format_status_table,
    inputs_to_ingest,
    politeness_overrides,
    resolve_sources,
    source_status,
)
from govreports.pipelines.crawl.sites import SiteSpec
from govreports.pipelines.flows import ingest_flow

NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Shanghai"
DEPLOYMENT_NAME = "nightly"


@task(name="crawl-source", cache_policy=NO_CACHE)
def crawl_source_task(spec: SiteSpec, out: str, limiter: RateLimiter) -> SiteCrawl:
    return crawl_one(spec, Path(out), limiter)


@flow(name="govreports-crawl", log_prints=True)
def crawl_flow(
    sources: list[str] | None = None,
    out: str = "data",
    min_interval: float | None = None,
    max_per_host: int | None = None,
) -> list[dict]:
    """Crawl every source (concurrently, one task each), ingest new bodies, print the per-source table."""
    overrides = politeness_overrides(min_interval=min_interval, max_per_host=max_per_host)
    specs, crawls = resolve_sources(sources, **overrides)
    limiter = RateLimiter()
    futures = [crawl_source_task.submit(spec, out, limiter) for spec in specs]
    crawls += [f.result() for f in futures]
    inputs = inputs_to_ingest(crawls, Path(out))
    written: set[str] = set()
    if inputs or not warehouse_path(Path(out)).exists():
        written = set(ingest_flow(inputs=inputs, out=out).written_ids)
    statuses = [source_status(c, written) for c in crawls]
    print(format_status_table(statuses))
    return [asdict(s) for s in statuses]


def nightly_deployment(
    sources: list[str] | None = None,
    out: str = "data",
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    min_interval: float | None = None,
    name: str = DEPLOYMENT_NAME,
) -> RunnerDeployment:
    """The crawl flow on a cron schedule; parameters are fixed at registration."""
    return crawl_flow.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"sources": sources, "out": str(Path(out).resolve()), "min_interval": min_interval},
        # by module path, so the runner finds the flow whatever its working directory
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def serve_nightly(
    sources: list[str] | None = None,
    out: str = "data",
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    min_interval: float | None = None,
) -> None:
    """Register the deployment with the server at PREFECT_API_URL and run its scheduled runs (blocks)."""
    prefect.serve(nightly_deployment(sources, out, cron, timezone, min_interval))
