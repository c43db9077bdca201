"""What a Prefect run shows its operator: a name from its inputs and time, markdown tables of what
each source or batch came to (artifacts), a final state that says when something failed, and
which errors are worth a task retry.

Plain functions build the names and the tables (tested without a server); the flows publish them.
Prefect is imported only inside the functions that talk to it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

# Run names carry the time where the reports come from (the nightly schedule's zone too).
RUN_TIMEZONE = "Asia/Shanghai"
MAX_NAMED_SOURCES = 3  # more sources than this are named as 'first+second+N-more'
MAX_REASONS = 20  # per table: the rest is in the run's log and the lake's documents.error
DEFAULT_RETRY_DELAYS = (30.0, 120.0)  # seconds before each task retry of a transient failure


class TransientError(RuntimeError):
    """A failure that may well not happen on a later try (network down, server overloaded)."""


def transient_exceptions() -> tuple[type[BaseException], ...]:
    """Network errors and timeouts: retried. Anything else (a parse error, a bug) is not."""
    import httpx

    return (TransientError, httpx.TransportError, TimeoutError, ConnectionError)


def retry_delays() -> list[float]:
    """GOVREPORTS_RETRY_DELAYS='30,120' (seconds before the first, second… retry); '' means no retries."""
    raw = os.environ.get("GOVREPORTS_RETRY_DELAYS")
    if raw is None:
        return list(DEFAULT_RETRY_DELAYS)
    return [float(x) for x in raw.split(",") if x.strip()]


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry_condition_fn: retry a failed task run only when it failed for a transient cause."""
    try:
        state.result()
    except transient_exceptions():
        return True
    except BaseException:  # noqa: BLE001 (any other failure is final)
        return False
    return False


# --- run names ---------------------------------------------------------------------------------------------


def run_stamp(when: datetime | None = None) -> str:
    """'2026-12-01T02:00+08:00': minutes, in RUN_TIMEZONE."""
    return (when or datetime.now(UTC)).astimezone(ZoneInfo(RUN_TIMEZONE)).isoformat(timespec="minutes")


def source_label(source: str) -> str:
    """A spec name stays; a URL is named by its host; a spec file by its stem."""
    if "://" in source:
        return urlsplit(source).netloc or source
    if source.endswith((".yaml", ".yml")):
        return Path(source).stem
    return source


def sources_label(sources: Sequence[str] | None) -> str:
    if not sources:
        return "all-sites"
    names = [source_label(s) for s in sources]
    if len(names) > MAX_NAMED_SOURCES:
        names = [*names[: MAX_NAMED_SOURCES - 1], f"{len(names) - MAX_NAMED_SOURCES + 1}-more"]
    return "+".join(names)


def inputs_label(paths: Iterable[str | Path]) -> str:
    """The folder the inputs share ('samples'), or '' when they share none."""
    parents = {str(Path(p).parent) for p in paths}
    if not parents:
        return ""
    common = Path(os.path.commonpath(sorted(parents))) if len(parents) > 1 else Path(parents.pop())
    return common.name


def ingest_name(parameters: dict[str, Any], when: datetime | None) -> str:
    if parameters.get("manifest"):  # the label was worked out when the manifest was written
        from govreports.pipelines.manifest import manifest_header

        label = manifest_header(parameters["manifest"])["label"]
    else:
        inputs = parameters.get("inputs")
        paths = [getattr(d, "path", None) or d["path"] for d in inputs] if inputs else parameters.get("paths") or []
        label = inputs_label(paths)
    return f"ingest-{run_stamp(when)}" + (f"-{label}" if label else "")


def crawl_name(parameters: dict[str, Any], when: datetime | None) -> str:
    return f"crawl-{sources_label(parameters.get('sources'))}-{run_stamp(when)}"


def _current(name_of: Any, prefix: str) -> str:
    from prefect.runtime import flow_run

    when = flow_run.scheduled_start_time
    try:
        return name_of(flow_run.parameters, when)
    except (AttributeError, KeyError, TypeError, ValueError, OSError):  # odd parameters must not fail the run
        return f"{prefix}-{run_stamp(when)}"


