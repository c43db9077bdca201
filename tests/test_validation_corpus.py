"""Validation through real ingestion: the shared corpus (skipped when absent) and the generated samples.

Acceptance of issue 4: the identities each expected file lists as failing are flagged,
no other official or structural identity is; Data Docs are written and linked;
X_CARRY_OVER is evaluated on the yearly text series; hzq2023's own totals that do not
add up show in checks, in Data Docs and in `govreports explain`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from govreports.expectations.explain import explain_text
from govreports.pipelines.ingest import discover, ingest
from tests.conftest import SAMPLES, SHARED_CORPUS, expected_files, load_expected
from tests.validation_fixtures import query

HARD_LEVELS = ("official", "structural")
S4_GROUPS = ("review", "lit_direct", "lit_after_review")


def _doc_id(expected_path: Path) -> str:
    raw = (expected_path.parent / load_expected(expected_path)["document"]).read_bytes()
    return hashlib.sha256(raw).hexdigest()


def _ingest(root: Path, out: Path):
    summary = ingest(discover([root]), out)
    return out, summary


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (a fresh clone has no shared folder)")
    return _ingest(SHARED_CORPUS, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory):
    if not expected_files(SAMPLES):
        pytest.skip("data/samples holds no generated documents")
    return _ingest(SAMPLES, tmp_path_factory.mktemp("samples"))


def identity_mismatches(out: Path, root: Path) -> dict[str, dict]:
    """Per document: expected failing identities not flagged, and official/structural ones flagged unexpectedly."""
    failing: dict[str, set[tuple[str, str]]] = {}
    for doc, identity, level in query(out, "SELECT doc_id, identity, level FROM checks WHERE passed = false"):
        failing.setdefault(doc, set()).add((identity, level))
    problems = {}
    for path in expected_files(root):
        expected = set(load_expected(path).get("expected_failing_identities") or [])
        flagged = failing.get(_doc_id(path), set())
        missed = expected - {identity for identity, _ in flagged}
        false_alarms = {identity for identity, level in flagged if level in HARD_LEVELS} - expected
        if missed or false_alarms:
            problems[path.name] = {"missed": sorted(missed), "false_alarms": sorted(false_alarms)}
    return problems


@pytest.mark.corpus
def test_corpus_failing_identities_are_flagged_and_nothing_else(corpus_run):
    out, _ = corpus_run
    assert identity_mismatches(out, SHARED_CORPUS) == {}


@pytest.mark.corpus
def test_corpus_run_writes_and_links_data_docs(corpus_run):
    out, summary = corpus_run
    index = out / "data_docs" / "index.html"
    assert summary.data_docs == str(index.resolve())
    assert index.is_file()
    assert {p.parent.parent.parent.name for p in (out / "data_docs" / "validations").rglob("*.html")} >= {
        "documents",
        "facts",
        "checks",
        "checks_findings",
        "wide_s3_findings",
    }


def _hzq2023() -> Path:
    return SHARED_CORPUS / "real" / "hzq2023_working.expected.json"


def _s4_groups_off(facts: dict) -> dict[str, float]:
    """From the ground truth: residual total − sum(parts) of each S4 group that does not add up."""
    off = {}
    for g in S4_GROUPS:
        parts = sum(facts[f"s4.{g}_{p}"] for p in ("upheld", "corrected", "other", "pending"))
        if facts[f"s4.{g}_total"] != parts:
            off[g] = facts[f"s4.{g}_total"] - parts
    return off


@pytest.mark.corpus
def test_hzq2023_totals_that_do_not_add_up_show_in_checks(corpus_run):
    out, _ = corpus_run
    off = _s4_groups_off(load_expected(_hzq2023())["facts"])
    assert off  # the source really breaks S4_GROUP_TOTALS
    rows = query(
        out,
        "SELECT scope, residual FROM checks WHERE doc_id = ? AND identity = 'S4_GROUP_TOTALS' AND passed = false",
        [_doc_id(_hzq2023())],
    )
    assert dict(rows) == off


@pytest.mark.corpus
def test_hzq2023_failure_shows_in_data_docs(corpus_run):
    out, _ = corpus_run
    [page] = (out / "data_docs" / "validations" / "checks_findings").rglob("*.html")
    html = page.read_text(encoding="utf-8")
    assert "S4_GROUP_TOTALS" in html
    assert _doc_id(_hzq2023()) in html


@pytest.mark.corpus
def test_hzq2023_failure_shows_in_explain_with_cells_and_pages(corpus_run):
    out, _ = corpus_run
    facts = load_expected(_hzq2023())["facts"]
    text = explain_text(out, _doc_id(_hzq2023())[:16])
    assert "source    " + str(SHARED_CORPUS / "real" / "hzq2023_working.pdf") in text
    for group, residual in _s4_groups_off(facts).items():
        assert f"FAIL S4_GROUP_TOTALS [structural] scope {group}: " in text
        assert f"residual {residual:g}" in text
        total = facts[f"s4.{group}_total"]
        assert any(
            line.strip().startswith(f"s4.{group}_total = {total:g} | raw ") and "| page " in line
            for line in text.splitlines()
        ), text


def _series(root: Path) -> dict[int, dict]:
    """Yearly pingtan reports of the text/ folder with both carry-over rows, by report year."""
    out = {}
    for path in expected_files(root / "text"):
        exp = load_expected(path)
        if exp["agency"] == "平潭综合实验区" and any(k.startswith("s3.carried") for k in exp["facts"]):
            out[exp["report_year"]] = exp["facts"]
    return out


@pytest.mark.corpus
def test_carry_over_is_evaluated_on_the_yearly_text_series(corpus_run):
    out, _ = corpus_run
    series = _series(SHARED_CORPUS)
    pairs = [y for y in series if y - 1 in series]
    assert pairs  # 2021 → 2022 at least
    want = sorted(
        (year, key.split(".")[2], value, series[year - 1][f"s3.carried_to_next.{key.split('.')[2]}"])
        for year in pairs
        for key, value in series[year].items()
        if key.startswith("s3.carried_over_from_prev.")
    )
    got = query(
        out,
        "SELECT report_year, scope, lhs, rhs FROM x_carry_over WHERE agency = '平潭综合实验区' ORDER BY ALL",
    )
    assert got == want
    assert query(out, "SELECT count(*) FROM x_carry_over WHERE passed = false") == [(0,)]


@pytest.mark.corpus
def test_the_same_report_from_two_sources_is_one_duplicate_group(corpus_run):
    out, _ = corpus_run
    rows = query(out, "SELECT agency_key, report_year, format, is_primary FROM duplicates ORDER BY format")
    assert rows == [("平潭综合实验区", 2024, "html", True), ("平潭综合实验区", 2024, "text", False)]


@pytest.mark.corpus
def test_only_the_report_published_after_its_deadline_is_late(corpus_run):
    out, _ = corpus_run
    late = query(out, "SELECT d.file_name, l.days_late FROM late_reports l JOIN documents d USING (doc_id)")
    # 2016 report published 2017-10-23: pre-2019 deadline 2017-03-31
    assert late == [("001_83551972ef49ba1f.txt", 206)]


def test_samples_deliberate_inconsistencies_are_flagged_without_false_alarms(samples_run):
    out, _ = samples_run
    assert identity_mismatches(out, SAMPLES) == {}
    deliberate = sum(bool(load_expected(p).get("expected_failing_identities")) for p in expected_files(SAMPLES))
    assert deliberate > 0


def test_samples_quarantine_nothing_and_allow_negative_changes(samples_run):
    out, _ = samples_run
    assert query(out, "SELECT count(*) FROM quarantine") == [(0,)]
    negative = query(out, "SELECT count(*) FROM facts WHERE key LIKE '%.items_change' AND value < 0")
    assert negative[0][0] > 0
