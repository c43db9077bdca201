"""The polite client against the mock portal: robots.txt, retries, redirects, limits."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest

from govreports.pipelines.crawl.content_coding import PIECE, BadContentEncoding, BodyTooLarge, BoundedDecoder
from govreports.pipelines.crawl.deadline import DeadlineBackend
from govreports.pipelines.crawl.fetch import (
    USER_AGENT,
    PoliteClient,
    Politeness,
    RateLimiter,
    Response,
    backoff_delays,
    robots_parser,
)
from tests.portal import COLUMN, Portal, Resource, county_portal, zeros_gzip

FAST = Politeness(min_interval=0.0, backoff=0.0)


@pytest.fixture
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


def client_for(portal: Portal, politeness: Politeness = FAST) -> PoliteClient:
    return PoliteClient([portal.base], politeness)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_requests_per_host() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    waits = [limiter.wait("a", 1.0), limiter.wait("a", 1.0), limiter.wait("b", 1.0), limiter.wait("a", 1.0)]
    assert waits == [0.0, 1.0, 0.0, 1.0]
    clock.now += 5.0  # an idle host may be asked at once
    assert limiter.wait("a", 1.0) == 0.0


def test_backoff_doubles() -> None:
    assert backoff_delays(Politeness(retries=3, backoff=2.0)) == [2.0, 4.0, 8.0]


def test_robots_rules_per_rfc_9309() -> None:
    agent = "govreports-crawler"
    ok = robots_parser(Response("u", "u", 200, content=b"User-agent: *\nDisallow: /private/\n"))
    assert ok is not None and not ok.can_fetch("http://h/private/a.html", agent)
    assert ok.can_fetch("http://h/xxgk/a.html", agent)
    missing = robots_parser(Response("u", "u", 404, content=b""))
    assert missing is not None and missing.can_fetch("http://h/private/a.html", agent)
    assert robots_parser(Response("u", "u", 403, content=b"")) is None
    assert robots_parser(Response("u", "u", None, error="timeout")) is None


def test_robots_wildcards_and_longest_match() -> None:
    rules = b"User-agent: *\nDisallow: /*.pdf$\nDisallow: /xxgk/\nAllow: /xxgk/zfxxgknb/\n"
    robots = robots_parser(Response("u", "u", 200, content=rules))
    assert robots is not None
    verdicts = {
        url: robots.can_fetch(url, "govreports-crawler")
        for url in ("http://h/a/b.pdf", "http://h/a/b.pdf?v=1", "http://h/a/b.pdfx", "http://h/xxgk/a.html")
        + ("http://h/xxgk/zfxxgknb/index.html", "http://h/xxgk/zfxxgknb/P1.pdf")
    }
    assert verdicts == {
        "http://h/a/b.pdf": False,
        "http://h/a/b.pdf?v=1": True,  # `$` anchors the end of path and query
        "http://h/a/b.pdfx": True,
        "http://h/xxgk/a.html": False,
        "http://h/xxgk/zfxxgknb/index.html": True,  # the longer Allow wins, wherever it is written
        "http://h/xxgk/zfxxgknb/P1.pdf": True,  # that Allow is longer than /*.pdf$ too
    }


def test_identifying_user_agent_is_sent(portal: Portal) -> None:
    seen: list[str] = []
    portal.routes["/ua"] = Resource(body=b"ok")
    with client_for(portal) as client:
        client.http.event_hooks["request"] = [lambda request: seen.append(request.headers["user-agent"])]
        assert client.get(portal.base + "/ua").ok
    assert seen == [USER_AGENT, USER_AGENT]  # robots.txt, then the page
    assert "govreports-crawler/" in USER_AGENT


def test_robots_disallowed_path_is_never_requested(portal: Portal) -> None:
    with client_for(portal) as client:
        resp = client.get(portal.base + "/private/wjw2023.html")
    assert resp.status is None and resp.error == "not fetched: disallowed by robots.txt"
    assert portal.paths() == ["/robots.txt"]


def test_unreadable_robots_means_fetch_nothing(portal: Portal) -> None:
    portal.routes["/robots.txt"] = Resource(body=b"", status=503)
    with client_for(portal, Politeness(min_interval=0.0, backoff=0.0, retries=1)) as client:
        resp = client.get(portal.base + COLUMN + "index.html")
    assert resp.error == "not fetched: robots.txt could not be read (HTTP 503); treated as disallow-all"
    assert portal.paths() == ["/robots.txt", "/robots.txt"]


def test_500_is_retried_until_it_recovers(portal: Portal) -> None:
    url = portal.base + COLUMN + "202201/t20220120_50001.html"
    with client_for(portal) as client:
        resp = client.get(url)
    assert resp.ok and resp.attempts == 2
    assert [s.status for s in portal.requests()] == [200, 500, 200]


def test_persistent_500_gives_up_after_the_retries(portal: Portal) -> None:
    portal.routes["/down"] = Resource(body=b"x", fail_first=99)
    with client_for(portal, Politeness(min_interval=0.0, backoff=0.0, retries=2)) as client:
        resp = client.get(portal.base + "/down")
    assert resp.status == 500 and resp.attempts == 3 and resp.error == "HTTP 500"
    assert portal.paths().count("/down") == 3


def test_404_is_not_retried(portal: Portal) -> None:
    with client_for(portal) as client:
        resp = client.get(portal.base + COLUMN + "202101/t20210115_40001.html")
    assert resp.status == 404 and resp.attempts == 1 and resp.error == "HTTP 404"
    assert portal.paths().count(COLUMN + "202101/t20210115_40001.html") == 1


def test_redirect_within_the_site_is_followed(portal: Portal) -> None:
    with client_for(portal) as client:
        resp = client.get(portal.base + "/old/nb2019.html")
    assert resp.ok
    assert resp.url == portal.base + "/old/nb2019.html"
    assert resp.final_url == portal.base + COLUMN + "202001/t20200117_30001.html"


def test_redirect_to_another_host_is_not_followed(portal: Portal) -> None:
    with client_for(portal) as client:
        resp = client.get(portal.base + "/go/jyj2023")
    assert resp.status == 302 and resp.content is not None and not resp.ok
    assert (
        resp.error
        == f"redirect to {portal.other_base}/jyj/2023.html origin {portal.other_base} is not allowed; not followed"
    )
    assert portal.paths("other") == []


def test_other_host_is_refused_without_a_request(portal: Portal) -> None:
    with client_for(portal) as client:
        resp = client.get(portal.other_base + "/xxgk/t20240101_1.html")
    assert resp.error == f"not fetched: origin {portal.other_base} is not allowed"
    assert portal.requests() == []


def test_redirect_loop_stops(portal: Portal) -> None:
    portal.routes["/loop"] = Resource(status=302, location="/loop")
    with client_for(portal, Politeness(min_interval=0.0, backoff=0.0, max_redirects=3)) as client:
        resp = client.get(portal.base + "/loop")
    assert resp.error == "more than 3 redirects"
    assert portal.paths().count("/loop") == 4


def test_body_over_the_size_limit_is_refused(portal: Portal) -> None:
    portal.routes["/big.pdf"] = Resource(body=b"%PDF" + b"0" * 5000, content_type="application/pdf")
    with client_for(portal, Politeness(min_interval=0.0, backoff=0.0, max_bytes=1000)) as client:
        resp = client.get(portal.base + "/big.pdf")
    assert resp.content is None and resp.error == "too large: 5004 bytes declared (limit 1000)"
    assert portal.paths().count("/big.pdf") == 1  # not retried


def test_timeout_is_retried_then_reported(portal: Portal) -> None:
    portal.routes["/slow"] = Resource(body=b"late", delay=0.5)
    politeness = Politeness(min_interval=0.0, backoff=0.0, retries=1, read_timeout=0.1)
    with client_for(portal, politeness) as client:
        resp = client.get(portal.base + "/slow")
    assert resp.status is None and resp.error == "timeout: ReadTimeout" and resp.attempts == 2


def test_conditional_request_gets_304(portal: Portal) -> None:
    url = portal.base + COLUMN + "index.html"
    etag = portal.routes[COLUMN + "index.html"].etag
    with client_for(portal) as client:
        resp = client.get(url, lambda u: (etag, None) if u == url else (None, None))
    assert resp.status == 304 and resp.not_modified
    assert portal.requests()[-1].if_none_match == etag


def test_robots_crawl_delay_raises_the_interval(portal: Portal) -> None:
    portal.routes["/robots.txt"] = Resource(body=b"User-agent: *\nCrawl-delay: 7\n", content_type="text/plain")
    clock = FakeClock()
    client = PoliteClient([portal.base], FAST, limiter=RateLimiter(clock=clock, sleep=clock.sleep))
    with client:
        client.get(portal.base + COLUMN + "index.html")
        client.get(portal.base + COLUMN + "index_1.html")
    assert clock.slept == [7.0, 7.0]  # after robots.txt, then between the two pages


# --- hostile servers (issue 10 items 16, 17) ---------------------------------------------------------------------


def test_gzip_gzip_bomb_is_refused_while_decoding(portal: Portal) -> None:
    # 270 bytes on the wire, 256 MiB after two gzip layers: the cap must stop it before it is in memory.
    body = gzip.compress(zeros_gzip(256))
    assert len(body) < 1000
    portal.routes["/bomb.pdf"] = Resource(
        body=body, content_type="application/pdf", headers={"Content-Encoding": "gzip, gzip"}
    )
    with client_for(portal, Politeness(min_interval=0.0, backoff=0.0, max_bytes=1 << 20)) as client:
        tracemalloc.start()
        try:
            resp = client.get(portal.base + "/bomb.pdf")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert resp.content is None and resp.error == "too large: more than 1048576 bytes after decoding gzip, gzip"
    assert resp.attempts == 1 and portal.paths().count("/bomb.pdf") == 1
    assert peak < 8 << 20  # the 1 MiB body and a few pieces, not 256 MiB


def test_layered_and_deflate_bodies_are_decoded(portal: Portal) -> None:
    text = "青禾县2023年政府信息公开工作年度报告".encode() * 2000
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    portal.routes["/gg"] = Resource(body=gzip.compress(gzip.compress(text)), headers={"Content-Encoding": "gzip, gzip"})
    portal.routes["/zlib"] = Resource(body=zlib.compress(text), headers={"Content-Encoding": "deflate"})
    portal.routes["/raw"] = Resource(
        body=raw_deflate.compress(text) + raw_deflate.flush(), headers={"Content-Encoding": "deflate"}
    )
    portal.routes["/members"] = Resource(
        body=gzip.compress(text) + gzip.compress(text), headers={"Content-Encoding": "gzip"}
    )
    portal.routes["/br"] = Resource(body=b"x", headers={"Content-Encoding": "br"})
    with client_for(portal) as client:
        bodies = [client.get(portal.base + p).content for p in ("/gg", "/zlib", "/raw", "/members")]
        br = client.get(portal.base + "/br")
    assert bodies == [text, text, text, text + text]
    assert br.content is None and br.error == "unsupported Content-Encoding: br" and br.attempts == 1


def test_bounded_decoder_never_inflates_more_than_a_piece_at_once() -> None:
    decoder = BoundedDecoder("gzip, gzip", cap=64 << 20)
    sizes = []
    with pytest.raises(BodyTooLarge):
        for piece in decoder.decode(gzip.compress(zeros_gzip(128))):
            sizes.append(len(piece))
    assert max(sizes) == PIECE and (64 << 20) - PIECE < sum(sizes) <= 64 << 20
    with pytest.raises(BadContentEncoding, match="body is not valid gzip"):
        list(BoundedDecoder("gzip", cap=1 << 20).decode(b"not gzip at all"))


def test_trickling_body_fails_at_the_deadline_without_retries(portal: Portal) -> None:
    portal.routes["/trickle.pdf"] = Resource(body=b"%PDF" + b"0" * 400, content_type="application/pdf", trickle=0.05)
    politeness = Politeness(min_interval=0.0, backoff=0.0, retries=3, read_timeout=30.0, deadline=0.5)
    with client_for(portal, politeness) as client:
        resp = client.get(portal.base + "/trickle.pdf")
    assert resp.status is None and resp.content is None and resp.attempts == 1
    assert resp.error == "timeout: no complete response within the 0.5 s deadline"
    assert portal.paths().count("/trickle.pdf") == 1


def test_slow_headers_fail_at_the_deadline(portal: Portal) -> None:
    portal.routes["/late"] = Resource(body=b"late", delay=1.0)
    politeness = Politeness(min_interval=0.0, backoff=0.0, read_timeout=30.0, deadline=0.3)
    with client_for(portal, politeness) as client:
        resp = client.get(portal.base + "/late")
        robots = client.get(portal.base + COLUMN + "index.html")  # the deadline is per response
    assert resp.error == "timeout: no complete response within the 0.3 s deadline" and resp.attempts == 1
    assert robots.ok


def test_deadline_covers_proxy_transports_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with PoliteClient(["a.gov.cn"], FAST) as client:
        transports = [client.http._transport, *(t for t in client.http._mounts.values() if t is not None)]
        assert len(transports) == 2  # the environment's proxy is still used
        assert all(isinstance(t._pool._network_backend, DeadlineBackend) for t in transports)
