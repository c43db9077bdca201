"""A crawl of the loopback portal meeting hostile or broken sites (issue 10 items 19–23): another
port on an allowed host, malformed links, robots.txt wildcards, cut anchor texts, per-source caps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from govreports.pipelines.crawl.crawler import crawl_site
from govreports.pipelines.crawl.run import source_status
from govreports.pipelines.crawl.sites import SiteSpec, generic_spec, with_politeness
from tests.portal import COLUMN, Portal, Resource, county_portal, html, listing_page, report_page, report_pdf


@pytest.fixture
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


@pytest.fixture
def elsewhere() -> Iterator[Portal]:
    """Another server on the portal's own host name (127.0.0.1), on another port."""
    site = Portal().start()
    site.routes["/robots.txt"] = Resource(body=b"User-agent: *\n", content_type="text/plain")
    site.routes["/admin/nb2023.html"] = html(report_page("青禾县内网", 2023))
    yield site
    site.stop()


def fast(spec: SiteSpec) -> SiteSpec:
    return with_politeness(spec, min_interval=0.0, backoff=0.0)


def crawled_paths(crawl, portal: Portal) -> list[str]:  # noqa: ANN001 (SiteCrawl)
    return sorted(r.url.removeprefix(portal.base) for r in crawl.reports if not r.errors)


def test_redirect_to_another_port_on_the_allowed_host_is_refused(
    portal: Portal, elsewhere: Portal, tmp_path: Path
) -> None:
    portal.routes["/go/admin"] = Resource(status=302, location=elsewhere.base + "/admin/nb2023.html")
    portal.routes[COLUMN + "index_2.html"] = html(
        listing_page([("/go/admin", "青禾县内网2023年政府信息公开工作年度报告")], "")
    )
    crawl = crawl_site(fast(generic_spec(portal.listing_url)), tmp_path)
    (report,) = [r for r in crawl.reports if r.url.endswith("/go/admin")]
    target = elsewhere.base + "/admin/nb2023.html"
    assert report.errors == [
        f"{portal.base}/go/admin: redirect to {target} origin {elsewhere.base} is not allowed; not followed"
    ]
    assert elsewhere.requests() == []


def test_malformed_link_is_skipped_and_the_portal_goes_on(portal: Portal, tmp_path: Path) -> None:
    bad = "http://127.0.0.1:80a/xxgk/nb2023.html"
    portal.routes[COLUMN + "index_2.html"] = html(
        listing_page(
            [
                (bad, "青禾县水利局2023年政府信息公开工作年度报告"),
                ("./202402/P020240201_sfj.pdf", "青禾县司法局2023年政府信息公开工作年度报告"),
            ],
            '<a href="http://127.0.0.1:99999/index_9.html">下一页</a>',
        )
    )
    crawl = crawl_site(fast(generic_spec(portal.listing_url)), tmp_path)
    assert crawl.errors == []
    assert (bad, "not fetched: malformed URL (Invalid port: '80a')") in crawl.skipped
    assert ("http://127.0.0.1:99999/index_9.html", "not fetched: malformed URL (Port out of range 0-65535)") in (
        crawl.skipped
    )
    assert COLUMN + "202402/P020240201_sfj.pdf" in crawled_paths(crawl, portal)
    assert crawl.listing_pages == 3 and len(crawl.reports) == 8  # as many as the unbroken portal gives


def test_robots_wildcard_keeps_the_crawl_off_pdfs(portal: Portal, tmp_path: Path) -> None:
    portal.routes["/robots.txt"] = Resource(body=b"User-agent: *\nDisallow: /*.pdf$\n", content_type="text/plain")
    crawl = crawl_site(fast(generic_spec(portal.listing_url)), tmp_path)
    fetched = portal.paths()
    assert not any(p.endswith(".pdf") for p in fetched)
    assert COLUMN + "202401/P020240125_cz.docx" in fetched
    pdfs = sorted(url.removeprefix(portal.base) for url, why in crawl.skipped if why.endswith("robots.txt"))
    assert pdfs == [COLUMN + "202401/P020240125_cz.pdf", COLUMN + "202402/P020240201_sfj.pdf"]


def cut_listing() -> str:
    """A listing that cuts titles without a title attribute, as many CMS templates do."""
    items = [
        ("./202403/t20240301_1.html", "青禾县卫生健康委员会2023年政府信息…"),  # cut: the page says what it is
        (f"./202403/{quote(SLJ_PDF)}", "青禾县水利局2023年…"),  # cut: the file is named by its title
        ("./202403/t20240301_2.html", "关于2023年度政府信息公开…"),  # cut: the page is a notice
        ("./202403/t20240301_3.html", "关于印发2023年政务公开工作要点的通…"),  # cut, visibly a notice
        ("./202403/t20240301_4.html", "青禾县人民政府办公室关于…"),  # cut, nothing of a report in sight
    ]
    lis = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in items)
    return f'<html><body><a href="/">首页</a><ul class="list">{lis}</ul></body></html>'


