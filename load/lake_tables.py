"""Derived lake tables: what decides the analyst totals, and the rows analysts query, as Parquet of their own.

`lake/document_choice/` (one row per document: report_year, doc_id, agency_key, is_primary, reason,
agency), `lake/reports/`, the wide tables and `lake/series/` (the rows of the views of those names) are
computed by DuckDB from the lake when the warehouse is built; the views become thin selects over them,
so a query reads the rows it needs instead of pivoting `facts`, and pandas, polars and pyarrow readers
get the same totals as the views without re-implementing the choice of primary copies.

Each year's file is sorted by the columns queries filter on (Derived.order) in row groups of
ROW_GROUP_ROWS, so row-group statistics prune.

Layout: the lake's (load/lake.py): one file per report year, `lake/<table>/report_year-<YYYY|null>-<state>.parquet`,
with report_year a column inside the file, read the same way by pandas, pyarrow, polars and DuckDB, nulls included.

Incremental, per year: the <state> of a file name is a digest of what the year's rows are computed
from (year_states: the definitions, the corrections overlay and every document row of the year with
its agency key, primary choice and place). A build computes the states, keeps the files of years
whose state is unchanged (hard links into the staged folder) and computes only the others: a nightly
batch rewrites the years it adds documents to, and the years whose documents changed key or primary
copy (a new shorter name, a better copy); a build with nothing new writes nothing. Computing those
years still scans facts once per derived table (the year filter is applied after the pivot); per
agency within a year is left to do.

Visibility: the tables are written under lake/_staging/ (new years written, kept years hard-linked),
then committed by one manifest rename and swapped in folder by folder (load.lake.commit_tables): a
crash never leaves a half-written table visible, and the next run rolls a committed swap forward.
A hard link in an abandoned staging folder is only a second name: dropping it leaves the lake's file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from govreports.load import corrections
from govreports.load.lake import (
    commit_tables,
    file_year,
    stage_tables_dir,
    table_dir,
    table_files,
    table_glob_sql,
    year_file_name,
)
from govreports.load.sqltext import path_literal
from govreports.load.views import SITE_OF_SOURCE


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


YearStates = dict[int | None, str]  # report year -> the digest its derived files are named by


def _year_where(years: list[int | None]) -> str:
    known = [str(int(y)) for y in years if y is not None]
    parts = [f"report_year IN ({', '.join(known)})"] if known else []
    parts += ["report_year IS NULL"] if None in years else []
    return " OR ".join(parts) or "false"


def definition_state(con: duckdb.DuckDBPyConnection, out_dir: Path) -> str:
    """What every year's rows depend on beyond its own documents: the package version, the computing
    views' SQL, the key dictionary, the derived tables' definitions and the corrections overlay's content."""
    from govreports.pipelines import __version__

    views = con.execute(
        "SELECT string_agg(view_name || chr(0) || sql, chr(1) ORDER BY view_name) FROM duckdb_views() "
        "WHERE database_name = current_database()"
    ).fetchone()[0]
    dictionary = con.execute("SELECT bit_xor(hash(k)) FROM key_dictionary k").fetchone()[0]
    overlay = [hashlib.sha256(f.read_bytes()).hexdigest() for f in corrections.overlay_files(out_dir)]
    text = repr((__version__, views, dictionary, sorted(DERIVED.items()), ROW_GROUP_ROWS, overlay))
    return hashlib.sha256(text.encode()).hexdigest()


def year_states(con: duckdb.DuckDBPyConnection, out_dir: Path) -> YearStates:
    """A digest per report year of everything its derived rows are computed from: the definitions, and
    every document row of the year with its agency key, its primary choice and its agency's place (a
    batch adds documents: their years change; a new shorter name or a new copy changes the choice or
    key of documents: their years change; facts and checks are written once with their document)."""
    rows = con.execute(
        f"""
        SELECT d.report_year, bit_xor(hash(d, n.agency_key, c.is_primary, c.reason, a)) AS h, count(*)
        FROM documents d
        LEFT JOIN document_choice c USING (doc_id)
        LEFT JOIN agency_names n ON n.agency = d.agency
        LEFT JOIN agencies a
            ON a.agency IS NOT DISTINCT FROM d.agency AND a.site IS NOT DISTINCT FROM {SITE_OF_SOURCE}
        GROUP BY 1
        """
    ).fetchall()
    definition = definition_state(con, out_dir)
    return {y: hashlib.sha256(f"{definition} {y} {h} {n}".encode()).hexdigest()[:16] for y, h, n in rows}


def state_file_name(year: int | None, states: YearStates) -> str:
    return year_file_name(year, states[year])


def stage_table(
    con: duckdb.DuckDBPyConnection, derived: Derived, folder: Path, states: YearStates, years: list[int | None]
) -> None:
    """The rows of `years` into one file per year, each sorted by the table's order (a partitioned COPY
    would not keep the order); named by the year's state, so the next build knows what it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    if not years:
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE _derived AS SELECT * FROM ({derived.select}) WHERE {_year_where(years)}")
    try:
        present = {y for (y,) in con.execute("SELECT DISTINCT report_year FROM _derived").fetchall()}
        order = ", ".join(f"{c} NULLS FIRST" for c in derived.order)
        for year in [y for y in years if y in present]:
            con.execute(
                f"COPY (SELECT * FROM _derived WHERE {_year_where([year])} ORDER BY {order}) TO "
                f"{path_literal(folder / state_file_name(year, states))} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
            )
    finally:
        con.execute("DROP TABLE IF EXISTS _derived")


def current_years(have: set[str], states: YearStates) -> set[int | None]:
    """Years whose derived files (`have`: document_choice's file names) were built from the state the
    lake has now (every table is written with the same names, and document_choice has a row for every
    document, so its files answer)."""
    return {y for y in states if state_file_name(y, states) in have}


def link_current(out_dir: Path, table: str, folder: Path, keep: set[int | None], states: YearStates) -> None:
    """Hard-link the table's files of the years in `keep` (their state unchanged) into the staged folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in table_files(out_dir, table):
        year = file_year(f)
        if year in keep and f.name == state_file_name(year, states):
            os.link(f, folder / f.name)


def _by_year(years: set[int | None]) -> list[int | None]:
    return sorted(years, key=lambda y: (y is None, y or 0))


def write_derived_tables(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[int | None]:
    """Bring every derived table up to the lake as it is (hold the lake lock): the years whose state
    changed are computed again from the views on `con`, the others kept (hard links), and the new
    folders swapped in whole. A table whose folder is gone is computed for every year. Returns the
    years computed (none: nothing was written)."""
    states = year_states(con, out_dir)
    have = {f.name for f in table_files(out_dir, "document_choice")}
    fresh = current_years(have, states)
    lost = [t for t in DERIVED if states and not table_dir(out_dir, t).is_dir()]
    wanted = {state_file_name(y, states) for y in states}
    if fresh == set(states) and not lost and have == wanted:
        return []
    build = _build_id()
    staging = stage_tables_dir(out_dir, build)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    todo = _by_year(set(states) - fresh)
    for table, derived in DERIVED.items():
        keep = set() if table in lost else fresh
        link_current(out_dir, table, staging / table, keep, states)
        stage_table(con, derived, staging / table, states, _by_year(set(states) - keep))
    commit_tables(out_dir, build, list(DERIVED))
    return todo


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
