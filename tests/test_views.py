"""Analyst views over a hand-built lake: the acceptance questions, one query each, exact values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from govreports.load.lake import write_batch
from govreports.load.warehouse import connect
from govreports.pipelines.cli import EXAMPLE_QUERY, query_text
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.model import Check, DocumentResult, Fact
from govreports.transform.reference import reference

PINGTAN = "平潭综合实验区"


def document(doc_id: str, agency: str, year: int, template: str | None, doc_type: str = "annual_report") -> dict:
    return {
        "doc_id": doc_id,
        "source": f"https://www.pingtan.gov.cn/{doc_id}.html" if agency == PINGTAN else f"/data/{doc_id}.html",
        "file_name": f"{doc_id}.html",
        "format": "html",
        "doc_type": doc_type,
        "template": template,
        "agency": agency,
        "report_year": year,
        "published_date": date(year + 1, 1, 20),
        "index_no": None,
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "status": "ok",
        "error": None,
        "page_count": None,
        "encoding": "utf-8",
        "n_facts": 0,
        "size_bytes": 100,
        "ingested_at": datetime(2025, 1, 1, tzinfo=UTC),
        "parser_version": "test",
    }


def result(doc: dict, values: dict[str, float], checks: list[Check] = ()) -> DocumentResult:
    facts = [Fact(key=k, value=v, method="derived" if ".r_denied." in k else "table") for k, v in values.items()]
    doc["n_facts"] = len(facts)
    return DocumentResult(document=doc, facts=facts, checks=list(checks))


def balance(scope: str, passed: bool) -> Check:
    return Check("S3_BALANCE", "official", scope, passed, 1.0, 1.0 if passed else 2.0, [], "")


RESULTS = [
    result(
        document("a2016", PINGTAN, 2016, "legacy_stats"),
        {"legacy.req_received": 10, "legacy.reply_granted": 6, "legacy.review_total": 1, "legacy.lit_total": 2},
        [Check("L_REQ_CHANNELS", "heuristic", "", True, 10, 10, [], "")],
    ),
    result(
        document("b2019", PINGTAN, 2019, "gov_2019"),
        {
            "s3.new_received.natural_person": 15,
            "s3.new_received.commercial_enterprise": 5,
            "s3.new_received.total": 20,
            "s3.r_granted.total": 12,
            "s3.r_denied.total": 3,
            "s4.review_total": 2,
            "s4.lit_direct_total": 1,
            "s4.lit_after_review_total": 1,
            "s2.art20_1.regulations.issued_this_year": 4,
            "s2.art20_1.regulations.total_published_cumulative": 40,
        },
        [balance("natural_person", True), balance("total", False)],
    ),
    result(
        document("c2021", PINGTAN, 2021, "gov_2021"),
        {"s3.new_received.total": 30, "s2.art20_1.regulations.in_force": 9},
        [balance("total", True)],
    ),
    result(
        document("d2021", "沭阳县发展和改革局", 2021, "gov_2021"),
        {"s3.new_received.total": 7},
        [balance("total", False)],
    ),
    result(document("e2021", "厦门市文化和旅游局", 2021, None, doc_type="other"), {}),
]


@pytest.fixture(scope="module")
def con(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("lake")
    write_batch(RESULTS, out, reference().known_keys())
    build_warehouse(out)
    connection = connect(out)
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_applications_received_per_year_over_all_reports(con):
    sql = """
        SELECT report_year, sum(applications_received) FROM reports
        WHERE is_primary GROUP BY report_year ORDER BY report_year
    """
    assert rows(con, sql) == [(2016, 10.0), (2019, 20.0), (2021, 37.0)]


def test_share_of_reports_failing_s3_balance_by_year(con):
    sql = """
        SELECT report_year, avg(CAST(NOT s3_balance_passed AS INTEGER)) AS share_failing
        FROM reports GROUP BY report_year ORDER BY report_year
    """
    # 2016 is a legacy table: S3_BALANCE is not evaluable there, so the share is null, not 0
    assert rows(con, sql) == [(2016, None), (2019, 1.0), (2021, 0.5)]


def test_one_agency_history_across_templates(con):
    sql = f"""
        SELECT report_year, template, applications_received, granted, reviews, lawsuits, totals_relation
        FROM reports WHERE agency = '{PINGTAN}' ORDER BY report_year
    """
    assert rows(con, sql) == [
        (2016, "legacy_stats", 10.0, 6.0, 1.0, 2.0, "approximate"),
        (2019, "gov_2019", 20.0, 12.0, 2.0, 2.0, "equivalent"),
        (2021, "gov_2021", 30.0, None, None, None, "equivalent"),
    ]


def test_reports_carry_place_level_sector_and_checks(con):
    sql = """
        SELECT doc_id, province, city, county, level, sector, is_primary, checks_evaluated, checks_failed,
               failed_identities, published_date
        FROM reports ORDER BY doc_id
    """
    assert rows(con, sql) == [
        ("a2016", "福建省", "福州市", "平潭县", "county", "人民政府/办公室", True, 1, 0, None, date(2017, 1, 20)),
        (
            "b2019",
            "福建省",
            "福州市",
            "平潭县",
            "county",
            "人民政府/办公室",
            True,
            2,
            1,
            "S3_BALANCE",
            date(2020, 1, 20),
        ),
        ("c2021", "福建省", "福州市", "平潭县", "county", "人民政府/办公室", True, 1, 0, None, date(2022, 1, 20)),
        ("d2021", "江苏省", "宿迁市", "沭阳县", "county", "发展改革", True, 1, 1, "S3_BALANCE", date(2022, 1, 20)),
    ]


def test_series_lines_legacy_up_with_its_approximate_counterpart(con):
    sql = """
        SELECT report_year, template, key, value, relation FROM series
        WHERE measure = 's3.new_received.total' AND agency = '平潭综合实验区' ORDER BY report_year
    """
    assert rows(con, sql) == [
        (2016, "legacy_stats", "legacy.req_received", 10.0, "approximate"),
        (2019, "gov_2019", "s3.new_received.total", 20.0, "equivalent"),
        (2021, "gov_2021", "s3.new_received.total", 30.0, "equivalent"),
    ]
    # template-only measures keep their own relation
    sql = "SELECT key, relation FROM series WHERE key LIKE 's2.art20_1.regulations.%' ORDER BY key"
    assert rows(con, sql) == [
        ("s2.art20_1.regulations.in_force", "only_2021"),
        ("s2.art20_1.regulations.issued_this_year", "approximate"),
        ("s2.art20_1.regulations.total_published_cumulative", "only_2019"),
    ]


def test_wide_views(con):
    sql = """
        SELECT applicant, new_received, r_granted FROM requests_wide WHERE doc_id = 'b2019' ORDER BY applicant
    """
    assert rows(con, sql) == [
        ("commercial_enterprise", 5.0, None),
        ("natural_person", 15.0, None),
        ("total", 20.0, 12.0),
    ]
    sql = """
        SELECT block, item, issued_this_year, total_published_cumulative, in_force
        FROM active_disclosure_wide ORDER BY doc_id
    """
    assert rows(con, sql) == [("art20_1", "regulations", 4.0, 40.0, None), ("art20_1", "regulations", None, None, 9.0)]
    assert rows(con, "SELECT doc_id, review_total, lit_direct_total FROM review_litigation_wide") == [
        ("b2019", 2.0, 1.0)
    ]
    assert rows(con, "SELECT doc_id, req_received, reply_granted, lit_total FROM legacy_wide") == [
        ("a2016", 10.0, 6.0, 2.0)
    ]


def test_wide_view_columns_follow_the_mapping_tables(con):
    columns = [c[0] for c in con.execute("SELECT * FROM requests_wide LIMIT 0").description]
    assert columns[columns.index("applicant") + 1 :][:3] == ["new_received", "carried_over_from_prev", "r_granted"]
    assert {"r_other", "r_other_no_correction", "r_total", "carried_to_next"} <= set(columns)
    assert "results" not in columns  # a group header, never a value


def test_views_work_on_an_empty_lake(tmp_path: Path):
    build_warehouse(tmp_path)
    con = connect(tmp_path)
    try:
        for view in (
            "reports",
            "requests_wide",
            "active_disclosure_wide",
            "review_litigation_wide",
            "legacy_wide",
            "series",
        ):
            assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,), view
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE reports)").fetchall())
        assert types["report_year"] == "INTEGER"
        assert types["applications_received"] == "BIGINT"
        assert types["province"] == "VARCHAR"
    finally:
        con.close()


def test_rebuilding_changes_nothing(tmp_path: Path):
    write_batch(RESULTS, tmp_path, reference().known_keys())
    build_warehouse(tmp_path)
    con = connect(tmp_path)
    first = con.execute("SELECT * FROM reports ORDER BY doc_id").fetchall()
    con.close()
    assert write_batch(RESULTS, tmp_path, reference().known_keys()) == []
    build_warehouse(tmp_path)
    con = connect(tmp_path)
    try:
        assert con.execute("SELECT * FROM reports ORDER BY doc_id").fetchall() == first
    finally:
        con.close()


# ---- through real ingestion of the shared corpus (skipped when ../shared is absent) -------------------

CORPUS_DOCS = (
    "html/沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局_2025-12-30.html",
    "html/pingtan_平潭综合实验区2024年度政府信息公开工作年度报告_page.html",
    "seeds/004_e58907eb69c41167.txt",
)
EXPECTED_PLACES = {
    "沭阳县发展和改革局": ("江苏省", "宿迁市", "沭阳县", "county", "发展改革"),
    "平潭综合实验区": ("福建省", "福州市", "平潭县", "county", "人民政府/办公室"),
    "加格达奇区人民政府": ("黑龙江省", "大兴安岭地区", "加格达奇区", "county", "人民政府/办公室"),
}


@pytest.mark.corpus
def test_reports_match_the_ground_truth_of_real_documents(shared_corpus: Path, tmp_path: Path):
    from govreports.pipelines.ingest import discover, ingest
    from tests.conftest import load_expected

    paths = [shared_corpus / p for p in CORPUS_DOCS]
    ingest(discover(paths), tmp_path)
    con = connect(tmp_path)
    try:
        for path in paths:
            # the corpus names ground truth NAME.expected.json or NAME.<ext>.expected.json
            beside = path.with_name(path.name + ".expected.json")
            expected = load_expected(beside if beside.exists() else path.with_suffix(".expected.json"))
            facts = expected["facts"]
            legacy = expected["template"] == "legacy_stats"
            row = con.execute(
                """SELECT province, city, county, level, sector, report_year, template,
                          applications_received, granted, reviews, s3_balance_passed, failed_identities
                   FROM reports WHERE agency = ? AND is_primary""",
                [expected["agency"]],
            ).fetchone()
            assert row[:5] == EXPECTED_PLACES[expected["agency"]]
            assert row[5:7] == (expected["report_year"], expected["template"])
            received = facts["legacy.req_received" if legacy else "s3.new_received.total"]
            assert row[7] == received
            if not legacy:
                assert (row[8], row[9]) == (facts["s3.r_granted.total"], facts["s4.review_total"])
            assert row[10] == (None if legacy else "S3_BALANCE" not in expected["expected_failing_identities"])
            assert (row[11] or "") == ",".join(sorted(expected["expected_failing_identities"]))
        series = con.execute(
            "SELECT template, key, value, relation FROM series WHERE measure = 's3.new_received.total' ORDER BY value"
        ).fetchall()
        assert series == [
            ("legacy_stats", "legacy.req_received", 1.0, "approximate"),
            ("gov_2021", "s3.new_received.total", 26.0, "equivalent"),
            ("gov_2021", "s3.new_received.total", 218.0, "equivalent"),
        ]
    finally:
        con.close()


@pytest.mark.corpus
def test_one_agency_history_across_renamed_titles(shared_corpus: Path, tmp_path: Path):
    """洪泽区 titles itself 洪泽区人民政府 in 2023 and 淮安市洪泽区人民政府 in 2024: one agency_key."""
    from govreports.pipelines.ingest import discover, ingest

    ingest(discover([shared_corpus / "real"]), tmp_path)
    con = connect(tmp_path)
    try:
        history = con.execute(
            "SELECT agency, report_year, applications_received FROM reports "
            "WHERE agency_key = '洪泽区人民政府' AND is_primary ORDER BY report_year"
        ).fetchall()
    finally:
        con.close()
    assert history == [("洪泽区人民政府", 2023, 21.0), ("淮安市洪泽区人民政府", 2024, 95.0)]


# Value columns of each view stored as DOUBLE: only the amounts in 万元 (or the printed unit); every other is BIGINT.
AMOUNT_COLUMNS = {
    "reports": set(),
    "requests_wide": set(),
    "active_disclosure_wide": {"fee_amount_wan_yuan", "procurement_amount"},
    "review_litigation_wide": set(),
    "legacy_wide": {"fees_collected", "budget"},
}
IDENTITY_TYPES = {"report_year": "INTEGER"}


def value_types(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    described = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {view})").fetchall()
    return {name: kind for name, kind in described if kind not in ("VARCHAR", "BOOLEAN", "DATE")}


@pytest.mark.parametrize("view", sorted(AMOUNT_COLUMNS))
def test_counts_are_bigint_and_amounts_double(con, view: str):
    types = value_types(con, view)
    expected = {
        name: IDENTITY_TYPES.get(name, "DOUBLE" if name in AMOUNT_COLUMNS[view] else "BIGINT") for name in types
    }
    assert types == expected
    assert len([kind for kind in types.values() if kind == "BIGINT"]) >= {"legacy_wide": 90}.get(view, 9)


def test_reports_totals_are_ints_and_missing_totals_are_null(con):
    assert rows(
        con, "SELECT applications_received, reviews, lawsuits, n_facts FROM reports WHERE doc_id = 'b2019'"
    ) == [(20, 2, 2, 10)]
    value = rows(con, "SELECT applications_received FROM reports WHERE doc_id = 'c2021'")[0][0]
    assert type(value) is int
    frame = con.execute("SELECT doc_id, applications_received, reviews FROM reports ORDER BY doc_id").df()
    assert str(frame["reviews"].dtype) == "Int64"  # pandas nullable integers: <NA>, never NaN
    assert frame["reviews"].isna().tolist() == [False, False, True, True]
    assert frame["applications_received"].tolist() == [10, 20, 30, 7]


def test_a_count_that_is_no_whole_number_or_out_of_range_is_null_not_rounded(tmp_path: Path):
    odd = [
        result(
            document("x2021", PINGTAN, 2021, "gov_2021"),
            {"s3.new_received.total": 7.5, "s4.review_total": 1e20, "s2.art20_8.admin_fees.fee_amount_wan_yuan": 2.5},
        )
    ]
    write_batch(odd, tmp_path, reference().known_keys())
    build_warehouse(tmp_path)
    con = connect(tmp_path)
    try:
        assert rows(con, "SELECT applications_received, reviews FROM reports") == [(None, None)]
        assert rows(con, "SELECT fee_amount_wan_yuan FROM active_disclosure_wide") == [(2.5,)]
        # The printed values stay in facts (the checks name a fractional count).
        assert sorted(rows(con, "SELECT key, value FROM facts")) == [
            ("s2.art20_8.admin_fees.fee_amount_wan_yuan", 2.5),
            ("s3.new_received.total", 7.5),
            ("s4.review_total", 1e20),
        ]
    finally:
        con.close()


def test_the_example_query_prints_integers_and_nulls_as_na(con):
    assert query_text(con, EXAMPLE_QUERY).splitlines() == [
        " report_year  reports  applications_received  share_s3_balanced",
        "        2016        1                     10               <NA>",
        "        2019        1                     20                0.0",
        "        2021        2                     37                0.5",
    ]
