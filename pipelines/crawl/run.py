"""Crawl several sources and ingest what they yield, without Prefect.

One failing source never stops the others; the run ends with one status row per
source: reports new, unchanged and failed (with reasons).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from govreports.load.lake import known_doc_ids
from govreports.load.warehouse import warehouse_path
from govreports.pipelines.crawl.crawler import SiteCrawl, crawl_site
from govreports.pipelines.crawl.fetch import RateLimiter
from govreports.pipelines.crawl.sites import SiteSpec, SiteSpecError, configured_specs, resolve_source
from govreports.pipelines.ingest import RunSummary, ingest
from govreports.pipelines.observe import TransientError, markdown_table, reasons_list
from govreports.pipelines.progress import ProgressCallback, Steps, no_progress
from govreports.transform.model import InputDoc

MAX_REASONS = 20
# Listing-page errors that say the source was out of reach for now (the polite client has already
# retried each request): a later try of the whole source may succeed. An HTTP 404 or a robots.txt
# refusal will not change by trying again.
TRANSIENT_FETCH_ERRORS = re.compile(
    r"^timeout:|^HTTP 5\d\d|\b(ConnectError|ConnectTimeout|ReadError|ReadTimeout|WriteError|WriteTimeout"
    r"|PoolTimeout|RemoteProtocolError|NetworkError)\b|robots\.txt could not be read \((timeout|HTTP 5)"
)


class SourceUnreachable(TransientError):
    """No listing page of the source could be fetched, for transient reasons only; carries the crawl."""

    def __init__(self, crawl: SiteCrawl) -> None:
        super().__init__(crawl)
        self.crawl = crawl

    def __str__(self) -> str:
        return f"{self.crawl.source} unreachable: " + "; ".join(why for _, why in self.crawl.errors)

    def __repr__(self) -> str:  # Prefect logs the repr: the message, not the whole crawl
        return f"SourceUnreachable({str(self)!r})"


def unreachable(crawl: SiteCrawl) -> bool:
    """True when the source gave no listing page and every error was transient (worth a later try)."""
    errors = [why for _, why in crawl.errors]
    return crawl.listing_pages == 0 and bool(errors) and all(TRANSIENT_FETCH_ERRORS.search(e) for e in errors)


@dataclass
class SourceStatus:
    source: str
    listing_pages: int = 0
    reports: int = 0
    new: int = 0
    unchanged: int = 0
    failed: int = 0
    not_parsed: int = 0  # bodies the spine has no reader for: archived only
    skipped: int = 0  # links not followed: other origins, robots.txt, malformed
    passed_over: int = 0  # listing links that are not reports (each in raw/links.jsonl, with why)
    caps: list[str] = field(default_factory=list)  # per-source caps reached (also the first reasons)
    requests: int = 0
    bytes_fetched: int = 0
    seconds: float = 0.0
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.listing_pages > 0 and self.failed == 0


@dataclass
class CrawlRun:
    statuses: list[SourceStatus]
    crawls: list[SiteCrawl]
    summary: RunSummary | None


def politeness_overrides(**values: float | int | None) -> dict[str, float | int]:
    """Options given on the command line or as flow parameters; None means 'keep the default'."""
    return {k: v for k, v in values.items() if v is not None}


def specs_for(sources: list[str] | None, **politeness: float | int) -> list[SiteSpec]:
    """Named specs, spec files or URLs; none means every enabled spec in data/sites/. Raises SiteSpecError."""
    specs = [resolve_source(s) for s in sources] if sources else configured_specs()
    if politeness:
        specs = [replace(s, politeness=replace(s.politeness, **politeness)) for s in specs]
    return specs


def resolve_sources(sources: list[str] | None, **politeness: float | int) -> tuple[list[SiteSpec], list[SiteCrawl]]:
    """Like specs_for, but a source that cannot be resolved becomes a failed crawl instead of an error."""
    if not sources:
        return specs_for(None, **politeness), []
    specs, failed = [], []
    for source in sources:
        try:
            specs += specs_for([source], **politeness)
        except SiteSpecError as exc:
            failed.append(SiteCrawl(source=source, errors=[(source, str(exc))]))
    return specs, failed


def crawl_one(
    spec: SiteSpec, out_dir: Path, limiter: RateLimiter | None = None, progress: ProgressCallback = no_progress
) -> SiteCrawl:
    """Crawl a source; any error ends up in the result, never raised."""
    try:
        return crawl_site(spec, out_dir, limiter, progress)
    except Exception as exc:  # one broken source must not stop the others
        return SiteCrawl(source=spec.name, errors=[(spec.start_urls[0], f"crawl failed: {type(exc).__name__}: {exc}")])


def inputs_to_ingest(crawls: list[SiteCrawl], out_dir: Path) -> list[InputDoc]:
    """Report bodies not yet in the lake (a snapshot's sha256 is its doc_id), each once."""
    known = known_doc_ids(out_dir)
    todo: dict[str, InputDoc] = {}
    for crawl in crawls:
        for report in crawl.reports:
            for snap in report.parsed():
                if snap.sha256 not in known:
                    todo.setdefault(snap.sha256, report.input_for(snap))
    return list(todo.values())


def source_status(crawl: SiteCrawl, written: set[str]) -> SourceStatus:
    st = SourceStatus(
        source=crawl.source,
        listing_pages=crawl.listing_pages,
        reports=len(crawl.reports),
        skipped=len(crawl.skipped),
        passed_over=len(crawl.passed_over),
        caps=list(crawl.caps),
        requests=crawl.requests,
        bytes_fetched=crawl.bytes_fetched,
        seconds=round(crawl.seconds, 2),
    )
    st.reasons += crawl.caps  # first, so a long list of failures cannot hide them
    st.reasons += [f"{url}: {why}" for url, why in crawl.errors]
    for report in crawl.reports:
        st.not_parsed += len(report.not_parsed())
        if report.errors:
            st.failed += 1
            st.reasons += report.errors
        elif any(s.sha256 in written for s in report.files):
            st.new += 1
        else:
            st.unchanged += 1
    if crawl.listing_pages == 0 and not st.reasons:
        st.reasons.append("no listing page could be fetched")
    st.reasons = st.reasons[:MAX_REASONS]
    return st


def ingest_crawls(
    crawls: list[SiteCrawl], out_dir: Path, progress: ProgressCallback = no_progress
) -> RunSummary | None:
    """Ingest new bodies; with nothing new and a warehouse present, nothing is touched."""
    inputs = inputs_to_ingest(crawls, out_dir)
    if not inputs and warehouse_path(out_dir).exists():
        return None
    return ingest(inputs, out_dir, progress=progress)


def crawl_and_ingest(specs: list[SiteSpec], out_dir: Path, progress: ProgressCallback = no_progress) -> CrawlRun:
    """`progress` hears of each report link of a source (`crawl <source>`), of each source crawled
    (failed: no listing page), then of each document ingested."""
    out_dir = Path(out_dir)
    limiter = RateLimiter()  # shared, so two sources on one host share its rate
    steps = Steps("crawl", len(specs), progress, unit="sources").start()
    crawls = []
    for spec in specs:
        crawls.append(crawl_one(spec, out_dir, limiter, progress))
        steps.advance(failed=int(crawls[-1].listing_pages == 0))
    summary = ingest_crawls(crawls, out_dir, progress)
    written = set(summary.written_ids) if summary else set()
    return CrawlRun(statuses=[source_status(c, written) for c in crawls], crawls=crawls, summary=summary)


STATUS_COLUMNS = ("source", "pages", "reports", "new", "unchanged", "failed", "not parsed", "skipped", "requests")


def status_rows(statuses: list[SourceStatus]) -> list[tuple[str, ...]]:
    return [
        (s.source, *map(str, (s.listing_pages, s.reports, s.new, s.unchanged, s.failed, s.not_parsed, s.skipped)))
        + (str(s.requests),)
        for s in statuses
    ]


def format_status_table(statuses: list[SourceStatus]) -> str:
    """Plain-text table (for logs), then the failure reasons per source."""
    rows = [STATUS_COLUMNS, *status_rows(statuses)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(STATUS_COLUMNS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    for s in statuses:
        lines += [f"  {s.source}: {reason}" for reason in s.reasons]
    return "\n".join(lines)


def source_markdown(status: SourceStatus) -> str:
    """A source's row and its reasons, for the Prefect artifact."""
    verdict = "ok" if status.ok else "**failed**"
    text = f"### {status.source}: {verdict}\n\n" + markdown_table(STATUS_COLUMNS, status_rows([status]))
    return text + ("\n\n**Reasons**\n\n" + reasons_list(status.reasons) if status.reasons else "")


def run_markdown(statuses: list[SourceStatus]) -> str:
    """Every source's row, the failed ones named below."""
    text = "### Crawl\n\n" + markdown_table(STATUS_COLUMNS, status_rows(statuses))
    failed = [s.source for s in statuses if not s.ok]
    return text + (f"\n\nFailed sources: {', '.join(failed)}" if failed else "")


def run_failure(statuses: list[SourceStatus], summary: RunSummary | None) -> str | None:
    """Why a crawl run is Failed (a source with no listing page or failed reports, failed documents), or None."""
    failed = [s.source for s in statuses if not s.ok]
    documents = summary.by_status.get("failed", 0) if summary else 0
    parts = [f"{len(failed)} of {len(statuses)} sources failed ({', '.join(failed)})"] if failed else []
    parts += [f"{documents} documents failed"] if documents else []
    return "; ".join(parts) or None
