"""Derived lake tables: what decides the analyst totals, as Parquet of its own.

`lake/document_choice/` (one row per document: report_year, doc_id, agency_key, is_primary, reason)
and `lake/reports/` (the rows of the `reports` view) are computed by DuckDB from the lake when the
warehouse is built, so pandas, polars and pyarrow readers get the same totals as the views without
re-implementing the choice of primary copies.

This first version recomputes both tables in full at every build (document_choice is one row per
document); maintaining them per touched agency is issue 13 item 1.

Layout: one file per report year, `lake/<table>/report_year-<YYYY|null>-<n>.parquet`, with
report_year a column inside the file, not a hive folder: pyarrow's default hive discovery (what
`pd.read_parquet(dir)` uses) turns a `report_year=__HIVE_DEFAULT_PARTITION__` folder into a
dictionary holding a null, and then fails (`Cannot yet unify dictionaries with nulls`); a column in
the file is read the same way by pandas, pyarrow, polars and DuckDB, nulls included.

Visibility: the tables are written (COPY … PARTITION_BY) under lake/_staging/, then committed by
one manifest rename and swapped in folder by folder (load.lake.commit_tables): a crash never leaves
a half-written table visible, and the next run rolls a committed swap forward.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb

from govreports.load.lake import commit_tables, lake_dir, stage_tables_dir
from govreports.load.sqltext import glob_literal, path_literal

# table -> SELECT over the warehouse's computing views (each has report_year, the file key)
DERIVED = {
    "document_choice": (
        "SELECT d.report_year, c.doc_id, n.agency_key, c.is_primary, c.reason "
        "FROM document_choice c JOIN documents d USING (doc_id) LEFT JOIN agency_names n ON n.agency = d.agency"
    ),
    "reports": "SELECT * FROM reports",
}
# the warehouse views that become thin selects over a derived table, with the columns they keep
THIN_VIEWS = {"document_choice": ("doc_id", "is_primary", "reason"), "reports": None}  # None: every column
NULL_YEAR = "null"


def table_files(out_dir: Path, table: str) -> list[Path]:
    return sorted((lake_dir(out_dir) / table).glob("report_year-*.parquet"))


def _build_id() -> str:
    return hashlib.sha256(f"{os.getpid()} {time.time_ns()}".encode()).hexdigest()[:16]


def _flatten(hive: Path, flat: Path) -> None:
    """report_year=<Y>/part-<n>.parquet (DuckDB's PARTITION_BY output) -> report_year-<Y>-<n>.parquet."""
    flat.mkdir(parents=True, exist_ok=True)
    for part in sorted(hive.glob("report_year=*/*.parquet")):
        year = part.parent.name.removeprefix("report_year=")
        year = NULL_YEAR if year == "__HIVE_DEFAULT_PARTITION__" else year
        part.rename(flat / f"report_year-{year}-{part.stem.removeprefix('part-')}.parquet")
    shutil.rmtree(hive, ignore_errors=True)


def stage_table(con: duckdb.DuckDBPyConnection, select: str, staging: Path, table: str) -> None:
    hive = staging / f"_{table}.hive"
    con.execute(
        f"COPY ({select} ORDER BY report_year, doc_id) TO {path_literal(hive)} "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (report_year), WRITE_PARTITION_COLUMNS true, "
        "FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE true)"
    )
    _flatten(hive, staging / table)


def write_derived_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Compute every derived table from the views on `con` and swap them into the lake (hold the lake lock)."""
    build = _build_id()
    staging = stage_tables_dir(out_dir, build)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for table, select in DERIVED.items():
        stage_table(con, select, staging, table)
    commit_tables(out_dir, build, list(DERIVED))


def thin_view_sql(out_dir: Path, table: str, columns: list[tuple[str, str]]) -> str | None:
    """SELECT of `columns` (name, DuckDB type) from the derived table's files; None when it has none."""
    if not table_files(out_dir, table):
        return None
    cols = ", ".join(f"CAST({name} AS {typ}) AS {name}" for name, typ in columns)
    glob = glob_literal(lake_dir(out_dir) / table, "report_year-*.parquet")
    return f"SELECT {cols} FROM read_parquet({glob}, hive_partitioning = false)"


def use_derived_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Write the derived tables, then point the views that computed them at them (same columns, same types)."""
    describe = "SELECT column_name, column_type FROM (DESCRIBE {})"
    shapes = {view: con.execute(describe.format(view)).fetchall() for view in THIN_VIEWS}
    write_derived_tables(con, out_dir)
    for view, keep in THIN_VIEWS.items():
        columns = [c for c in shapes[view] if keep is None or c[0] in keep]
        sql = thin_view_sql(out_dir, view, columns)
        if sql:  # an empty lake keeps the computing view (same empty answer)
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {sql}")
