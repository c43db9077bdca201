"""`govreports export`: one warehouse view to CSV, Parquet or Excel, optionally filtered.

    govreports export --format xlsx --where "province = '江苏省' AND report_year >= 2021"
    govreports export --format csv --view series --to series.csv

`--where` is one boolean expression over the view's columns, checked by load/safe_filter.py (no statements,
subqueries, table functions or unknown columns) before it runs.

CSV is written as UTF-8 with a byte-order mark so Excel shows the Chinese text;
every file is written to a temporary name and renamed, so a failed export leaves
nothing behind.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import typer

from govreports.data import default_out
from govreports.load.safe_filter import FilterError, checked_filter
from govreports.load.warehouse import connect, warehouse_path

DEFAULT_OUT = default_out()

FORMATS = ("csv", "parquet", "xlsx")
VIEWS = (
    "reports",
    "series",
    "requests_wide",
    "active_disclosure_wide",
    "review_litigation_wide",
    "legacy_wide",
    "primary_facts",
    "documents",
    "facts",
    "checks",
)
EXCEL_MAX_ROWS = 1_048_575  # one row is the header
UTF8_BOM = b"\xef\xbb\xbf"


class ExportError(ValueError):
    """A request that cannot be exported (unknown view, bad filter, too many rows for Excel)."""


def check_view(view: str) -> None:
    if view not in VIEWS:
        raise ExportError(f"unknown view {view!r}; choose one of: {', '.join(VIEWS)}")


def view_columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [col[0] for col in con.execute(f"SELECT * FROM {view} LIMIT 0").description]


def export_query(con: duckdb.DuckDBPyConnection, view: str, where: str | None) -> str:
    """SELECT of the view, filtered by `where` once it is checked to be one boolean expression over its columns."""
    check_view(view)
    if where is None:
        return f"SELECT * FROM {view}"
    try:
        condition = checked_filter(where, view_columns(con, view), view)
    except FilterError as exc:
        raise ExportError(str(exc)) from exc
    kind = filter_type(con, view, condition)
    if kind != "BOOLEAN":
        raise ExportError(f"the filter must be a condition (true or false), but it gives {kind}")
    return f"SELECT * FROM {view} WHERE {condition}"


def filter_type(con: duckdb.DuckDBPyConnection, view: str, condition: str) -> str:
    """DuckDB's type of the condition, bound without reading a row."""
    try:
        return str(con.execute(f"SELECT ({condition}) AS keep FROM {view} LIMIT 0").description[0][1])
    except duckdb.Error as exc:
        raise ExportError(f"the filter does not run: {first_line(exc)}") from exc


def count_rows(con: duckdb.DuckDBPyConnection, query: str) -> int:
    """Rows of the query; evaluates the filter on every row, so a value it cannot handle fails here, as a message."""
    try:
        return con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    except duckdb.Error as exc:
        raise ExportError(f"the filter does not run: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def default_target(out_dir: Path, view: str, fmt: str) -> Path:
    return Path(out_dir) / "exports" / f"{view}.{fmt}"


def export_view(
    out_dir: Path, fmt: str, view: str = "reports", where: str | None = None, to: Path | None = None
) -> tuple[Path, int]:
    """Write the view (filtered by `where`) to a file; return the file and its row count."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    check_view(view)
    if not warehouse_path(out_dir).exists():
        raise ExportError(f"no warehouse in {out_dir}: run `govreports ingest` or `govreports warehouse {out_dir}`")
    target = Path(to) if to else default_target(out_dir, view, fmt)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    con = connect(out_dir)
    try:
        query = export_query(con, view, where)
        n_rows = count_rows(con, query)
        try:
            WRITERS[fmt](con, query, tmp, n_rows)
        except duckdb.Error as exc:
            raise ExportError(f"the export failed: {first_line(exc)}") from exc
        os.replace(tmp, target)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
    return target, n_rows


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write_parquet(con: duckdb.DuckDBPyConnection, query: str, path: Path, n_rows: int) -> None:
    con.execute(f"COPY ({query}) TO {_quote(path)} (FORMAT parquet, COMPRESSION zstd)")


def write_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path, n_rows: int) -> None:
    plain = path.with_name(path.name + ".plain")
    try:
        con.execute(f"COPY ({query}) TO {_quote(plain)} (FORMAT csv, HEADER)")
        with path.open("wb") as out, plain.open("rb") as src:
            out.write(UTF8_BOM)
            shutil.copyfileobj(src, out)
    finally:
        plain.unlink(missing_ok=True)


def write_xlsx(con: duckdb.DuckDBPyConnection, query: str, path: Path, n_rows: int) -> None:
    if n_rows > EXCEL_MAX_ROWS:
        raise ExportError(f"{n_rows} rows do not fit in one Excel sheet; add --where or use csv/parquet")
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise ExportError("xlsx export needs openpyxl: pip install openpyxl") from exc
    frame = con.execute(query).df()
    for col in frame.columns:
        # Excel has no time zones: timestamps are written as UTC wall time.
        if getattr(frame[col].dtype, "tz", None) is not None:
            frame[col] = frame[col].dt.tz_convert("UTC").dt.tz_localize(None)
    frame.to_excel(path, index=False, sheet_name="data", engine="openpyxl")


WRITERS = {"csv": write_csv, "parquet": write_parquet, "xlsx": write_xlsx}


def register(app: typer.Typer) -> None:
    @app.command(name="export")
    def export_command(
        fmt: str = typer.Option(..., "--format", help="csv | parquet | xlsx"),
        out: Path = typer.Option(DEFAULT_OUT, "--out", help="Folder holding warehouse.duckdb."),
        view: str = typer.Option("reports", "--view", help=f"One of: {', '.join(VIEWS)}."),
        where: str = typer.Option(
            None,
            "--where",
            help=(
                "One condition over the view's columns, e.g. \"province = '江苏省' AND report_year >= 2021\" "
                "(no statements, subqueries or table functions)."
            ),
        ),
        to: Path = typer.Option(None, "--to", help="Output file (default: OUT/exports/VIEW.FORMAT)."),
    ) -> None:
        """Export a warehouse view as CSV (Excel-ready UTF-8), Parquet or an Excel workbook."""
        try:
            path, n_rows = export_view(out, fmt, view, where, to)
        except ExportError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"wrote {n_rows} rows to {path}")
