"""Analyst views over the base tables (documents, facts, checks).

Called by load.warehouse.build_warehouse after the base views and `document_choice`
exist; rebuilt by every load, and they work on an empty lake. One SQL file per view in
load/sql/; the pivot columns of the wide views come from the layout mapping tables, so
a new row in layout_rows.csv is a new column without touching SQL.

Counts are BIGINT (macro `as_count`), amounts (万元, value_kind decimal/amount) stay DOUBLE; the kind of each
pivot column comes from the data dictionary's value_kind.

Two small tables are written beside the views, both derived and rebuilt every time:
`key_dictionary` (load.dictionary, lines measures up across templates) and `agencies`
(transform.agency: place, level and sector of each distinct issuing body).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
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
    "value_kind": "VARCHAR",  # count | signed | decimal | amount (the plausibility ratio rule reads it)
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


# Value kinds (data dictionary) stored as integers: counts and signed counts (本年增/减). Amounts (万元) stay DOUBLE.
INTEGER_KINDS = frozenset({"count", "signed"})
# A count as BIGINT; a count that is not a whole number or out of range is null here (the facts keep the printed
# value, and the check count_is_integer names it), never rounded into a guess.
AS_COUNT_MACRO = "CREATE OR REPLACE MACRO as_count(v) AS CASE WHEN v = trunc(v) THEN TRY_CAST(v AS BIGINT) END"

PivotColumn = tuple[str, str, bool]  # (SQL condition on key, column alias, holds counts)


def _pivot(columns: list[PivotColumn]) -> str:
    """[(condition, alias, is_count)] -> `max(value) FILTER (WHERE condition) AS alias` lines, counts as BIGINT."""
    lines = []
    for cond, alias, is_count in columns:
        value = f"max(value) FILTER (WHERE {cond})"
        lines.append(f"    {f'as_count({value})' if is_count else value} AS {alias}")
    return ",\n".join(lines)


def _ordered_unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _holds_counts(covers: Callable[[list[str]], bool]) -> bool:
    """True when every dictionary key a pivot column covers (by its dot-separated parts) is a count."""
    kinds = {kind for key, kind in _key_kinds().items() if covers(key.split("."))}
    return bool(kinds) and kinds <= INTEGER_KINDS


@cache
def _key_kinds() -> dict[str, str]:
    dictionary = data_dictionary()
    return dict(zip(dictionary["key"], dictionary["value_kind"], strict=True))


def s3_row_columns() -> list[PivotColumn]:
    rows = [
        r.row_key for t in ("gov_2021", "gov_2019") for r in reference().rows_for(t, "s3") if r.row_key != "results"
    ]
    order = {r.row_key: r.order for r in reference().rows if r.section == "s3"}
    ordered = sorted(_ordered_unique(rows), key=lambda k: order[k])
    return [
        (f"split_part(key, '.', 2) = '{k}'", k, _holds_counts(lambda p, k=k: p[0] == "s3" and p[1:2] == [k]))
        for k in ordered
    ]


def s2_value_columns() -> list[PivotColumn]:
    cols = [c.column_key for t in ("gov_2021", "gov_2019") for c in reference().columns_for(t, "s2")]
    return [
        (f"split_part(key, '.', 4) = '{k}'", k, _holds_counts(lambda p, k=k: p[0] == "s2" and p[3:4] == [k]))
        for k in _ordered_unique(cols)
    ]


def s4_columns() -> list[PivotColumn]:
    cols = _ordered_unique([c.column_key for c in reference().columns if c.section == "s4"])
    return [(f"key = 's4.{k}'", k, _holds_counts(lambda p, k=k: p == ["s4", k])) for k in cols]


def legacy_columns() -> list[PivotColumn]:
    keys = [k for k in data_dictionary()["key"] if k.startswith("legacy.") and not k.startswith("legacy.raw")]
    return [(f"key = '{k}'", k.removeprefix("legacy."), _key_kinds()[k] in INTEGER_KINDS) for k in keys]


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
    con.execute(AS_COUNT_MACRO)
    for view, file_name in VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {view_sql(view, file_name)}")
