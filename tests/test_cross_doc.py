"""Cross-document views over a hand-built lake: carry-over, duplicates and the choice, deadlines, quarantine."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.validation_fixtures import check, doc_id, fact, load, query, result


def carried(year_row: str, **values: float) -> list:
    return [fact(f"s3.{year_row}.{column}", value, page=3) for column, value in values.items()]


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    out = tmp_path_factory.mktemp("cross_doc")
    results = [
        # carry-over: 2022 carries 3 (natural_person 3) to 2023; 2023 says it received 2 (natural_person 3)
        result(
            "hz2022.pdf",
            carried("carried_to_next", natural_person=3, total=3),
            agency="淮安市洪泽区人民政府",
            report_year=2022,
            published_date=dt.date(2023, 3, 20),
        ),
        result(
            "hz2023.pdf",
            carried("carried_over_from_prev", natural_person=3, total=2)
            + carried("carried_to_next", natural_person=0, total=0),
            agency="洪泽区人民政府",
            report_year=2023,
            published_date=dt.date(2024, 3, 20),
        ),
        # 2025 has no 2024 neighbour: not compared with 2023
        result(
            "hz2025.pdf",
            carried("carried_over_from_prev", natural_person=5, total=5),
            agency="洪泽区人民政府",
            report_year=2025,
            published_date=dt.date(2026, 3, 1),
        ),
        # duplicates, each pair decided by a different rule
        result("facts_more.html", [fact("s4.review_total", 1), fact("s4.review_upheld", 1)], agency="甲县财政局"),
        result("facts_fewer.html", [fact("s4.review_total", 1)], agency="甲县财政局"),
        result("clean.html", [fact("s4.review_total", 1)], agency="乙县财政局"),
        result(
            "failing.html",
            [fact("s4.review_total", 1)],
            [check("S4_GROUP_TOTALS", "review", 1, 0, ["s4.review_total"])],
            agency="乙县财政局",
        ),
        result("page.html", [fact("s4.review_total", 1)], agency="丙县财政局"),
        result("capture.txt", [fact("s4.review_total", 1)], agency="丙县财政局", format="text"),
        result("broken.pdf", [], agency="丁县财政局", status="failed", error="pdf: no xref"),
        result("good.pdf", [], agency="丁县财政局", n_facts=0),
        # not the same agency: a department of the county, and a name with no division in it
        result("shuyang_fgj.html", [], agency="沭阳县发展和改革局", report_year=2023),
        result("fgj.html", [], agency="发展和改革局", report_year=2023),
        # deadlines: a department late by 5 days, a government on time, the pre-2019 rule
        result("dept_late.html", [], agency="戊县教育局", report_year=2021, published_date=dt.date(2022, 2, 5)),
        result("gov_ok.html", [], agency="戊县人民政府", report_year=2021, published_date=dt.date(2022, 2, 5)),
        result("zone_ok.html", [], agency="平潭综合实验区", report_year=2021, published_date=dt.date(2022, 3, 31)),
        result("old_late.html", [], agency="戊县教育局", report_year=2017, published_date=dt.date(2018, 4, 2)),
        result("old_ok.html", [], agency="戊县人民政府", report_year=2016, published_date=dt.date(2017, 3, 31)),
        result("undated.html", [], agency="己县教育局", report_year=2021, published_date=None),
    ]
    load(results, out)
    return out


def test_carry_over_compares_each_column_with_the_previous_year(lake):
    rows = query(
        lake,
        "SELECT agency, report_year, scope, doc_id, prev_doc_id, lhs, rhs, residual, passed FROM x_carry_over "
        "ORDER BY report_year, scope",
    )
    assert rows == [
        ("洪泽区人民政府", 2023, "natural_person", doc_id("hz2023.pdf"), doc_id("hz2022.pdf"), 3.0, 3.0, 0.0, True),
        ("洪泽区人民政府", 2023, "total", doc_id("hz2023.pdf"), doc_id("hz2022.pdf"), 2.0, 3.0, -1.0, False),
    ]


def test_agency_names_join_prefixed_names_only(lake):
    rows = dict(query(lake, "SELECT agency, agency_key FROM agency_names"))
    assert rows["淮安市洪泽区人民政府"] == "洪泽区人民政府"
    assert rows["洪泽区人民政府"] == "洪泽区人民政府"
    assert rows["沭阳县发展和改革局"] == "沭阳县发展和改革局"
    assert rows["发展和改革局"] == "发展和改革局"


def test_document_choice_has_one_row_per_document_in_the_contract_shape(lake):
    con_rows = query(lake, "SELECT column_name, column_type FROM (DESCRIBE document_choice)")
    assert con_rows == [("doc_id", "VARCHAR"), ("is_primary", "BOOLEAN"), ("reason", "VARCHAR")]
    counts = query(
        lake, "SELECT (SELECT count(*) FROM documents), count(*), count(DISTINCT doc_id) FROM document_choice"
    )
    assert counts == [(19, 19, 19)]


@pytest.mark.parametrize(
    ("primary", "secondary", "rule"),
    [
        ("facts_more.html", "facts_fewer.html", "more facts (2 vs 1)"),
        ("clean.html", "failing.html", "fewer failing checks (0 vs 1)"),
        ("page.html", "capture.txt", "html/pdf over text"),
        ("good.pdf", "broken.pdf", "status ok"),
    ],
)
def test_duplicates_keep_both_copies_and_say_which_rule_chose(lake, primary, secondary, rule):
    rows = dict(
        (r[0], r[1:])
        for r in query(
            lake,
            "SELECT doc_id, is_primary, reason, copies FROM duplicates WHERE doc_id IN (?, ?)",
            [doc_id(primary), doc_id(secondary)],
        )
    )
    assert rows[doc_id(primary)] == (True, f"primary of 2 copies: {rule}", 2)
    assert rows[doc_id(secondary)] == (False, f"copy of {doc_id(primary)[:12]}, which wins on {rule}", 2)


def test_only_real_duplicates_are_listed(lake):
    groups = query(lake, "SELECT agency_key, report_year, count(*) FROM duplicates GROUP BY ALL ORDER BY ALL")
    assert groups == [(agency, 2023, 2) for agency in ("丁县财政局", "丙县财政局", "乙县财政局", "甲县财政局")]
    single = query(lake, "SELECT reason FROM document_choice WHERE doc_id = ?", [doc_id("hz2025.pdf")])
    assert single == [("only copy",)]


def test_late_reports_follow_the_deadline_table(lake):
    late = query(lake, "SELECT doc_id, agency_kind, deadline, days_late FROM late_reports ORDER BY days_late")
    assert late == [
        (doc_id("old_late.html"), "any", dt.date(2018, 3, 31), 2),
        (doc_id("dept_late.html"), "department", dt.date(2022, 1, 31), 5),
    ]
    kinds = dict(
        query(
            lake,
            "SELECT doc_id, agency_kind || ' ' || deadline::VARCHAR || ' ' || coalesce(days_late::VARCHAR, '-') "
            "FROM report_deadlines",
        )
    )
    assert kinds[doc_id("gov_ok.html")] == "government 2022-03-31 -54"
    assert kinds[doc_id("zone_ok.html")] == "government 2022-03-31 0"
    assert kinds[doc_id("old_ok.html")] == "any 2017-03-31 0"
    assert kinds[doc_id("undated.html")] == "department 2022-01-31 -"


def test_quarantine_view_is_typed_and_empty_before_any_validation(lake):
    assert query(lake, "SELECT count(*) FROM quarantine") == [(0,)]
    columns = dict(query(lake, "SELECT column_name, column_type FROM (DESCRIBE quarantine)"))
    assert columns["report_year"] == "INTEGER"
    assert columns["value"] == "DOUBLE"
    assert columns["reason"] == "VARCHAR"
    assert columns["page"] == "INTEGER"
