"""Crawl one source: listing pages (with pagination) → report links → report pages and
their attachments, every response archived. Then hand the archived bodies to the spine.

A second crawl of an unchanged site sends conditional requests for listing and report
pages (answered 304 when the server supports it) and does not request an archived
attachment again: attachment URLs on these portals name immutable files. A report page
whose bytes changed is archived and ingested as a new document; the old one stays.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from govreports.extract import FORMAT_OF_SUFFIX
from govreports.pipelines.crawl.archive import Archive, FetchRecord, snapshot_ext
from govreports.pipelines.crawl.discover import (
    Verdict,
    attachment_kind,
    attachment_links,
    decode_page,
    extract_links,
    is_report_title,
    judge_link,
    last_segment,
    page_title,
    pagination_urls,
)
from govreports.pipelines.crawl.fetch import PoliteClient, RateLimiter, Response, now_utc
from govreports.pipelines.crawl.sites import SiteSpec
from govreports.pipelines.progress import ProgressCallback, Steps, no_progress
from govreports.transform.model import InputDoc

PARSED_SUFFIXES = set(FORMAT_OF_SUFFIX)  # what the spine ingests; other bodies are archived only


@dataclass(frozen=True)
class Snapshot:
    url: str
    final_url: str
    sha256: str
    path: Path
    content_type: str | None
    fetched: bool  # False when the archived copy was reused without a request

    @property
    def is_html(self) -> bool:
        return self.path.suffix == ".html"


@dataclass
class Report:
    url: str
    title: str
    files: list[Snapshot] = field(default_factory=list)  # the page (if HTML) first, then attachments
    errors: list[str] = field(default_factory=list)

    def parsed(self) -> list[Snapshot]:
        return [s for s in self.files if s.path.suffix in PARSED_SUFFIXES]

    def input_for(self, snap: Snapshot) -> InputDoc:
        """source: the report's URL; file_name: the last segment of the URL the body came from."""
        return InputDoc(path=snap.path, source=self.url, file_name=last_segment(snap.final_url))

    def inputs(self) -> list[InputDoc]:
        return [self.input_for(s) for s in self.parsed()]

    def not_parsed(self) -> list[Snapshot]:
        return [s for s in self.files if s.path.suffix not in PARSED_SUFFIXES]


@dataclass
class SiteCrawl:
    source: str
    reports: list[Report] = field(default_factory=list)
    listing_pages: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (url, why it was not fetched)
    passed_over: list[tuple[str, str]] = field(default_factory=list)  # (url, why): listing links not reports
    caps: list[str] = field(default_factory=list)  # per-source caps reached (listing pages, reports)
    errors: list[tuple[str, str]] = field(default_factory=list)  # listing pages that failed
    requests: int = 0
    bytes_fetched: int = 0
    seconds: float = 0.0

    def inputs(self) -> list[InputDoc]:
        return [doc for r in self.reports for doc in r.inputs()]

    def not_followed(self) -> list[tuple[str, str]]:
        """Every link found and not followed, with why: refused (origin, robots.txt, malformed) or passed over."""
        return self.skipped + self.passed_over


