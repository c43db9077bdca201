"""Each expectation fails on a frame built to break it, and only that one (exact rule names)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from govreports.expectations.frames import add_row_checks, build_frames, template_year_deviation, value_kinds
from govreports.expectations.suites import FLAGS, METHODS
from govreports.transform.model import Fact, allowed
from tests.validation_fixtures import check, fact, result, s4_group, tables

gx_validate = pytest.importorskip("govreports.expectations.validate")

A, B, C = "a_2023.html", "b_2019.html", "c_2016.txt"


def baseline() -> list:
    """Three consistent documents: a 2021-format, a 2019-format and a legacy report."""
    a_facts = [
        fact("s3.new_received.total", 5),
        fact("s3.carried_over_from_prev.total", 0),
        fact("s3.r_total.total", 5),
        fact("s3.carried_to_next.total", 0),
        fact("s2.art20_8.admin_fees.fee_amount_wan_yuan", 7730.28, raw="7730.28"),
        fact("s3.r_granted.natural_person", None, raw="270020130", flags=["ambiguous"], reason="two splits"),
        *s4_group("review", 1, 0, 0, 0, 1),
    ]
    a_checks = [
        check(
            "S3_BALANCE",
            "total",
            5,
            5,
            ["s3.new_received.total", "s3.carried_over_from_prev.total", "s3.r_total.total"],
            level="official",
        ),
        check("S4_GROUP_TOTALS", "review", 1, 1, ["s4.review_total", "s4.review_upheld"]),
    ]
    b_facts = [
        fact("s2.art20_5.admin_license.items_prev_year", 10),
        fact("s2.art20_5.admin_license.items_change", -8, flags=["negative"]),
    ]
    c_facts = [
        fact("legacy.req_received", 3, method="text"),
        fact("legacy.fees_collected", 0.5, method="text"),
        fact("legacy.reply_refused", 2, method="text"),
        fact("legacy.refused_state_secret", 1, method="text"),
    ]
    c_checks = [
        check("L_QIZHONG", "", 1, 2, ["legacy.refused_state_secret", "legacy.reply_refused"], level="heuristic"),
    ]
    return [
        result(A, a_facts, a_checks, published_date=dt.date(2024, 1, 20)),
        result(B, b_facts, template="gov_2019", report_year=2019, published_date=dt.date(2020, 1, 20)),
        result(C, c_facts, c_checks, format="text", template="legacy_stats", report_year=2016),
    ]


@pytest.fixture(scope="module")
def context():
    return gx_validate.open_context(None)


def frames_after(mutate=None) -> dict[str, pd.DataFrame]:
    documents, facts, checks = tables(baseline())
    if mutate:
        mutate(documents, facts, checks)
    return build_frames(documents, facts, checks)


def failing_rules(context, frames: dict[str, pd.DataFrame], suite: str) -> set[str]:
    return gx_validate.validate_frames({suite: frames[suite]}, context).rules()


def test_baseline_passes_every_suite(context):
    outcome = gx_validate.validate_frames(frames_after(), context)
    assert outcome.failures == []


def _set(table: str, column: str, value, row: int = 0):
    def mutate(documents, facts, checks):
        frame = {"documents": documents, "facts": facts, "checks": checks}[table]
        frame.loc[frame.index[row], column] = value

    return mutate


def _where(table: str, key_column: str, key: str, column: str, value):
    def mutate(documents, facts, checks):
        frame = {"documents": documents, "facts": facts, "checks": checks}[table]
        frame.loc[frame[key_column] == key, column] = value

    return mutate


def _duplicate_row(table: str, row: int = 0):
    def mutate(documents, facts, checks):
        frame = {"documents": documents, "facts": facts, "checks": checks}[table]
        frame.loc[len(frame)] = frame.iloc[row]

    return mutate


DOCUMENT_CASES = [
    ("doc_id_missing", _set("documents", "doc_id", None), {"doc_id_present"}),
    ("doc_id_not_sha", _set("documents", "doc_id", "not-a-hash"), {"doc_id_sha256"}),
    ("doc_id_twice", _duplicate_row("documents"), {"doc_id_unique"}),
    ("format_unknown", _set("documents", "format", "odt"), {"format_allowed"}),
    ("doc_type_memo", _set("documents", "doc_type", "memo"), {"doc_type_allowed"}),
    ("template_unknown", _set("documents", "template", "gov_2030"), {"template_allowed", "template_matches_year"}),
    ("status_unknown", _set("documents", "status", "parsed"), {"status_allowed", "document_parsed"}),
    ("needs_ocr", _set("documents", "status", "needs_ocr"), {"document_parsed"}),
    ("failed_silently", _set("documents", "status", "failed"), {"document_parsed", "failure_explained"}),
    (
        "year_2031",
        _set("documents", "report_year", 2031),
        {"report_year_in_range", "template_matches_year", "published_after_report_year"},
    ),
    ("gov_2019_in_2023", _set("documents", "template", "gov_2019"), {"template_matches_year"}),
    ("legacy_in_2019", _set("documents", "template", "legacy_stats", row=1), {"template_matches_year"}),
    ("annual_without_template", _set("documents", "template", None), {"annual_report_has_template"}),
    (
        "published_same_year",
        _set("documents", "published_date", pd.Timestamp(2023, 6, 1)),
        {"published_after_report_year"},
    ),
    ("n_facts_negative", _set("documents", "n_facts", -1), {"n_facts_non_negative"}),
    ("empty_file", _set("documents", "size_bytes", 0), {"size_positive"}),
]

FACT_CASES = [
    ("fact_doc_id_missing", _set("facts", "doc_id", None), {"fact_doc_id_present"}),
    ("key_missing", _set("facts", "key", None), {"key_present"}),
    ("key_unknown", _set("facts", "key", "legacy.raw.某某情况"), {"key_known"}),
    ("key_twice", _duplicate_row("facts"), {"key_unique_per_doc"}),
    ("method_guess", _set("facts", "method", "guess"), {"method_allowed"}),
    ("count_negative", _where("facts", "key", "s4.review_upheld", "value", -1.0), {"count_non_negative"}),
    ("count_fractional", _where("facts", "key", "s3.r_total.total", "value", 5.5), {"count_is_integer"}),
    (
        "signed_fractional",
        _where("facts", "key", "s2.art20_5.admin_license.items_change", "value", -1.5),
        {"count_is_integer"},
    ),
    (
        "amount_negative",
        _where("facts", "key", "s2.art20_8.admin_fees.fee_amount_wan_yuan", "value", -3.2),
        {"amount_non_negative"},
    ),
    ("legacy_amount_negative", _where("facts", "key", "legacy.fees_collected", "value", -1.0), {"amount_non_negative"}),
    (
        "null_without_reason",
        _where("facts", "key", "s3.r_granted.natural_person", "reason", None),
        {"null_value_has_reason"},
    ),
    ("page_zero", _set("facts", "page", 0), {"page_positive"}),
    ("flag_unknown", _set("facts", "flags", "blank,guessed"), {"flags_known"}),
]

CHECK_CASES = [
    ("identity_unknown", _set("checks", "identity", "S9_INVENTED"), {"identity_known"}),
    ("level_unknown", _set("checks", "level", "vibes"), {"level_allowed"}),
    ("check_twice", _duplicate_row("checks"), {"check_unique"}),
    ("balance_broken", _where("checks", "identity", "S3_BALANCE", "residual", 2.0), {"identity_holds:S3_BALANCE"}),
    (
        "group_total_broken",
        _where("checks", "identity", "S4_GROUP_TOTALS", "residual", -11.0),
        {"identity_holds:S4_GROUP_TOTALS"},
    ),
    ("qizhong_broken", _where("checks", "identity", "L_QIZHONG", "residual", 1.0), {"identity_holds:L_QIZHONG"}),
]


@pytest.mark.parametrize(
    ("suite", "mutate", "expected"),
    [pytest.param("documents", m, e, id=n) for n, m, e in DOCUMENT_CASES]
    + [pytest.param("facts", m, e, id=n) for n, m, e in FACT_CASES]
    + [pytest.param("checks", m, e, id=n) for n, m, e in CHECK_CASES],
)
def test_expectation_fails_on_frame_built_to_break_it(context, suite, mutate, expected):
    assert failing_rules(context, frames_after(mutate), suite) == expected


def test_signed_change_may_be_negative_and_residual_below_zero_passes_for_le(context):
    frames = frames_after()
    assert frames["facts"].loc[frames["facts"]["key"].str.endswith("items_change"), "value"].tolist() == [-8.0]
    assert frames["checks"].loc[frames["checks"]["identity"] == "L_QIZHONG", "residual"].tolist() == [-1.0]
    assert failing_rules(context, frames, "facts") == set()
    assert failing_rules(context, frames, "checks") == set()


def test_failure_names_the_offending_rows(context):
    frames = frames_after(_where("facts", "key", "s4.review_upheld", "value", -1.0))
    outcome = gx_validate.validate_frames({"facts": frames["facts"]}, context)
    [failure] = outcome.failures
    assert failure.severity == "critical"
    assert failure.expectation == "expect_column_values_to_be_between"
    doc = frames["documents"].doc_id[0]
    assert [(r["doc_id"], r["key"]) for r in failure.rows] == [(doc, "s4.review_upheld")]
    assert [(r["document"], r["explain"]) for r in failure.rows] == [
        ("洪泽区人民政府 2023年 a_2023.html", f"govreports explain {doc[:12]}")
    ]


def test_rows_are_labelled_with_agency_year_file_and_the_explain_command(tmp_path):
    documents, facts, checks = tables(baseline())
    documents.loc[2, "agency"] = None
    documents.loc[2, "report_year"] = None
    frames = build_frames(documents, facts, checks, out_dir=tmp_path)
    docs = frames["documents"]
    assert docs["document"].tolist() == [
        "洪泽区人民政府 2023年 a_2023.html",
        "洪泽区人民政府 2019年 b_2019.html",
        "agency unknown year unknown c_2016.txt",
    ]
    assert docs["explain"].tolist() == [f"govreports explain {d[:12]} --out {tmp_path.resolve()}" for d in docs.doc_id]
    assert frames["facts"].groupby("doc_id")["document"].nunique().tolist() == [1, 1, 1]
    assert set(frames["wide_s4"]["document"]) == {"洪泽区人民政府 2023年 a_2023.html"}
    assert gx_validate.index_columns("facts") == ["document", "explain", "doc_id", "key"]


def _wide_s4(**cells) -> pd.DataFrame:
    row = {"doc_id": "d1", "s4.review_total": 1.0, "s4.review_upheld": 1.0, **cells}
    return add_row_checks(pd.DataFrame([row]))


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param(_wide_s4(), set(), id="consistent"),
        pytest.param(_wide_s4(**{"s4.review_upheld": -1.0}), {"wide_s4.negative"}, id="negative"),
        pytest.param(_wide_s4(**{"s4.review_total": 1.5}), {"wide_s4.fractional"}, id="fractional"),
        pytest.param(
            add_row_checks(pd.DataFrame([{"doc_id": "d1", "s4.review_total": "十一"}])),
            {"wide_s4.non_numeric"},
            id="non_numeric",
        ),
        pytest.param(
            add_row_checks(pd.DataFrame([{"doc_id": "d1", "s4.review_total": 1.0}] * 2)),
            {"wide_s4.one_row_per_doc"},
            id="two_rows",
        ),
    ],
)
def test_wide_table_expectations(context, frame, expected):
    assert gx_validate.validate_frames({"wide_s4": frame}, context).rules() == expected


def test_wide_tables_pivot_one_row_per_document_and_name_the_bad_keys():
    frames = frames_after(_where("facts", "key", "s4.review_upheld", "value", -1.0))
    wide = frames["wide_s4"]
    assert wide["doc_id"].tolist() == [frames["documents"].doc_id[0]]
    assert wide.loc[0, "s4.review_total"] == 1.0
    assert wide.loc[0, "_negative_keys"] == "s4.review_upheld"
    assert wide.loc[0, "_n_negative"] == 1
    assert frames["wide_s2"]["doc_id"].nunique() == 2
    assert sorted(frames["wide_legacy"].columns[1:5]) == sorted(
        ["legacy.fees_collected", "legacy.refused_state_secret", "legacy.reply_refused", "legacy.req_received"]
    )


def test_value_kinds_come_from_the_mapping_tables():
    kinds = value_kinds()
    assert kinds["s2.art20_5.admin_license.items_change"] == "signed"
    assert kinds["s2.art20_8.admin_fees.fee_amount_wan_yuan"] == "decimal"
    assert kinds["s2.art20_9.gov_central_procurement.procurement_amount"] == "amount"
    assert kinds["s3.r_denied.total"] == "count"
    assert kinds["legacy.fees_collected"] == "amount"
    assert kinds["legacy.req_received"] == "count"


def test_template_year_deviation_words():
    assert template_year_deviation("gov_2021", 2023) is None
    assert template_year_deviation("gov_2019", 2021) == "gov_2019 is used for report years 2019–2020, not 2021"
    assert template_year_deviation("gov_2021", 2020) == "gov_2021 is used for report years 2021 onward, not 2020"
    assert template_year_deviation(None, 2020) is None


@pytest.mark.parametrize(
    ("suite", "row", "expected"),
    [
        pytest.param("x_carry_over", {"residual": 0.0}, set(), id="carry_over_holds"),
        pytest.param("x_carry_over", {"residual": -1.0}, {"identity_holds:X_CARRY_OVER"}, id="carry_over_broken"),
        pytest.param("report_deadlines", {"days_late": 0}, set(), id="on_deadline"),
        pytest.param("report_deadlines", {"days_late": 5}, {"published_by_deadline"}, id="late"),
    ],
)
def test_cross_document_expectations(context, suite, row, expected):
    base = {
        "doc_id": "d2",
        "prev_doc_id": "d1",
        "agency": "洪泽区人民政府",
        "report_year": 2024,
        "scope": "total",
        "published_date": pd.Timestamp(2025, 3, 1),
        "deadline": pd.Timestamp(2025, 3, 31),
    }
    frame = pd.DataFrame([base | row])
    assert gx_validate.validate_frames({suite: frame}, context).rules() == expected


# How the code emits flags and methods (a new way of emitting one needs a pattern here).
FLAG_EMITTERS = (
    r"""\.flag\(\s*"(\w+)"\)""",
    r"""flags=\["(\w+)"\]""",
    r"""flags\.append\("(\w+)"\)""",
    r"""\[\*flags, "(\w+)"\]""",
    r"""CellValue\([^,()]+, \["(\w+)"\]""",
    r"""flags = \S+, \("(\w+)",\)""",
    r"""'(\w+)' AS flags""",
)
METHOD_EMITTERS = (r"""method="(\w+)"(?: if [\w.]+ else "(\w+)")?""", r"""'(\w+)' AS method""")
EMITTING_PACKAGES = ("transform", "extract", "load", "pipelines")


def _emitted(patterns: tuple[str, ...]) -> set[str]:
    root = Path(__file__).resolve().parents[1]
    found: set[str] = set()
    for package in EMITTING_PACKAGES:
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in patterns:
                for match in re.findall(pattern, text):
                    found |= {m for m in (match if isinstance(match, tuple) else (match,)) if m}
    return found


def test_vocabulary_is_exactly_what_the_code_emits():
    assert _emitted(FLAG_EMITTERS) == allowed("flags")
    assert _emitted(METHOD_EMITTERS) == allowed("method")
    assert set(FLAGS) == allowed("flags") and set(METHODS) == allowed("method")
    assert {"derived", "prose", "garbled_cell", "ocr", "out_of_range", "manual"} <= set(FLAGS)


def test_emitters_refuse_a_flag_or_method_outside_the_vocabulary():
    with pytest.raises(ValueError, match=r"flags \['guessed'\] not in vocabulary.csv"):
        Fact("s3.r_total.total", 1.0).flag("guessed")
    with pytest.raises(ValueError, match=r"flags \['guessed'\]"):
        Fact("s3.r_total.total", 1.0, flags=["blank", "guessed"])
    with pytest.raises(ValueError, match=r"method \['guess'\]"):
        Fact("s3.r_total.total", 1.0, method="guess")
    assert Fact("s3.r_total.total", 0.0, method="narrative", flags=["prose"]).flag("ocr").flags == ["prose", "ocr"]


def test_every_emitted_flag_passes_flags_known(context):
    def every_flag(documents, facts, checks):
        facts["flags"] = ",".join(FLAGS)
        facts["method"] = "derived"

    assert failing_rules(context, frames_after(every_flag), "facts") == set()


def test_a_frame_runs_its_integrity_and_findings_rules_as_two_gx_suites_and_retires_an_old_one(tmp_path):
    """GX fails a suite on any failing expectation, whatever its severity: the warning/info rules run
    in `<frame>_findings`, and a suite left from before (all rules in `x_carry_over`) is dropped."""
    import great_expectations as gx

    context = gx_validate.open_context(tmp_path)
    context.suites.add(gx.ExpectationSuite(name="x_carry_over"))
    keys = {"doc_id": "d2", "prev_doc_id": "d1", "agency": "洪泽区人民政府", "report_year": 2024, "scope": "total"}
    frame = pd.DataFrame([keys | {"residual": -1.0}])
    outcome = gx_validate.validate_frames({"x_carry_over": frame, **frames_after()}, context)
    assert outcome.rules() == {"identity_holds:X_CARRY_OVER"}
    names = {s.name for s in context.suites.all()}
    assert "x_carry_over" not in names
    assert {"documents", "documents_findings", "facts", "facts_findings", "checks", "checks_findings"} <= names
    assert {n for n in names if not n.endswith("_findings")} == {"documents", "facts", "checks"}
    severities = {s.name: {e.severity for e in s.expectations} for s in context.suites.all()}
    assert all(found == {"critical"} for name, found in severities.items() if not name.endswith("_findings"))
    assert all("critical" not in found for name, found in severities.items() if name.endswith("_findings"))


def checks_of_one_identity(instances: int, failing: int) -> pd.DataFrame:
    """`instances` documents' S3_COLUMN_TOTAL, the first `failing` of them off by one."""
    return pd.DataFrame(
        {
            "doc_id": [f"{i:064x}" for i in range(instances)],
            "identity": "S3_COLUMN_TOTAL",
            "scope": "total",
            "keys": "s3.r_total.total,s3.r_total.natural",
            "level": "official",
            "residual": [1.0 if i < failing else 0.0 for i in range(instances)],
            "passed": [i >= failing for i in range(instances)],
        }
    )


@pytest.mark.parametrize(
    ("instances", "failing", "within"),
    [(30, 2, True), (30, 5, False), (5, 2, True), (5, 3, False)],
    ids=["2-of-30", "5-of-30", "2-of-5", "3-of-5"],
)
def test_a_findings_rule_fails_its_suite_only_above_its_tolerance(tmp_path, instances, failing, within):
    """identity_holds:* may flag 10 % of a chunk's instances, and always 2 (tolerances.csv); within it the
    suite succeeds and the rows are still listed, above it the suite fails."""
    import json

    context = gx_validate.open_context(tmp_path)
    outcome = gx_validate.validate_frames({"checks": checks_of_one_identity(instances, failing)}, context)
    [failure] = outcome.failures
    assert (failure.rule, len(failure.rows), failure.checked, failure.within_tolerance) == (
        "identity_holds:S3_COLUMN_TOTAL",
        failing,
        instances,
        within,
    )
    assert failure.max_share == max(0.1, 2 / instances)
    stored = {
        (d := json.loads(p.read_text()))["suite_name"]: d["success"]
        for p in (tmp_path / "gx" / "uncommitted" / "validations").rglob("*.json")
    }
    assert stored == {"checks": True, "checks_findings": within}


def test_integrity_rules_have_no_tolerance_and_an_unmatched_findings_rule_none():
    from govreports.expectations.suites import CRITICAL, WARNING, max_share

    assert max_share("identity_holds:S3_COLUMN_TOTAL", CRITICAL, 5) == 0.0
    assert max_share("key_known", CRITICAL) == 0.0
    assert max_share("flags_known", WARNING, 5) == 0.0
    assert max_share("no_such_rule", WARNING, 5) == 0.0
    assert max_share("plausible:P_JUMP", WARNING) == 1.0
