"""`govreports publish RELEASE_DIR`: one folder people can cite and read on its own.

The release holds a self-contained DuckDB file (materialised tables, no view reads a path
outside it), one Parquet and one CSV file per table, a Frictionless `datapackage.json`
describing the CSV files (Table Schema: types, descriptions, units, primary keys, SHA-256
hashes), a codebook (every unified key and every column), the run's validation summary, static
agency pages (pipelines/pages.py; `--no-pages` to skip) and SHA256SUMS. Publish is the last
layer: it reads the warehouse the load built and never feeds back into it. Which tables are
published and their primary keys are data (data/reference/release_tables.csv, release_columns.csv).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb
import typer

from govreports.data import REFERENCE_DIR
from govreports.load.dictionary import data_dictionary
from govreports.load.sqltext import path_literal
from govreports.load.warehouse import open_database, warehouse_path
from govreports.pipelines.pages import write_pages
from govreports.pipelines.progress import QUIET_HELP, ProgressCallback, Steps, no_progress, reporting
from govreports.pipelines.warehouse import build_warehouse

RELEASE_DB = "govreports.duckdb"
LICENSE_NAME = "MIT"
# DuckDB type (prefix) -> Frictionless Table Schema type
FIELD_TYPES = {
    "VARCHAR": "string",
    "INTEGER": "integer",
    "BIGINT": "integer",
    "HUGEINT": "integer",
    "SMALLINT": "integer",
    "DOUBLE": "number",
    "FLOAT": "number",
    "DECIMAL": "number",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "TIMESTAMP": "datetime",
}
CODEBOOK_COLUMNS = ["kind", "table", "name", "label_zh", "english_name", "description", "unit", "templates"]


class PublishError(RuntimeError):
    pass


def package_version() -> str:
    try:
        return version("govreports")
    except PackageNotFoundError:  # a bare checkout without an install
        from govreports.pipelines import __version__

        return __version__


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def release_tables() -> list[dict[str, str]]:
    return _read_csv("release_tables.csv")


def column_notes() -> dict[tuple[str, str], dict[str, str]]:
    """(table, column) -> label_zh, description, unit; table '*' applies to every table."""
    return {(r["table"], r["column"]): r for r in _read_csv("release_columns.csv")}


def _note(notes: dict, table: str, column: str) -> dict[str, str]:
    return notes.get((table, column)) or notes.get(("*", column)) or {}


def field_type(duck: str) -> str:
    for prefix in sorted(FIELD_TYPES, key=len, reverse=True):
        if duck.upper().startswith(prefix):
            return FIELD_TYPES[prefix]
    return "any"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def materialise(out_dir: Path, db: Path, release_version: str) -> list[str]:
    """Copy every published table from the warehouse into a new DuckDB file as a plain table."""
    names = [t["table"] for t in release_tables() if t["table"] != "release_info"]
    con = open_database(db, read_only=False)
    try:
        con.execute(f"ATTACH {path_literal(warehouse_path(out_dir))} AS src (READ_ONLY)")
        # the warehouse's views read the lake relative to their own folder
        con.execute(f"SET file_search_path = {path_literal(out_dir)}")
        parsers = [r[0] for r in con.sql("SELECT DISTINCT parser_version FROM src.documents ORDER BY 1").fetchall()]
        con.execute(
            "CREATE TABLE release_info AS SELECT ? AS release_version, ? AS package_version, "
            "? AS parser_versions, ?::TIMESTAMPTZ AS published_at, ? AS duckdb_version",
            [
                release_version,
                package_version(),
                ",".join(p for p in parsers if p),
                datetime.now(UTC),
                duckdb.__version__,
            ],
        )
        for name in names:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM src.{name}")
        con.execute("DETACH src")
    finally:
        con.close()
    return ["release_info", *names]


def _csv_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Timestamps as ISO 8601 in UTC, so any CSV reader (and Frictionless) parses them."""
    cols = []
    for name, typ in con.execute(
        f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '{table}' ORDER BY column_index"
    ).fetchall():
        if typ.startswith("TIMESTAMP"):
            cols.append(f"strftime(timezone('UTC', {name}), '%Y-%m-%dT%H:%M:%SZ') AS {name}")
        else:
            cols.append(name)
    return f"SELECT {', '.join(cols)} FROM {table}"


