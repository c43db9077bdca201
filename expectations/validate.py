"""Great Expectations validation of each ingest run, chunk by chunk of its documents.

`validate_run` reads the rows of up to `validate_chunk_documents` (limits.json) of the
run's documents at a time back from the warehouse, builds their frames
(expectations/frames.py), runs one suite per frame (expectations/suites.py) in a GX
file context rooted at DIR (config and stored results in DIR/gx/) and writes their
quarantine rows to DIR/lake/quarantine/; then it writes Data Docs to
DIR/data_docs/index.html and the run's summary page. Every rule is about one row or
one document's rows, so a chunk finds what the whole run would; memory is bounded
by the chunk, not the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

# GX sends usage analytics unless told not to; the pipeline never touches the network.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.exceptions import DataContextError  # noqa: E402

from govreports.expectations import quarantine, summary  # noqa: E402
from govreports.expectations.frames import load_frames  # noqa: E402
from govreports.expectations.suites import (  # noqa: E402
    CRITICAL,
    WARNING,
    Rule,
    gx_suite_name,
    gx_suites,
    index_columns,
    rules_for,
)
from govreports.extract.limits import limit  # noqa: E402
from govreports.pipelines.memory import release_memory  # noqa: E402

SITE_NAME = "govreports"
DATASOURCE = "govreports_frames"
DOCS_DIR = "data_docs"


@dataclass
class Failure:
    """One failed expectation: which rule, and the index values of the rows that broke it."""

    suite: str
    rule: str
    severity: str
    reason: str
    expectation: str
    rows: list[dict] = field(default_factory=list)
    observed: object = None
    # a findings rule's flagged rows within its tolerance (suites.tolerances): listed, the suite succeeds
    within_tolerance: bool = False
    checked: int = 0
    max_share: float = 0.0

    @property
    def share(self) -> float:
        return len(self.rows) / self.checked if self.checked else 0.0


@dataclass
class Outcome:
    failures: list[Failure]
    result_ids: list = field(default_factory=list)
    rules_per_suite: dict[str, int] = field(default_factory=dict)
    run_time: dt.datetime | None = None

    def rules(self, suite: str | None = None) -> set[str]:
        return {f.rule for f in self.failures if suite is None or f.suite == suite}

    def add(self, chunk: Outcome) -> None:
        """Fold a chunk's outcome in: one failure per (suite, rule), with the rows of every chunk
        (chunks share no row: frames.CROSS_DOC_FRAMES gives a row naming two chunks to one)."""
        merged = {(f.suite, f.rule): f for f in self.failures}
        for f in chunk.failures:
            known = merged.get((f.suite, f.rule))
            if known is None:
                merged[(f.suite, f.rule)] = replace(f, rows=list(f.rows))
                continue
            known.rows += f.rows
            known.observed = known.observed if known.observed is not None else f.observed
            known.checked += f.checked
            known.within_tolerance = known.within_tolerance and f.within_tolerance  # each chunk is gated
        self.failures = list(merged.values())
        self.result_ids += chunk.result_ids
        for suite, n in chunk.rules_per_suite.items():
            self.rules_per_suite[suite] = max(n, self.rules_per_suite.get(suite, 0))


def docs_index(out_dir: Path) -> Path:
    return Path(out_dir) / DOCS_DIR / "index.html"


def open_context(out_dir: Path | None):
    """A file context rooted at DIR with one Data Docs site at DIR/data_docs; ephemeral when out_dir is None."""
    if out_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        context = gx.get_context(mode="file", project_root_dir=str(Path(out_dir).resolve()))
        site = {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str((Path(out_dir) / DOCS_DIR).resolve()),
            },
        }
        sites = context.get_config().data_docs_sites or {}
        for name in [n for n in sites if n != SITE_NAME]:
            context.delete_data_docs_site(name)
        if SITE_NAME in sites:
            context.update_data_docs_site(SITE_NAME, site)
        else:
            context.add_data_docs_site(SITE_NAME, site)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(context, suite: str):
    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = source.get_asset(suite)
    except LookupError:
        asset = source.add_dataframe_asset(suite)
    try:
        return asset.get_batch_definition("whole_frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("whole_frame")


def _failure(suite: str, rules: dict[str, Rule], result) -> Failure:
    meta = result.expectation_config.meta or {}
    rule = rules[meta["rule"]]
    details = result.result or {}
    return Failure(
        suite=suite,
        rule=rule.name,
        severity=rule.severity,
        reason=rule.reason,
        expectation=result.expectation_config.type,
        rows=list(details.get("unexpected_index_list") or []),
        observed=details.get("observed_value"),
        within_tolerance=bool(result.success),
        checked=int(details.get("element_count") or 0),
        max_share=rule.max_share,
    )


def _flagged(result) -> bool:
    """A failed expectation, or one that succeeded within its tolerance but flagged rows."""
    return not result.success or bool((result.result or {}).get("unexpected_count"))


def validate_frame(context, suite: str, frame: pd.DataFrame, run_id: RunIdentifier) -> tuple[list[Failure], list, int]:
    """Run one suite on its frame; return the failures, the stored result ids (for Data Docs) and its rule count."""
    rules = {r.name: r for r in rules_for(suite, frame)}
    batch = _batch_definition(context, suite)
    definitions = [
        context.validation_definitions.add_or_update(
            gx.ValidationDefinition(
                name=name,
                data=batch,
                suite=context.suites.add_or_update(
                    gx.ExpectationSuite(name=name, expectations=[r.configured() for r in group])
                ),
            )
        )
        for name, group in gx_suites(suite, list(rules.values())).items()
    ]
    # one checkpoint per frame: a checkpoint passes the same batch parameters to all its definitions,
    # here the frame's integrity suite and its findings suite
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite,
            validation_definitions=definitions,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": index_columns(suite, frame),
                # GX's hint is `df.filter(items=[row numbers])`, meaningless outside this process; the
                # rows' document and explain columns say where to look instead
                "return_unexpected_index_query": False,
            },
        )
    )
    _retire_suites(context, {gx_suite_name(suite, s) for s in (CRITICAL, WARNING)} - {d.name for d in definitions})
    outcome = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)
    failures = []
    for result in outcome.run_results.values():
        _raise_on_rule_errors(suite, result)
        failures += [_failure(suite, rules, r) for r in result.results if _flagged(r)]
    return failures, list(outcome.run_results), len(rules)


def _retire_suites(context, names: set[str]) -> None:
    """Drop suites of the frame that have no rules any more (an output folder validated before the
    findings had suites of their own), so Data Docs do not list them."""
    for name in names:
        for store in (context.validation_definitions, context.suites):  # the definition first: it names the suite
            with contextlib.suppress(DataContextError):  # never had one
                store.delete(name)


def _raise_on_rule_errors(suite: str, result) -> None:
    """An exception GX caught inside an expectation is a bug in a rule, not a data finding."""
    for r in result.results:
        info = r.exception_info or {}
        # top-level form {raised_exception, exception_message}, or one such dict per metric
        for entry in [info, *[v for v in info.values() if isinstance(v, dict)]]:
            if entry.get("raised_exception"):
                raise RuntimeError(f"{suite}: {r.expectation_config.type} raised {entry.get('exception_message')}")


def validate_frames(
    frames: dict[str, pd.DataFrame],
    context=None,
    run_name: str = "validation",
    run_time: dt.datetime | None = None,
) -> Outcome:
    """Run every suite on its frame (empty frames are skipped). No Data Docs, no quarantine."""
    context = context or open_context(None)
    run_id = RunIdentifier(run_name=run_name, run_time=run_time or dt.datetime.now(dt.UTC))
    outcome = Outcome(failures=[], run_time=run_id.run_time)
    for suite, frame in frames.items():
        if frame.empty:
            continue
        found, ids, n_rules = validate_frame(context, suite, frame, run_id)
        outcome.failures += found
        outcome.result_ids += ids
        outcome.rules_per_suite[suite] = n_rules
    return outcome


def keep_runs() -> int:
    """How many runs' Data Docs to keep (limits.json keep_data_docs_runs, env GOVREPORTS_KEEP_DATA_DOCS_RUNS)."""
    return max(1, int(limit("keep_data_docs_runs")))


