"""`govreports compare`: two reports of one agency side by side (markdown exact, CSV, HTML in headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from govreports.pipelines.cli import app
from govreports.pipelines.compare import CompareError, compare, render_csv, render_html, render_markdown
from govreports.transform.model import Fact
from tests.conftest import SAMPLES, expected_files, load_expected
from tests.validation_fixtures import doc_id, load, result

HONGZE = "洪泽区人民政府"


def cell(key: str, value: float, page: int, table: int, row: int, col: int, **kw) -> Fact:
    return Fact(
        key=key,
        value=value,
        page=page,
        table_index=table,
        row_index=row,
        col_index=col,
        raw_text=kw.pop("raw", f"{value:g}"),
        **kw,
    )


def reports() -> list:
    return [
        result("hz2019.html", [cell("s3.new_received.total", 50, 3, 1, 2, 9)], report_year=2019, template="gov_2019"),
        result(
            "hz2020.html",
            [
                cell("s2.art20_1.regulations.total_published_cumulative", 34, 2, 0, 2, 4),
                cell("s2.art20_5.admin_license.decisions_this_year", 8, 2, 0, 5, 2),
                cell("s3.new_received.total", 6, 3, 1, 2, 9, raw="６"),
                cell("s3.carried_to_next.total", 2, 3, 1, 30, 9),
            ],
            report_year=2020,
            template="gov_2019",
        ),
        result(
            "hz2021.pdf",
            [
                cell("s2.art20_1.regulations.in_force", 20, 1, 0, 2, 3),
                cell("s2.art20_5.admin_license.decisions_this_year", 8, 1, 0, 6, 1),
                cell("s3.new_received.total", 45, 2, 1, 2, 9),
                cell("s3.carried_over_from_prev.total", 3, 2, 1, 3, 9, flags=["identity_resolved"]),
            ],
            report_year=2021,
            template="gov_2021",
            agency="淮安市洪泽区人民政府",
            format="pdf",
        ),
    ]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    load(reports(), out)
    return out


EXPECTED_MD = f"""# 洪泽区人民政府: 2020 → 2021

| | 2020 | 2021 |
|---|---|---|
| agency | 洪泽区人民政府 | 淮安市洪泽区人民政府 |
| template | gov_2019 | gov_2021 |
| document | hz2020.html ({doc_id("hz2020.html")[:12]}) | hz2021.pdf ({doc_id("hz2021.pdf")[:12]}) |
| source | /reports/hz2020.html | /reports/hz2021.pdf |

- template change gov_2019 → gov_2021: values line up through the spec's version mapping; `comparison` says how \
comparable each pair is (approximate values are not the same measure)

## 二、主动公开政府信息情况 (s2)

| key | 项目 | 2020 | 2021 | change | % | comparison | flags | 2020 source | 2021 source |
|---|---|---|---|---|---|---|---|---|---|
| `s2.art20_1.regulations.in_force` | 规章 / 现行有效件数 |  | 20 |  |  | not_compared |  |  | p.1 t0 r2 c3 raw "20" |
| `s2.art20_1.regulations.total_published_cumulative` | 规章 / 对外公开总数量 | 34 |  |  |  | not_compared |  | \
p.2 t0 r2 c4 raw "34" |  |
| `s2.art20_5.admin_license.decisions_this_year` | 行政许可 / 本年处理决定数量 | 8 | 8 | 0 | +0.0% | renamed |  | \
p.2 t0 r5 c2 raw "8" | p.1 t0 r6 c1 raw "8" |

## 三、收到和处理政府信息公开申请情况 (s3)

| key | 项目 | 2020 | 2021 | change | % | comparison | flags | 2020 source | 2021 source |
|---|---|---|---|---|---|---|---|---|---|
| `s3.new_received.total` | 一、本年新收政府信息公开申请数量 / 总计 | 6 | 45 | +39 | +650.0% | equivalent | P_JUMP | \
p.3 t1 r2 c9 raw "６" | p.2 t1 r2 c9 raw "45" |
| `s3.carried_over_from_prev.total` | 二、上年结转政府信息公开申请数量 / 总计 |  | 3 |  |  | not_compared | \
X_CARRY_OVER |  | p.2 t1 r3 c9 raw "3" [identity_resolved] |
| `s3.carried_to_next.total` | 四、结转下年度继续办理 / 总计 | 2 |  |  |  | not_compared |  | p.3 t1 r30 c9 raw "2" |  |
"""


def test_markdown_is_exact(lake: Path):
    assert render_markdown(compare(lake, HONGZE, (2020, 2021))) == EXPECTED_MD


def test_default_years_are_the_latest_two_and_a_unique_part_of_the_name_is_enough(lake: Path):
    c = compare(lake, "洪泽")
    assert (c.agency_key, c.a.year, c.b.year) == (HONGZE, 2020, 2021)
    assert [h["report_year"] for h in c.history] == [2019, 2020, 2021]


def test_unknown_agency_and_missing_year_are_errors(lake: Path):
    with pytest.raises(CompareError, match="no annual report of an agency named '沭阳'"):
        compare(lake, "沭阳")
    with pytest.raises(CompareError, match=r"has no report for \[2022\]; its reports: \[2019, 2020, 2021\]"):
        compare(lake, HONGZE, (2021, 2022))
    runner = CliRunner()
    got = runner.invoke(app, ["compare", "沭阳", "--out", str(lake)])
    assert got.exit_code == 2
    assert "no annual report of an agency named" in got.output


def test_csv_has_one_row_per_key_and_the_cli_writes_it_with_a_bom(lake: Path, tmp_path: Path):
    text = render_csv(compare(lake, HONGZE, (2020, 2021)))
    rows = text.splitlines()
    assert rows[0] == (
        "section,measure,label,key_a,key_b,value_a,value_b,change,relative_change,comparison,flags,source_a,source_b"
    )
    assert rows[4] == (
        "s3,s3.new_received.total,一、本年新收政府信息公开申请数量 / 总计,s3.new_received.total,s3.new_received.total,"
        '6,45,39,6.5,equivalent,P_JUMP,"p.3 t1 r2 c9 raw ""６""","p.2 t1 r2 c9 raw ""45"""'
    )
    assert len(rows) == 7
    target = tmp_path / "hz.csv"
    got = CliRunner().invoke(
        app, ["compare", HONGZE, "--years", "2020", "2021", "--format", "csv", "--out", str(lake), "--to", str(target)]
    )
    assert got.exit_code == 0, got.output
    assert target.read_bytes() == b"\xef\xbb\xbf" + text.encode("utf-8")


