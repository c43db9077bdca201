"""The expectation suites, one per validated frame (see expectations/frames.py).

Every expectation carries meta `rule` (a stable short name: tests and the
quarantine refer to it) and `reason` (what a failure means, in words). Severity:

- critical: the row is wrong in a way the pipeline must not pass on (unknown
  template, negative or fractional count, duplicate (doc_id, key), key unknown to
  the registry, a document that could not be parsed). Failing rows are written to
  the quarantine table.
- warning: a finding about the source (an official/structural identity whose
  residual is not 0) or a deviation worth a look (template unusual for the year).
  Reported in Data Docs and by `govreports explain`, never rejected.
- info: heuristic identities and other research signals.

Each frame's rules run as two GX suites (`gx_suites`): the critical ones in the frame's own
suite (`checks`), the warning and info ones in `<frame>_findings` (`checks_findings`). GX 1.x
marks a suite failed when any of its expectations fails, whatever its `severity` (severity only
filters notification actions), so findings about the sources kept beside the integrity rules
would mark the integrity suite `Failed` on clean data.

A findings rule gates its suite only above its tolerance (data/reference/tolerances.csv, first
matching pattern wins): the share of a chunk's rows in its scope it may flag, and at least
`min_rows` of them (one odd report in a small run is not a reader regression), given to GX as
`mostly`. Below it the suite succeeds and Data Docs still list the flagged rows; a rule with
tolerance 1 only reports. Integrity rules have none.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.row_conditions import Column

from govreports.expectations.frames import FIRST_REPORT_YEAR, LABEL_COLUMNS, SECTIONS, TEMPLATE_YEARS, value_kinds
from govreports.expectations.plausibility import plausibility_rules
from govreports.extract import FORMAT_OF_SUFFIX
from govreports.transform.model import allowed
from govreports.transform.reference import REFERENCE_DIR, TEMPLATES, reference

FORMATS = sorted(set(FORMAT_OF_SUFFIX.values()))
DOC_TYPES = ("annual_report", "other")
STATUSES = ("ok", "needs_ocr", "needs_conversion", "failed")
LEVELS = ("official", "structural", "heuristic")
# the emitters (transform.model.Fact) refuse any flag or method outside this same table
METHODS = tuple(sorted(allowed("method")))
FLAGS = tuple(sorted(allowed("flags")))
# Identities of the spec that the reference file does not evaluate per document.
SPEC_ONLY_IDENTITIES = (
    "S3_GROUP_SUBTOTALS",
    "X_CARRY_OVER",
    "T_TEXT_VS_TABLE",
    "DOMAIN",
    "H2019_PUBLISHED_LE_TOTAL",
    "H2019_ITEMS_ROLL",
)
INDEX_COLUMNS = {
    "documents": ["doc_id"],
    "facts": ["doc_id", "key"],
    "checks": ["doc_id", "identity", "scope"],
    "x_carry_over": ["doc_id", "prev_doc_id", "agency", "report_year", "scope"],
    "report_deadlines": ["doc_id", "agency", "report_year", "published_date", "deadline"],
    "plausibility": ["rule", "agency_key", "year", "measure", "doc_id", "doc_id_prev"],
}
CRITICAL, WARNING, INFO = "critical", "warning", "info"
FINDINGS_SUFFIX = "_findings"
TOLERANCES_CSV = REFERENCE_DIR / "tolerances.csv"


@dataclass(frozen=True)
class Tolerance:
    """The share of a validation chunk's rows a findings rule may flag before its suite fails."""

    pattern: str
    max_share: float
    min_rows: int
    why: str


@cache
def tolerances() -> tuple[Tolerance, ...]:
    with TOLERANCES_CSV.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        found = tuple(Tolerance(r["pattern"], float(r["max_share"]), int(r["min_rows"]), r["why"]) for r in rows)
    if bad := [t.pattern for t in found if not 0 <= t.max_share <= 1]:
        raise ValueError(f"tolerances.csv: max_share outside 0..1 for {bad}")
    return found


def max_share(rule: str, severity: str, in_scope: int | None = None) -> float:
    """The share of `in_scope` rows (when known) the rule may flag: 0 for integrity rules and for
    findings rules no pattern matches."""
    if severity == CRITICAL:
        return 0.0
    tolerance = next((t for t in tolerances() if fnmatch.fnmatchcase(rule, t.pattern)), None)
    if tolerance is None:
        return 0.0
    floor = tolerance.min_rows / in_scope if in_scope else 0.0
    return min(1.0, max(tolerance.max_share, floor))


