"""The Parquet lake: the source of truth, one file per report_year and batch.

Layout: DIR/lake/<table>/report_year-<YYYY|null>-<name>.parquet, report_year a column inside
every file (tables without a year, `validated` and `corrections`, are plain part-<hash>.parquet).
Not hive folders: pyarrow (what `pd.read_parquet(dir)` uses) reads a null-year partition
`report_year=__HIVE_DEFAULT_PARTITION__` as a dictionary holding a null and fails, a folder named
otherwise parses as a string (or breaks polars' type inference), and a column both in the file and
in the folder name breaks pyarrow's schema merge. A column in flat files reads the same in pandas,
pyarrow, polars and DuckDB, nulls as nulls. A query on one year skips the other years' files by
name (`year_glob`) or by the files' min/max statistics (a WHERE on report_year).
Lakes written in the old hive layout are rewritten once (`migrate_layout`, called by `recover`).
Each batch appends new part files; a doc_id already in the lake is never written twice, so
re-running the same input writes nothing.

A batch is published in three steps (load/faults.py names each step for the crash tests):
its parts are written under DIR/lake/_staging/<batch>/ (invisible to every reader: no
table glob reaches them), then one manifest DIR/lake/_publishing/<batch>.json is renamed
into place (the commit point), then the parts are moved to their final names, documents
last, and the manifest is removed. A crash before the manifest leaves only staging, which
the next run deletes; a crash after it is rolled forward by the next run (`recover`).
Views show facts and checks only of documents whose row is published, so while the moves
run a reader sees each document whole or not at all.
Compaction (load/compact.py) later merges a partition's small parts, swapping the folder whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from govreports.load.faults import crash_point
from govreports.load.sqltext import glob_literal
from govreports.transform.model import DocumentResult

DOCUMENTS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source", pa.string()),
        ("file_name", pa.string()),
        ("format", pa.string()),
        ("doc_type", pa.string()),
        ("template", pa.string()),
        ("agency", pa.string()),
        ("report_year", pa.int32()),
        ("published_date", pa.date32()),
        ("index_no", pa.string()),
        ("title", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("page_count", pa.int32()),
        ("encoding", pa.string()),
        ("n_facts", pa.int32()),
        ("size_bytes", pa.int64()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
        ("parser_version", pa.string()),
        ("published_month", pa.string()),  # 'YYYY-MM'; published_date is null when only the month is printed
        ("meta_sources", pa.string()),  # JSON: the source of agency, report_year, published_date
        ("doc_type_reason", pa.string()),  # why it is (not) an annual report (data/reference/doc_kinds.csv)
    ]
)

FACTS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("report_year", pa.int32()),
        ("key", pa.string()),
        ("value", pa.float64()),
        ("method", pa.string()),
        ("page", pa.int32()),
        ("table_index", pa.int32()),
        ("row_index", pa.int32()),
        ("col_index", pa.int32()),
        ("raw_label", pa.string()),
        ("raw_text", pa.string()),
        ("unit", pa.string()),
        ("note", pa.string()),
        ("flags", pa.string()),
        ("reason", pa.string()),
        ("known", pa.bool_()),
    ]
)

CHECKS_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("report_year", pa.int32()),
        ("identity", pa.string()),
        ("level", pa.string()),
        ("scope", pa.string()),
        ("passed", pa.bool_()),
        ("lhs", pa.float64()),
        ("rhs", pa.float64()),
        ("residual", pa.float64()),
        ("keys", pa.string()),
        ("detail", pa.string()),
    ]
)

SCHEMAS = {"documents": DOCUMENTS_SCHEMA, "facts": FACTS_SCHEMA, "checks": CHECKS_SCHEMA}

# --- where a table's files are: the one place that knows the layout (lake_tables, compact, views use it)
YEAR_PREFIX = "report_year-"
NULL_YEAR = "null"  # in file names only: the column holds a real null
TABLE_GLOB = "*.parquet"  # every file of a table (staging and temporary files never match)


def lake_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "lake"


def table_dir(out_dir: Path, table: str) -> Path:
    return lake_dir(out_dir) / table


def table_files(out_dir: Path, table: str) -> list[Path]:
    return sorted(table_dir(out_dir, table).glob(TABLE_GLOB))


def year_token(year: int | None) -> str:
    return NULL_YEAR if year is None else str(int(year))


def year_file_name(year: int | None, stem: str) -> str:
    """The file name of a part of `year`: report_year-<YYYY|null>-<stem>.parquet."""
    return f"{YEAR_PREFIX}{year_token(year)}-{stem}.parquet"


def year_glob(year: int | None) -> str:
    """The glob of one year's files in a table folder (a reader's pruning by name)."""
    return f"{YEAR_PREFIX}{year_token(year)}-*.parquet"


def partition_of(path: Path) -> str | None:
    """'report_year-2021' for a file of year 2021 ('report_year-null' for no year), None for a table without years."""
    if not path.name.startswith(YEAR_PREFIX):
        return None
    return YEAR_PREFIX + path.name.removeprefix(YEAR_PREFIX).split("-", 1)[0]


def file_year(path: Path) -> int | None:
    token = (partition_of(path) or "").removeprefix(YEAR_PREFIX)
    return None if token in ("", NULL_YEAR) else int(token)


def table_glob_sql(out_dir: Path, table: str, pattern: str = TABLE_GLOB) -> str:
    """The SQL glob of a table's files for read_parquet (relative inside paths_relative_to)."""
    return glob_literal(table_dir(out_dir, table), pattern)


