"""Crawling the mock county portal end to end: what is fetched, archived and ingested,
and what a second crawl of the same site does (nothing) or of a changed one (a new version).

The crawls of one portal run in a chain of module fixtures (first crawl → second
crawl → a report changes → third crawl), each capturing what the tests check, so the
costly ingest runs three times for the whole module.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govreports.load.warehouse import open_database, warehouse_path
from govreports.pipelines.crawl.run import CrawlRun, crawl_and_ingest, format_status_table
from govreports.pipelines.crawl.sites import SiteSpec, generic_spec, with_politeness
from govreports.pipelines.ingest import ingest
from govreports.pipelines.progress import Progress
from govreports.transform.model import InputDoc
from tests.portal import COLUMN, EXPECTED_MAIN_PATHS, REPORT_BODIES, Portal, Seen, county_portal

CHANGED_PAGE = COLUMN + "202401/t20240118_70001.html"


def fast(spec: SiteSpec) -> SiteSpec:
    return with_politeness(spec, min_interval=0.0, backoff=0.0)


def tree_digest(out: Path) -> dict[str, str]:
    """sha256 of every file of the lake and of the warehouse file."""
    files = sorted((out / "lake").rglob("*")) + [warehouse_path(out)]
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p.is_file()}


def query(out: Path, sql: str) -> list[tuple]:
    con = open_database(warehouse_path(out))
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


@dataclass
class Crawl:
    run: CrawlRun
    requests: list[Seen]
    digest: dict[str, str]
    documents: list[tuple]
    progress: list[Progress]


def crawl_once(portal: Portal, out: Path) -> Crawl:
    portal.clear()
    events: list[Progress] = []
    run = crawl_and_ingest([fast(generic_spec(portal.listing_url))], out, events.append)
    docs = query(out, "SELECT doc_id, source, file_name, format, encoding, n_facts FROM documents ORDER BY doc_id")
    return Crawl(run=run, requests=portal.requests(), digest=tree_digest(out), documents=docs, progress=events)


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crawl")


@pytest.fixture(scope="module")
def first(portal: Portal, out: Path) -> Crawl:
    return crawl_once(portal, out)


@pytest.fixture(scope="module")
def second(first: Crawl, portal: Portal, out: Path) -> Crawl:
    return crawl_once(portal, out)


@pytest.fixture(scope="module")
def third(second: Crawl, portal: Portal, out: Path) -> Crawl:
    page = portal.routes[CHANGED_PAGE]
    page.body = page.body.replace("有待加强。".encode(), "有待加强（已更正）。".encode())
    return crawl_once(portal, out)


def body_sha(portal: Portal, path: str) -> str:
    return hashlib.sha256(portal.routes[path].body).hexdigest()


# --- first crawl --------------------------------------------------------------------------------------------------


def test_fetches_exactly_the_reachable_files(first: Crawl) -> None:
    main = sorted(s.path for s in first.requests if s.host == "main")
    assert main == EXPECTED_MAIN_PATHS
    assert [s for s in first.requests if s.host == "other"] == []
    assert not any(p.startswith("/private/") for p in main)
    assert COLUMN + "202312/t20231205_69001.html" not in main  # a notice about reports, not a report


def test_progress_counts_each_report_link_of_the_source_then_the_sources_then_the_documents(
    first: Crawl, portal: Portal
) -> None:
    stages: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for e in first.progress:
        stages.setdefault((e.stage, e.unit), []).append((e.done, e.total, e.failed))
    source = f"crawl {portal.listing_url}"  # a URL given as the source is its name
    assert list(stages) == [("crawl", "sources"), (source, "reports"), ("ingest", "documents")]
    assert stages[("crawl", "sources")] == [(0, 1, 0), (1, 1, 0)]
    # every report link followed, one at a time (two in flight: the failures may land in either order)
    reports = stages[(source, "reports")]
    assert [(done, total) for done, total, _ in reports] == [(n, 8) for n in range(9)]
    [crawl] = first.run.crawls
    assert len(crawl.reports) == 8
    assert reports[-1][2] == sum(bool(r.errors) for r in crawl.reports) == 2
    assert [e.stage for e in first.progress][:2] == ["crawl", source]  # the sources' bar starts first
    assert stages[("ingest", "documents")][-1] == (9, 9, 0)


def test_every_reachable_report_is_ingested_with_its_url(first: Crawl, portal: Portal) -> None:
    base = portal.base
    expected = {
        (body_sha(portal, COLUMN + "202401/t20240118_70001.html"), base + CHANGED_PAGE, "t20240118_70001.html"),
        (
            body_sha(portal, COLUMN + "202301/t20230116_60001.html"),
            base + COLUMN + "202301/t20230116_60001.html",
            "t20230116_60001.html",
        ),
        (
            body_sha(portal, COLUMN + "202401/t20240125_70002.html"),
            base + COLUMN + "202401/t20240125_70002.html",
            "t20240125_70002.html",
        ),
        # the attachment is a document of its own, recorded under its report's URL
        (
            body_sha(portal, COLUMN + "202401/P020240125_cz.pdf"),
            base + COLUMN + "202401/t20240125_70002.html",
            "P020240125_cz.pdf",
        ),
        # Word and Excel attachments are read like PDFs
        (
            body_sha(portal, COLUMN + "202401/P020240125_cz.docx"),
            base + COLUMN + "202401/t20240125_70002.html",
            "P020240125_cz.docx",
        ),
        (
            body_sha(portal, COLUMN + "202401/P020240125_tj.xls"),
            base + COLUMN + "202401/t20240125_70002.html",
            "P020240125_tj.xls",
        ),
        (
            body_sha(portal, COLUMN + "202201/t20220120_50001.html"),
            base + COLUMN + "202201/t20220120_50001.html",
            "t20220120_50001.html",
        ),
        # reached through a redirect: source is the link, file_name the URL the body came from
        (body_sha(portal, COLUMN + "202001/t20200117_30001.html"), base + "/old/nb2019.html", "t20200117_30001.html"),
        (
            body_sha(portal, COLUMN + "202402/P020240201_sfj.pdf"),
            base + COLUMN + "202402/P020240201_sfj.pdf",
            "P020240201_sfj.pdf",
        ),
    }
    assert {(d[0], d[1], d[2]) for d in first.documents} == expected


def test_gbk_report_page_is_read_as_gb18030(first: Crawl, portal: Portal) -> None:
    gbk = body_sha(portal, COLUMN + "202301/t20230116_60001.html")
    row = next(d for d in first.documents if d[0] == gbk)
    assert row[3:5] == ("html", "gb18030")


def test_status_table_counts_and_reasons(first: Crawl, portal: Portal) -> None:
    (status,) = first.run.statuses
    assert (status.listing_pages, status.reports, status.new, status.unchanged, status.failed) == (3, 8, 6, 0, 2)
    assert (status.not_parsed, status.skipped) == (0, 3)
    assert status.reasons == [
        f"{portal.base}{COLUMN}202101/t20210115_40001.html: HTTP 404",
        f"{portal.base}/go/jyj2023: redirect to {portal.other_base}/jyj/2023.html"
        f" origin {portal.other_base} is not allowed; not followed",
    ]
    text = format_status_table(first.run.statuses)
    assert text.splitlines()[0].split() == [
        "source", "pages", "reports", "new", "unchanged", "failed", "not", "parsed", "skipped", "requests"
    ]  # fmt: skip
    assert text.splitlines()[1].split()[1:] == ["3", "8", "6", "0", "2", "0", "3", "17"]


def test_skipped_links_name_the_reason(first: Crawl, portal: Portal) -> None:
    (crawl,) = first.run.crawls
    assert sorted(crawl.skipped) == [
        (f"{portal.base}/private/wjw2023.html", "not fetched: disallowed by robots.txt"),
        (f"{portal.other_base}/files/P020240125_cz.pdf", f"not fetched: origin {portal.other_base} is not allowed"),
        (f"{portal.other_base}/xxgk/t20240101_1.html", f"not fetched: origin {portal.other_base} is not allowed"),
    ]


def test_office_attachments_are_ingested(first: Crawl, portal: Portal, out: Path) -> None:
    rows = query(
        out,
        "SELECT file_name, format, status, template, n_facts > 100 FROM documents"
        " WHERE format IN ('docx', 'xls') ORDER BY 1",
    )
    assert rows == [
        ("P020240125_cz.docx", "docx", "ok", "gov_2021", True),
        ("P020240125_tj.xls", "xls", "ok", "gov_2019", True),
    ]
    (crawl,) = first.run.crawls
    assert [s for r in crawl.reports for s in r.not_parsed()] == []


def test_every_response_is_archived_with_its_sidecar(first: Crawl, portal: Portal, out: Path) -> None:
    records = [json.loads(line) for line in (out / "raw" / "fetches.jsonl").read_text(encoding="utf-8").splitlines()]
    # 17 requests, 15 fetches: the 500 and its retry are one fetch, so are a redirect and its target
    first_run = records[:15]
    assert len(records) == 15 or records[15]["url"].endswith("/robots.txt")  # a later crawl starts there
    by_path = {r["url"].removeprefix(portal.base): r for r in first_run}
    pdf = by_path[COLUMN + "202401/P020240125_cz.pdf"]
    assert pdf["status"] == 200 and pdf["content_type"] == "application/pdf"
    assert pdf["etag"] == portal.routes[COLUMN + "202401/P020240125_cz.pdf"].etag
    assert pdf["last_modified"] == "Tue, 23 Jan 2024 08:53:20 GMT"
    assert pdf["size"] == len(portal.routes[COLUMN + "202401/P020240125_cz.pdf"].body)
    assert pdf["path"] == f"raw/{pdf['sha256'][:2]}/{pdf['sha256']}.pdf"
    assert pdf["fetched_at"].endswith("+00:00")
    assert by_path[COLUMN + "202201/t20220120_50001.html"]["attempts"] == 2
    assert by_path["/old/nb2019.html"]["final_url"] == portal.base + COLUMN + "202001/t20200117_30001.html"
    assert by_path[COLUMN + "202301/t20230116_60001.html"]["encoding"] == "gb18030"
    not_found = by_path[COLUMN + "202101/t20210115_40001.html"]
    assert not_found["status"] == 404 and not_found["error"] == "HTTP 404" and not_found["sha256"]
    for rec in first_run:
        if rec["sha256"]:
            snap = out / rec["path"]
            assert hashlib.sha256(snap.read_bytes()).hexdigest() == rec["sha256"]
            assert not os.stat(snap).st_mode & stat.S_IWUSR  # immutable


def test_crawled_facts_equal_direct_ingestion(first: Crawl, portal: Portal, out: Path, tmp_path: Path) -> None:
    files = []
    for i, path in enumerate(REPORT_BODIES):
        f = tmp_path / "files" / f"{i}{Path(path).suffix}"
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(portal.routes[path].body)
        files.append(InputDoc.from_path(f))
    direct = tmp_path / "direct"
    ingest(files, direct)
    facts = "SELECT doc_id, key, value, method, flags FROM facts ORDER BY ALL"
    checks = "SELECT doc_id, identity, scope, passed, lhs, rhs FROM checks ORDER BY ALL"
    docs = "SELECT doc_id, format, doc_type, template, agency, report_year, status, n_facts FROM documents ORDER BY ALL"
    for sql in (facts, checks, docs):
        assert query(out, sql) == query(direct, sql)
    assert len(query(out, facts)) >= 5 * 200  # the five HTML reports carry their full tables


# --- second crawl: nothing changed ---------------------------------------------------------------------------------


def test_second_crawl_fetches_no_body_again(second: Crawl) -> None:
    main = [(s.path, s.status) for s in second.requests if s.host == "main"]
    assert not any(p.endswith((".pdf", ".docx", ".xls")) for p, _ in main)
    assert [p for p, status in main if status == 200] == ["/robots.txt"]
    assert sorted(p for p, status in main if status == 304) == sorted(
        [COLUMN + "index.html", COLUMN + "index_1.html", COLUMN + "index_2.html"]
        + [p for p in REPORT_BODIES if p.endswith(".html")]
    )
    assert all(s.if_none_match for s in second.requests if s.status == 304)


def test_second_crawl_leaves_the_warehouse_identical(first: Crawl, second: Crawl) -> None:
    assert second.digest == first.digest
    assert second.documents == first.documents
    assert second.run.summary is None
    (status,) = second.run.statuses
    assert (status.new, status.unchanged, status.failed) == (0, 6, 2)


# --- a report changes ----------------------------------------------------------------------------------------------


def test_changed_report_is_a_new_version_and_the_old_is_kept(first: Crawl, third: Crawl, portal: Portal) -> None:
    (status,) = third.run.statuses
    assert (status.new, status.unchanged) == (1, 5)
    new_sha = body_sha(portal, CHANGED_PAGE)
    old = {d[0] for d in first.documents}
    assert {d[0] for d in third.documents} == old | {new_sha}
    versions = sorted(d[0] for d in third.documents if d[1] == portal.base + CHANGED_PAGE and d[3] == "html")
    assert len(versions) == 2 and new_sha in versions
    assert (portal.base + CHANGED_PAGE, 200) in [(portal.base + s.path, s.status) for s in third.requests]


# --- several sources -----------------------------------------------------------------------------------------------


def test_a_failing_source_does_not_stop_the_others(portal: Portal, tmp_path: Path) -> None:
    portal.clear()
    dead = fast(generic_spec("http://127.0.0.1:9/xxgk/index.html"))  # discard port: nothing listens
    dead = with_politeness(dead, retries=0, connect_timeout=1.0)
    run = crawl_and_ingest([dead, fast(generic_spec(portal.listing_url))], tmp_path)
    bad, good = run.statuses
    assert bad.listing_pages == 0 and bad.reports == 0 and not bad.ok
    assert bad.reasons == [
        "http://127.0.0.1:9/xxgk/index.html: not fetched: robots.txt could not be read"
        " (ConnectError: [Errno 111] Connection refused); treated as disallow-all"
    ]
    assert (good.listing_pages, good.new) == (3, 6)
