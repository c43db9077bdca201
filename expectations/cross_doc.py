"""Cross-document checks as SQL views over the warehouse.

Views, added to every warehouse build by the pipelines (pipelines/warehouse.py), over the
load's views (`agency_names` and `document_choice` come from load/choice.py):
- `duplicates`: every copy of a report that reached us from more than one source.
- `x_carry_over`: X_CARRY_OVER, this year's 上年结转 against last year's 结转下年度, per column.
- `report_deadlines` / `late_reports`: publication against the legal deadline
  (data/reference/deadlines.csv); a research signal, not an error.
- `quarantine`: rows that broke a critical expectation (expectations/quarantine.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from govreports.transform.reference import REFERENCE_DIR

DEADLINES_CSV = REFERENCE_DIR / "deadlines.csv"

DUPLICATES = """
SELECT n.agency_key, d.report_year, d.doc_id, d.agency, d.source, d.format, d.status, d.n_facts,
       c.is_primary, c.reason,
       count(*) OVER (PARTITION BY n.agency_key, d.report_year) AS copies
FROM documents d
JOIN agency_names n ON n.agency = d.agency
JOIN document_choice c USING (doc_id)
WHERE d.doc_type = 'annual_report' AND d.report_year IS NOT NULL
QUALIFY count(*) OVER (PARTITION BY n.agency_key, d.report_year) > 1
"""

X_CARRY_OVER = """
WITH primary_reports AS (
    SELECT d.doc_id, n.agency_key, d.report_year
    FROM documents d
    JOIN agency_names n ON n.agency = d.agency
    JOIN document_choice c USING (doc_id)
    WHERE c.is_primary AND d.doc_type = 'annual_report' AND d.report_year IS NOT NULL
), carried AS (
    SELECT p.agency_key, p.report_year, p.doc_id, split_part(f.key, '.', 2) AS row_key,
           split_part(f.key, '.', 3) AS scope, f.key, f.value
    FROM primary_reports p JOIN facts f USING (doc_id)
    WHERE f.key LIKE 's3.carried_over_from_prev.%' OR f.key LIKE 's3.carried_to_next.%'
), this_year AS (
    SELECT * FROM carried WHERE row_key = 'carried_over_from_prev'
), last_year AS (
    SELECT * FROM carried WHERE row_key = 'carried_to_next'
)
SELECT 'X_CARRY_OVER' AS identity, t.agency_key AS agency, t.report_year, t.scope,
       t.doc_id, l.doc_id AS prev_doc_id,
       t.value AS lhs, l.value AS rhs, t.value - l.value AS residual,
       CASE WHEN t.value IS NOT NULL AND l.value IS NOT NULL THEN t.value = l.value END AS passed,
       t.key || ',' || l.key AS keys,
       t.report_year::VARCHAR || ' 上年结转 ' || coalesce(t.value::VARCHAR, '?') || ' vs '
         || l.report_year::VARCHAR || ' 结转下年度 ' || coalesce(l.value::VARCHAR, '?') AS detail
FROM this_year t
JOIN last_year l ON l.agency_key = t.agency_key AND l.report_year = t.report_year - 1 AND l.scope = t.scope
"""


def _sql_text(value: str) -> str:
    return "NULL" if value == "" else "'" + value.replace("'", "''") + "'"


def _sql_int(value: str) -> str:
    return "NULL" if value == "" else str(int(value))


def deadline_rules_sql() -> str:
    """data/reference/deadlines.csv as a VALUES list (the warehouse holds views only, no tables)."""
    with DEADLINES_CSV.open(encoding="utf-8") as fh:
        rules = list(csv.DictReader(fh))
    rows = ",\n".join(
        f"({_sql_int(r['priority'])}, {_sql_text(r['agency_kind'])}, {_sql_text(r['agency_pattern'])}, "
        f"{_sql_int(r['first_report_year'])}::INTEGER, {_sql_int(r['last_report_year'])}::INTEGER, "
        f"{_sql_int(r['deadline_month'])}, {_sql_int(r['deadline_day'])}, {_sql_text(r['basis'])})"
        for r in rules
    )
    return (
        f"SELECT * FROM (VALUES {rows}) AS t(priority, agency_kind, agency_pattern, first_report_year, "
        "last_report_year, deadline_month, deadline_day, basis)"
    )


def report_deadlines_sql() -> str:
    return f"""
WITH rules AS ({deadline_rules_sql()}),
matched AS (
    SELECT d.doc_id, d.agency, d.report_year, d.published_date, r.agency_kind, r.basis,
           make_date(d.report_year + 1, r.deadline_month, r.deadline_day) AS deadline,
           row_number() OVER (PARTITION BY d.doc_id ORDER BY r.priority) AS pick
    FROM documents d
    JOIN rules r
      ON (r.first_report_year IS NULL OR d.report_year >= r.first_report_year)
     AND (r.last_report_year IS NULL OR d.report_year <= r.last_report_year)
     AND regexp_matches(d.agency, r.agency_pattern)
    WHERE d.doc_type = 'annual_report' AND d.report_year IS NOT NULL AND d.agency IS NOT NULL
)
SELECT doc_id, agency, report_year, published_date, agency_kind, deadline,
       date_diff('day', deadline, published_date) AS days_late, basis
FROM matched WHERE pick = 1
"""


def warehouse_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """DIR of DIR/warehouse.duckdb, for the views that read lake files of their own."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return Path(row[0]).parent if row and row[0] else None


def create_quarantine_view(con: duckdb.DuckDBPyConnection) -> None:
    from govreports.expectations import quarantine

    out_dir = warehouse_dir(con)
    sql = quarantine.view_sql(out_dir) if out_dir else quarantine.view_sql(Path("/nonexistent"))
    con.execute(f"CREATE OR REPLACE VIEW quarantine AS {sql}")


def create_cross_doc_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the cross-document check views (over agency_names and document_choice, load/choice.py)."""
    con.execute(f"CREATE OR REPLACE VIEW duplicates AS {DUPLICATES}")
    con.execute(f"CREATE OR REPLACE VIEW x_carry_over AS {X_CARRY_OVER}")
    con.execute(f"CREATE OR REPLACE VIEW report_deadlines AS {report_deadlines_sql()}")
    con.execute("CREATE OR REPLACE VIEW late_reports AS SELECT * FROM report_deadlines WHERE days_late > 0")
    create_quarantine_view(con)