@dataclass(frozen=True)
class Rule:
    """One expectation with the name and words that explain its failures."""

    name: str
    severity: str
    reason: str
    expectation: gxe.Expectation
    in_scope: int | None = None  # rows of the frame the rule checks, where the rule knows them

    @property
    def max_share(self) -> float:
        return max_share(self.name, self.severity, self.in_scope)

    def configured(self) -> gxe.Expectation:
        exp = self.expectation
        exp.meta = {"rule": self.name, "reason": self.reason, "max_share": self.max_share}
        exp.severity = self.severity
        exp.mostly = 1 - self.max_share
        return exp


def row_keys(suite: str) -> list[str]:
    """The columns that identify a failing row (the quarantine matches on these)."""
    if suite.startswith("wide_"):
        return ["doc_id", *(f"_{name}_keys" for name in WIDE_ROW_CHECKS)]
    return INDEX_COLUMNS[suite]


def index_columns(suite: str, frame: pd.DataFrame | None = None) -> list[str]:
    """Columns Data Docs show for each failing row: the document's name and explain command first."""
    labels = [c for c in LABEL_COLUMNS if frame is None or c in frame.columns]
    return [*labels, *row_keys(suite)]


def last_plausible_year() -> int:
    return dt.date.today().year


def template_year_pairs() -> list[tuple[str, int]]:
    last = last_plausible_year()
    return [
        (template, year)
        for template, (first, end) in TEMPLATE_YEARS.items()
        for year in range(first, (end or last) + 1)
    ]


def document_rules(frame: pd.DataFrame) -> list[Rule]:
    n = len(frame)
    ok_annual = (Column("doc_type") == "annual_report") & (Column("status") == "ok")
    return [
        Rule("doc_id_present", CRITICAL, "document without doc_id", gxe.ExpectColumnValuesToNotBeNull(column="doc_id")),
        Rule(
            "doc_id_sha256",
            CRITICAL,
            "doc_id is not a sha256 hex digest",
            gxe.ExpectColumnValuesToMatchRegex(column="doc_id", regex=r"^[0-9a-f]{64}$"),
        ),
        Rule("doc_id_unique", CRITICAL, "doc_id appears twice", gxe.ExpectColumnValuesToBeUnique(column="doc_id")),
        Rule(
            "format_allowed",
            CRITICAL,
            "unknown format",
            gxe.ExpectColumnValuesToBeInSet(column="format", value_set=list(FORMATS)),
        ),
        Rule(
            "doc_type_allowed",
            CRITICAL,
            "unknown doc_type",
            gxe.ExpectColumnValuesToBeInSet(column="doc_type", value_set=list(DOC_TYPES)),
        ),
        Rule(
            "template_allowed",
            CRITICAL,
            "unknown template",
            gxe.ExpectColumnValuesToBeInSet(column="template", value_set=list(TEMPLATES)),
        ),
        Rule(
            "status_allowed",
            CRITICAL,
            "unknown status",
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=list(STATUSES)),
        ),
        Rule(
            "document_parsed",
            CRITICAL,
            "document could not be parsed (status failed, needs_ocr or needs_conversion): no facts from it",
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["ok"]),
        ),
        Rule(
            "failure_explained",
            CRITICAL,
            "document failed without an error message",
            gxe.ExpectColumnValuesToNotBeNull(column="error", row_condition=Column("status") == "failed"),
        ),
        Rule(
            "report_year_in_range",
            CRITICAL,
            f"report_year outside {FIRST_REPORT_YEAR}..{last_plausible_year()}",
            gxe.ExpectColumnValuesToBeBetween(
                column="report_year", min_value=FIRST_REPORT_YEAR, max_value=last_plausible_year()
            ),
        ),
        Rule(
            "template_matches_year",
            WARNING,
            "template unusual for the report year (legacy ≤2018, gov_2019 2019–2020, gov_2021 ≥2021)",
            gxe.ExpectColumnPairValuesToBeInSet(
                column_A="template",
                column_B="report_year",
                value_pairs_set=template_year_pairs(),
                ignore_row_if="either_value_is_missing",
            ),
            in_scope=n,
        ),
        Rule(
            "annual_report_has_template",
            WARNING,
            "annual report parsed without a template",
            gxe.ExpectColumnValuesToNotBeNull(column="template", row_condition=ok_annual),
            in_scope=n,  # all documents, not only the parsed annual reports: the floor errs low
        ),
        Rule(
            "published_after_report_year",
            WARNING,
            "published in or before the year it reports on",
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="published_year", column_B="report_year", ignore_row_if="either_value_is_missing"
            ),
            in_scope=n,
        ),
        Rule(
            "n_facts_non_negative",
            CRITICAL,
            "negative n_facts",
            gxe.ExpectColumnValuesToBeBetween(column="n_facts", min_value=0),
        ),
        Rule(
            "size_positive", CRITICAL, "empty file", gxe.ExpectColumnValuesToBeBetween(column="size_bytes", min_value=1)
        ),
    ]


