"""Crawl throughput against a local mock portal (loopback only), crawl step only (no ingest).

Builds a TRS-style report column with P listing pages of R reports each (every
third report with a PDF attachment) and a simulated server latency, then crawls it
with the default politeness (1 request/s per host, 2 in flight), with relaxed
settings, and once more incrementally (conditional requests, archived attachments
reused). Then two hostile servers (issue 10 items 16, 17): a `Content-Encoding: gzip, gzip`
bomb (peak memory while it is refused at the body cap) and a server trickling one byte at
a time (time until the per-response deadline ends it). Run on demand:

    .venv/bin/python bench/bench_crawl.py [--pages 5] [--per-page 20] [--latency 0.05]
    .venv/bin/python bench/bench_crawl.py --hostile-only [--bomb-gb 6] [--deadline 2]
"""

from __future__ import annotations

import argparse
import gzip
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.pipelines.crawl.crawler import crawl_site  # noqa: E402
from govreports.pipelines.crawl.fetch import PoliteClient, Politeness  # noqa: E402
from govreports.pipelines.crawl.sites import SiteSpec, generic_spec  # noqa: E402
from tests.portal import (  # noqa: E402
    COLUMN,
    Portal,
    Resource,
    html,
    listing_page,
    report_page,
    report_pdf,
    zeros_gzip,
)


def build_portal(pages: int, per_page: int, latency: float) -> Portal:
    portal = Portal().start()
    r = portal.routes
    r["/robots.txt"] = Resource(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    n = 0
    for p in range(pages):
        items = []
        for _ in range(per_page):
            n += 1
            agency, year = f"青禾县第{n}局", 2015 + n % 10
            extra = f'<a href="./P{n}.pdf">附件：{agency}{year}年报告.pdf</a>' if n % 3 == 0 else ""
            r[f"{COLUMN}d/t{n}.html"] = html(report_page(agency, year, extra=extra))
            if extra:
                r[f"{COLUMN}d/P{n}.pdf"] = Resource(body=report_pdf(agency, year), content_type="application/pdf")
            items.append((f"./d/t{n}.html", f"{agency}{year}年政府信息公开工作年度报告"))
        name = "index.html" if p == 0 else f"index_{p}.html"
        r[COLUMN + name] = html(listing_page(items, f'<script>createPageHTML({pages}, {p}, "index", "html");</script>'))
    for res in r.values():
        res.delay = latency
    return portal


def run(label: str, spec: SiteSpec, out: Path, portal: Portal) -> None:
    portal.clear()
    start = time.perf_counter()
    crawl = crawl_site(spec, out)
    seconds = time.perf_counter() - start
    requests = len(portal.requests())
    print(
        f"{label:44s} {requests:5d} requests {seconds:7.2f} s {requests / seconds:7.1f} req/s "
        f"{len(crawl.reports):4d} reports {crawl.bytes_fetched / 1e6:6.2f} MB"
    )


def bench_bomb(gigabytes: float) -> None:
    """A `gzip, gzip` body that inflates to `gigabytes` GiB, fetched with the default 50 MB cap."""
    portal = Portal().start()
    try:
        body = gzip.compress(zeros_gzip(int(gigabytes * 1024)), 9)
        headers = {"Content-Encoding": "gzip, gzip"}
        portal.routes["/bomb.pdf"] = Resource(body=body, content_type="application/pdf", headers=headers)
        politeness = Politeness(min_interval=0.0, backoff=0.0)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with PoliteClient([portal.base], politeness) as client:
            tracemalloc.start()
            start = time.perf_counter()
            resp = client.get(portal.base + "/bomb.pdf")
            seconds = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"gzip,gzip bomb: {len(body) / 1024:.1f} KiB on the wire, {gigabytes:g} GiB inflated, cap "
            f"{politeness.max_bytes >> 20} MiB: {resp.error!r} in {seconds:.2f} s; peak traced "
            f"{peak / 2**20:.1f} MiB, max RSS grew {(rss_after - rss_before) / 1024:.1f} MiB"
        )
    finally:
        portal.stop()


def bench_trickle(deadline: float) -> None:
    """A body of 10,000 bytes sent one byte every 10 ms (100 s in all), read timeout 30 s."""
    portal = Portal().start()
    try:
        portal.routes["/trickle.pdf"] = Resource(body=b"0" * 10_000, content_type="application/pdf", trickle=0.01)
        politeness = Politeness(min_interval=0.0, backoff=0.0, deadline=deadline)
        with PoliteClient([portal.base], politeness) as client:
            start = time.perf_counter()
            resp = client.get(portal.base + "/trickle.pdf")
            seconds = time.perf_counter() - start
        print(
            f"trickling server (1 byte / 10 ms, 100 s body), deadline {deadline:g} s: {resp.error!r} after "
            f"{seconds:.2f} s, {resp.attempts} attempt(s), {portal.paths().count('/trickle.pdf')} request(s)"
        )
    finally:
        portal.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=5)
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="simulated server time per response (s)")
    parser.add_argument("--default-pages", type=int, default=1, help="listing pages for the (slow) default run")
    parser.add_argument("--hostile-only", action="store_true", help="only the gzip bomb and the trickling server")
    parser.add_argument("--bomb-gb", type=float, default=6.0, help="GiB the gzip,gzip bomb inflates to")
    parser.add_argument("--deadline", type=float, default=2.0, help="per-response deadline for the trickle (s)")
    args = parser.parse_args()

    bench_bomb(args.bomb_gb)
    bench_trickle(args.deadline)
    if args.hostile_only:
        return

    small = build_portal(args.default_pages, 10, args.latency)
    big = build_portal(args.pages, args.per_page, args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            spec = generic_spec(small.listing_url)
            run("default politeness (1.0 s, 2 per host)", spec, Path(tmp) / "a", small)
        for interval, per_host in ((0.1, 2), (0.0, 2), (0.0, 8)):
            with tempfile.TemporaryDirectory() as tmp:
                spec = generic_spec(big.listing_url)
                spec = replace(spec, max_pages=args.pages, politeness=replace(spec.politeness, min_interval=interval))
                spec = replace(spec, politeness=replace(spec.politeness, max_per_host=per_host))
                run(f"relaxed ({interval} s, {per_host} per host)", spec, Path(tmp) / "b", big)
                run(f"  second crawl, unchanged ({interval} s, {per_host})", spec, Path(tmp) / "b", big)
    finally:
        small.stop()
        big.stop()


if __name__ == "__main__":
    main()
