"""DIR/warehouse.duckdb: views over the Parquet lake, rebuilt by every load.

The DuckDB file holds views and two small lookup tables derived from reference
data (key_dictionary, agencies), nothing else, so it can be deleted and rebuilt
from the lake at any time (`govreports warehouse DIR`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from govreports.load import corrections, views
from govreports.load.choice import create_choice_views
from govreports.load.faults import crash_point
from govreports.load.lake import SCHEMAS, lake_dir, recover, table_files, table_glob_sql, write_json_atomic
from govreports.load.lake_tables import DERIVED, use_derived_tables
from govreports.load.lock import lake_lock
from govreports.load.sqltext import glob_literal, path_literal, paths_relative_to
from govreports.pipelines import __version__

WAREHOUSE_NAME = "warehouse.duckdb"
# Views a caller adds after the load's own (the pipelines add validation's: expectations/ is not imported here)
ExtraViews = Sequence[Callable[[duckdb.DuckDBPyConnection], None]]


def warehouse_path(out_dir: Path) -> Path:
    return Path(out_dir) / WAREHOUSE_NAME


def duck_type(arrow_type: pa.DataType) -> str:
    mapping = {
        pa.string(): "VARCHAR",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float64(): "DOUBLE",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
    }
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMPTZ"
    return mapping[arrow_type]


def lake_view_sql(out_dir: Path, table: str, schema: pa.Schema) -> str:
    """SELECT over one lake table, or a typed empty relation when the table has no file yet.
    report_year is a plain column of the files, so a WHERE on it is pushed into the Parquet scan
    (row groups of other years are skipped by their statistics)."""
    if not table_files(out_dir, table):
        cols = ", ".join(f"CAST(NULL AS {duck_type(f.type)}) AS {f.name}" for f in schema)
        return f"SELECT {cols} WHERE false"
    # a column added to the schema after the lake's parts were written is null for them
    written = set().union(*(pq.read_schema(f).names for f in table_files(out_dir, table)))
    cols = ", ".join(f.name if f.name in written else f"CAST(NULL AS {duck_type(f.type)}) AS {f.name}" for f in schema)
    return f"SELECT {cols} FROM {_read_lake(out_dir, table)}"


def _read_lake(out_dir: Path, table: str) -> str:
    return f"read_parquet({table_glob_sql(out_dir, table)}, hive_partitioning = false, union_by_name = true)"


def base_view_sql(out_dir: Path, table: str) -> str:
    select = lake_view_sql(out_dir, table, SCHEMAS[table])
    if table == "documents" or not table_files(out_dir, table):
        return select
    # Rows of a batch whose documents part was never written (a crash mid-batch) are not shown.
    select = f"{select} WHERE doc_id IN (SELECT doc_id FROM {_raw_documents(out_dir)})"
    return corrections.overlay_sql(out_dir, select) if table == "facts" else select


def _raw_documents(out_dir: Path) -> str:
    return _read_lake(out_dir, "documents")


def open_database(path: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file at `path`, in a DuckDB instance of its own.

    `duckdb.connect(path)` shares one instance per path across the process, and in DuckDB 1.5 a
    relation that outlives its closed connection (`rel = con.sql(...)`; `con.close()`, common in a
    notebook) makes every later `connect` of that path spin forever. Attaching the file to a
    private in-memory instance never meets that cache.

    The views hold lake paths relative to the file's folder (so the folder can be moved or
    copied); they are resolved here, against that folder."""
    con = duckdb.connect(config={"file_search_path": Path(path).resolve().parent.as_posix()})
    mode = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH {path_literal(path)} AS {_catalog(path)}{mode}")
    con.execute(f"USE {_catalog(path)}")
    return con


def _catalog(path: Path) -> str:
    # The name DuckDB gives the file when it is opened directly, so stored views bind the same way.
    return '"' + (Path(path).name.split(".")[0] or "db").replace('"', '""') + '"'


