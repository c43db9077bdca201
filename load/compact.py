"""Compaction: the small Parquet parts of each lake partition rewritten into few large ones.

Every batch adds one part per table and year, so a nightly stream becomes thousands of small
files, and every query and warehouse build pays per file. `compact` merges a partition's small
parts (under SMALL_FILE_BYTES) into files of about TARGET_FILE_BYTES, sorted by the columns
queries filter on (SORT_PREFERENCE), so row-group statistics prune. Large files are kept as they
are (hard-linked into the new folder), so a big partition is not rewritten for a few new parts.
A partition is one table's files of one year (`report_year-<Y>-*.parquet`, load/lake.py), or all
the files of a table without years; the partitions of a table share its folder.

Atomic, crash-safe, never half-visible (docs/guarantees.md). Under the lake lock, per table:
  1. the new table folder is built under DIR/lake/_compacting/<id>/new/ (no reader glob reaches it):
     the merged files of each partition compacted, plus hard links to every other file;
  2. its journal DIR/lake/_compacting/<id>/swap.json names the folder it replaces;
  3. one renameat2(RENAME_EXCHANGE) swaps the two folders: readers listing the table see all
     the old parts or all the new ones, never both, never neither; the old parts now sit in
     staging, and step 4 deletes them.
A crash before 3 leaves the table untouched (recover drops staging); after 3 the table is
already new (recover drops staging, which holds the old parts). Where the file system cannot
exchange, two renames are used (old aside, new in), and recover finishes them from the journal.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from govreports.load.faults import crash_point
from govreports.load.lake import TABLE_GLOB, lake_dir, partition_of, write_json_atomic
from govreports.load.lake_tables import DERIVED
from govreports.load.lock import lake_lock
from govreports.load.sqltext import literal

COMPACTING = "_compacting"
SMALL_FILE_BYTES = 64 * 2**20  # a part under this is merged; one above is kept as it is
TARGET_FILE_BYTES = 128 * 2**20  # a merged file is closed once it reaches about this size
ROWS_PER_GROUP = 122_880  # DuckDB's default row group: statistics per ~120k rows
# The columns queries filter on, in sort order; each table is sorted by those it has, doc_id last.
SORT_PREFERENCE = ("agency_key", "agency", "key", "identity", "table_name", "doc_id")
# Tables compaction leaves alone, with why.
NOT_COMPACTED = {
    "corrections": "one file, replaced whole; its name is the sha256 of the applied corrections file",
} | {table: "derived, maintained per year by every warehouse build, one file per year by name" for table in DERIVED}
RENAME_EXCHANGE = 2  # linux/fs.h
AT_FDCWD = -100


@dataclass
class Compacted:
    """What one compaction run did, for the summary and the tests."""

    partitions: list[str] = field(default_factory=list)  # 'facts/report_year-2021', 'validated'
    files_before: int = 0
    files_after: int = 0

    def __bool__(self) -> bool:
        return bool(self.partitions)


def partitions(out_dir: Path) -> dict[str, list[Path]]:
    """Every partition of the lake, by label ('facts/report_year-2021', or the table's name for a
    table without years), with its part files."""
    lake = lake_dir(out_dir)
    found: dict[str, list[Path]] = {}
    for table in sorted(p for p in lake.iterdir() if p.is_dir()) if lake.exists() else []:
        if table.name in NOT_COMPACTED or table.name.startswith(("_", ".")):  # _staging, _publishing, …
            continue
        for part in sorted(table.glob(TABLE_GLOB)):
            year = partition_of(part)
            found.setdefault(f"{table.name}/{year}" if year else table.name, []).append(part)
    return found


def small_parts(files: list[Path]) -> list[Path]:
    return [p for p in files if p.stat().st_size < SMALL_FILE_BYTES]


def needs_compaction(files: list[Path], min_parts: int) -> bool:
    """Two small parts or more, and more than min_parts parts in all."""
    return len(small_parts(files)) >= 2 and len(files) > min_parts


def compact(out_dir: Path, min_parts: int = 1) -> Compacted:
    """Compact every partition of DIR's lake holding more than `min_parts` parts (two small ones at
    least). Takes the lake lock (re-entrant: an ingest calls it holding it) and first finishes or
    drops whatever an interrupted run left (lake.recover)."""
    from govreports.load.lake import recover

    out_dir = Path(out_dir)
    done = Compacted()
    with lake_lock(out_dir, command="compact"):
        recover(out_dir)
        by_table: dict[str, dict[str, list[Path]]] = {}
        for label, files in partitions(out_dir).items():
            if needs_compaction(files, min_parts):
                by_table.setdefault(label.split("/")[0], {})[label] = files
        for table, todo in by_table.items():
            compact_table(out_dir, table, todo)
            after = partitions(out_dir)
            done.partitions += list(todo)
            done.files_before += sum(len(files) for files in todo.values())
            done.files_after += sum(len(after[label]) for label in todo)
        shutil.rmtree(lake_dir(out_dir) / COMPACTING, ignore_errors=True)  # emptied by each table's step 4
    return done


def compact_after_ingest(out_dir: Path) -> Compacted:
    """The automatic compaction: only partitions past `compact_after_parts` (limits.json)."""
    from govreports.extract.limits import limit  # govreports.extract loads the parsers: not for a bare compact

    return compact(out_dir, min_parts=int(limit("compact_after_parts")))


def compact_table(out_dir: Path, table: str, todo: dict[str, list[Path]]) -> None:
    """Rewrite the small parts of the partitions `todo` (label -> parts) of one table into few sorted
    files each, and swap the table's new folder in (steps 1–4)."""
    lake = lake_dir(out_dir)
    folder = lake / table
    merged = {label: small_parts(files) for label, files in todo.items()}
    merging = {p for files in merged.values() for p in files}
    names = "\0".join(p.name for p in sorted(merging))
    digest = hashlib.sha256((table + "\0" + names).encode()).hexdigest()[:16]
    work = lake / COMPACTING / digest
    shutil.rmtree(work, ignore_errors=True)
    new = work / "new"
    new.mkdir(parents=True)
    for p in sorted(folder.glob(TABLE_GLOB)):
        if p not in merging:
            os.link(p, new / p.name)
    for label, files in merged.items():
        year = label.partition("/")[2]  # 'report_year-2021', '' for a table without years
        write_merged(files, new, f"{year or 'part'}-compact-{digest}", work)  # the names readers glob
    _fsync(new)  # the merged files were synced as written; the links are of published files
    write_json_atomic({"partition": table}, work / "swap.json")
    crash_point("compact-staged")
    swap_folders(new, folder, work / "old")
    crash_point("compact-swapped")
    shutil.rmtree(work)
    crash_point("compact-cleaned")


