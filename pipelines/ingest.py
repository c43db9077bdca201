"""The ingest run as plain functions: discover → process in batches → load → warehouse.

The Prefect flow in pipelines/flows.py calls these same functions; tests and the
eval command call them directly, with no server.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from govreports.extract import FORMAT_OF_SUFFIX
from govreports.load.lake import known_doc_ids, mark_validated, validated_doc_ids, write_batch
from govreports.load.warehouse import build_warehouse
from govreports.transform.document import process_document
from govreports.transform.model import DocumentResult, InputDoc
from govreports.transform.reference import reference

SUFFIXES = set(FORMAT_OF_SUFFIX)
DEFAULT_BATCH_SIZE = 200


class NoInputError(ValueError):
    """Raised for arguments that name nothing to ingest."""


def discover(paths: Iterable[str | Path]) -> list[InputDoc]:
    """Files and folders (recursive) → inputs, in a stable order. Unknown suffixes are skipped."""
    found: dict[Path, None] = {}
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise NoInputError(f"no such file or folder: {p}")
        candidates = sorted(p.rglob("*")) if p.is_dir() else [p]
        for c in candidates:
            if c.is_file() and c.suffix.lower() in SUFFIXES and not c.name.endswith(".expected.json"):
                found.setdefault(c)
    return [InputDoc.from_path(p) for p in found]


def batched(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def process_batch(inputs: list[InputDoc]) -> list[DocumentResult]:
    """Extract, transform and check a batch. Errors are recorded per document, never raised."""
    return [process_document(doc) for doc in inputs]


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


def ingest(inputs: list[InputDoc], out_dir: Path, batch_size: int = DEFAULT_BATCH_SIZE) -> RunSummary:
    """Run the whole spine without Prefect."""
    out_dir = Path(out_dir)
    summary = RunSummary(out_dir=str(out_dir), inputs=len(inputs))
    todo = skip_known(inputs, out_dir, summary)
    for batch in batched(todo, batch_size):
        summary.add(load_batch(process_batch(batch), out_dir))
    finish(summary, out_dir)
    return summary


def skip_known(inputs: list[InputDoc], out_dir: Path, summary: RunSummary) -> list[InputDoc]:
    """Inputs whose bytes are already in the lake are not parsed again."""
    from govreports.transform.document import doc_id_of

    known = known_doc_ids(out_dir)
    todo = [doc for doc in inputs if doc_id_of(doc.path) not in known]
    summary.skipped_known = len(inputs) - len(todo)
    return todo


REBUILT = ("lake", "data_docs")


def swap_in(staging: Path, out_dir: Path) -> None:
    """Replace out_dir's lake and Data Docs with the complete ones built in staging.

    Each folder is swapped by rename, so readers see the old lake or the new one,
    never a mix; the warehouse views are then rebuilt over the new lake."""
    for name in REBUILT:
        new, old = staging / name, out_dir / name
        if not new.exists():
            continue
        retired = out_dir / f".{name}.old"
        shutil.rmtree(retired, ignore_errors=True)
        if old.exists():
            old.rename(retired)
        new.rename(old)
        shutil.rmtree(retired, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    build_warehouse(out_dir)


def finish(summary: RunSummary, out_dir: Path) -> None:
    """Rebuild the warehouse views and validate what was loaded."""
    from govreports.expectations.quarantine import count_for
    from govreports.expectations.validate import validate_run

    summary.warehouse = str(build_warehouse(out_dir))
    # this run's documents, and any an earlier run loaded but did not get to validate
    todo = sorted(set(summary.written_ids) | (known_doc_ids(out_dir) - validated_doc_ids(out_dir)))
    docs = validate_run(out_dir, todo)
    mark_validated(out_dir, todo)
    summary.data_docs = str(docs) if docs else None
    summary.quarantined = count_for(out_dir, summary.written_ids)
