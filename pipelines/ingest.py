"""The ingest run as plain functions: discover → process in batches → load → warehouse.

The Prefect flow in pipelines/flows.py calls these same functions; tests and the
eval command call them directly, with no server.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from govreports.extract import FORMAT_OF_SUFFIX
from govreports.load import lake
from govreports.load.compact import compact_after_ingest
from govreports.load.faults import crash_point
from govreports.load.lake import (
    known_doc_ids,
    mark_validated,
    swap_folders,
    validated_doc_ids,
    write_batch,
    write_json_atomic,
)
from govreports.load.lock import lake_lock
from govreports.load.warehouse import remove_stale_builds, warehouse_is_current
from govreports.pipelines.isolate import BatchResults, isolation_on, parse_in_process, parse_isolated
from govreports.pipelines.memory import release_memory
from govreports.pipelines.progress import ProgressCallback, Steps, no_progress
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.document import doc_id_of
from govreports.transform.model import DocumentResult, InputDoc
from govreports.transform.reference import reference

SUFFIXES = set(FORMAT_OF_SUFFIX)
DEFAULT_BATCH_SIZE = 200
RUNNERS = ("local", "dask")  # where batches are parsed (pipelines/flows.py flow_with_runner)
DASK_EXTRA = "pip install 'govreports[dask]' (prefect-dask and dask.distributed)"


class NoInputError(ValueError):
    """Raised for arguments that name nothing to ingest."""


@dataclass
class Discovery:
    """What a walk over the arguments found: the inputs, and every path it could not use, with why."""

    inputs: list[InputDoc]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def discover(paths: Iterable[str | Path]) -> list[InputDoc]:
    """Files and folders (recursive) → inputs, in a stable order. Unknown suffixes are skipped."""
    return discover_all(paths).inputs


def discover_all(paths: Iterable[str | Path]) -> Discovery:
    """Like discover, and lists symlink loops, dangling symlinks and unlistable folders.

    A path with a report suffix that is not a regular file (a folder named x.pdf) is
    kept as an input: it gets a failed row with its error, like an unreadable file."""
    found: dict[Path, None] = {}
    skipped: list[tuple[str, str]] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists() and not p.is_symlink():
            raise NoInputError(f"no such file or folder: {p}")
        candidates = _walk(p, skipped) if p.is_dir() else [p]
        for c in candidates:
            problem = _link_problem(c)
            if problem:
                skipped.append((str(c), problem))
            elif c.suffix.lower() in SUFFIXES and not c.name.endswith(".expected.json"):
                found.setdefault(c)
    return Discovery([InputDoc.from_path(p) for p in found], skipped)


def _link_problem(path: Path) -> str | None:
    """Why a symlink cannot be read (loop, dangling), or None."""
    if not path.is_symlink():
        return None
    try:
        path.stat()
    except OSError as exc:
        return "symlink loop" if exc.errno == errno.ELOOP else f"dangling symlink ({exc.strerror})"
    return None


def _walk(root: Path, skipped: list[tuple[str, str]]) -> list[Path]:
    """Every entry under root in a stable order; symlinked folders are followed once each
    (a link back to a folder already walked is a loop), unlistable folders are reported."""
    out: list[Path] = []
    seen: set[str] = set()

    def unlistable(exc: OSError) -> None:
        skipped.append((str(exc.filename), f"folder cannot be listed ({exc.strerror})"))

    for folder, dirs, files in os.walk(root, followlinks=True, onerror=unlistable):
        real = os.path.realpath(folder)
        if real in seen:  # a folder already walked through a symlink to it
            dirs[:] = []
            continue
        seen.add(real)
        here = Path(folder)
        loops = [d for d in dirs if (here / d).is_symlink() and os.path.realpath(here / d) in seen]
        skipped += [(str(here / d), "symlink loop") for d in loops]
        dirs[:] = sorted(d for d in dirs if d not in loops)
        out += [here / d for d in dirs]  # a folder named x.pdf is an input that fails to read
        out += sorted(here / f for f in files)
    return sorted(out)


def batched(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def process_batch(inputs: list[InputDoc], on_result: Callable[[DocumentResult], None] | None = None) -> BatchResults:
    """Extract, transform and check a batch, in a forked child under the per-document memory and time
    bounds (pipelines/isolate.py). Errors are recorded per document, never raised; the results carry the
    batch's peak memory. `on_result` hears of each document as it is done (progress)."""
    release_memory()  # the previous batch's objects are freed by now: start from the base
    parse = parse_isolated if isolation_on() else parse_in_process
    return parse(inputs, on_result)


