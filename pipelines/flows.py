"""Prefect flows. Each task handles a batch of documents, never a single cell or row.

The task runner is Prefect's: the default thread pool here, or a Dask/Ray task
runner (prefect-dask, prefect-ray) for a cluster, passed with `.with_options`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect import Flow, flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ProcessPoolTaskRunner

from govreports.load.lock import lake_lock
from govreports.pipelines import ingest as spine
from govreports.pipelines import observe, progress
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
) -> spine.RunSummary:
    """discover → extract+transform+check (per batch) → load (per batch) → warehouse + validation.

    Ends Failed (calling it raises observe.RunFailed carrying the summary) when documents failed;
    everything else is written first."""
    logger = get_run_logger()
    docs = inputs if inputs is not None else spine.discover(paths or [])
    summary = spine.RunSummary(out_dir=out, inputs=len(docs))
    with lake_lock(Path(out)):  # a second run against the same folder waits for none: it fails clearly
        summary.recovered = spine.recover(Path(out))
        for note in summary.recovered:
            logger.warning(note)
        todo = spine.skip_known(docs, Path(out), summary)
        logger.info("%d inputs, %d already loaded, %d to process", len(docs), summary.skipped_known, len(todo))
        tally = progress.Steps("ingest", len(todo), progress.listener()).start()
        with progress.counting(tally):  # threads count each document; worker processes, each batch
            batches = list(spine.batched(todo, batch_size))
            labels = [f"{i}-of-{len(batches)}" for i in range(1, len(batches) + 1)]
            futures = [process_batch_task.submit(b, label) for b, label in zip(batches, labels, strict=True)]
            # Loading stays sequential: one writer appends to the lake at a time.
            for fut, label in zip(futures, labels, strict=True):
                results = fut.result()
                tally.settle(results)
                summary.add(load_batch_task(results, out, label))
        summary = finish_task(summary, out)
    observe.publish(observe.ingest_markdown(summary), "ingest run", key="govreports-ingest")
    failure = observe.ingest_failure(summary)
    return observe.failed_state(failure, observe.RunFailed(failure, summary)) if failure else summary


def flow_with_workers(workers: int) -> Flow:
    """The ingest flow, with batches in `workers` processes when more than one (run it inside
    `shared_api`, so the worker processes report to the same API as the flow)."""
    if workers <= 1:
        return ingest_flow
    return ingest_flow.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))


@contextmanager
def shared_api(workers: int) -> Iterator[None]:
    """Without a configured PREFECT_API_URL, Prefect starts a temporary API server per
    process, so every worker process would start its own (seconds each). For a pool,
    start one temporary server here and point this process and its workers at it."""
    if workers <= 1 or os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    os.environ["PREFECT_API_URL"] = server.api_url  # inherited by the worker processes
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.stop()
