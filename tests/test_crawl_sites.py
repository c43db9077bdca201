"""Site specs (data/sites/*.yaml) and the `govreports crawl` command."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.pipelines.cli import app
from govreports.pipelines.crawl.crawler import crawl_site
from govreports.pipelines.crawl.fetch import Politeness
from govreports.pipelines.crawl.sites import (
    SITES_DIR,
    SiteSpecError,
    configured_specs,
    generic_spec,
    load_spec,
    parse_spec,
    resolve_source,
    with_politeness,
)
from tests.portal import COLUMN, Portal, county_portal


@pytest.fixture
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


def test_generic_spec_stays_on_the_start_host() -> None:
    spec = generic_spec("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/")
    assert spec.allowed_hosts == ["www.pingtan.gov.cn"]
    assert spec.start_urls == ["https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"]
    assert spec.politeness == Politeness()


def test_parse_spec_with_overrides() -> None:
    spec = parse_spec(
        {
            "name": "x",
            "start_urls": ["http://a.gov.cn/nb/"],
            "allowed_hosts": ["a.gov.cn", "*.files.a.gov.cn"],
            "link_selector": "ul.list a",
            "report_title": "年度报告$",
            "max_pages": 3,
            "politeness": {"min_interval": 5, "max_per_host": 1},
            "enabled": False,
        },
        "x.yaml",
    )
    assert (spec.name, spec.allowed_hosts, spec.link_selector, spec.max_pages) == (
        "x",
        ["a.gov.cn", "*.files.a.gov.cn"],
        "ul.list a",
        3,
    )
    assert (spec.politeness.min_interval, spec.politeness.max_per_host, spec.politeness.retries) == (5, 1, 3)
    assert spec.report_title.pattern == "年度报告$" and not spec.enabled


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x"}, "x.yaml: a site spec needs start_urls"),
        ({"start_urls": ["http://a/"], "politeness": {"speed": 1}}, "x.yaml: unknown politeness keys ['speed']"),
        ({"start_urls": ["http://a/"], "report_title": "("}, "x.yaml: report_title is not a valid regex"),
        ({"start_urls": ["file:///etc/passwd"]}, "not an http(s) URL: 'file:///etc/passwd'"),
    ],
)
def test_bad_specs_name_the_problem(data: dict, message: str) -> None:
    with pytest.raises(SiteSpecError) as err:
        parse_spec(data, "x.yaml")
    assert str(err.value).startswith(message)


def test_invalid_yaml_is_a_spec_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("start_urls: [http://a/\n", encoding="utf-8")
    with pytest.raises(SiteSpecError, match="bad.yaml: not valid YAML"):
        load_spec(bad)


def test_bundled_specs_load() -> None:
    specs = {s.name: s for s in configured_specs()}
    assert set(specs) == {p.stem for p in SITES_DIR.glob("*.yaml")} >= {"pingtan"}
    assert specs["pingtan"].allowed_hosts == ["www.pingtan.gov.cn"]
    assert specs["pingtan"].politeness.max_per_host == 1


def test_resolve_source_by_name_path_or_url(tmp_path: Path) -> None:
    assert resolve_source("pingtan").name == "pingtan"
    assert resolve_source(str(SITES_DIR / "pingtan.yaml")).name == "pingtan"
    assert resolve_source("http://127.0.0.1:8/nb/").allowed_hosts == ["http://127.0.0.1:8"]
    assert resolve_source("https://www.xx.gov.cn/nb/").allowed_hosts == ["www.xx.gov.cn"]
    with pytest.raises(SiteSpecError):
        resolve_source("no-such-site")


def test_configured_extra_host_is_crawled(portal: Portal, tmp_path: Path) -> None:
    spec = parse_spec(
        {
            "start_urls": [portal.listing_url],
            "allowed_hosts": [portal.base, portal.other_base],
            "politeness": {"min_interval": 0, "backoff": 0},
        },
        "two-hosts",
    )
    crawl = crawl_site(spec, tmp_path)
    assert sorted(portal.paths("other")) == [
        "/files/P020240125_cz.pdf",
        "/jyj/2023.html",
        "/robots.txt",
        "/xxgk/t20240101_1.html",
    ]
    assert len(crawl.reports) == 9 and crawl.skipped == [(f"{portal.base}/private/wjw2023.html", crawl.skipped[0][1])]


def test_link_selector_limits_the_report_links(portal: Portal, tmp_path: Path) -> None:
    # Only the first list item of each listing page: the selector, not the title rule, decides where to look.
    spec = parse_spec(
        {
            "start_urls": [portal.listing_url],
            "link_selector": "ul.list li:first-child a",
            "politeness": {"min_interval": 0, "backoff": 0},
        },
        "first-only",
    )
    crawl = crawl_site(spec, tmp_path)
    assert sorted(r.url.removeprefix(portal.base) for r in crawl.reports) == [
        COLUMN + "202201/t20220120_50001.html",
        COLUMN + "202401/t20240118_70001.html",
        COLUMN + "202402/P020240201_sfj.pdf",
    ]


def test_max_pages_bounds_the_listing_walk(portal: Portal, tmp_path: Path) -> None:
    spec = parse_spec({"start_urls": [portal.listing_url], "max_pages": 1, "politeness": {"min_interval": 0}}, "one")
    crawl = crawl_site(spec, tmp_path)
    assert crawl.listing_pages == 1
    assert COLUMN + "index_1.html" not in portal.paths()


def test_cli_crawl_prints_the_status_table(portal: Portal, tmp_path: Path) -> None:
    portal.routes[COLUMN + "202201/t20220120_50001.html"].fail_first = 0  # no 2 s backoff in this test
    args = ["crawl", portal.listing_url, "--out", str(tmp_path), "--min-interval", "0", "--quiet"]
    result = CliRunner().invoke(app, args)  # --quiet: CliRunner mixes the progress lines (stderr) in
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["source", "pages", "reports"]
    assert lines[1].split() == [portal.listing_url, "3", "8", "6", "0", "2", "0", "3", "16"]
    assert lines[-1] == f"ingested 9 new documents; warehouse: {tmp_path / 'warehouse.duckdb'}"
    assert (tmp_path / "raw" / "fetches.jsonl").exists()


def test_cli_crawl_rejects_an_unknown_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["crawl", "no-such-site", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not an http(s) URL: 'no-such-site'" in result.output
    assert not (tmp_path / "raw").exists()


def test_with_politeness_overrides_one_field() -> None:
    spec = with_politeness(generic_spec("http://a.gov.cn/"), min_interval=0.5)
    assert (spec.politeness.min_interval, spec.politeness.max_per_host) == (0.5, 2)