STAGING = "_staging"
PUBLISHING = "_publishing"


# doc_ids per lake, with the part files they were read from: every batch asks, and a
# backfill's lake grows to thousands of parts, so only parts not yet seen are read.
_KNOWN: dict[Path, tuple[set[Path], set[str]]] = {}


def known_doc_ids(out_dir: Path) -> set[str]:
    files = set(table_files(out_dir, "documents"))
    key = Path(out_dir).resolve()
    read, ids = _KNOWN.get(key, (set(), set()))
    if not read <= files:  # parts went away (a rebuilt lake): start over
        read, ids = set(), set()
    new = sorted(files - read)
    if new:
        table = ds.dataset([str(f) for f in new], format="parquet").to_table(columns=["doc_id"])
        ids = ids | set(table["doc_id"].to_pylist())
    _KNOWN[key] = (files, ids)
    return set(ids)


def result_records(results: Iterable[DocumentResult], known_keys: set[str]) -> dict[str, list[dict]]:
    docs, facts, checks = [], [], []
    for r in results:
        year = r.document.get("report_year")
        docs.append(r.document)
        for f in r.facts:
            facts.append(
                {
                    "doc_id": r.doc_id,
                    "report_year": year,
                    "key": f.key,
                    "value": f.value,
                    "method": f.method,
                    "page": f.page,
                    "table_index": f.table_index,
                    "row_index": f.row_index,
                    "col_index": f.col_index,
                    "raw_label": f.raw_label,
                    "raw_text": f.raw_text,
                    "unit": f.unit,
                    "note": f.note,
                    "flags": ",".join(f.flags),
                    "reason": f.reason,
                    "known": f.key in known_keys,
                }
            )
        for c in r.checks:
            checks.append(
                {
                    "doc_id": r.doc_id,
                    "report_year": year,
                    "identity": c.identity,
                    "level": c.level,
                    "scope": c.scope,
                    "passed": c.passed,
                    "lhs": c.lhs,
                    "rhs": c.rhs,
                    "residual": c.residual,
                    "keys": ",".join(c.keys),
                    "detail": c.detail,
                }
            )
    return {"documents": docs, "facts": facts, "checks": checks}


@cache
def _dictionary_metadata() -> dict[bytes, bytes]:
    from govreports.load.dictionary import dictionary_metadata

    return dictionary_metadata()