def sort_columns(names: list[str]) -> list[str]:
    return [c for c in SORT_PREFERENCE if c in names]


def write_merged(files: list[Path], folder: Path, stem: str, scratch: Path) -> None:
    """The rows of `files`, sorted, into folder/<stem>-<n>.parquet of about TARGET_FILE_BYTES each.
    DuckDB sorts (spilling to `scratch`, so memory stays bounded); pyarrow writes, keeping the
    parts' Arrow types and key-value metadata (the facts carry the data dictionary)."""
    import duckdb

    schema = merged_schema(files)
    order = sort_columns(schema.names)
    file_list = "[" + ", ".join(literal(str(f)) for f in files) + "]"
    cols = ", ".join(f'"{n}"' for n in schema.names)
    sql = f"SELECT {cols} FROM read_parquet({file_list}, union_by_name = true, hive_partitioning = false)"
    if order:
        sql += " ORDER BY " + ", ".join(f'"{c}" NULLS FIRST' for c in order)
    con = duckdb.connect()  # private, in-memory: no database file is opened
    try:
        con.execute(f"SET temp_directory = {literal(str(scratch / 'spill'))}")
        con.execute("SET preserve_insertion_order = true")
        # a relation's reader streams; DuckDB 2 materialises a DB-API result (con.execute) first
        reader = con.sql(sql).to_arrow_reader(ROWS_PER_GROUP)
        _write_rolling(reader, schema, folder, stem)
    finally:
        con.close()


def merged_schema(files: list[Path]) -> pa.Schema:
    """The union of the parts' schemas (a part written before a column was added lacks it), with
    the newest part's metadata, less pyarrow's own serialized schema."""
    schemas = [pq.read_schema(f) for f in files]
    unified = pa.unify_schemas(schemas[::-1])  # newest first: its field order and metadata win
    meta = {k: v for k, v in (unified.metadata or {}).items() if k != b"ARROW:schema"}
    return unified.with_metadata(meta or None)


def _write_rolling(reader: pa.RecordBatchReader, schema: pa.Schema, folder: Path, stem: str) -> None:
    n, writer, path = 0, None, None
    try:
        for batch in reader:
            if writer is None:
                path = folder / f"{stem}-{n}.parquet"
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            writer.write_table(pa.Table.from_batches([batch]).cast(schema), row_group_size=ROWS_PER_GROUP)
            if path.stat().st_size >= TARGET_FILE_BYTES:
                writer.close()
                _fsync(path)
                crash_point("compact-part-written")
                writer, n = None, n + 1
        if writer is None and n == 0:  # no rows at all: still one (empty) file, so the table keeps its schema
            path = folder / f"{stem}-0.parquet"
            writer = pq.ParquetWriter(path, schema, compression="zstd")
    finally:
        if writer is not None:
            writer.close()
            _fsync(path)
            crash_point("compact-part-written")


def swap_folders(new: Path, partition: Path, aside: Path) -> None:
    """Put `new` where `partition` is, in one step where the file system can (the old folder ends
    up at `new`'s path); else in two renames (old to `aside`, new in), which recover can finish."""
    if exchange(new, partition):
        return
    partition.rename(aside)
    crash_point("compact-old-aside")
    new.rename(partition)


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if os.environ.get("GOVREPORTS_COMPACT_NO_EXCHANGE"):  # the two-rename path, for its crash tests
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def recover_compactions(out_dir: Path) -> list[str]:
    """After a crash (hold the lake lock): finish a two-rename swap caught halfway (its partition
    is missing and its new folder complete), and drop every compaction's staging, which holds
    either the unpublished new parts or the old parts already replaced."""
    root = lake_dir(out_dir) / COMPACTING
    done: list[str] = []
    for work in sorted(root.iterdir()) if root.exists() else []:
        journal = work / "swap.json"
        try:
            target = lake_dir(out_dir) / json.loads(journal.read_text(encoding="utf-8"))["partition"]
        except (OSError, ValueError, KeyError):
            target = None
        if target is not None and not target.exists() and (work / "new").exists():
            (work / "new").rename(target)
            done.append(f"finished compacting {target.relative_to(lake_dir(out_dir)).as_posix()} (interrupted run)")
        else:
            done.append(f"dropped the staging of an interrupted compaction ({work.name}); the lake is whole")
        shutil.rmtree(work, ignore_errors=True)
    if root.exists():
        shutil.rmtree(root, ignore_errors=True)
    return done


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    for f in path.iterdir():
        _fsync(f)
    _fsync(path)