class SiteCrawler:
    def __init__(
        self,
        spec: SiteSpec,
        archive: Archive,
        limiter: RateLimiter | None = None,
        progress: ProgressCallback = no_progress,
    ) -> None:
        self.spec = spec
        self.archive = archive
        self.progress = progress
        self.client = PoliteClient(spec.allowed_hosts, spec.politeness, on_robots=self.keep, limiter=limiter)
        self.result = SiteCrawl(source=spec.name)

    # --- fetching through the archive -----------------------------------------------------------------------

    def keep(self, resp: Response, prev: FetchRecord | None = None) -> FetchRecord | None:
        """Archive a response (any status with a body) and log the fetch; refusals were no fetch at all.

        A 304 is logged against `prev`, the snapshot of the final URL it confirms.
        """
        if resp.status is None and resp.error and resp.error.startswith("not fetched"):
            return None
        rec = FetchRecord(
            url=resp.url,
            final_url=resp.final_url,
            fetched_at=resp.fetched_at,
            status=resp.status,
            content_type=resp.headers.get("content-type"),
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            error=resp.error,
            attempts=resp.attempts,
        )
        if resp.not_modified and prev is not None:
            rec.sha256, rec.path, rec.not_modified = prev.sha256, prev.path, True
            rec.final_url, rec.content_type, rec.size, rec.encoding = (
                prev.final_url,
                prev.content_type,
                prev.size,
                prev.encoding,
            )
        elif resp.content is not None and not resp.not_modified:
            ext = snapshot_ext(rec.content_type, resp.final_url)
            sha, path = self.archive.store(resp.content, ext)
            rec.sha256, rec.path, rec.size = sha, self.archive.relative(path), len(resp.content)
            if ext in (".html", ".txt"):
                rec.encoding = decode_page(resp.content, rec.content_type)[1]
            self.result.bytes_fetched += len(resp.content)
        self.archive.record(rec)
        return rec

    def snapshot(self, url: str, reuse: bool = False) -> tuple[Snapshot | None, str | None]:
        """The current body of `url`, from the archive when `reuse`, else by a (conditional) request."""
        prev = self.archive.latest(url)
        if reuse and prev is not None:
            return self._from_record(prev, fetched=False), None
        resp = self.client.get(url, self.archive.validators)
        rec = self.keep(resp, self.archive.served(resp.final_url) if resp.not_modified else None)
        if rec is not None and rec.not_modified:
            return self._from_record(rec, fetched=True), None
        if rec is None or not resp.ok or resp.error:
            return None, resp.error or f"HTTP {resp.status}"
        return self._from_record(rec, fetched=True), None

    def _from_record(self, rec: FetchRecord, fetched: bool) -> Snapshot:
        return Snapshot(
            url=rec.url,
            final_url=rec.final_url,
            sha256=rec.sha256 or "",
            path=self.archive.snapshot_path(rec),
            content_type=rec.content_type,
            fetched=fetched,
        )

    def read_html(self, snap: Snapshot) -> str:
        """Parsers read the snapshot, never the response."""
        return decode_page(snap.path.read_bytes(), snap.content_type)[0]

    # --- the crawl -------------------------------------------------------------------------------------------

    def crawl(self) -> SiteCrawl:
        started = time.monotonic()
        crawled_at = now_utc()
        try:
            wanted = []
            for verdict in self.crawl_listings():
                reason = self.client.refusal(verdict.link.url)
                if reason:
                    self.result.skipped.append((verdict.link.url, reason))
                else:
                    wanted.append(verdict)
            wanted = self._capped_reports(wanted)
            # a source at 1 request/s is minutes of report pages: its own bar, a unit per report link
            steps = Steps(f"crawl {self.spec.name}", len(wanted), self.progress, unit="reports").start()

            def crawl_counted(verdict: Verdict) -> Report | None:
                report = self.crawl_report(verdict)
                steps.advance(failed=int(report is not None and bool(report.errors)))
                return report

            with ThreadPoolExecutor(max_workers=max(1, self.spec.politeness.max_per_host)) as pool:
                self.result.reports = [r for r in pool.map(crawl_counted, wanted) if r is not None]
        finally:
            self.result.requests = self.client.requests
            self.result.seconds = time.monotonic() - started
            self.client.close()
            self.archive.log_links(self.spec.name, crawled_at, self.result.not_followed())
        return self.result

    def _capped_reports(self, wanted: list[Verdict]) -> list[Verdict]:
        """The first max_reports report links, in the order the listings give them (newest first on portals)."""
        most = self.spec.max_reports
        if len(wanted) <= most:
            return wanted
        self.result.caps.append(f"report cap reached: {most} report links followed, {len(wanted) - most} not")
        self.result.passed_over += [(v.link.url, f"report cap of {most} reached") for v in wanted[most:]]
        return wanted[:most]

    def crawl_listings(self) -> list[Verdict]:
        """Breadth-first over the listing pages; report links (and cut titles to probe) in the order found,
        each once. Links passed over are noted with why."""
        queue = deque(self.spec.start_urls)
        seen = set(queue)
        found: dict[str, Verdict] = {}
        passed: dict[str, str] = {}
        while queue and self.result.listing_pages < self.spec.max_pages:
            url = queue.popleft()
            snap, error = self.snapshot(url)
            if snap is None:
                if url in self.spec.start_urls:  # a source whose start page is out of reach has failed
                    self.result.errors.append((url, error or "no body"))
                else:
                    self._note_failure(url, error or "no body")
                continue
            self.result.listing_pages += 1
            html = self.read_html(snap)
            for link in extract_links(html, snap.final_url, self.spec.link_selector):
                verdict = judge_link(link, self.spec.report_title)
                if verdict.action == "pass":
                    passed.setdefault(link.url, f"{verdict.why}: {link.text}")
                elif link.url not in found or found[link.url].action == "probe":
                    found[link.url] = verdict
            pager_links = extract_links(html, snap.final_url, self.spec.next_selector or "a[href]")
            next_urls = pagination_urls(html, pager_links, snap.final_url)
            if self.spec.next_selector:
                next_urls += [link.url for link in pager_links]
            for nxt in next_urls:
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        visited = seen - set(queue)  # listing pages read (or tried): followed, whatever their anchor said
        if queue:
            most = self.spec.max_pages
            self.result.caps.append(f"listing-page cap reached: {most} pages read, {len(queue)} more found, not read")
            passed |= {url: f"listing-page cap of {most} reached" for url in queue}
        self.result.passed_over += [(u, why) for u, why in passed.items() if u not in found and u not in visited]
        return list(found.values())

    def _note_failure(self, url: str, error: str) -> None:
        if error.startswith("not fetched"):
            self.result.skipped.append((url, error))
        else:
            self.result.errors.append((url, error))

    def crawl_report(self, verdict: Verdict) -> Report | None:
        """The report page and its attachments; None when a probed cut title turns out not to be a report."""
        link = verdict.link
        report = Report(url=link.url, title=link.text)
        page, error = self.snapshot(link.url, reuse=attachment_kind(link.url) is not None)
        if page is None:
            report.errors.append(f"{link.url}: {error}")
            return report
        report.files.append(page)
        if not page.is_html:
            return report  # the link served the report file itself
        html = self.read_html(page)
        if verdict.action == "probe":
            report.title = page_title(html)
            if not is_report_title(report.title, self.spec.report_title):
                why = f"title cut short ({link.text}); the linked page's title is not a report's: {report.title}"
                self.result.passed_over.append((link.url, why))
                return None
        for att in attachment_links(extract_links(html, page.final_url, self.spec.attachment_selector)):
            reason = self.client.refusal(att.url)
            if reason:
                self.result.skipped.append((att.url, reason))
                continue
            snap, error = self.snapshot(att.url, reuse=True)
            if snap is None:
                report.errors.append(f"{att.url}: {error}")
            else:
                report.files.append(snap)
        return report


def crawl_site(
    spec: SiteSpec, out_dir: Path, limiter: RateLimiter | None = None, progress: ProgressCallback = no_progress
) -> SiteCrawl:
    """`progress` hears of each report link of the source crawled (failed: an error on it)."""
    return SiteCrawler(spec, Archive(out_dir), limiter, progress).crawl()
