"""Agency profile pages of a release (issue 15 item 4): index, one page per agency, offline, escaped."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from govreports.load.lake import write_batch
from govreports.load.warehouse import open_database
from govreports.pipelines.cli import app
from govreports.pipelines.pages import page_file_name
from govreports.pipelines.publish import RELEASE_DB
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.model import Check
from govreports.transform.reference import reference
from tests.browser import CHROMIUM, chromium
from tests.test_views import PINGTAN, RESULTS, document, result

HOSTILE = "测试<b>&局"  # a name a document could print: must come out as text, never as markup
HOSTILE_RESULTS = [
    result(
        document("h2020", HOSTILE, 2020, "gov_2021"),
        {"s3.new_received.total": 10},
        [Check("S3_BALANCE", "official", "total", False, 10.0, 12.0, [], "total: 10 <> 12")],
    ),
    result(document("h2021", HOSTILE, 2021, "gov_2021"), {"s3.new_received.total": 100}),  # 10× : P_JUMP
]
HREF = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)""", re.IGNORECASE)


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pages_out")
    write_batch(RESULTS + HOSTILE_RESULTS, out, reference().known_keys())
    build_warehouse(out)
    target = tmp_path_factory.mktemp("pages_release") / "v1"
    got = CliRunner().invoke(app, ["publish", str(target), "--out", str(out), "--version", "2026.12.0"])
    assert got.exit_code == 0, got.output
    assert "agency pages: " in got.output
    return target


def release_rows(release: Path, sql: str) -> list[tuple]:
    con = open_database(release / RELEASE_DB)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def page(release: Path, agency_key: str) -> str:
    return (release / "pages" / "agency" / page_file_name(agency_key)).read_text(encoding="utf-8")


