"""Which copy of a report counts, and one key per issuing body: the views the analyst totals rest on.

- `agency_names(agency, agency_key)`: one key per issuing body, so that '淮安市洪泽区人民政府' and
  '洪泽区人民政府' are the same agency (a longer name is the shorter one behind administrative-division
  prefixes).
- `document_choice(doc_id, is_primary, reason)`: one primary copy per (agency_key, report_year); the
  `reports` view and the wide views join on it.

They live in load/ because the warehouse build needs them (load never imports expectations/);
the cross-document checks (expectations/cross_doc.py) read them.
"""

from __future__ import annotations

import duckdb

# characters that end an administrative-division name (省, 市, 县, 区, ...)
DIVISION_END = "[省市县区州旗盟]"

# A shorter name b is a's key when a = <prefix ending in a division character> + b (b at least 4
# characters, holding a division character, not starting with one). The candidate b are found by
# cutting each name after each of its division characters and joining the tails on equality: linear
# in the number of names, where comparing every pair of names (the first version) was quadratic.
AGENCY_NAMES = f"""
WITH names AS (
    SELECT DISTINCT agency FROM documents WHERE agency IS NOT NULL AND trim(agency) <> ''
), cuts AS (
    SELECT agency, substr(agency, k + 1) AS tail
    FROM (SELECT agency, unnest(range(1, length(agency))) AS k FROM names)
    WHERE regexp_matches(substr(agency, k, 1), '{DIVISION_END}')
), matches AS (
    SELECT agency, agency AS shorter FROM names
    UNION ALL
    SELECT c.agency, b.agency AS shorter
    FROM cuts c JOIN names b ON b.agency = c.tail
    WHERE length(b.agency) >= 4
      AND regexp_matches(b.agency, '{DIVISION_END}')
      AND NOT regexp_matches(b.agency, '^{DIVISION_END}')
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


def create_choice_views(con: duckdb.DuckDBPyConnection) -> None:
    """`agency_names` and `document_choice`, over the base views documents and checks."""
    con.execute(f"CREATE OR REPLACE VIEW agency_names AS {AGENCY_NAMES}")
    con.execute(f"CREATE OR REPLACE VIEW document_choice AS {DOCUMENT_CHOICE}")
