"""An ingest run's inputs as a file under the output folder, so the flow's parameters stay small.

Prefect refuses a flow run whose parameters pass 512 KB (HTTP 422): the whole input list as a
parameter (about 170 bytes an input) stopped a run at about 3,000 inputs. The flow gets the path of
this file instead, whatever the number of inputs. One JSON line a header (the count and the label
that names the run), then one line per InputDoc.

A manifest lives only as long as its run: pipelines.flows.ingest_listed writes it holding the output
folder's lock and deletes it when the flow returns or raises, and the next run deletes one a killed run
left. Nothing accumulates; a Prefect flow run cannot be re-run from the UI with its old parameters
(its manifest is gone): run the command again, which skips what is already in the lake.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from govreports.transform.model import InputDoc

MANIFEST_DIR = "runs"  # under the output folder
SUFFIX = ".inputs.jsonl"


def new_manifest_path(out_dir: Path) -> Path:
    """A name no other run uses: time, process and a random part."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path(out_dir) / MANIFEST_DIR / f"ingest-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"


def write_manifest(inputs: list[InputDoc], out_dir: Path) -> Path:
    """Write the inputs (in order) to a new manifest under out_dir/runs/; returns its path."""
    from govreports.pipelines.observe import inputs_label

    path = new_manifest_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"inputs": len(inputs), "label": inputs_label(doc.path for doc in inputs)}
    with path.open("w", encoding="utf-8") as f:
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for doc in inputs:
            row = {"path": str(doc.path), "source": doc.source, "file_name": doc.file_name}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def manifest_header(path: str | Path) -> dict:
    """The header line: {'inputs': N, 'label': 'samples'} (read without the rest of the file)."""
    with Path(path).open(encoding="utf-8") as f:
        return json.loads(f.readline())


def iter_manifest(path: str | Path) -> Iterator[InputDoc]:
    """The manifest's inputs, one at a time, in the order written."""
    with Path(path).open(encoding="utf-8") as f:
        f.readline()  # the header
        for line in f:
            row = json.loads(line)
            yield InputDoc(path=Path(row["path"]), source=row["source"], file_name=row["file_name"])


def read_manifest(path: str | Path) -> list[InputDoc]:
    return list(iter_manifest(path))


def remove_manifests(out_dir: Path) -> int:
    """Delete every manifest under out_dir/runs/ (call it holding out_dir's lock); how many there were."""
    stale = sorted((Path(out_dir) / MANIFEST_DIR).glob(f"*{SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