def ingest_run_name() -> str:
    """Prefect flow_run_name for the ingest flow."""
    return _current(ingest_name, "ingest")


def crawl_run_name() -> str:
    """Prefect flow_run_name for the crawl flow."""
    return _current(crawl_name, "crawl")


def crawl_task_name() -> str:
    """Prefect task_run_name for a source's crawl: 'crawl-pingtan', 'crawl-<host>' for a URL."""
    from prefect.runtime import task_run

    try:
        return f"crawl-{source_label(task_run.parameters['spec'].name)}"
    except (AttributeError, KeyError, TypeError):
        return "crawl-source"


class HideRunFailedTraceback(logging.Filter):
    """Prefect's engine logs a traceback when a served run's flow returns a Failed state on purpose
    (RunFailed); the state and its message already say what failed, so that record is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], RunFailed))


def hide_run_failed_tracebacks() -> None:
    for name in ("prefect.flow_runs", "prefect.flow_engine", "prefect.engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, HideRunFailedTraceback) for f in logger.filters):
            logger.addFilter(HideRunFailedTraceback())


# --- markdown tables -----------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def reasons_list(reasons: Sequence[str], limit: int = MAX_REASONS) -> str:
    lines = [f"- {_cell(r)}" for r in reasons[:limit]]
    if len(reasons) > limit:
        lines.append(f"- … and {len(reasons) - limit} more")
    return "\n".join(lines)


def publish(markdown: str, description: str, key: str | None = None) -> None:
    """A markdown artifact on the current flow or task run."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(markdown=markdown, key=key, description=description)


def failed_state(message: str, error: BaseException) -> Any:
    """The final state of a run that wrote what it could and had failures: Failed, carrying `error`
    (calling the flow raises it; its data, e.g. the run summary, rides on it)."""
    from prefect.states import Failed

    return Failed(message=message, data=error)


class RunFailed(Exception):
    """Raised by calling a flow that ended Failed after writing all it could; `result` is what it
    would have returned (the run summary, the source statuses)."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message, result)
        self.message, self.result = message, result

    def __str__(self) -> str:
        return self.message


# --- ingest tables -------------------------------------------------------------------------------------------

INGEST_COLUMNS = ("documents", "new", "unchanged", "failed")


def failed_documents(written: Iterable[Any]) -> list[str]:
    """'source: error' of each written document whose row is failed."""
    return [
        f"{r.document.get('source')}: {r.document.get('error')}"
        for r in written
        if r.document.get("status") == "failed"
    ]


def batch_markdown(label: str, processed: Sequence[Any], written: Sequence[Any]) -> str:
    """One batch: documents processed, written (new), not written (their bytes were already loaded), failed."""
    failures = failed_documents(written)
    row = (len(processed), len(written), len(processed) - len(written), len(failures))
    text = f"### Batch {label}\n\n" + markdown_table(INGEST_COLUMNS, [row])
    return text + ("\n\n**Failed documents**\n\n" + reasons_list(failures) if failures else "")


def ingest_markdown(summary: Any) -> str:
    """The whole run: inputs, new, unchanged (already in the lake), failed, with reasons."""
    failed = summary.by_status.get("failed", 0)
    row = (summary.inputs, summary.written, summary.skipped_known, failed)
    text = f"### Ingest into `{summary.out_dir}`\n\n" + markdown_table(INGEST_COLUMNS, [row])
    peak = summary.peak_text() if hasattr(summary, "peak_text") else ""
    if peak:
        text += f"\n\npeak memory per batch: {peak}"
    reasons = [f"{source}: {error}" for source, error in summary.errors]
    return text + ("\n\n**Failed documents**\n\n" + reasons_list(reasons) if reasons else "")


def ingest_failure(summary: Any) -> str | None:
    """Why an ingest run is Failed (documents whose rows are failed), or None."""
    failed = summary.by_status.get("failed", 0)
    return f"{failed} of {summary.written} new documents failed" if failed else None