def registry_keys() -> list[str]:
    return sorted(reference().known_keys() | set(value_kinds()))


def fact_rules() -> list[Rule]:
    flags = "|".join(FLAGS)
    return [
        Rule(
            "fact_doc_id_present", CRITICAL, "fact without doc_id", gxe.ExpectColumnValuesToNotBeNull(column="doc_id")
        ),
        Rule("key_present", CRITICAL, "fact without key", gxe.ExpectColumnValuesToNotBeNull(column="key")),
        Rule(
            "key_known",
            CRITICAL,
            "key unknown to the spec registry (map the row in data/reference/extra_rows.csv)",
            gxe.ExpectColumnValuesToBeInSet(column="key", value_set=registry_keys()),
        ),
        Rule(
            "key_unique_per_doc",
            CRITICAL,
            "the same key twice in one document",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["doc_id", "key"]),
        ),
        Rule(
            "method_allowed",
            CRITICAL,
            "unknown method",
            gxe.ExpectColumnValuesToBeInSet(column="method", value_set=list(METHODS)),
        ),
        Rule(
            "count_non_negative",
            CRITICAL,
            "a count is negative",
            gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=0, row_condition=Column("value_kind") == "count"
            ),
        ),
        Rule(
            "count_is_integer",
            CRITICAL,
            "a count (or signed 本年增/减) is not an integer",
            gxe.ExpectColumnValuesToBeBetween(
                column="fraction",
                min_value=0,
                max_value=0,
                row_condition=Column("value_kind").is_in(["count", "signed"]),
            ),
        ),
        Rule(
            "amount_non_negative",
            CRITICAL,
            "an amount (元/万元) is negative",
            gxe.ExpectColumnValuesToBeBetween(
                column="value", min_value=0, row_condition=Column("value_kind").is_in(["amount", "decimal"])
            ),
        ),
        Rule(
            "null_value_has_reason",
            CRITICAL,
            "value is null with no reason: a number lost silently",
            gxe.ExpectColumnValuesToNotBeNull(column="reason", row_condition=Column("value").is_null()),
        ),
        Rule("page_positive", CRITICAL, "page below 1", gxe.ExpectColumnValuesToBeBetween(column="page", min_value=1)),
        Rule(
            "flags_known",
            WARNING,
            "a flag outside the documented vocabulary",
            gxe.ExpectColumnValuesToMatchRegex(column="flags", regex=rf"^(?:(?:{flags})(?:,|$))*$"),
        ),
    ]


def known_identities() -> list[str]:
    return sorted({i.id for i in reference().identities} | set(SPEC_ONLY_IDENTITIES))


def identity_rule(identity: str, op: str | None, level: str, in_scope: int | None = None) -> Rule:
    """residual = sum(lhs) − sum(rhs), computed in transform: 0 for ==, ≤ 0 for <=."""
    only = Column("identity") == identity
    severity = INFO if level == "heuristic" else WARNING
    if op == "==":
        exp = gxe.ExpectColumnValuesToBeBetween(column="residual", min_value=0, max_value=0, row_condition=only)
        words = "residual ≠ 0"
    elif op == "<=":
        exp = gxe.ExpectColumnValuesToBeBetween(column="residual", max_value=0, row_condition=only)
        words = "residual > 0"
    else:
        exp = gxe.ExpectColumnValuesToBeInSet(column="passed", value_set=[True], row_condition=only)
        words = "check failed"
    reason = f"{identity}: {words} (the source's own numbers)"
    return Rule(f"identity_holds:{identity}", severity, reason, exp, in_scope)


