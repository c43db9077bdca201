"""Analyst views over the base tables (documents, facts, checks).

Called by load.warehouse.build_warehouse after the base views and `document_choice`
exist; rebuilt by every load, and they work on an empty lake. One SQL file per view in
load/sql/; the pivot columns of the wide views come from the layout mapping tables, so
a new row in layout_rows.csv is a new column without touching SQL.

Two small tables are written beside the views, both derived and rebuilt every time:
`key_dictionary` (load.dictionary, lines measures up across templates) and `agencies`
(transform.agency: place, level and sector of each distinct issuing body).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from govreports.load.dictionary import data_dictionary
from govreports.transform.agency import normalise_agency
from govreports.transform.reference import reference

SQL_DIR = Path(__file__).resolve().parent / "sql"
SITE_OF_SOURCE = r"regexp_extract(d.source, '^[A-Za-z]+://([^/:?#]+)', 1)"
KEY_DICTIONARY_COLUMNS = {
    "key": "VARCHAR",
    "section": "VARCHAR",
    "measure": "VARCHAR",
    "series_relation": "VARCHAR",
    "relation": "VARCHAR",
    "unit": "VARCHAR",
    "templates": "VARCHAR",
}
AGENCY_COLUMNS = {
    "agency": "VARCHAR",
    "site": "VARCHAR",
    "province": "VARCHAR",
    "city": "VARCHAR",
    "county": "VARCHAR",
    "level": "VARCHAR",
    "sector": "VARCHAR",
}
# (view, SQL file) in dependency order.
VIEWS = (
    ("reports", "reports.sql"),
    ("primary_facts", "primary_facts.sql"),
    ("requests_wide", "requests_wide.sql"),
    ("active_disclosure_wide", "active_disclosure_wide.sql"),
    ("review_litigation_wide", "review_litigation_wide.sql"),
    ("legacy_wide", "legacy_wide.sql"),
    ("series", "series.sql"),
    ("yoy", "yoy.sql"),
)


def _pivot(columns: list[tuple[str, str]]) -> str:
    """[(condition, alias)] -> `max(value) FILTER (WHERE condition) AS alias` lines."""
    return ",\n".join(f"    max(value) FILTER (WHERE {cond}) AS {alias}" for cond, alias in columns)


def _ordered_unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def s3_row_columns() -> list[tuple[str, str]]:
    rows = [
        r.row_key for t in ("gov_2021", "gov_2019") for r in reference().rows_for(t, "s3") if r.row_key != "results"
    ]
    order = {r.row_key: r.order for r in reference().rows if r.section == "s3"}
    ordered = sorted(_ordered_unique(rows), key=lambda k: order[k])
    return [(f"split_part(key, '.', 2) = '{k}'", k) for k in ordered]


def s2_value_columns() -> list[tuple[str, str]]:
    cols = [c.column_key for t in ("gov_2021", "gov_2019") for c in reference().columns_for(t, "s2")]
    return [(f"split_part(key, '.', 4) = '{k}'", k) for k in _ordered_unique(cols)]


def s4_columns() -> list[tuple[str, str]]:
    cols = _ordered_unique([c.column_key for c in reference().columns if c.section == "s4"])
    return [(f"key = 's4.{k}'", k) for k in cols]


def legacy_columns() -> list[tuple[str, str]]:
    keys = [k for k in data_dictionary()["key"] if k.startswith("legacy.") and not k.startswith("legacy.raw")]
    return [(f"key = '{k}'", k.removeprefix("legacy.")) for k in keys]


PIVOTS = {
    "requests_wide": s3_row_columns,
    "active_disclosure_wide": s2_value_columns,
    "review_litigation_wide": s4_columns,
    "legacy_wide": legacy_columns,
}


def view_sql(view: str, file_name: str) -> str:
    template = (SQL_DIR / file_name).read_text(encoding="utf-8")
    pivot = PIVOTS.get(view)
    return template.format(pivot_columns=_pivot(pivot()) if pivot else "", site_of_source=SITE_OF_SOURCE)


def _replace_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], frame: pd.DataFrame) -> None:
    """A typed table from a frame (typed even when the frame is empty)."""
    ddl = ", ".join(f"{col} {typ}" for col, typ in columns.items())
    con.execute(f"CREATE OR REPLACE TABLE {name} ({ddl})")
    if not frame.empty:
        con.register("_frame", frame[list(columns)])
        try:
            con.execute(f"INSERT INTO {name} SELECT * FROM _frame")
        finally:
            con.unregister("_frame")


def agency_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Place, level and sector of every distinct (agency, site) among the annual reports."""
    pairs = con.execute(
        f"SELECT DISTINCT d.agency, {SITE_OF_SOURCE} AS site FROM documents d WHERE d.doc_type = 'annual_report'"
    ).fetchall()
    records = [
        {"agency": agency, "site": site, **normalise_agency(agency, f"http://{site}/" if site else None)}
        for agency, site in pairs
    ]
    return pd.DataFrame.from_records(records, columns=list(AGENCY_COLUMNS))


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the analyst views. The base views documents/facts/checks and document_choice already exist."""
    _replace_table(con, "key_dictionary", KEY_DICTIONARY_COLUMNS, data_dictionary())
    _replace_table(con, "agencies", AGENCY_COLUMNS, agency_frame(con))
    for view, file_name in VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {view_sql(view, file_name)}")