def prune_runs(context, keep: int) -> list[dt.datetime]:
    """Drop the stored results of all but the newest `keep` runs; building Data Docs then drops their pages."""
    store = context.validation_results_store
    keys = store.list_keys()
    times = sorted({k.run_id.run_time for k in keys}, reverse=True)
    dropped = times[keep:]
    for key in keys:
        if key.run_id.run_time in dropped:
            store.remove_key(key)
    return dropped


def build_docs(context, result_ids: list) -> Path:
    """Render this run's results and the index (earlier runs' pages stay as they were)."""
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=result_ids)
    urls = context.get_docs_sites_urls(site_name=SITE_NAME)
    return Path(urls[0]["site_url"].removeprefix("file://"))


def chunk_documents() -> int:
    """Documents validated at a time (limits.json validate_chunk_documents, env GOVREPORTS_VALIDATE_CHUNK_DOCUMENTS)."""
    return max(1, int(limit("validate_chunk_documents")))


def chunked(doc_ids: list[str], size: int) -> list[list[str]]:
    ids = sorted(set(doc_ids))
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def validate_run(out_dir: Path, doc_ids: list[str]) -> Path | None:
    """Validate what the run loaded, a chunk of documents at a time; return the Data Docs index it wrote, if any.

    Each chunk is a GX run of its own name (`ingest_N_documents_part_K_of_M`, same run time), so
    Data Docs keep every chunk's results and pruning drops a whole run; the summary page covers the run."""
    out_dir = Path(out_dir)
    chunks = chunked(doc_ids, chunk_documents())
    if not chunks:
        index = docs_index(out_dir)
        return index if index.exists() else None
    run_ids = [d for chunk in chunks for d in chunk]
    context = open_context(out_dir)
    run_name = f"ingest_{len(run_ids)}_documents"
    run = Outcome(failures=[], run_time=dt.datetime.now(dt.UTC))
    rows: Counter = Counter()
    for k, chunk in enumerate(chunks, start=1):
        frames = load_frames(out_dir, chunk, run_ids)
        name = run_name if len(chunks) == 1 else f"{run_name}_part_{k}_of_{len(chunks)}"
        outcome = validate_frames(frames, context, run_name=name, run_time=run.run_time)
        quarantine.record(out_dir, quarantine.rows_from_failures(outcome.failures, frames))
        rows.update({suite: len(frame) for suite, frame in frames.items()})
        run.add(outcome)
        del frames, outcome
        release_memory()  # the next chunk starts from the base, not on top of this one's pages
    prune_runs(context, keep_runs())
    index = build_docs(context, run.result_ids)
    lines = summary.suite_lines(rows, run.failures, run.rules_per_suite)
    page = summary.render_summary(lines, run.failures, run_name, run.run_time, len(run_ids))
    summary.write_summary(index.parent, page)
    return index


def summary_page(index: Path | str) -> Path:
    """The offline summary beside a Data Docs index."""
    return Path(index).with_name(summary.PAGE_NAME)
