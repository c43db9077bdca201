"""A crawl of the loopback portal meeting hostile or broken sites (issue 10 items 19–23): another
port on an allowed host, malformed links, robots.txt wildcards, cut anchor texts, per-source caps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govreports.pipelines.crawl.crawler import crawl_site
from govreports.pipelines.crawl.sites import SiteSpec, generic_spec, with_politeness
from tests.portal import COLUMN, Portal, Resource, county_portal, html, listing_page, report_page


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