def test_html_is_one_self_contained_file_with_a_chart(lake: Path):
    html = render_html(compare(lake, HONGZE, (2020, 2021)))
    assert "<script" not in html and "src=" not in html and "href=" not in html and "@import" not in html
    assert html.count("<svg") == 1 and html.count("<polyline") == 1  # 本年新收申请 2019-2021; other totals absent
    assert "洪泽区人民政府 · 2020 → 2021 政府信息公开工作年度报告对比" in html
    assert '<td class="n" title="p.3 t1 r2 c9 raw &quot;６&quot;">6</td>' in html


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    pytest.skip("chromium is not installed")


# no network: every host resolves to nothing and any proxy is a closed local port
OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--no-sandbox", "--disable-gpu"]


def test_html_renders_in_headless_chromium_with_the_chinese_text(lake: Path, tmp_path: Path):
    browser = _chromium()
    page = tmp_path / "hz.html"
    got = CliRunner().invoke(app, ["compare", HONGZE, "--format", "html", "--out", str(lake), "--to", str(page)])
    assert got.exit_code == 0, got.output
    shot = tmp_path / "hz.png"
    run = [browser, "--headless", *OFFLINE, "--window-size=1000,800"]
    subprocess.run([*run, f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert image.size == (1000, 800)
    assert len(colours) > 50  # text, table lines and chart strokes, not a blank page
    dom = subprocess.run([*run, "--dump-dom", page.as_uri()], check=True, capture_output=True, timeout=120).stdout
    dom = dom.decode("utf-8")
    assert (
        "政府信息公开工作年度报告对比" in dom and "本年新收申请" in dom and "三、收到和处理政府信息公开申请情况" in dom
    )


# ---- a sample agency through real ingestion -------------------------------------------------------------

JINCHUAN = "金川区市场监督管理局"


@pytest.fixture(scope="module")
def samples_lake(tmp_path_factory) -> Path:
    from govreports.pipelines.ingest import discover, ingest

    out = tmp_path_factory.mktemp("compare_samples")
    ingest(discover([SAMPLES]), out)
    return out


def test_sample_agency_markdown_values_are_the_ground_truth(samples_lake: Path):
    truth = {}
    for path in expected_files(SAMPLES):
        exp = load_expected(path)
        if exp["agency"] == JINCHUAN and exp["report_year"] in (2019, 2020):
            truth[exp["report_year"]] = exp["facts"]
    text = render_markdown(compare(samples_lake, JINCHUAN))
    assert text.startswith(f"# {JINCHUAN}: 2019 → 2020\n")
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    common = set(truth[2019]) & set(truth[2020])
    assert len(common) > 150
    for key in common:
        a, b = truth[2019][key], truth[2020][key]
        change = "0" if a == b else f"{b - a:+g}"
        assert rows[key][2:5] == [f"{a:g}", f"{b:g}", change], key
        assert rows[key][6] == "same_template"


def test_sample_agency_page_shows_the_ground_truth_and_the_warehouse(samples_lake: Path, tmp_path: Path):
    """The agency pages of `publish` (pipelines/pages.py) on a real ingest, from the same DuckDB views."""
    from govreports.load.warehouse import open_database, warehouse_path
    from govreports.pipelines.pages import page_file_name, write_pages

    truth = {}
    for path in expected_files(SAMPLES):
        exp = load_expected(path)
        if exp["agency"] == JINCHUAN:
            truth[exp["report_year"]] = exp["facts"]
    assert sorted(truth) == [2019, 2020]
    con = open_database(warehouse_path(samples_lake))
    try:
        warehouse = con.execute(
            "SELECT report_year, applications_received, reviews, agency_key, "
            "(SELECT count(DISTINCT agency_key) FROM reports WHERE is_primary AND report_year IS NOT NULL) "
            "FROM reports WHERE is_primary AND agency = ? ORDER BY report_year",
            [JINCHUAN],
        ).fetchall()
    finally:
        con.close()
    assert [row[:3] for row in warehouse] == [
        (year, truth[year]["s3.new_received.total"], truth[year]["s4.review_total"]) for year in (2019, 2020)
    ]
    written = write_pages(warehouse_path(samples_lake), tmp_path, "test")
    assert written == warehouse[0][4]
    html = (tmp_path / "pages" / "agency" / page_file_name(warehouse[0][3])).read_text(encoding="utf-8")
    latest = html.split("最新报告 latest report (2020)")[1].split("<h2>")[0]
    received, reviews = truth[2020]["s3.new_received.total"], truth[2020]["s4.review_total"]
    assert f'<td>本年新收申请</td><td>new requests received</td><td class="n">{received:g}</td>' in latest
    assert f'<td>行政复议</td><td>administrative reconsideration</td><td class="n">{reviews:g}</td>' in latest
    assert f"<title>本年新收申请 2019: {truth[2019]['s3.new_received.total']:g}</title>" in html
    assert f"<h1>{JINCHUAN}</h1>" in html
