"""Derived lake tables: what decides the analyst totals, and the rows analysts query, as Parquet of their own.

`lake/document_choice/` (one row per document: report_year, doc_id, agency_key, is_primary, reason,
agency), `lake/reports/`, the wide tables and `lake/series/` (the rows of the views of those names) are
computed by DuckDB from the lake when the warehouse is built; the views become thin selects over them,
so a query reads the rows it needs instead of pivoting `facts`, and pandas, polars and pyarrow readers
get the same totals as the views without re-implementing the choice of primary copies.

Each year's file is sorted by the columns queries filter on (Derived.order) in row groups of
ROW_GROUP_ROWS, so row-group statistics prune. They are recomputed in full at every build; maintaining
them per touched year or agency is left to do (issue 13 item 1).

Layout: the lake's (load/lake.py): one file per report year, `lake/<table>/report_year-<YYYY|null>-<n>.parquet`,
with report_year a column inside the file, read the same way by pandas, pyarrow, polars and DuckDB, nulls included.

Visibility: the tables are written (COPY … PARTITION_BY) under lake/_staging/, then committed by
one manifest rename and swapped in folder by folder (load.lake.commit_tables): a crash never leaves
a half-written table visible, and the next run rolls a committed swap forward.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from govreports.load.lake import commit_tables, stage_tables_dir, table_files, table_glob_sql, year_file_name
from govreports.load.sqltext import path_literal


@dataclass(frozen=True)
class Derived:
    """A lake table computed from the warehouse's computing views: its SELECT (each has report_year,
    the file key) and the columns each year's file is sorted by, so row-group statistics prune."""

    select: str
    order: tuple[str, ...]


DERIVED = {
    "document_choice": Derived(
        "SELECT d.report_year, c.doc_id, n.agency_key, c.is_primary, c.reason, d.agency "
        "FROM document_choice c JOIN documents d USING (doc_id) LEFT JOIN agency_names n ON n.agency = d.agency",
        ("agency_key", "doc_id"),
    ),
    "reports": Derived("SELECT * FROM reports", ("agency_key", "doc_id")),
    "requests_wide": Derived("SELECT * FROM requests_wide", ("agency", "doc_id", "applicant")),
    "active_disclosure_wide": Derived("SELECT * FROM active_disclosure_wide", ("agency", "doc_id", "block", "item")),
    "review_litigation_wide": Derived("SELECT * FROM review_litigation_wide", ("agency", "doc_id")),
    "legacy_wide": Derived("SELECT * FROM legacy_wide", ("agency", "doc_id")),
    "series": Derived("SELECT * FROM series", ("key", "agency", "doc_id")),
}
# the warehouse views that become thin selects over a derived table: view -> (table, the columns it keeps,
# a WHERE/DISTINCT the view applies); columns None: every column of the view
THIN_VIEWS: dict[str, tuple[str, tuple[str, ...] | None, str]] = {
    "document_choice": ("document_choice", ("doc_id", "is_primary", "reason"), ""),
    # one row per distinct non-blank agency name (every such name has a key: it matches itself)
    "agency_names": ("document_choice", ("agency", "agency_key"), "agency IS NOT NULL AND trim(agency) <> ''"),
} | {table: (table, None, "") for table in DERIVED if table != "document_choice"}
ROW_GROUP_ROWS = 20_000  # smaller than DuckDB's 122,880: one agency's rows are found in few groups


def _build_id() -> str:
    return hashlib.sha256(f"{os.getpid()} {time.time_ns()}".encode()).hexdigest()[:16]


def stage_table(con: duckdb.DuckDBPyConnection, derived: Derived, staging: Path, table: str) -> None:
    """One file per report year, each sorted by the table's order (a partitioned COPY would not keep it)."""
    folder = staging / table
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _derived AS {derived.select}")
    try:
        years = [y for (y,) in con.execute("SELECT DISTINCT report_year FROM _derived").fetchall()]
        order = ", ".join(f"{c} NULLS FIRST" for c in derived.order)
        for year in years:
            where = "report_year IS NULL" if year is None else f"report_year = {int(year)}"
            con.execute(
                f"COPY (SELECT * FROM _derived WHERE {where} ORDER BY {order}) TO "
                f"{path_literal(folder / year_file_name(year, '0'))} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
            )
    finally:
        con.execute("DROP TABLE IF EXISTS _derived")


def write_derived_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Compute every derived table from the views on `con` and swap them into the lake (hold the lake lock)."""
    build = _build_id()
    staging = stage_tables_dir(out_dir, build)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for table, derived in DERIVED.items():
        stage_table(con, derived, staging, table)
    commit_tables(out_dir, build, list(DERIVED))


def thin_view_sql(out_dir: Path, table: str, columns: list[tuple[str, str]], where: str = "") -> str | None:
    """SELECT of `columns` (name, DuckDB type) from the derived table's files; None when it has none."""
    if not table_files(out_dir, table):
        return None
    cols = ", ".join(f"CAST({name} AS {typ}) AS {name}" for name, typ in columns)
    glob = table_glob_sql(out_dir, table)
    select = f"SELECT {'DISTINCT ' if where else ''}{cols} FROM read_parquet({glob}, hive_partitioning = false)"
    return f"{select} WHERE {where}" if where else select


def use_derived_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """Write the derived tables, then point the views that computed them at them (same columns, same types)."""
    describe = "SELECT column_name, column_type FROM (DESCRIBE {})"
    shapes = {view: con.execute(describe.format(view)).fetchall() for view in THIN_VIEWS}
    write_derived_tables(con, out_dir)
    for view, (table, keep, where) in THIN_VIEWS.items():
        columns = [c for c in shapes[view] if keep is None or c[0] in keep]
        sql = thin_view_sql(out_dir, table, columns, where)
        if sql:  # an empty table keeps the computing view (same empty answer)
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {sql}")
