"""Prefect flows. Each task handles a batch of documents, never a single cell or row.

The task runner is Prefect's: the default thread pool in this process (`local`), or
prefect-dask's DaskTaskRunner (`dask`: an existing cluster by its scheduler address, else a
LocalCluster of worker processes on this machine), passed with `.with_options`. Dask workers only
parse (process-batch gets InputDocs, returns DocumentResults, both plain picklable dataclasses);
loading stays in the flow's process, the lake's single writer.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import Flow, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from govreports.load.lock import lake_lock
from govreports.pipelines import ingest as spine
from govreports.pipelines import observe, progress
from govreports.pipelines.manifest import read_manifest, remove_manifests, write_manifest
from govreports.transform.model import DocumentResult, InputDoc

# Batches carry thousands of facts: hashing them for a cache key or persisting them
# would cost more than the work. The lake is the only store; skip-known gives idempotence.
NO_STORE = {"cache_policy": NO_CACHE, "persist_result": False}
# A document's own errors are recorded in its row, never raised; what does raise from a batch is the
# infrastructure (an input share timing out, a lost worker): retried when transient, with backoff.
TRANSIENT_RETRIES = {
    "retries": len(observe.retry_delays()),
    "retry_delay_seconds": observe.retry_delays(),
    "retry_condition_fn": observe.transient_only,
}


@task(name="process-batch", task_run_name="process-batch-{batch}", **TRANSIENT_RETRIES, **NO_STORE)
def process_batch_task(inputs: list[InputDoc], batch: str = "") -> list[DocumentResult]:
    return spine.process_batch(inputs, progress.count_document)


@task(name="load-batch", task_run_name="load-batch-{batch}", **NO_STORE)
def load_batch_task(results: list[DocumentResult], out_dir: str, batch: str = "") -> list[DocumentResult]:
    written = spine.load_batch(results, Path(out_dir))
    observe.publish(observe.batch_markdown(batch, results, written), f"ingest batch {batch}")
    return written


@task(name="finish", **NO_STORE)
def finish_task(summary: spine.RunSummary, out_dir: str) -> spine.RunSummary:
    spine.finish(summary, Path(out_dir))
    return summary


@flow(name="govreports-ingest", flow_run_name=observe.ingest_run_name, log_prints=True, persist_result=False)
def ingest_flow(
    paths: list[str] | None = None,
    out: str = "data",
    batch_size: int = spine.DEFAULT_BATCH_SIZE,
    inputs: list[InputDoc] | None = None,
    manifest: str | None = None,
) -> spine.RunSummary:
    """discover → extract+transform+check (per batch) → load (per batch) → warehouse + validation.

    The inputs are the manifest's (pipelines/manifest.py: any number, the parameters stay small), else
    `inputs` (a few: Prefect refuses parameters over 512 KB), else what `paths` name.
    Ends Failed (calling it raises observe.RunFailed carrying the summary) when documents failed;
    everything else is written first."""
    logger = get_run_logger()
    docs = read_manifest(manifest) if manifest else inputs if inputs is not None else spine.discover(paths or [])
    summary = spine.RunSummary(out_dir=out, inputs=len(docs))
    with lake_lock(Path(out)):  # a second run against the same folder waits for none: it fails clearly
        summary.recovered = spine.recover(Path(out))
        for note in summary.recovered:
            logger.warning(note)
        todo = spine.skip_known(docs, Path(out), summary)
        logger.info("%d inputs, %d already loaded, %d to process", len(docs), summary.skipped_known, len(todo))
        tally = progress.Steps("ingest", len(todo), progress.listener()).start()
        with progress.counting(tally):  # threads count each document; worker processes, each batch
            batches = spine.batched(todo, batch_size)
            n_batches = -(-len(todo) // batch_size)
            labels = [f"{i}-of-{n_batches}" for i in range(1, n_batches + 1)]
            # Loading stays sequential: one writer appends to the lake at a time.
            for results, label in zip(processed_in_order(batches, labels, batches_in_flight()), labels, strict=True):
                tally.settle(results)
                summary.note_peak(label, results)
                summary.add(load_batch_task(results, out, label))
                del results  # the next batch's results replace these
        summary = finish_task(summary, out)
    observe.publish(observe.ingest_markdown(summary), "ingest run", key="govreports-ingest")
    failure = observe.ingest_failure(summary)
    return observe.failed_state(failure, observe.RunFailed(failure, summary)) if failure else summary


def ingest_listed(
    flow: Flow, inputs: list[InputDoc], out: str, manifest_dir: Path, batch_size: int = spine.DEFAULT_BATCH_SIZE
) -> spine.RunSummary:
    """Run the ingest `flow` over `inputs` through a manifest under manifest_dir/runs/, so any number of
    inputs fits in the flow's parameters. manifest_dir is the output folder whose lock this holds: only
    the holder writes manifests and it deletes its own after the run (finished or failed), so one found
    here was left by a killed run and goes first."""
    with lake_lock(Path(manifest_dir)):  # re-entrant: the CLI already holds it
        remove_manifests(manifest_dir)
        path = write_manifest(inputs, manifest_dir)
        try:
            return flow(manifest=str(path), out=out, batch_size=batch_size)
        finally:
            path.unlink(missing_ok=True)


def batches_in_flight() -> int:
    """How many batches may be submitted and not yet loaded: one with the local thread pool (its
    threads share one interpreter and parsing holds the GIL, so a second thread would only hold a
    second batch in memory), one per worker of a Dask LocalCluster, else one per core here. This,
    not the corpus, bounds the run's memory."""
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    if runner is None or isinstance(runner, ThreadPoolTaskRunner):
        return 1
    workers = (getattr(runner, "cluster_kwargs", None) or {}).get("n_workers")
    return max(1, workers or os.cpu_count() or 1)


