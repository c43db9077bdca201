"""Validation reports people can read (issue 12 item 5): Data Docs on the samples, the last N runs only,
and the offline summary page rendered by a real headless Chromium with the network off."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from govreports.expectations.frames import document_name
from govreports.pipelines.ingest import discover, ingest
from tests.browser import CHROMIUM
from tests.browser import chromium as _chromium
from tests.conftest import SAMPLES, expected_files, load_expected
from tests.test_explain import documents
from tests.validation_fixtures import doc_id, load

gx_validate = pytest.importorskip("govreports.expectations.validate")

# the GX suites with the critical rules of their frame (expectations/suites.py gx_suites)
INTEGRITY_SUITES = ("documents", "facts", "checks")
# the frames of the samples whose rules all pass (the summary page's `pass` lines)
FRAMES_WITHOUT_FINDINGS = ("documents", "facts", "wide_s2", "wide_s3", "wide_s4", "wide_legacy")
# colours of the page's own CSS (expectations/summary.py): a styled page shows them, an unstyled one does not
PASS_GREEN, FINDINGS_YELLOW = (0xDF, 0xF3, 0xE3), (0xFF, 0xF3, 0xCD)


def stored_results(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((out / "gx" / "uncommitted" / "validations").rglob("*.json"))]


def run_times(out: Path) -> dict[str, set[str]]:
    """The run-time folders (one per validation run) under the results store and the Data Docs pages."""
    stores = {
        "results": out / "gx" / "uncommitted" / "validations",
        "pages": out / "data_docs" / "validations",
    }
    return {
        name: {p.parent.name for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".html")}
        for name, root in stores.items()
    }


@pytest.fixture(scope="module")
def samples_run(tmp_path_factory):
    if not expected_files(SAMPLES):
        pytest.skip("data/samples holds no generated documents")
    out = tmp_path_factory.mktemp("samples")
    summary = ingest(discover([SAMPLES]), out)
    return out, summary


def test_samples_every_suite_succeeds_and_the_findings_have_suites_of_their_own(samples_run):
    """GX marks a suite failed when any expectation in it fails, whatever its severity: the findings
    about the sources run in `<frame>_findings` suites, each rule gated by its tolerance
    (data/reference/tolerances.csv), so every suite succeeds on the samples and Data Docs still list
    the flagged rows."""
    out, _ = samples_run
    results = stored_results(out)
    severities = {r["suite_name"]: {x["expectation_config"]["severity"] for x in r["results"]} for r in results}
    assert {s for s, found in severities.items() if "critical" in found} == set(INTEGRITY_SUITES)
    assert all(found == {"critical"} for s, found in severities.items() if s in INTEGRITY_SUITES)
    assert all(s.endswith("_findings") for s in set(severities) - set(INTEGRITY_SUITES))
    assert {r["suite_name"]: r["success"] for r in results} == dict.fromkeys(severities, True)
    flagged = sorted({r["suite_name"] for r in results for x in r["results"] if x["result"].get("unexpected_count")})
    assert flagged == ["checks_findings", "plausibility_findings", "report_deadlines_findings", "x_carry_over_findings"]
    # Data Docs: every suite listed as succeeded, each findings suite with its own page of rows
    index = (out / "data_docs" / "index.html").read_text(encoding="utf-8")
    status = dict(re.findall(r"_suite_name_sort': '(\w+)', [^}]*'_validation_success_text': '(\w+)'", index))
    assert status == dict.fromkeys(severities, "Success")
    [page] = (out / "data_docs" / "validations" / "checks_findings").rglob("*.html")
    assert "临川区教育局 2021年 gen072_gov_2021_2021.txt" in page.read_text(encoding="utf-8")
    # the offline page still counts them per frame, and says where each rule stands against its tolerance
    summary = (out / "data_docs" / "summary.html").read_text(encoding="utf-8")
    assert "<tr><td><code>checks</code></td><td class='n'>" in summary
    assert re.search(r"<code>checks</code>.*?<td class='n'>0</td><td class='n'>4</td><td class='findings'>", summary)
    assert "临川区教育局 2021年 gen072_gov_2021_2021.txt" in summary
    assert "8 of 276 (2.9%), within the tolerance of 10% per chunk" in summary
    assert "9 of 28 (32.1%), reported, not gated" in summary
    assert "发现过多" not in summary and "未通过" not in summary


def test_samples_findings_are_the_deliberate_ones(samples_run):
    out, _ = samples_run
    results = {r["suite_name"]: r for r in stored_results(out)}
    failed = [(s, x) for s, r in results.items() for x in r["results"] if x["result"].get("unexpected_count")]
    assert {x["expectation_config"]["severity"] for _, x in failed} <= {"warning", "info"}
    found = {
        (row["document"].rsplit(" ", 1)[1], x["expectation_config"]["meta"]["rule"].split(":")[1])
        for suite, x in failed
        if suite == "checks_findings"
        for row in x["result"]["unexpected_index_list"]
    }
    deliberate = {
        (load_expected(p)["document"], identity)
        for p in expected_files(SAMPLES)
        for identity in load_expected(p)["expected_failing_identities"]
    }
    assert found == deliberate
    assert len(deliberate) == 11


def test_samples_findings_name_agency_year_file_and_the_explain_command(samples_run):
    out, _ = samples_run
    [checks] = [r for r in stored_results(out) if r["suite_name"] == "checks_findings"]
    [s4] = [x for x in checks["results"] if x["expectation_config"]["meta"]["rule"] == "identity_holds:S4_GROUP_TOTALS"]
    # one row per failing group: a document whose 总计 cells are all empty (s4_totals_blank) fails in several
    rows = sorted({(r["document"], r["explain"]) for r in s4["result"]["unexpected_index_list"]})
    expected = sorted(
        (
            document_name(e["agency"], e["report_year"], e["document"]),
            f"govreports explain {doc_id_of(p)[:12]} --out {out.resolve()}",
        )
        for p in expected_files(SAMPLES)
        if "S4_GROUP_TOTALS" in (e := load_expected(p))["expected_failing_identities"]
    )
    assert rows == expected
    assert rows[0][0] == "临川区教育局 2021年 gen072_gov_2021_2021.txt"
    [page] = (out / "data_docs" / "validations" / "checks_findings").rglob("*.html")
    html = page.read_text(encoding="utf-8")
    assert "临川区教育局 2021年 gen072_gov_2021_2021.txt" in html
    assert expected[0][1] in html
    assert "df.filter" not in html


def doc_id_of(expected_path: Path) -> str:
    return hashlib.sha256((expected_path.parent / load_expected(expected_path)["document"]).read_bytes()).hexdigest()


def test_run_summary_links_the_offline_page(samples_run, capsys, tmp_path):
    from govreports.pipelines.cli import print_summary

    out, summary = samples_run
    assert summary.data_docs == str((out / "data_docs" / "index.html").resolve())
    print_summary(summary)
    printed = capsys.readouterr().out
    assert f"validation summary: {out.resolve() / 'data_docs' / 'summary.html'}" in printed.replace("\n", "")
    print_summary(dataclasses.replace(summary, data_docs=str(tmp_path / "index.html")))  # no page beside it
    assert "validation summary" not in capsys.readouterr().out


def test_summary_page_is_static_and_offline(samples_run):
    out, _ = samples_run
    html = (out / "data_docs" / "summary.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert re.findall(r"(?:https?:|ftp:)?//", html) == []
    assert re.findall(r"""(?:src|href)=["']([^"']+)""", html) == ["index.html"]
    assert "<style>" in html and "@import" not in html and "url(" not in html
    assert "政府信息公开工作年度报告 · 验证摘要" in html


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_offline_page_renders_its_findings_and_chinese_text_in_chromium(samples_run, tmp_path):
    out, _ = samples_run
    page = out / "data_docs" / "summary.html"
    dom = _chromium(page, tmp_path, "--dump-dom").stdout
    assert "政府信息公开工作年度报告 · 验证摘要" in dom
    for name in (
        "临川区教育局 2021年 gen072_gov_2021_2021.txt",
        "南溪区人民政府办公室 2018年 gen039_legacy_stats_2018.html",
    ):
        assert name in dom
    assert "identity_holds:S4_GROUP_TOTALS" in dom
    assert dom.count("通过 pass</td>") == len(FRAMES_WITHOUT_FINDINGS)
    shot = tmp_path / "summary.png"
    _chromium(page, tmp_path, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    assert len(colours) > 50  # text is anti-aliased: a blank or single-colour page has a handful
    assert PASS_GREEN in colours and FINDINGS_YELLOW in colours
    dark = sum(n for n, c in image.getcolors(maxcolors=1 << 20) if sum(c) < 200)
    assert dark > 0.005 * 1280 * 1600


def test_summary_page_fails_a_run_with_a_critical_finding(tmp_path):
    docs = documents()
    load(docs, tmp_path)
    index = gx_validate.validate_run(tmp_path, [d.doc_id for d in docs])
    html = gx_validate.summary_page(index).read_text(encoding="utf-8")
    assert "有严重问题" in html
    assert "<td class='fail'>未通过 FAIL</td>" in html
    facts = re.search(r"<code>facts</code></td>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td class='n'>(\d+)</td>", facts) == ["10", "11", "1", "0"]
    assert "洪泽区人民政府 2023年 hz2023.pdf" in html
    assert f"govreports explain {doc_id('hz2023.pdf')[:12]} --out {tmp_path.resolve()}" in html


def test_data_docs_keep_the_last_n_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVREPORTS_KEEP_DATA_DOCS_RUNS", "2")
    docs = documents()
    load(docs, tmp_path)
    seen = []
    for _ in range(3):
        gx_validate.validate_run(tmp_path, [d.doc_id for d in docs])
        seen.append(run_times(tmp_path)["results"])
    assert [len(s) for s in seen] == [1, 2, 2]
    first = seen[0].pop()
    kept = run_times(tmp_path)
    assert first not in kept["results"] and kept["results"] == kept["pages"]
    index = (tmp_path / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert first not in index and all(t in index for t in kept["results"])
