"""The crawl-and-ingest Prefect flow and its nightly deployment.

Schedules fire only with a running Prefect server (`prefect server start`, then
PREFECT_API_URL=http://127.0.0.1:4200/api); the ephemeral mode never fires them.
`govreports crawl-serve` registers the deployment and keeps a runner polling
for its scheduled runs. (Not `python -m` this module: the runner would then look
for the flow in `__main__`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from dataclasses import asdict
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.futures import PrefectFuture
from prefect.runner import Runner
from prefect.schedules import Cron

from govreports.load.warehouse import warehouse_path
from govreports.pipelines import observe
from govreports.pipelines.crawl.crawler import SiteCrawl
from govreports.pipelines.crawl.fetch import RateLimiter
from govreports.pipelines.crawl.run import (
    SourceStatus,
    SourceUnreachable,
    crawl_one,
    format_status_table,
    inputs_to_ingest,
    politeness_overrides,
    resolve_sources,
    run_failure,
    run_markdown,
    source_markdown,
    source_status,
    unreachable,
)
from govreports.pipelines.crawl.sites import SiteSpec
from govreports.pipelines.flows import ingest_flow, ingest_listed
from govreports.pipelines.ingest import RunSummary

observe.hide_run_failed_tracebacks()

NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Shanghai"
DEPLOYMENT_NAME = "nightly"


@task(
    name="crawl-source",
    task_run_name=observe.crawl_task_name,
    cache_policy=NO_CACHE,
    retries=len(observe.retry_delays()),
    retry_delay_seconds=observe.retry_delays(),
    retry_condition_fn=observe.transient_only,  # an unreachable source is tried again later; a 404 is not
)
def crawl_source_task(spec: SiteSpec, out: str, limiter: RateLimiter) -> SiteCrawl:
    crawl = crawl_one(spec, Path(out), limiter)
    if unreachable(crawl):
        raise SourceUnreachable(crawl)
    return crawl


def crawl_of(future: PrefectFuture, spec: SiteSpec) -> SiteCrawl:
    """The source's crawl, also when its task failed after its last retry."""
    outcome = future.result(raise_on_failure=False)
    if isinstance(outcome, SourceUnreachable):
        return outcome.crawl
    if isinstance(outcome, BaseException):
        return SiteCrawl(source=spec.name, errors=[(spec.start_urls[0], f"crawl failed: {outcome!r}")])
    return outcome


def ingest_new(crawls: list[SiteCrawl], out: str) -> RunSummary | None:
    """The ingest sub-flow over the new bodies (None when nothing is new and the warehouse exists)."""
    inputs = inputs_to_ingest(crawls, Path(out))
    if not inputs and warehouse_path(Path(out)).exists():
        return None
    try:
        return ingest_listed(ingest_flow, inputs, out, Path(out))
    except observe.RunFailed as failed:  # documents failed: counted below, the sub-run is already Failed
        return failed.result


def publish_statuses(statuses: list[SourceStatus]) -> None:
    """One artifact per source, and the run's table."""
    for st in statuses:
        state = "ok" if st.ok else "FAILED"
        observe.publish(source_markdown(st), f"crawl of {st.source}: {state}")
    observe.publish(run_markdown(statuses), "crawl run", key="govreports-crawl")


@flow(name="govreports-crawl", flow_run_name=observe.crawl_run_name, log_prints=True)
def crawl_flow(
    sources: list[str] | None = None,
    out: str = "data",
    min_interval: float | None = None,
    max_per_host: int | None = None,
) -> list[dict]:
    """Crawl every source (concurrently, one task each), ingest new bodies, print the per-source table.

    Ends Failed (with the table as artifacts) when a source or a document failed; all that could be
    fetched and ingested is written first."""
    overrides = politeness_overrides(min_interval=min_interval, max_per_host=max_per_host)
    specs, crawls = resolve_sources(sources, **overrides)
    limiter = RateLimiter()
    futures = [crawl_source_task.submit(spec, out, limiter) for spec in specs]
    crawls += [crawl_of(f, spec) for f, spec in zip(futures, specs, strict=True)]
    summary = ingest_new(crawls, out)
    statuses = [source_status(c, set(summary.written_ids) if summary else set()) for c in crawls]
    print(format_status_table(statuses))
    publish_statuses(statuses)
    rows = [asdict(s) for s in statuses]
    failure = run_failure(statuses, summary)
    return observe.failed_state(failure, observe.RunFailed(failure, rows)) if failure else rows


def nightly_deployment(
    sources: list[str] | None = None,
    out: str = "data",
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    min_interval: float | None = None,
    name: str = DEPLOYMENT_NAME,
) -> RunnerDeployment:
    """The crawl flow on a cron schedule; parameters are fixed at registration. One run at a time:
    the server holds a second run back (AwaitingConcurrencySlot) until the first ends; the output
    folder's lock (load/lock.py) is the second guard, against runs from outside this deployment."""
    return crawl_flow.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"sources": sources, "out": str(Path(out).resolve()), "min_interval": min_interval},
        # by module path, so the runner finds the flow whatever its working directory
        entrypoint_type=EntrypointType.MODULE_PATH,
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
    )


class ServingRunner(Runner):
    """Prefect's runner, stopped by SIGTERM within seconds: Prefect's own handler waits on the event
    loop from inside the handler (about 80 s, then a traceback). Here the signal schedules the same
    stop (a run in progress is cancelled, its process ended) and returns."""

    def handle_sigterm(self, *args: object, **kwargs: object) -> None:
        print("crawl-serve: SIGTERM received, stopping", file=sys.stderr, flush=True)
        loop = asyncio.get_running_loop()
        loop.call_soon_threadsafe(lambda: self._stopping.append(loop.create_task(self.astop())))

    _stopping: list[asyncio.Task] = []  # keeps the stop task referenced until it is done


def serve_nightly(
    sources: list[str] | None = None,
    out: str = "data",
    cron: str = NIGHTLY_CRON,
    timezone: str = NIGHTLY_TIMEZONE,
    min_interval: float | None = None,
) -> None:
    """Register the deployment with the server at PREFECT_API_URL and run its scheduled runs (blocks
    until SIGTERM or Ctrl-C). The schedule stays active when it stops (pause_on_shutdown=False), so
    a restart, or the server alone, keeps the nightly runs coming."""
    runner = ServingRunner(pause_on_shutdown=False)
    deployment = nightly_deployment(sources, out, cron, timezone, min_interval)
    runner.add_deployment(deployment)
    print(
        f"crawl-serve: serving {crawl_flow.name}/{deployment.name} (cron {cron!r}, {timezone}) into "
        f"{deployment.parameters['out']}; one run at a time; SIGTERM or Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the same clean stop
        asyncio.run(runner.start())