def test_index_lists_every_agency_of_the_release_with_its_years(release: Path):
    expected = release_rows(
        release,
        "SELECT agency_key, string_agg(report_year::VARCHAR, ', ' ORDER BY report_year) FROM reports "
        "WHERE is_primary AND agency_key IS NOT NULL AND report_year IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    assert [k for k, _ in expected] == sorted([PINGTAN, "沭阳县发展和改革局", HOSTILE])
    index = (release / "pages" / "index.html").read_text(encoding="utf-8")
    links = [unquote(h) for h in HREF.findall(index)]
    assert links == [f"agency/{page_file_name(k)}" for k, _ in expected]
    assert all((release / "pages" / link).is_file() for link in links)
    assert sorted(p.name for p in (release / "pages" / "agency").iterdir()) == sorted(links_name(links))
    assert f'>{PINGTAN}</a> <span class="years">2016, 2019, 2021 · 1 checks, 2 flags</span>' in index
    assert "3 个机关 agencies" in index
    assert '<input id="q" type="search"' in index and " hidden>" in index  # shown by the script only


def links_name(links: list[str]) -> list[str]:
    return [link.split("/", 1)[1] for link in links]


def test_agency_page_shows_the_warehouse_values_exactly(release: Path):
    html = page(release, PINGTAN)
    (received_2019, granted_2019, reviews_2019, doc_2019), (received_2021, doc_2021) = (
        release_rows(
            release,
            f"SELECT applications_received, granted, reviews, doc_id FROM reports "
            f"WHERE is_primary AND agency_key = '{PINGTAN}' AND report_year = 2019",
        )[0],
        release_rows(
            release,
            f"SELECT applications_received, doc_id FROM reports "
            f"WHERE is_primary AND agency_key = '{PINGTAN}' AND report_year = 2021",
        )[0],
    )
    assert (received_2019, granted_2019, reviews_2019, received_2021) == (20, 12, 2, 30)  # tests/test_views.py
    assert (
        '<tr><td>2019</td><td>gov_2019</td><td class="n">20</td><td class="n">—</td><td class="n">—</td>'
        '<td class="n">12</td><td class="n">—</td><td class="n">3</td><td class="n">2</td><td class="n">2</td>'
        f"<td>b2019.html</td><td><code>govreports explain {doc_2019}</code></td></tr>"
    ) in html
    latest = html.split("最新报告 latest report (2021)")[1].split("<h2>")[0]
    assert f"2021 · c2021.html · <code>govreports explain {doc_2021}</code>" in latest
    assert '<td>本年新收申请</td><td>new requests received</td><td class="n">30</td><td>件</td>' in latest
    assert '<td>予以公开</td><td>granted in full</td><td class="n">—</td><td>件</td>' in latest  # not printed
    # the failing identity of 2019 (S3_BALANCE total), with its document and hint
    assert "未通过的校验 failing checks (1)" in html
    assert (
        "<tr><td>2019 b2019.html</td><td><code>S3_BALANCE</code></td><td>official</td>"
        "<td class='n'>1</td><td class='n'>2</td>"
    ) in html
    # the chart: one circle per year and charted measure that has a value
    assert html.count("<circle") == 3 + 5 + 1  # 2016: received, granted, reviews; 2019: all five; 2021: received
    assert "<title>本年新收申请 2019: 20</title>" in html


def test_plausibility_flags_and_checks_name_the_document_and_the_hint(release: Path):
    html = page(release, HOSTILE)
    flags = release_rows(release, f"SELECT rule, key FROM plausibility WHERE agency_key = '{HOSTILE}'")
    assert flags == [("P_JUMP", "s3.new_received.total")]
    assert (
        "<tr class='flagged'><td>2020 → 2021</td><td><code>P_JUMP</code></td><td>warning</td>"
        "<td><code>s3.new_received.total</code></td><td>2020 10 → 2021 100 (same_template)</td>"
        "<td>2021 h2021.html</td><td><code>govreports explain h2021</code></td></tr>"
    ) in html
    assert "<td>total: 10 &lt;&gt; 12</td><td><code>govreports explain h2020</code></td>" in html
    pingtan = page(release, PINGTAN)
    assert "<td>2019 → 2020</td><td><code>P_MISSING_YEAR</code></td><td>info</td><td></td>" in pingtan


def test_text_from_documents_is_escaped(release: Path):
    assert page_file_name(HOSTILE).startswith("测试_b_局-")
    html = page(release, HOSTILE)
    assert "<b>" not in html and HOSTILE not in html
    assert "<h1>测试&lt;b&gt;&amp;局</h1>" in html
    index = (release / "pages" / "index.html").read_text(encoding="utf-8")
    assert "<b>" not in index
    assert 'data-name="测试&lt;b&gt;&amp;局 测试&lt;b&gt;&amp;局"' in index


def test_pages_are_offline_utf8_and_in_the_checksums(release: Path):
    pages = sorted((release / "pages").rglob("*.html"))
    assert len(pages) == 4
    for path in pages:
        html = path.read_bytes().decode("utf-8")  # UTF-8 or this raises
        assert '<meta charset="utf-8">' in html
        assert [h for h in HREF.findall(html) if h.startswith(("http", "//")) or "://" in h] == []
        assert "url(" not in html and "@import" not in html
        assert "<script src" not in html
    listed = {line.split("  ", 1)[1] for line in (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    assert {p.relative_to(release).as_posix() for p in pages} <= listed


def test_no_pages_flag_writes_none(release: Path, tmp_path: Path):
    out = tmp_path / "out"
    write_batch(RESULTS, out, reference().known_keys())
    target = tmp_path / "bare"
    got = CliRunner().invoke(app, ["publish", str(target), "--out", str(out), "--no-pages"])
    assert got.exit_code == 0, got.output
    assert not (target / "pages").exists()
    assert "agency pages" not in got.output
    assert (target / RELEASE_DB).is_file()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_agency_page_renders_the_chinese_name_in_chromium_offline(release: Path, tmp_path: Path):
    target = release / "pages" / "agency" / page_file_name(PINGTAN)
    dom = chromium(target, tmp_path, "--dump-dom").stdout
    assert f"<h1>{PINGTAN}</h1>" in dom
    assert "最新报告 latest report (2021)" in dom
    index = chromium(release / "pages" / "index.html", tmp_path, "--dump-dom").stdout
    assert '<input id="q" type="search"' in index and " hidden" not in index.split('id="q"')[1].split(">")[0]
