"""Plausibility flags across years: the rules of data/reference/plausibility.csv as one view.

`plausibility` has one row per flag: rule, severity, agency_key, the two years, the measure and
key, both values, both doc_ids and a detail in words. A rule's `kind` names the SQL that finds
it (ratio over `yoy`, missing over `reports`, carry_over over `x_carry_over`); its other
columns are that SQL's parameters, so a threshold changes in the CSV, not here. Flags are
findings about the source: they are shown (run summary, validation, `explain`, `compare`)
and never change a value.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

from govreports.transform.reference import REFERENCE_DIR

RULES_CSV = REFERENCE_DIR / "plausibility.csv"
VIEW = "plausibility"
COLUMNS = "rule, severity, agency_key, year_prev, year, measure, key, value_prev, value, doc_id_prev, doc_id, detail"


@dataclass(frozen=True)
class PlausibilityRule:
    rule: str
    kind: str
    severity: str
    value_kind: str
    ratio: float | None
    min_count: float | None
    reason: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def plausibility_rules() -> tuple[PlausibilityRule, ...]:
    with RULES_CSV.open(encoding="utf-8") as fh:
        return tuple(
            PlausibilityRule(
                rule=r["rule"],
                kind=r["kind"],
                severity=r["severity"],
                value_kind=r["value_kind"],
                ratio=_number(r["ratio"]),
                min_count=_number(r["min_count"]),
                reason=r["reason"],
            )
            for r in csv.DictReader(fh)
        )


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _printed(column: str) -> str:
    """A value in words as printed: 40.0 -> '40', 2.5 -> '2.5', null -> '?'."""
    return f"coalesce(regexp_replace({column}::VARCHAR, '\\.0$', ''), '?')"


def ratio_sql(r: PlausibilityRule) -> str:
    """A value more than `ratio` times the other year's (either way), the larger at least min_count."""
    return f"""
SELECT {_text(r.rule)} AS rule, {_text(r.severity)} AS severity, y.agency_key, y.year_prev, y.year,
       y.measure, y.key, y.value_prev, y.value, y.doc_id_prev, y.doc_id,
       y.year_prev::VARCHAR || ' ' || {_printed("y.value_prev")} || ' → ' || y.year::VARCHAR || ' '
         || {_printed("y.value")} || ' (' || y.comparison || ')' AS detail
FROM yoy y JOIN key_dictionary k ON k.key = y.key
WHERE k.value_kind = {_text(r.value_kind)}
  AND greatest(y.value, y.value_prev) >= {r.min_count}
  AND (y.value > {r.ratio} * y.value_prev OR y.value_prev > {r.ratio} * y.value)"""


def missing_sql(r: PlausibilityRule) -> str:
    """Reported year - 1, no report for year, and year is not past the lake's latest report year."""
    return f"""
WITH reported AS (
    SELECT DISTINCT agency_key, report_year, doc_id FROM reports
    WHERE is_primary AND agency_key IS NOT NULL AND report_year IS NOT NULL
)
SELECT {_text(r.rule)} AS rule, {_text(r.severity)} AS severity, p.agency_key, p.report_year AS year_prev,
       p.report_year + 1 AS year, NULL::VARCHAR AS measure, NULL::VARCHAR AS key, NULL::DOUBLE AS value_prev,
       NULL::DOUBLE AS value, p.doc_id AS doc_id_prev, NULL::VARCHAR AS doc_id,
       'reported ' || p.report_year::VARCHAR || ', no report for ' || (p.report_year + 1)::VARCHAR AS detail
FROM reported p
WHERE p.report_year < (SELECT max(report_year) FROM reported)
  AND NOT EXISTS (
    SELECT 1 FROM reported c WHERE c.agency_key = p.agency_key AND c.report_year = p.report_year + 1
  )"""


def carry_over_sql(r: PlausibilityRule) -> str:
    """The failing rows of the x_carry_over view (the identity is computed there, once)."""
    return f"""
SELECT {_text(r.rule)} AS rule, {_text(r.severity)} AS severity, x.agency AS agency_key,
       x.report_year - 1 AS year_prev, x.report_year AS year,
       's3.carried_over_from_prev.' || x.scope AS measure, 's3.carried_over_from_prev.' || x.scope AS key,
       x.rhs AS value_prev, x.lhs AS value, x.prev_doc_id AS doc_id_prev, x.doc_id, x.detail
FROM x_carry_over x WHERE x.passed = false"""


KIND_SQL = {"ratio": ratio_sql, "missing": missing_sql, "carry_over": carry_over_sql}


def view_sql() -> str:
    parts = [f"SELECT {COLUMNS} FROM ({KIND_SQL[r.kind](r)})" for r in plausibility_rules()]
    return "\nUNION ALL\n".join(parts)


def create_plausibility_view(con: duckdb.DuckDBPyConnection) -> None:
    """After the analyst views: the ratio rules read `yoy` and `key_dictionary`."""
    con.execute(f"CREATE OR REPLACE VIEW {VIEW} AS {view_sql()}")


def plausibility_counts(out_dir: Path, doc_ids: list[str]) -> Counter:
    """Flags by rule that touch the given documents (either year of the pair)."""
    from govreports.load.warehouse import connect

    con = connect(Path(out_dir))
    try:
        rows = con.execute(
            f"SELECT rule, count(*) FROM {VIEW} WHERE list_contains(?, doc_id) OR list_contains(?, doc_id_prev) "
            "GROUP BY rule",
            [doc_ids, doc_ids],
        ).fetchall()
    finally:
        con.close()
    return Counter(dict(rows))