def load_batch(results: list[DocumentResult], out_dir: Path) -> list[DocumentResult]:
    return write_batch(results, Path(out_dir), reference().known_keys())


@dataclass
class RunSummary:
    out_dir: str
    inputs: int = 0
    written: int = 0
    skipped_known: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_template: Counter = field(default_factory=Counter)
    by_doc_type: Counter = field(default_factory=Counter)
    facts: int = 0
    failed_identities: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)
    warehouse: str = ""
    data_docs: str | None = None
    written_ids: list[str] = field(default_factory=list)
    quarantined: int = 0
    skipped_paths: list[tuple[str, str]] = field(default_factory=list)  # symlink loops, unlistable folders…
    plausibility: Counter = field(default_factory=Counter)  # flags (view `plausibility`) touching this run, by rule
    recovered: list[str] = field(default_factory=list)  # what was repaired after an interrupted run
    nothing_new: bool = False  # every input in the lake and validated, the warehouse current: no work was done
    compacted: str = ""  # what the automatic compaction did ('' when no partition passed the threshold)
    batch_peaks: list[tuple[str, float]] = field(default_factory=list)  # (batch label, peak MB of its parser)

    def note_peak(self, label: str, results: list[DocumentResult]) -> None:
        """The batch's peak resident memory, when it came back with one (BatchResults)."""
        peak = getattr(results, "peak_mb", 0.0)
        if peak:
            self.batch_peaks.append((label, peak))

    def peak_text(self) -> str:
        """`max 312 MB (batch 3-of-5)`, or '' when no batch was parsed."""
        if not self.batch_peaks:
            return ""
        label, mb = max(self.batch_peaks, key=lambda p: p[1])
        return f"max {mb:.0f} MB (batch {label}) over {len(self.batch_peaks)} batches"

    def add(self, written: list[DocumentResult]) -> None:
        self.written += len(written)
        for r in written:
            d = r.document
            self.written_ids.append(r.doc_id)
            self.by_status[d["status"]] += 1
            self.by_template[d.get("template") or "-"] += 1
            self.by_doc_type[d.get("doc_type") or "-"] += 1
            self.facts += len(r.facts)
            for c in r.checks:
                if c.passed is False:
                    self.failed_identities[c.identity] += 1
            if d.get("error"):
                self.errors.append((d["source"], d["error"]))