def check_rules(checks: pd.DataFrame) -> list[Rule]:
    rules = [
        Rule(
            "identity_known",
            CRITICAL,
            "identity id not in the spec",
            gxe.ExpectColumnValuesToBeInSet(column="identity", value_set=known_identities()),
        ),
        Rule(
            "level_allowed",
            CRITICAL,
            "unknown identity level",
            gxe.ExpectColumnValuesToBeInSet(column="level", value_set=list(LEVELS)),
        ),
        Rule(
            "check_unique",
            CRITICAL,
            "the same identity instance twice",
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["doc_id", "identity", "scope", "keys"]),
        ),
    ]
    spec = {i.id: (i.op, i.level) for i in reference().identities}
    present = {
        row.identity: (spec.get(row.identity, (None, None))[0], row.level)
        for row in checks[["identity", "level"]].drop_duplicates().itertuples()
        if isinstance(row.identity, str)
    }
    wanted = {ident: spec[ident] for ident in spec} | present
    instances = checks["identity"].value_counts()
    rules += [
        identity_rule(ident, op, level, int(instances.get(ident, 0))) for ident, (op, level) in sorted(wanted.items())
    ]
    return rules


WIDE_ROW_CHECKS = {
    "non_numeric": "cells that are not numbers",
    "negative": "negative counts or amounts (only 本年增/减 may be negative)",
    "fractional": "counts that are not integers",
}


def wide_rules(wide: pd.DataFrame, section: str) -> list[Rule]:
    """One row per document, and per row no non-numeric, negative or fractional cell (see frames.add_row_checks)."""
    rules = [
        Rule(
            f"wide_{section}.one_row_per_doc",
            WARNING,
            "two rows for one document",
            gxe.ExpectColumnValuesToBeUnique(column="doc_id"),
        )
    ]
    for name, words in WIDE_ROW_CHECKS.items():
        rules.append(
            Rule(
                f"wide_{section}.{name}",
                WARNING,
                f"section {section}: {words} (see _{name}_keys)",
                gxe.ExpectColumnValuesToBeBetween(column=f"_n_{name}", min_value=0, max_value=0),
            )
        )
    return rules


def plausibility_suite_rules() -> list[Rule]:
    """One expectation per rule of plausibility.csv: no flag of that rule (the frame holds flags only).
    X_CARRY_OVER is validated by its own suite (identity_holds:X_CARRY_OVER), not twice."""
    return [
        Rule(
            f"plausible:{r.rule}",
            r.severity,
            f"{r.rule}: {r.reason}",
            gxe.ExpectColumnValuesToNotBeInSet(column="rule", value_set=[r.rule]),
        )
        for r in plausibility_rules()
        if r.kind != "carry_over"
    ]


def cross_doc_rules(frame: pd.DataFrame, suite: str) -> list[Rule]:
    """Findings across documents: reported in Data Docs, never rejected."""
    if suite == "plausibility":
        return plausibility_suite_rules()
    if suite == "x_carry_over":
        return [
            Rule(
                "identity_holds:X_CARRY_OVER",
                WARNING,
                "X_CARRY_OVER: this year's 上年结转 differs from last year's 结转下年度",
                gxe.ExpectColumnValuesToBeBetween(column="residual", min_value=0, max_value=0),
            )
        ]
    return [
        Rule(
            "published_by_deadline",
            INFO,
            "published after the legal deadline (a research signal, not an error)",
            gxe.ExpectColumnValuesToBeBetween(column="days_late", max_value=0),
        )
    ]


CROSS_DOC_SUITES = ("x_carry_over", "report_deadlines", "plausibility")
SUITE_RULES: dict[str, Callable[[pd.DataFrame], list[Rule]]] = {
    "documents": document_rules,
    "facts": lambda frame: fact_rules(),
    "checks": check_rules,
    **{f"wide_{s}": (lambda frame, s=s: wide_rules(frame, s)) for s in SECTIONS},
    **{name: (lambda frame, name=name: cross_doc_rules(frame, name)) for name in CROSS_DOC_SUITES},
}


def rules_for(suite: str, frame: pd.DataFrame) -> list[Rule]:
    return SUITE_RULES[suite](frame)


def gx_suite_name(suite: str, severity: str) -> str:
    """The GX suite a rule of frame `suite` runs in: the frame's own for integrity, `_findings` for the rest."""
    return suite if severity == CRITICAL else suite + FINDINGS_SUFFIX


def gx_suites(suite: str, rules: list[Rule]) -> dict[str, list[Rule]]:
    """The frame's rules by GX suite, integrity first; a suite without rules is left out."""
    split: dict[str, list[Rule]] = {}
    for rule in sorted(rules, key=lambda r: r.severity != CRITICAL):
        split.setdefault(gx_suite_name(suite, rule.severity), []).append(rule)
    return split
