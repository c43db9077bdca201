"""Cross-document checks as SQL views over the warehouse.

Views (all rebuilt by load.warehouse.build_warehouse):

- `agency_names(agency, agency_key)`: one key per issuing body, so that
  '淮安市洪泽区人民政府' and '洪泽区人民政府' are the same agency (a longer name is
  the shorter one behind administrative-division prefixes).
- `document_choice(doc_id, is_primary, reason)`: one primary copy per (agency, report_year);
  the analyst wide views join on it.
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
# characters that end an administrative-division name (省, 市, 县, 区, ...)
DIVISION_END = "[省市县区州旗盟]"

AGENCY_NAMES = f"""
WITH names AS (
    SELECT DISTINCT agency FROM documents WHERE agency IS NOT NULL AND trim(agency) <> ''
), matches AS (
    SELECT a.agency, b.agency AS shorter
    FROM names a JOIN names b
      ON a.agency = b.agency
      OR (length(a.agency) > length(b.agency)
          AND ends_with(a.agency, b.agency)
          AND length(b.agency) >= 4
          AND regexp_matches(b.agency, '{DIVISION_END}')
          AND NOT regexp_matches(b.agency, '^{DIVISION_END}')
          AND regexp_matches(left(a.agency, length(a.agency) - length(b.agency)), '{DIVISION_END}$'))
)
SELECT agency, arg_min(shorter, length(shorter)) AS agency_key FROM matches GROUP BY agency
"""

# Ranking of copies: first differing criterion decides, and is named in `reason`.
DOCUMENT_CHOICE = """
WITH failing AS (
    SELECT doc_id, count(*) FILTER (WHERE passed = false) AS n_failing FROM checks GROUP BY doc_id
), base AS (
    SELECT d.doc_id, d.status = 'ok' AS is_ok, coalesce(d.n_facts, 0) AS n_facts,
           coalesce(f.n_failing, 0) AS n_failing, d.format,
           CASE WHEN d.format IN ('html', 'pdf') THEN 0 ELSE 1 END AS format_rank, d.ingested_at,
           CASE WHEN d.doc_type = 'annual_report' AND d.report_year IS NOT NULL AND n.agency_key IS NOT NULL
                THEN n.agency_key || '|' || d.report_year::VARCHAR ELSE 'doc|' || d.doc_id END AS grp
    FROM documents d
    LEFT JOIN failing f USING (doc_id)
    LEFT JOIN agency_names n ON n.agency = d.agency
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY grp ORDER BY is_ok DESC, n_facts DESC, n_failing ASC,
                              format_rank ASC, ingested_at ASC NULLS LAST, doc_id ASC) AS rnk,
           count(*) OVER (PARTITION BY grp) AS copies
    FROM base
), paired AS (
    -- the primary is compared with the runner-up, every other copy with the primary
    SELECT r.doc_id, r.rnk, r.copies, o.doc_id AS other_id,
      CASE
        WHEN r.is_ok IS DISTINCT FROM o.is_ok THEN 'status ok'
        WHEN r.n_facts <> o.n_facts THEN 'more facts (' || greatest(r.n_facts, o.n_facts)::VARCHAR
             || ' vs ' || least(r.n_facts, o.n_facts)::VARCHAR || ')'
        WHEN r.n_failing <> o.n_failing THEN 'fewer failing checks (' || least(r.n_failing, o.n_failing)::VARCHAR
             || ' vs ' || greatest(r.n_failing, o.n_failing)::VARCHAR || ')'
        WHEN r.format_rank <> o.format_rank THEN 'html/pdf over text'
        WHEN r.ingested_at IS DISTINCT FROM o.ingested_at THEN 'ingested earlier'
        ELSE 'same on every rule; lowest doc_id'
      END AS rule
    FROM ranked r
    LEFT JOIN ranked o ON o.grp = r.grp AND o.rnk = CASE WHEN r.rnk = 1 THEN 2 ELSE 1 END
)
SELECT doc_id, rnk = 1 AS is_primary,
  CASE
    WHEN copies = 1 THEN 'only copy'
    WHEN rnk = 1 THEN 'primary of ' || copies::VARCHAR || ' copies: ' || rule
    ELSE 'copy of ' || left(other_id, 12) || ', which wins on ' || rule
  END AS reason
FROM paired
"""

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
    """Create `document_choice(doc_id, is_primary, reason)` and the cross-document check views."""
    con.execute(f"CREATE OR REPLACE VIEW agency_names AS {AGENCY_NAMES}")
    con.execute(f"CREATE OR REPLACE VIEW document_choice AS {DOCUMENT_CHOICE}")
    con.execute(f"CREATE OR REPLACE VIEW duplicates AS {DUPLICATES}")
    con.execute(f"CREATE OR REPLACE VIEW x_carry_over AS {X_CARRY_OVER}")
    con.execute(f"CREATE OR REPLACE VIEW report_deadlines AS {report_deadlines_sql()}")
    con.execute("CREATE OR REPLACE VIEW late_reports AS SELECT * FROM report_deadlines WHERE days_late > 0")
    create_quarantine_view(con)