def connect(out_dir: Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    return open_database(warehouse_path(out_dir), read_only=read_only)


def create_fetches_view(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """The crawler's fetch log (DIR/raw/fetches.jsonl), one row per fetched URL, when there is one.
    A torn line (a crash mid-append) is skipped, not an error."""
    log = Path(out_dir) / "raw" / "fetches.jsonl"
    if log.exists() and log.stat().st_size:
        src = glob_literal(log.parent, log.name)
        con.execute(
            f"CREATE OR REPLACE VIEW fetches AS SELECT * FROM read_json_auto({src}, format = 'newline_delimited', "
            "ignore_errors = true)"
        )


def build_warehouse(out_dir: Path, extra_views: ExtraViews = ()) -> Path:
    """(Re)create the base views documents, facts, checks, the primary-copy choice and the analyst
    views; write the derived lake tables (load/lake_tables.py: document_choice, reports, the wide
    tables, series) and make those views thin selects over them; then `extra_views` (each called
    with the connection; the pipelines pass validation's cross-document and plausibility views).

    The new file is built beside the old one and renamed over it: a reader holding the old
    warehouse open (a notebook) keeps its snapshot and never blocks the build, and a crash
    mid-build leaves the old warehouse whole. The build writes the lake, so it holds the lake lock
    (re-entrant: an ingest already holds it)."""
    with lake_lock(out_dir, command="warehouse"):
        return _build_warehouse(out_dir, extra_views)


def create_computing_views(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Every view of the load computed from the base tables (before use_derived_tables makes the
    derived ones thin selects); call inside paths_relative_to(out_dir)."""
    for table in SCHEMAS:
        con.execute(f"CREATE OR REPLACE VIEW {table} AS {base_view_sql(out_dir, table)}")
    create_fetches_view(con, out_dir)
    corrections.create_corrections_view(con, out_dir)
    create_choice_views(con)
    views.create_views(con)


def _build_warehouse(out_dir: Path, extra_views: ExtraViews) -> Path:
    recover(out_dir)  # the views read the flat layout: an old lake is migrated first (no-op after)
    path = warehouse_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
    for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = open_database(tmp, read_only=False)
    try:
        with paths_relative_to(out_dir):
            create_computing_views(con, out_dir)
            use_derived_tables(con, out_dir)
            for create in extra_views:
                create(con)
            crash_point("warehouse-built")
    finally:
        con.close()
    os.replace(tmp, path)
    stamp_warehouse(out_dir)
    return path


def stamp_warehouse(out_dir: Path) -> None:
    """Record that the warehouse is current (after a build, or a change in place made under the lock)."""
    write_json_atomic(built_from(out_dir), stamp_path(out_dir))


def stamp_path(out_dir: Path) -> Path:
    return Path(out_dir) / f".{WAREHOUSE_NAME}.built.json"


def built_from(out_dir: Path) -> dict:
    """What the views depend on: the code that wrote them, the lake's part files (a view over an
    empty table, the columns written, the corrections overlay), the fetch log, and the file itself."""
    files = [f for table in SCHEMAS for f in table_files(out_dir, table)] + corrections.overlay_files(out_dir)
    files += [f for table in DERIVED for f in table_files(out_dir, table)]  # a table lost or mid-swap: rebuild
    parts = sorted(str(f.relative_to(lake_dir(out_dir))) for f in files)
    log = Path(out_dir) / "raw" / "fetches.jsonl"
    stat = warehouse_path(out_dir).stat()
    return {
        "version": __version__,
        "lake_parts": hashlib.sha256("\n".join(parts).encode()).hexdigest(),
        "fetch_log": log.exists() and log.stat().st_size > 0,
        "warehouse": [stat.st_mtime_ns, stat.st_size],
    }


def warehouse_is_current(out_dir: Path) -> bool:
    """The warehouse exists and was built by this version over the lake as it is now (else rebuild it).
    A build by another version, or anything that touched the file since, leaves the stamp stale."""
    try:
        stamp = json.loads(stamp_path(out_dir).read_text(encoding="utf-8"))
        return stamp == built_from(out_dir)
    except (OSError, ValueError):
        return False


def remove_stale_builds(out_dir: Path) -> None:
    """Warehouse files a killed build left behind (call holding the lake lock)."""
    for stale in Path(out_dir).glob(f".{WAREHOUSE_NAME}.*.building*"):
        stale.unlink(missing_ok=True)