def export_files(db: Path, release: Path, tables: list[str]) -> dict[str, list[tuple[str, str]]]:
    """parquet/<t>.parquet and csv/<t>.csv per table; returns each table's (column, DuckDB type)."""
    (release / "parquet").mkdir()
    (release / "csv").mkdir()
    schemas: dict[str, list[tuple[str, str]]] = {}
    con = open_database(db)
    try:
        for t in tables:
            con.execute(f"COPY {t} TO {path_literal(release / 'parquet' / f'{t}.parquet')} (FORMAT parquet)")
            con.execute(f"COPY ({_csv_select(con, t)}) TO {path_literal(release / 'csv' / f'{t}.csv')} (HEADER)")
            schemas[t] = con.execute(
                f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = '{t}' ORDER BY column_index"
            ).fetchall()
        _check_primary_keys(con, tables)
    finally:
        con.close()
    return schemas


def _check_primary_keys(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    keys = {t["table"]: t["primary_key"] for t in release_tables() if t["primary_key"]}
    for t in tables:
        if t in keys:
            dup = con.execute(f"SELECT count(*) - count(DISTINCT {keys[t]}) FROM {t}").fetchone()[0]
            if dup:
                raise PublishError(f"{t}: primary key {keys[t]} has {dup} duplicate rows")


def datapackage(release: Path, schemas: dict, release_version: str) -> dict:
    notes, meta = column_notes(), {t["table"]: t for t in release_tables()}
    resources = []
    for table, columns in schemas.items():
        fields = []
        for name, duck in columns:
            note = _note(notes, table, name)
            f = {"name": name, "type": field_type(duck), "description": note.get("description", "")}
            if note.get("label_zh"):
                f["title"] = note["label_zh"]
            if note.get("unit"):
                f["unit"] = note["unit"]  # not a Table Schema property; Frictionless keeps custom ones
            fields.append(f)
        schema: dict = {"fields": fields}
        if meta[table]["primary_key"]:
            schema["primaryKey"] = meta[table]["primary_key"].split("+")
        path = release / "csv" / f"{table}.csv"
        resources.append(
            {
                "name": table,
                "path": f"csv/{table}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": meta[table]["description"],
                "hash": f"sha256:{sha256(path)}",
                "bytes": path.stat().st_size,
                "schema": schema,
            }
        )
    return {
        "name": "govreports",
        "title": "China government information-disclosure annual reports (政府信息公开工作年度报告), unified",
        "version": release_version,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "licenses": [{"name": LICENSE_NAME, "path": "https://opensource.org/licenses/MIT", "title": "MIT License"}],
        "resources": resources,
    }


def codebook_rows(schemas: dict) -> list[dict[str, str]]:
    """Every unified key (from the data dictionary) and every column of every published table."""
    rows = []
    for r in data_dictionary().to_dict("records"):
        labels = [r["label_gov_2021"], r["label_gov_2019"], r["label_legacy"]]
        rows.append(
            {
                "kind": "key",
                "table": "facts",
                "name": r["key"],
                "label_zh": " | ".join(dict.fromkeys(x for x in labels if x)),
                "english_name": r["measure"] or r["key"],
                "description": r["description"],
                "unit": r["unit"],
                "templates": r["templates"],
            }
        )
    notes = column_notes()
    for table, columns in schemas.items():
        for name, _ in columns:
            note = _note(notes, table, name)
            rows.append(
                {
                    "kind": "column",
                    "table": table,
                    "name": name,
                    "label_zh": note.get("label_zh", ""),
                    "english_name": name,
                    "description": note.get("description", ""),
                    "unit": note.get("unit", ""),
                    "templates": "",
                }
            )
    return rows


def write_codebook(release: Path, schemas: dict) -> Path:
    path = release / "codebook.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CODEBOOK_COLUMNS)
        writer.writeheader()
        writer.writerows(codebook_rows(schemas))
    return path


def validation_summary(db: Path) -> dict:
    """What the run's validation found: documents by status, identities, quarantined rows by rule."""
    con = open_database(db)
    try:
        q = con.execute
        return {
            "documents": q("SELECT count(*) FROM documents").fetchone()[0],
            "documents_by_status": dict(q("SELECT status, count(*) FROM documents GROUP BY 1 ORDER BY 1").fetchall()),
            "reports": q("SELECT count(*) FROM reports").fetchone()[0],
            "primary_reports": q("SELECT count(*) FROM reports WHERE is_primary").fetchone()[0],
            "identities": {
                identity: {"evaluated": n, "passed": ok, "failed": bad}
                for identity, n, ok, bad in q(
                    "SELECT identity, count(passed), count(*) FILTER (WHERE passed), "
                    "count(*) FILTER (WHERE NOT passed) FROM checks GROUP BY 1 ORDER BY 1"
                ).fetchall()
            },
            "quarantined_by_rule": dict(q("SELECT rule, count(*) FROM quarantine GROUP BY 1 ORDER BY 1").fetchall()),
        }
    finally:
        con.close()


def write_checksums(release: Path) -> Path:
    """SHA256SUMS in `sha256sum -c` format over every file of the release."""
    files = sorted(p for p in release.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    path = release / "SHA256SUMS"
    path.write_text("".join(f"{sha256(p)}  {p.relative_to(release).as_posix()}\n" for p in files), encoding="utf-8")
    return path


def publish(
    out_dir: Path,
    release: Path,
    release_version: str | None = None,
    pages: bool = True,
    progress: ProgressCallback = no_progress,
) -> Path:
    """Build RELEASE from the lake in OUT_DIR. RELEASE must not exist or be empty: a release is never patched.
    `pages`: also the static agency pages (pages/index.html, pages/agency/*.html), from the release's file.
    `progress` hears of each step done (warehouse, tables, files, descriptions, pages, checksums)."""
    release_version = release_version or package_version()
    if release.exists() and any(release.iterdir()):
        raise PublishError(f"{release} exists and is not empty")
    steps = Steps("publish", 6 if pages else 5, progress, unit="steps").start()
    build_warehouse(out_dir)  # views over the lake as it is now
    steps.advance()
    staging = release.with_name(f".{release.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    db = staging / RELEASE_DB
    tables = materialise(out_dir, db, release_version)
    steps.advance()
    schemas = export_files(db, staging, tables)
    steps.advance()
    (staging / "datapackage.json").write_text(
        json.dumps(datapackage(staging, schemas, release_version), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    write_codebook(staging, schemas)
    summary = {"release_version": release_version, **validation_summary(db)}
    (staging / "validation_summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    steps.advance()
    if pages:
        write_pages(db, staging, release_version)
        steps.advance()
    write_checksums(staging)  # after the pages: they are part of what is checksummed
    steps.advance()
    if release.exists():
        release.rmdir()
    staging.rename(release)  # the release appears whole or not at all
    return release


def register(app: typer.Typer) -> None:
    from govreports.pipelines.cli import DEFAULT_OUT, OUT_HELP

    @app.command("publish")
    def publish_cmd(
        release: Path = typer.Argument(..., help="New release folder (must not exist, or be empty)."),
        out: Path = typer.Option(DEFAULT_OUT, "--out", help=OUT_HELP),
        release_version: str = typer.Option(None, "--version", help="Release version (default: package version)."),
        pages: bool = typer.Option(
            True, "--pages/--no-pages", help="Also write static HTML pages per agency (pages/index.html)."
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    ) -> None:
        """Write a self-contained release: DuckDB file, Parquet + CSV per table, datapackage.json, codebook,
        agency pages."""
        from rich.console import Console

        try:
            with reporting(quiet) as shown:
                path = publish(out, release, release_version, pages, shown)
        except PublishError as exc:
            Console().print(f"[red]error:[/red] {exc}")
            raise typer.Exit(1) from exc
        Console().print(f"release: {path} ({path / RELEASE_DB})")
        if (path / "pages" / "index.html").exists():
            Console().print(f"agency pages: {path / 'pages' / 'index.html'} (open in a browser)")
