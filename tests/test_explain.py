"""validate_run on a hand-built lake (Data Docs, quarantine, idempotency) and `govreports explain`."""

from __future__ import annotations

import datetime as dt
from itertools import count

import pytest
from typer.testing import CliRunner

from govreports.expectations.explain import ExplainError, explain_text
from govreports.expectations.quarantine import count_for, read_quarantine
from govreports.load.lake import table_files
from govreports.pipelines.cli import app
from tests.validation_fixtures import check, doc_id, fact, load, query, result, s4_group

gx_validate = pytest.importorskip("govreports.expectations.validate")

REVIEW_KEYS = [f"s4.review_{p}" for p in ("total", "upheld", "corrected", "other", "pending")]


def _sharing_first_char(name: str) -> str:
    """A filler file name whose doc_id starts with the same hex digit as `name`'s."""
    for i in count():
        filler = f"filler{i}.html"
        if doc_id(filler)[0] == doc_id(name)[0]:
            return filler
    raise AssertionError("unreachable")


def documents() -> list:
    hz_facts = [
        *s4_group("review", 4, 5, 1, 1, 0),
        fact("s3.carried_over_from_prev.total", 0, page=3),
        fact("s4.lit_direct_upheld", -2, raw="-2", page=4, flags=["negative"]),
        fact("s3.r_granted.natural_person", None, raw="270020130", page=3, flags=["ambiguous"], reason="two splits"),
    ]
    hz_checks = [check("S4_GROUP_TOTALS", "review", 0, 11, REVIEW_KEYS)]
    return [
        result("hz2023.pdf", hz_facts, hz_checks, format="pdf", published_date=dt.date(2024, 4, 10)),
        result("hz2023.txt", [fact("s4.review_total", 0)], format="text", published_date=dt.date(2024, 4, 10)),
        result("hz2022.pdf", [fact("s3.carried_to_next.total", 4, page=3)], report_year=2022),
        result(_sharing_first_char("hz2023.pdf"), agency="庚县财政局"),
    ]


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain")
    docs = documents()
    load(docs, out)
    index = gx_validate.validate_run(out, [d.doc_id for d in docs])
    return out, index


def test_validate_run_writes_data_docs_with_the_failing_identity(validated):
    out, index = validated
    assert index == (out / "data_docs" / "index.html").resolve()
    assert index.is_file()
    pages = list((out / "data_docs" / "validations" / "checks_findings").rglob("*.html"))
    assert len(pages) == 1
    page = pages[0].read_text(encoding="utf-8")
    assert "S4_GROUP_TOTALS" in page
    assert doc_id("hz2023.pdf") in page
    for finding in ("x_carry_over_findings", "report_deadlines_findings"):
        [page] = (out / "data_docs" / "validations" / finding).rglob("*.html")
        assert doc_id("hz2023.pdf") in page.read_text(encoding="utf-8")


def test_quarantine_holds_the_negative_count_with_its_source(validated):
    out, _ = validated
    rows = query(
        out,
        "SELECT doc_id, table_name, key, rule, value, raw_text, page, source FROM quarantine ORDER BY key",
    )
    assert rows == [
        (
            doc_id("hz2023.pdf"),
            "facts",
            "s4.lit_direct_upheld",
            "count_non_negative",
            -2.0,
            "-2",
            4,
            "/reports/hz2023.pdf",
        )
    ]


def test_quarantine_count_for_a_run(validated):
    out, _ = validated
    assert count_for(out, [doc_id("hz2023.pdf"), doc_id("hz2022.pdf")]) == 1
    assert count_for(out, [doc_id("hz2022.pdf")]) == 0


def test_revalidating_the_same_documents_changes_nothing(validated):
    out, _ = validated
    before = (sorted(table_files(out, "quarantine")), read_quarantine(out).num_rows)
    gx_validate.validate_run(out, [d.doc_id for d in documents()])
    assert (sorted(table_files(out, "quarantine")), read_quarantine(out).num_rows) == before


def test_validate_run_without_new_documents_points_to_existing_docs(validated):
    out, index = validated
    assert gx_validate.validate_run(out, []) == out / "data_docs" / "index.html"


def test_explain_prints_source_failing_check_cells_quarantine_and_cross_doc(validated):
    out, _ = validated
    prefix = doc_id("hz2023.pdf")[:10]
    run = CliRunner().invoke(app, ["explain", prefix, "--out", str(out)])
    assert run.exit_code == 0, run.output
    text = run.output
    assert f"document  {doc_id('hz2023.pdf')}" in text
    assert "source    /reports/hz2023.pdf" in text
    assert "template gov_2021   report_year 2023" in text
    assert "FAIL S4_GROUP_TOTALS [structural] scope review: lhs 0 rhs 11 residual -11" in text
    assert "      s4.review_total = 0 | raw '0' | label 'review_total' | page 4" in text
    assert "      s4.review_corrected = 5 | raw '5' | label 'review_corrected' | page 4" in text
    assert (
        "      s3.r_granted.natural_person = — | raw '270020130' | label 'r_granted' | page 3"
        " | flags ambiguous | reason: two splits"
    ) in text
    quarantined = "count_non_negative on facts s4.lit_direct_upheld: a count is negative (value -2) | raw '-2' | page 4"
    assert quarantined in text
    assert "FAIL scope total: 2023 上年结转 0.0 vs 2022 结转下年度 4.0 (residual -4" in text
    assert "LATE by 10 days: published 2024-04-10, deadline 2024-03-31 (government;" in text
    assert f"duplicate (copy) {doc_id('hz2023.txt')[:12]} text /reports/hz2023.txt" in text
    assert "choice    primary copy: primary of 2 copies: more facts (8 vs 1)" in text


def test_explain_refuses_an_ambiguous_or_unknown_prefix(validated):
    out, _ = validated
    with pytest.raises(ExplainError, match="matches several documents"):
        explain_text(out, doc_id("hz2023.pdf")[0])
    run = CliRunner().invoke(app, ["explain", "zzzz", "--out", str(out)])
    assert run.exit_code == 2
    assert "no document with doc_id starting 'zzzz'" in run.output


def test_explain_without_a_warehouse_says_what_to_run(tmp_path):
    with pytest.raises(ExplainError, match="no warehouse at"):
        explain_text(tmp_path, "abc")