def ingest(
    inputs: list[InputDoc] | Discovery,
    out_dir: Path,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressCallback = no_progress,
) -> RunSummary:
    """Run the whole spine without Prefect; `progress` hears of each document parsed."""
    out_dir = Path(out_dir)
    skipped = inputs.skipped if isinstance(inputs, Discovery) else []
    inputs = inputs.inputs if isinstance(inputs, Discovery) else inputs
    summary = RunSummary(out_dir=str(out_dir), inputs=len(inputs), skipped_paths=list(skipped))
    with lake_lock(out_dir):
        summary.recovered = recover(out_dir)
        todo = skip_known(inputs, out_dir, summary)
        tally = Steps("ingest", len(todo), progress).start()
        n_batches = -(-len(todo) // batch_size)
        for n, batch in enumerate(batched(todo, batch_size), 1):
            results = process_batch(batch, tally.document)
            summary.note_peak(f"{n}-of-{n_batches}", results)
            summary.add(load_batch(results, out_dir))
            del results
        finish(summary, out_dir)
    return summary


def skip_known(inputs: list[InputDoc], out_dir: Path, summary: RunSummary) -> list[InputDoc]:
    """Inputs whose bytes are already in the lake are not parsed again."""
    known = known_doc_ids(out_dir)
    todo = [doc for doc in inputs if doc_id_of(doc.path) not in known]
    summary.skipped_known = len(inputs) - len(todo)
    return todo


@dataclass(frozen=True)
class Freshness:
    """What a run over these inputs would find to do (call holding the lake lock, after recover)."""

    inputs: int
    in_lake: int  # inputs whose bytes (sha256, as skip_known decides) are already in the lake
    unvalidated: int  # documents in the lake that no validation has run over yet
    warehouse_current: bool  # the warehouse exists and this version built it over the lake as it is

    @property
    def nothing_new(self) -> bool:
        return self.in_lake == self.inputs and self.unvalidated == 0 and self.warehouse_current


def freshness(inputs: list[InputDoc], out_dir: Path) -> Freshness:
    """Cheap (hashes and Parquet footers, no Prefect, no Great Expectations): decides the no-op run.
    A failed row counts as in the lake, as for skip_known: the same bytes fail the same way."""
    known = known_doc_ids(out_dir)
    in_lake = sum(doc_id_of(doc.path) in known for doc in inputs)
    unvalidated = len(known - validated_doc_ids(out_dir))
    return Freshness(len(inputs), in_lake, unvalidated, warehouse_is_current(out_dir))


REBUILT = ("lake", "data_docs")
SWAP_JOURNAL = ".rebuild-swap.json"


class HalfSwappedError(RuntimeError):
    """The folder was left between an old and a new lake by something other than our swap."""


def swap_in(staging: Path, out_dir: Path) -> None:
    """Replace out_dir's lake and Data Docs with the complete ones built in staging.

    The journal is written first (the new folders are complete by then), so a crash at any
    later step is rolled forward by the next run (`recover`): there is always a whole lake,
    the old one or the new one. The warehouse views are then rebuilt over the new lake."""
    folders = [name for name in REBUILT if (staging / name).exists()]
    write_json_atomic({"staging": staging.name, "folders": folders}, Path(out_dir) / SWAP_JOURNAL)
    crash_point("swap-journal-written")
    finish_swap(Path(out_dir))
    build_warehouse(out_dir)


def finish_swap(out_dir: Path) -> None:
    """Do the steps of a journalled swap not done yet (each is safe to repeat)."""
    journal = out_dir / SWAP_JOURNAL
    spec = json.loads(journal.read_text(encoding="utf-8"))
    staging = out_dir / spec["staging"]
    swap_folders(staging, out_dir, spec["folders"], step="swap")
    shutil.rmtree(staging, ignore_errors=True)
    journal.unlink()


def recover(out_dir: Path) -> list[str]:
    """Repair what an interrupted run left (hold the lake lock): finish a journalled rebuild swap,
    publish or drop half-written batches, remove temporary files. Returns what was done."""
    out_dir = Path(out_dir)
    done: list[str] = []
    if (out_dir / SWAP_JOURNAL).exists():
        finish_swap(out_dir)
        done.append("finished an interrupted --rebuild swap (the new lake is in place)")
    if not (out_dir / "lake").exists() and (out_dir / ".lake.old").exists():
        raise HalfSwappedError(
            f"{out_dir} has .lake.old but no lake/: a lake swap was interrupted outside govreports' journal. "
            f"Put the old lake back (mv {out_dir}/.lake.old {out_dir}/lake) or run `govreports ingest --rebuild` "
            "with every input to build a new one."
        )
    done += lake.recover(out_dir)
    remove_stale_builds(out_dir)
    if done:
        build_warehouse(out_dir)  # the views may still point at what was repaired
    return done


def finish(summary: RunSummary, out_dir: Path) -> None:
    """Rebuild the warehouse views and validate what was loaded."""
    from govreports.expectations.plausibility import plausibility_counts
    from govreports.expectations.quarantine import count_for
    from govreports.expectations.validate import validate_run

    release_memory()  # the last batch's objects are gone: the build and validation start from the base
    compacted = compact_after_ingest(out_dir)  # before the build, which reads every part's schema
    if compacted:
        summary.compacted = (
            f"{len(compacted.partitions)} partitions, {compacted.files_before} parts → {compacted.files_after} files"
        )
    summary.warehouse = str(build_warehouse(out_dir))
    # this run's documents, and any an earlier run loaded but did not get to validate
    todo = sorted(set(summary.written_ids) | (known_doc_ids(out_dir) - validated_doc_ids(out_dir)))
    docs = validate_run(out_dir, todo)
    mark_validated(out_dir, todo)
    summary.data_docs = str(docs) if docs else None
    summary.quarantined = count_for(out_dir, summary.written_ids)
    summary.plausibility = plausibility_counts(out_dir, summary.written_ids)
