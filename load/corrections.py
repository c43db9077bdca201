"""Analysts' corrections as data: a CSV of values that override what the parser read.

A row names a document by doc_id (or by agency + report_year: every copy of that report), a
unified key, the value, and why/who/when. The rows are written to the lake as an overlay table
(lake/corrections/part-<file sha256>.parquet) after load, so no document is parsed again; the
warehouse `facts` view shows a corrected (doc_id, key) as one fact with method `manual`, and the
`corrections` view keeps the machine value beside the manual one. The overlay is rewritten
whenever the file's SHA-256 or what its rows resolve to changes (a document ingested since, a
--rebuild, which starts a new lake); a row whose
document or key does not exist is returned as an error, never silently dropped.

Where the file lives: `--corrections FILE`, default OUT/corrections.csv (the user's output folder:
corrections are the analyst's data, not the package's, so data/* of a checkout stays untracked).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from govreports.load.lake import atomic_write, lake_dir, read_table
from govreports.load.sqltext import glob_literal

TABLE = "corrections"
FILE_NAME = "corrections.csv"
COLUMNS = ["doc_id", "agency", "report_year", "key", "value", "reason", "author", "date"]
SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("report_year", pa.int32()),
        ("key", pa.string()),
        ("value", pa.float64()),
        ("machine_value", pa.float64()),
        ("machine_method", pa.string()),
        ("reason", pa.string()),
        ("author", pa.string()),
        ("date", pa.string()),
        ("line", pa.int32()),
        ("file_sha256", pa.string()),
    ]
)


def default_path(out_dir: Path) -> Path:
    return Path(out_dir) / FILE_NAME


def overlay_files(out_dir: Path) -> list[Path]:
    return sorted((lake_dir(out_dir) / TABLE).glob("part-*.parquet"))


def applied_sha256(out_dir: Path) -> str | None:
    files = overlay_files(out_dir)
    return files[0].stem.removeprefix("part-") if files else None


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) per correction; the header must name at least key, value, reason."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"key", "value", "reason"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)} (expected {', '.join(COLUMNS)})")
        return [(i, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in enumerate(reader, start=2)]


def _documents(out_dir: Path) -> list[dict]:
    cols = ["doc_id", "agency", "report_year", "doc_type"]
    return read_table(out_dir, "documents").select(cols).to_pylist()


def _machine_facts(out_dir: Path) -> dict[tuple[str, str], tuple[float | None, str]]:
    facts = read_table(out_dir, "facts").select(["doc_id", "key", "value", "method"]).to_pylist()
    return {(f["doc_id"], f["key"]): (f["value"], f["method"]) for f in facts}


def resolve(
    rows: list[tuple[int, dict[str, str]]], out_dir: Path, known_keys: set[str], file_sha: str
) -> tuple[list[dict], list[tuple[str, str]]]:
    """Overlay records and errors (source, message) for the rows."""
    docs = _documents(out_dir)
    by_id = {d["doc_id"]: d for d in docs}
    machine = _machine_facts(out_dir)
    records, errors = [], []
    for line, row in rows:
        where = f"{FILE_NAME}:{line}"
        try:
            value = float(row["value"])
        except ValueError:
            errors.append((where, f"value {row['value']!r} is not a number"))
            continue
        if row["key"] not in known_keys:
            errors.append((where, f"key {row['key']!r} is not in the data dictionary"))
            continue
        targets = _targets(row, docs, by_id)
        if isinstance(targets, str):
            errors.append((where, targets))
            continue
        for d in targets:
            machine_value, machine_method = machine.get((d["doc_id"], row["key"]), (None, None))
            records.append(
                {
                    "doc_id": d["doc_id"],
                    "report_year": d["report_year"],
                    "key": row["key"],
                    "value": value,
                    "machine_value": machine_value,
                    "machine_method": machine_method,
                    "reason": row["reason"],
                    "author": row.get("author", ""),
                    "date": row.get("date", ""),
                    "line": line,
                    "file_sha256": file_sha,
                }
            )
    return records, errors


def _targets(row: dict[str, str], docs: list[dict], by_id: dict[str, dict]) -> list[dict] | str:
    """The documents a row names, or why it names none."""
    doc_id = row.get("doc_id", "")
    if doc_id:
        return [by_id[doc_id]] if doc_id in by_id else f"no document with doc_id {doc_id!r}"
    agency, year = row.get("agency", ""), row.get("report_year", "")
    if not agency or not year.isdigit():
        return "give doc_id, or agency and report_year"
    found = [
        d for d in docs if d["agency"] == agency and d["report_year"] == int(year) and d["doc_type"] == "annual_report"
    ]
    return found or f"no annual report of {agency!r} for {year}"


def apply_corrections(out_dir: Path, path: Path | None, known_keys: set[str]) -> tuple[bool, list[tuple[str, str]]]:
    """Bring the overlay in line with the file; returns (changed, errors). No file: no overlay."""
    path = path or default_path(out_dir)
    if not path.is_file():
        changed = bool(overlay_files(out_dir))
        for f in overlay_files(out_dir):
            f.unlink()
        return changed, []
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    records, errors = resolve(read_rows(path), out_dir, known_keys, sha)
    old = overlay_files(out_dir)
    # Same file and same targets: nothing to do. A document ingested since (or a --rebuild) changes the targets.
    if applied_sha256(out_dir) == sha and read_table_rows(old) == records:
        return False, errors
    atomic_write(pa.Table.from_pylist(records, schema=SCHEMA), lake_dir(out_dir) / TABLE / f"part-{sha}.parquet")
    for f in old:
        if f.stem != f"part-{sha}":
            f.unlink()
    return True, errors


def read_table_rows(files: list[Path]) -> list[dict]:
    return pq.ParquetDataset(files).read().to_pylist() if files else []


def overlay_sql(out_dir: Path, facts_select: str) -> str:
    """The facts relation with each corrected (doc_id, key) replaced by one `manual` fact."""
    files = overlay_files(out_dir)
    if not files:
        return facts_select
    overlay = f"read_parquet({glob_literal(files[0].parent, files[0].name)})"
    return f"""
SELECT f.* FROM ({facts_select}) f
WHERE NOT EXISTS (SELECT 1 FROM {overlay} c WHERE c.doc_id = f.doc_id AND c.key = f.key)
UNION ALL BY NAME
SELECT c.doc_id, c.report_year, c.key, c.value, 'manual' AS method,
       m.page, m.table_index, m.row_index, m.col_index, m.raw_label, m.raw_text, m.unit,
       'machine value ' || coalesce(CAST(c.machine_value AS VARCHAR), 'null') || '; by ' || c.author || ' '
           || c.date AS note,
       'manual' AS flags, c.reason, true AS known
FROM {overlay} c
LEFT JOIN ({facts_select}) m ON m.doc_id = c.doc_id AND m.key = c.key
"""


def create_corrections_view(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """`corrections`: every applied correction with the machine value beside it."""
    files = overlay_files(out_dir)
    if files:
        select = f"SELECT * FROM read_parquet({glob_literal(files[0].parent, files[0].name)})"
    else:
        from govreports.load.warehouse import duck_type

        cols = ", ".join(f"CAST(NULL AS {duck_type(f.type)}) AS {f.name}" for f in SCHEMA)
        select = f"SELECT {cols} WHERE false"
    con.execute(f"CREATE OR REPLACE VIEW corrections AS {select}")