SLJ_PDF = "青禾县水利局2023年政府信息公开工作年度报告.pdf"


def test_cut_titles_are_judged_by_the_target_and_every_link_passed_over_is_listed(
    portal: Portal, tmp_path: Path
) -> None:
    r = portal.routes
    r[COLUMN + "index_2.html"] = html(cut_listing())
    r[COLUMN + "202403/t20240301_1.html"] = html(report_page("青禾县卫生健康委员会", 2023))
    r[COLUMN + "202403/" + quote(SLJ_PDF)] = Resource(
        body=report_pdf("青禾县水利局", 2023), content_type="application/pdf"
    )
    r[COLUMN + "202403/t20240301_2.html"] = html(
        "<html><head><title>关于做好2023年度政府信息公开工作年度报告编制发布工作的通知</title></head></html>"
    )
    crawl = crawl_site(fast(generic_spec(portal.listing_url)), tmp_path)
    base = portal.base + COLUMN + "202403/"
    titles = {r.url.removeprefix(base): r.title for r in crawl.reports if r.url.startswith(base)}
    assert titles == {
        "t20240301_1.html": "青禾县卫生健康委员会2023年政府信息公开工作年度报告",
        quote(SLJ_PDF): SLJ_PDF.removesuffix(".pdf"),
    }
    passed = dict(crawl.passed_over)
    assert passed[base + "t20240301_2.html"] == (
        "title cut short (关于2023年度政府信息公开…); the linked page's title is not a report's:"
        " 关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"
    )
    assert passed[base + "t20240301_3.html"] == (
        "title cut short; about reports, not a report (要点): 关于印发2023年政务公开工作要点的通…"
    )
    assert passed[base + "t20240301_4.html"] == "title cut short; not a report title: 青禾县人民政府办公室关于…"
    assert passed[portal.base + "/"] == "not a report title: 首页"
    assert passed[portal.base + COLUMN + "202312/t20231205_69001.html"] == (
        "about reports, not a report (编制): 关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"
    )
    assert COLUMN + "202403/t20240301_3.html" not in portal.paths()  # visibly no report: not fetched
    assert COLUMN + "202403/t20240301_4.html" not in portal.paths()
    logged = [json.loads(line) for line in (tmp_path / "raw" / "links.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((row["url"], row["why"]) for row in logged) == sorted(crawl.not_followed())
    assert {row["source"] for row in logged} == {portal.listing_url}
    skipped_urls = {url for url, _ in crawl.skipped}
    assert portal.base + "/private/wjw2023.html" in skipped_urls  # refusals are in the same list
    assert [row["url"] for row in logged].count(portal.base + "/") == 1  # the navigation, once per crawl


def test_per_source_caps_are_reported_in_the_status(portal: Portal, tmp_path: Path) -> None:
    spec = replace(fast(generic_spec(portal.listing_url)), max_reports=2)
    crawl = crawl_site(spec, tmp_path / "a")
    assert [r.url.removeprefix(portal.base + COLUMN) for r in crawl.reports] == [
        "202401/t20240118_70001.html",
        "202301/t20230116_60001.html",
    ]
    assert crawl.caps == ["report cap reached: 2 report links followed, 6 not"]
    assert sum(why == "report cap of 2 reached" for _, why in crawl.passed_over) == 6
    status = source_status(crawl, set())
    assert status.caps == crawl.caps and status.reasons[0] == crawl.caps[0]

    spec = replace(fast(generic_spec(portal.listing_url)), max_pages=1)
    crawl = crawl_site(spec, tmp_path / "b")
    assert crawl.listing_pages == 1
    assert crawl.caps == ["listing-page cap reached: 1 pages read, 1 more found, not read"]
    passed = dict(crawl.passed_over)
    assert passed[portal.base + COLUMN + "index_1.html"] == "listing-page cap of 1 reached"
    assert source_status(crawl, set()).reasons[0] == crawl.caps[0]


def test_trickling_report_is_that_reports_failure_and_the_crawl_goes_on(portal: Portal, tmp_path: Path) -> None:
    page = COLUMN + "202401/t20240118_70001.html"
    portal.routes[page].trickle = 0.05  # 90 KB at 20 bytes/s
    spec = with_politeness(fast(generic_spec(portal.listing_url)), deadline=0.5)
    crawl = crawl_site(spec, tmp_path)
    status = source_status(crawl, set())
    assert (status.reports, status.failed) == (8, 3)  # the 404 and the redirect elsewhere fail as always
    assert f"{portal.base}{page}: timeout: no complete response within the 0.5 s deadline" in status.reasons
    assert portal.paths().count(page) == 1
