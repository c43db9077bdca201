"""Real report files behind a mock portal: crawling them yields the same documents, facts and
checks as ingesting the files directly.

The repo's samples (data/samples/) are served as report pages and PDF attachments; the
shared corpus (../shared/corpus, skipped when absent) the same way. Files are read at
test time and served from memory, never copied into the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govreports.load.warehouse import open_database, warehouse_path
from govreports.pipelines.crawl.run import crawl_and_ingest
from govreports.pipelines.crawl.sites import generic_spec, with_politeness
from govreports.pipelines.ingest import ingest
from govreports.transform.model import InputDoc
from tests.conftest import SAMPLES
from tests.portal import COLUMN, Portal, Resource, listing_page

SAMPLE_FILES = [
    "gen000_gov_2021_2021.html",
    "gen023_gov_2019_2020.html",
    "gen010_gov_2021_2023.pdf",
    "gen040_legacy_stats_2014.pdf",
]
CONTENT_TYPES = {".html": "text/html", ".pdf": "application/pdf"}


def title_of(expected: dict) -> str:
    return f"{expected.get('agency') or '某单位'}{expected['report_year']}年政府信息公开工作年度报告"


def file_portal(files: list[Path]) -> Portal:
    """One listing page; an HTML file is a report page, a PDF hangs off a small page as its attachment."""
    portal = Portal().start()
    r = portal.routes
    r["/robots.txt"] = Resource(body=b"User-agent: *\nDisallow:\n", content_type="text/plain")
    items = []
    for i, f in enumerate(files):
        expected = json.loads(expected_path(f).read_text(encoding="utf-8"))
        r[f"{COLUMN}f/{i}{f.suffix}"] = Resource(body=f.read_bytes(), content_type=CONTENT_TYPES[f.suffix])
        if f.suffix == ".pdf":
            page = f'<html><body><h1>{title_of(expected)}</h1><a href="./{i}.pdf">附件下载</a></body></html>'
            r[f"{COLUMN}f/p{i}.html"] = Resource(body=page.encode(), content_type="text/html; charset=utf-8")
            items.append((f"./f/p{i}.html", title_of(expected)))
        else:
            items.append((f"./f/{i}{f.suffix}", title_of(expected)))
    r[COLUMN + "index.html"] = Resource(body=listing_page(items, "").encode(), content_type="text/html")
    return portal


def expected_path(f: Path) -> Path:
    plain = f.with_name(f.stem + ".expected.json")
    return plain if plain.exists() else f.with_name(f.name + ".expected.json")


def rows(out: Path, sql: str) -> list[tuple]:
    con = open_database(warehouse_path(out))
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def assert_crawl_matches_direct(files: list[Path], tmp_path: Path) -> int:
    portal = file_portal(files)
    try:
        run = crawl_and_ingest([with_politeness(generic_spec(portal.listing_url), min_interval=0.0)], tmp_path / "c")
    finally:
        portal.stop()
    assert run.statuses[0].failed == 0 and run.statuses[0].new == len(files)
    direct = tmp_path / "d"
    ingest([InputDoc.from_path(f) for f in files], direct)
    ids = "(SELECT doc_id FROM documents WHERE format = 'pdf' OR doc_type = 'annual_report')"
    facts = f"SELECT doc_id, key, value, method, page, flags FROM facts WHERE doc_id IN {ids} ORDER BY ALL"
    checks = f"SELECT doc_id, identity, scope, passed, lhs, rhs FROM checks WHERE doc_id IN {ids} ORDER BY ALL"
    docs = "SELECT doc_id, doc_type, template, agency, report_year, status, n_facts FROM documents"
    direct_ids = {r[0] for r in rows(direct, "SELECT doc_id FROM documents")}
    crawled_docs = [r for r in rows(tmp_path / "c", docs + " ORDER BY ALL") if r[0] in direct_ids]
    assert crawled_docs == rows(direct, docs + " ORDER BY ALL")
    for sql in (facts, checks):
        assert rows(tmp_path / "c", sql) == rows(direct, sql)
    return len(rows(direct, facts))


def test_samples_crawled_equal_direct(tmp_path: Path) -> None:
    files = [SAMPLES / name for name in SAMPLE_FILES]
    if not all(f.exists() for f in files):
        pytest.skip("data/samples/ does not hold the sample files")
    assert assert_crawl_matches_direct(files, tmp_path) > 100


@pytest.mark.corpus
def test_shared_corpus_crawled_equal_direct(shared_corpus: Path, tmp_path: Path) -> None:
    files = sorted((shared_corpus / "html").glob("*.html")) + sorted((shared_corpus / "real").glob("*.pdf"))
    assert len(files) == 4
    assert assert_crawl_matches_direct(files, tmp_path) > 200