def processed_in_order(
    batches: Iterable[list[InputDoc]], labels: list[str], in_flight: int
) -> Iterator[list[DocumentResult]]:
    """Each batch's results, in order, with at most `in_flight` batches submitted at a time;
    a future is dropped once its results are handed on, so loaded batches are freed."""
    pending: deque = deque()
    for batch, label in zip(batches, labels, strict=True):
        pending.append(process_batch_task.submit(batch, label))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


# A LocalCluster on this machine: loopback only, no dashboard; the scheduler's health routes on a free
# port (8787 may be taken); one thread per worker process (the parsers are CPU-bound and hold the GIL).
LOCAL_CLUSTER = {
    "processes": True,
    "threads_per_worker": 1,
    "host": "127.0.0.1",
    "dashboard_address": None,
    "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
}


SERVER_START_SECONDS = 90


class DaskMissingError(RuntimeError):
    """--runner dask without the `dask` extra installed."""


def dask_task_runner(workers: int, address: str | None = None) -> TaskRunner:
    """Prefect's Dask task runner: the cluster at `address`, else a LocalCluster of `workers` processes
    started for the run and closed after it."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise DaskMissingError(f"--runner dask needs the dask extra: {spine.DASK_EXTRA}") from exc
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs={**LOCAL_CLUSTER, "n_workers": max(workers, 1)}
    )


def flow_with_runner(runner: str = "local", workers: int = 1, address: str | None = None) -> Flow:
    """The ingest flow with its batches on `runner` (run a dask one inside `shared_api`, so the
    workers report to the same Prefect API as the flow)."""
    if runner not in spine.RUNNERS:
        raise ValueError(f"unknown runner {runner!r}: one of {', '.join(spine.RUNNERS)}")
    if runner == "local":
        return ingest_flow
    return ingest_flow.with_options(task_runner=dask_task_runner(workers, address))


@contextmanager
def shared_api(runner: str) -> Iterator[None]:
    """Without a configured PREFECT_API_URL, Prefect starts a temporary API server per
    process, so every worker process would start its own (seconds each). For Dask, start one
    temporary server here (on 127.0.0.1: workers on other machines need a PREFECT_API_URL they
    can reach) and point this process and its workers at it."""
    if runner == "local" or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    # the run's only server: on two busy cores it can take longer than Prefect's 20 s default to answer
    server.start(timeout=max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), SERVER_START_SECONDS))
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by the worker processes
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
