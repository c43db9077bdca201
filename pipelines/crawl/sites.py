"""Sources to crawl: a bare listing URL (generic rules), or a site spec in data/sites/*.yaml
for portals that need selectors, extra hosts or other limits.

A spec (every key but start_urls is optional):

    name: pingtan
    start_urls: [https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/]
    allowed_hosts: [www.pingtan.gov.cn]        # origins; default: those of start_urls (see origin_allowed)
    link_selector: "ul.list a"                 # where report links are on a listing page
    next_selector: "a.next"                    # pagination anchors (besides 下一页 and the TRS pager)
    attachment_selector: "div.article a"       # where attachments are on a report page
    report_title: "信息公开.*年度报告"           # regex for report titles
    max_pages: 50                              # listing pages per crawl (limits.json crawl_max_listing_pages)
    max_reports: 1000                          # report links followed per crawl (crawl_max_reports)
    politeness: {min_interval: 2.0, max_per_host: 1}
    enabled: true                              # taken by the nightly run
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from govreports.data import SITES_DIR
from govreports.extract.limits import limit
from govreports.pipelines.crawl.discover import REPORT_TITLE, allowed_entry
from govreports.pipelines.crawl.fetch import Politeness


class SiteSpecError(ValueError):
    """A site spec that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SiteSpec:
    name: str
    start_urls: list[str]
    allowed_hosts: list[str] = field(default_factory=list)
    link_selector: str = "a[href]"
    next_selector: str | None = None
    attachment_selector: str = "a[href]"
    report_title: re.Pattern[str] = REPORT_TITLE
    max_pages: int = field(default_factory=lambda: int(limit("crawl_max_listing_pages")))
    max_reports: int = field(default_factory=lambda: int(limit("crawl_max_reports")))
    politeness: Politeness = field(default_factory=Politeness)
    enabled: bool = True


def generic_spec(url: str) -> SiteSpec:
    """A listing URL with the generic rules: its own origin only."""
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise SiteSpecError(f"not an http(s) URL: {url!r}")
    return SiteSpec(name=url, start_urls=[url], allowed_hosts=[allowed_entry(url)])


def parse_spec(data: dict, origin: str) -> SiteSpec:
    if not isinstance(data, dict) or not data.get("start_urls"):
        raise SiteSpecError(f"{origin}: a site spec needs start_urls")
    urls = [str(u) for u in data["start_urls"]]
    known_politeness = {f.name for f in fields(Politeness)}
    overrides = data.get("politeness") or {}
    unknown = set(overrides) - known_politeness
    if unknown:
        raise SiteSpecError(f"{origin}: unknown politeness keys {sorted(unknown)}")
    try:
        title = re.compile(data["report_title"]) if data.get("report_title") else REPORT_TITLE
    except re.error as exc:
        raise SiteSpecError(f"{origin}: report_title is not a valid regex: {exc}") from exc
    spec = generic_spec(urls[0])
    return replace(
        spec,
        name=str(data.get("name") or origin),
        start_urls=urls,
        allowed_hosts=[str(h) for h in data.get("allowed_hosts") or dict.fromkeys(map(allowed_entry, urls))],
        link_selector=data.get("link_selector") or spec.link_selector,
        next_selector=data.get("next_selector"),
        attachment_selector=data.get("attachment_selector") or spec.attachment_selector,
        report_title=title,
        max_pages=int(data.get("max_pages") or spec.max_pages),
        max_reports=int(data.get("max_reports") or spec.max_reports),
        politeness=replace(Politeness(), **overrides),
        enabled=bool(data.get("enabled", True)),
    )


def load_spec(path: Path) -> SiteSpec:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SiteSpecError(f"{path}: not valid YAML: {exc}") from exc
    return parse_spec(data, Path(path).stem)


def configured_specs(sites_dir: Path = SITES_DIR) -> list[SiteSpec]:
    """Every enabled spec in data/sites/, in file-name order."""
    specs = [load_spec(p) for p in sorted(Path(sites_dir).glob("*.yaml"))]
    return [s for s in specs if s.enabled]


def resolve_source(source: str, sites_dir: Path = SITES_DIR) -> SiteSpec:
    """A spec name ('pingtan'), a spec file path, or a listing URL."""
    candidate = Path(sites_dir) / f"{source}.yaml"
    if candidate.exists():
        return load_spec(candidate)
    if source.endswith((".yaml", ".yml")) and Path(source).exists():
        return load_spec(Path(source))
    return generic_spec(source)


def with_politeness(spec: SiteSpec, **overrides: float | int | bool) -> SiteSpec:
    return replace(spec, politeness=replace(spec.politeness, **overrides))