def atomic_write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".parquet.{os.getpid()}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_json_atomic(data: object, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_batch(results: list[DocumentResult], out_dir: Path, known_keys: set[str]) -> list[DocumentResult]:
    """Append the documents not yet in the lake, as one published batch; return those written."""
    seen = known_doc_ids(out_dir)
    fresh: dict[str, DocumentResult] = {}
    for r in results:
        if r.doc_id not in seen and r.doc_id not in fresh:
            fresh[r.doc_id] = r
    if not fresh:
        return []
    batch_id = hashlib.sha256("".join(sorted(fresh)).encode()).hexdigest()[:16]
    records = result_records(fresh.values(), known_keys)
    staging = lake_dir(out_dir) / STAGING / batch_id
    parts: list[str] = []
    for table in ("facts", "checks", "documents"):  # the order the parts are published in
        by_year: dict[int | None, list[dict]] = {}
        for row in records[table]:
            by_year.setdefault(row["report_year"], []).append(row)
        for year, part in sorted(by_year.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
            data = pa.Table.from_pylist(part, schema=SCHEMAS[table])
            if table == "facts":  # the data dictionary travels with the values (key-value metadata)
                data = data.replace_schema_metadata(_dictionary_metadata())
            rel = f"{table}/{year_file_name(year, f'part-{batch_id}')}"
            atomic_write(data, staging / rel)
            parts.append(rel)
            crash_point("batch-part-staged")
    manifest = lake_dir(out_dir) / PUBLISHING / f"{batch_id}.json"
    write_json_atomic({"batch": batch_id, "parts": parts, "documents": len(fresh)}, manifest)
    crash_point("batch-manifest-written")
    publish_batch(manifest)
    return list(fresh.values())


def publish_batch(manifest: Path) -> None:
    """Move a committed batch's staged parts to their final names (idempotent: a rerun after a
    crash finishes the moves), then drop its manifest and staging folder."""
    lake = manifest.parent.parent
    spec = json.loads(manifest.read_text(encoding="utf-8"))
    if "tables" in spec:  # whole tables replaced (derived tables, load/lake_tables.py)
        publish_tables(manifest)
        return
    staging = lake / STAGING / spec["batch"]
    for rel in spec["parts"]:
        src, dst = staging / rel, lake / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            crash_point("batch-part-published")
    manifest.unlink()
    shutil.rmtree(staging, ignore_errors=True)


def stage_tables_dir(out_dir: Path, build_id: str) -> Path:
    """Where whole replacement tables are written before `commit_tables` (invisible to readers)."""
    return lake_dir(out_dir) / STAGING / f"tables-{build_id}"


def commit_tables(out_dir: Path, build_id: str, tables: list[str]) -> None:
    """Replace lake/<table>/ by the complete folder staged for each of `tables`: one manifest
    rename commits them all, then each folder is swapped in (`publish_tables`)."""
    manifest = lake_dir(out_dir) / PUBLISHING / f"tables-{build_id}.json"
    write_json_atomic({"batch": f"tables-{build_id}", "tables": tables}, manifest)
    crash_point("tables-manifest-written")
    publish_tables(manifest)


def swap_folders(staging: Path, root: Path, names: Iterable[str], step: str) -> None:
    """Move each staging/<name> to root/<name>, the old one renamed aside first and then deleted.
    Safe to repeat after a crash: a name already moved is skipped. `step` names the crash points."""
    for name in names:
        new, dst, retired = staging / name, root / name, root / f".{name}.old"
        if new.exists():
            if dst.exists():
                shutil.rmtree(retired, ignore_errors=True)
                dst.rename(retired)
                crash_point(f"{step}-old-retired")
            new.rename(dst)
            crash_point(f"{step}-new-in-place")
        shutil.rmtree(retired, ignore_errors=True)


def publish_tables(manifest: Path) -> None:
    """Swap each staged table folder in: the old folder is renamed aside, the new one renamed into
    its place, the old one deleted. Idempotent: after a crash the rerun finds each table either
    still staged (swapped now) or already in place (skipped), so a reader never sees a table half
    written, only the old whole one, the new whole one, or (for the instant between the two
    renames, or until the next run rolls a crash forward) none."""
    lake = manifest.parent.parent
    spec = json.loads(manifest.read_text(encoding="utf-8"))
    staging = lake / STAGING / spec["batch"]
    swap_folders(staging, lake, spec["tables"], step="table")
    manifest.unlink()
    shutil.rmtree(staging, ignore_errors=True)


def recover(out_dir: Path) -> list[str]:
    """Bring the lake to a published state after a crash (call it holding the lake lock):
    finish batches whose manifest was written, delete staging and temporary files of the
    others, finish or drop an interrupted compaction (load/compact.py). Returns what was done, for the run summary."""
    from govreports.load.compact import recover_compactions  # compact builds on this module

    lake = lake_dir(out_dir)
    done: list[str] = recover_compactions(out_dir)
    for manifest in sorted((lake / PUBLISHING).glob("*.json")):
        try:
            publish_batch(manifest)
            done.append(f"finished publishing batch {manifest.stem} (interrupted run)")
        except (OSError, ValueError, KeyError) as exc:
            done.append(f"batch manifest {manifest.name} unreadable ({exc}); its staged parts were dropped")
            manifest.unlink(missing_ok=True)
    staging = lake / STAGING
    if staging.exists():
        for batch in sorted(staging.iterdir()):
            done.append(f"dropped unpublished batch {batch.name} (interrupted run; its documents are parsed again)")
        shutil.rmtree(staging, ignore_errors=True)
    for tmp in lake.glob("**/*.tmp") if lake.exists() else []:
        tmp.unlink(missing_ok=True)
    done += migrate_layout(out_dir)
    _KNOWN.pop(Path(out_dir).resolve(), None)
    return done


# --- the old layout: DIR/lake/<table>/report_year=<YYYY|__HIVE_DEFAULT_PARTITION__>/part-*.parquet,
# report_year only in the folder name
OLD_PARTITION = "report_year="
OLD_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def old_layout_tables(out_dir: Path) -> list[str]:
    """Lake tables still holding hive folders (report_year=…)."""
    lake = lake_dir(out_dir)
    tables = [t for t in lake.iterdir() if t.is_dir() and not t.name.startswith(("_", "."))] if lake.exists() else []
    return sorted(t.name for t in tables if any(t.glob(f"{OLD_PARTITION}*/")))


def migrate_layout(out_dir: Path) -> list[str]:
    """Rewrite every old-layout table into the flat layout, report_year put into each file (hold the lake
    lock; `recover` calls it). Each table is built whole under _staging/ and swapped in by the derived
    tables' manifest (commit_tables): a crash before the manifest leaves the old layout, which the next
    run migrates again; one after it is rolled forward by `recover`. Returns what was done."""
    tables = old_layout_tables(out_dir)
    if not tables:
        return []
    build = "migrate-" + hashlib.sha256(f"{os.getpid()} {datetime.now(UTC)}".encode()).hexdigest()[:12]
    staging = stage_tables_dir(out_dir, build)
    shutil.rmtree(staging, ignore_errors=True)
    for table in tables:
        folder, new = table_dir(out_dir, table), staging / table
        new.mkdir(parents=True)
        for part in sorted(folder.glob(f"{OLD_PARTITION}*/*.parquet")):
            token = part.parent.name.removeprefix(OLD_PARTITION)
            year = None if token == OLD_NULL_PARTITION else int(token)
            with_year_column(part, new / year_file_name(year, part.stem), year, table)
            crash_point("migrate-part-written")
        for flat in folder.glob(TABLE_GLOB):  # parts already in the new layout are kept as they are
            os.link(flat, new / flat.name)
    commit_tables(out_dir, build, tables)
    return [f"migrated lake/{table} to one folder with report_year in every file (was report_year=… folders)"
            for table in tables]  # fmt: skip


def with_year_column(src: Path, dst: Path, year: int | None, table: str) -> None:
    """Copy one old part, row group by row group, with report_year (int32) where the table's schema has it."""
    source = pq.ParquetFile(src)
    schema = source.schema_arrow
    if "report_year" in schema.names:
        os.link(src, dst)
        return
    known = SCHEMAS.get(table)
    at = known.names.index("report_year") if known is not None else int(schema.names[:1] == ["doc_id"])
    meta = {k: v for k, v in (schema.metadata or {}).items() if k != b"ARROW:schema"}
    field = pa.field("report_year", pa.int32())
    tmp = dst.with_suffix(f".parquet.{os.getpid()}.tmp")
    writer = pq.ParquetWriter(tmp, schema.insert(at, field).with_metadata(meta or None), compression="zstd")
    try:
        for i in range(source.num_row_groups):
            group = source.read_row_group(i)
            writer.write_table(group.add_column(at, field, pa.array([year] * group.num_rows, pa.int32())))
    finally:
        writer.close()
    os.replace(tmp, dst)


def read_table(out_dir: Path, table: str, schema: pa.Schema | None = None) -> pa.Table:
    """The whole table (report_year is a column of every file)."""
    files = table_files(out_dir, table)
    if not files:
        return (schema or SCHEMAS[table]).empty_table()
    # the table's schema, not the first file's: parts written before a column was added read it as null
    dataset = ds.dataset([str(f) for f in files], schema=schema or SCHEMAS.get(table), format="parquet")
    return dataset.to_table()


# Documents whose validation has run. A run that stops after loading but before
# validating leaves its documents out of here, and the next run validates them.
VALIDATED = "validated"
VALIDATED_SCHEMA = pa.schema([("doc_id", pa.string()), ("validated_at", pa.timestamp("us", tz="UTC"))])


def validated_doc_ids(out_dir: Path) -> set[str]:
    files = sorted((lake_dir(out_dir) / VALIDATED).glob("*.parquet"))
    if not files:
        return set()
    return set(pq.ParquetDataset(files).read(columns=["doc_id"]).column("doc_id").to_pylist())


def mark_validated(out_dir: Path, doc_ids: Iterable[str]) -> None:
    fresh = sorted(set(doc_ids) - validated_doc_ids(out_dir))
    if not fresh:
        return
    now = datetime.now(UTC)
    table = pa.Table.from_pylist([{"doc_id": d, "validated_at": now} for d in fresh], schema=VALIDATED_SCHEMA)
    digest = hashlib.sha256("".join(fresh).encode()).hexdigest()[:16]
    atomic_write(table, lake_dir(out_dir) / VALIDATED / f"part-{digest}.parquet")
