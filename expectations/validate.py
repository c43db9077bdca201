"""Great Expectations validation of each ingest run (filled in by the validation work)."""

from __future__ import annotations

from pathlib import Path


def validate_run(out_dir: Path, doc_ids: list[str]) -> Path | None:
    """Validate what the run loaded; return the Data Docs index it wrote, if any."""
    return None
