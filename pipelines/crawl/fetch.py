"""A polite HTTP client: robots.txt, per-host rate and concurrency limits, retries with
backoff on 5xx and timeouts (never on 4xx), redirects only within the allowed hosts,
timeouts, a total deadline per response and a size limit on every body, decoded layer by layer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from govreports.extract.limits import limit
from govreports.pipelines import __version__
from govreports.pipelines.crawl import deadline
from govreports.pipelines.crawl.content_coding import (
    ACCEPT_ENCODING,
    BadContentEncoding,
    BodyTooLarge,
    BoundedDecoder,
)
from govreports.pipelines.crawl.discover import origin_allowed, origin_text

USER_AGENT = f"govreports-crawler/{__version__} (+https://github.com/govreports/govreports; open-data research)"
ROBOTS_AGENT = "govreports-crawler"
REDIRECTS = {301, 302, 303, 307, 308}
Validators = Callable[[str], tuple[str | None, str | None]]
KEPT_HEADERS = ("content-type", "etag", "last-modified", "content-length", "location", "content-encoding")
MB = 1 << 20


def _max_body_bytes() -> int:
    return int(limit("crawl_max_body_mb") * MB)


def _response_deadline() -> float:
    return limit("crawl_response_deadline_s")


@dataclass(frozen=True)
class Politeness:
    """Defaults suit a small government server: one request per second, two at a time, per host."""

    min_interval: float = 1.0  # seconds between request starts to one host (robots Crawl-delay wins if longer)
    max_per_host: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = field(default_factory=_response_deadline)  # seconds for a whole response, body included
    max_bytes: int = field(default_factory=_max_body_bytes)  # after every Content-Encoding layer is undone
    retries: int = 3
    backoff: float = 2.0  # first retry waits this long, then doubles
    max_redirects: int = 5
    max_crawl_delay: float = 30.0
    user_agent: str = USER_AGENT
    obey_robots: bool = True


@dataclass
class Response:
    """What one GET came to. `content` is None when nothing usable arrived (see `error`)."""

    url: str
    final_url: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    error: str | None = None
    fetched_at: str = ""
    attempts: int = 0
    retryable: bool = False  # a 5xx, a read timeout or a broken connection: worth asking again

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.content is not None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class RateLimiter:
    """Spaces request starts to one host by at least `interval` seconds (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.clock, self.sleep = clock, sleep
        self._last: dict[str, float] = {}  # start of the latest request per host
        self._lock = threading.Lock()

    def wait(self, host: str, interval: float) -> float:
        """Block until `host` may be asked again (`interval` after the previous start); return the time waited."""
        with self._lock:
            now = self.clock()
            start = max(now, self._last.get(host, now - interval) + interval)
            self._last[host] = start
        delay = start - now
        if delay > 0:
            self.sleep(delay)
        return delay


def backoff_delays(politeness: Politeness) -> list[float]:
    """Waits before each retry: backoff, 2·backoff, 4·backoff, …"""
    return [politeness.backoff * 2**i for i in range(politeness.retries)]


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def host_key(url: str) -> str:
    return urlsplit(url).netloc.lower()


class PoliteClient:
    """One client for a crawl. `allowed_hosts` bounds every request and redirect."""

    def __init__(
        self,
        allowed_hosts: list[str],
        politeness: Politeness | None = None,
        on_robots: Callable[[Response], None] | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.allowed_hosts = allowed_hosts
        self.p = politeness or Politeness()
        self.on_robots = on_robots
        self.limiter = limiter or RateLimiter()
        self.sleep = sleep
        self._robots: dict[str, Protego | None] = {}
        self._robots_errors: dict[str, str] = {}
        self._robots_lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self._delay: dict[str, float] = {}
        self.requests = 0
        self.http = deadline.install_deadline(
            httpx.Client(
                headers={"User-Agent": self.p.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                timeout=httpx.Timeout(self.p.read_timeout, connect=self.p.connect_timeout),
                follow_redirects=False,
            )
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public ---------------------------------------------------------------------------------------------

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be fetched (malformed, another origin, robots.txt), or None."""
        malformed = url_problem(url)
        if malformed:
            return f"not fetched: malformed URL ({malformed})"
        if not origin_allowed(url, self.allowed_hosts):
            return f"not fetched: origin {origin_text(url)} is not allowed"
        if self.p.obey_robots and not self.robots_allow(url):
            if self._robots.get(origin_text(url)) is None:
                why = self._robots_errors.get(origin_text(url))
                return f"not fetched: robots.txt could not be read ({why}); treated as disallow-all"
            return "not fetched: disallowed by robots.txt"
        return None

    def get(self, url: str, validators: Validators | None = None) -> Response:
        """GET, following redirects hop by hop (each hop checked). `validators(url)` gives the
        (ETag, Last-Modified) of an archived copy, sent as a conditional request for that hop."""
        reason = self.refusal(url)
        if reason:
            return Response(url=url, final_url=url, status=None, error=reason, fetched_at=now_utc())
        current = url
        for _hop in range(self.p.max_redirects + 1):
            resp = self._request(current, conditional_headers(*(validators(current) if validators else (None, None))))
            resp.url = url
            location = resp.headers.get("location")
            if resp.status not in REDIRECTS or not location:
                return resp
            target = urljoin(current, location)
            reason = self.refusal(target)
            if reason:
                resp.error = f"redirect to {target} {reason.removeprefix('not fetched: ')}; not followed"
                return resp
            current = target
        resp.error = f"more than {self.p.max_redirects} redirects"
        return resp

    def robots_allow(self, url: str) -> bool:
        parser = self._robots_for(url)
        return parser is not None and parser.can_fetch(url, ROBOTS_AGENT)

    # --- internals ------------------------------------------------------------------------------------------

    def _robots_for(self, url: str) -> Protego | None:
        """Parsed robots.txt of the URL's origin (RFC 9309 scopes it so); None means 'fetch nothing'
        (robots unreachable, 401/403). Crawl-delay applies to the host, whose rate is limited as one."""
        key = origin_text(url)
        with self._robots_lock:
            if key in self._robots:
                return self._robots[key]
            parts = urlsplit(url)
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            resp = self._request(robots_url, {})
            if self.on_robots:
                self.on_robots(resp)
            parser = robots_parser(resp)
            self._robots[key] = parser
            if parser is None:
                self._robots_errors[key] = resp.error or f"HTTP {resp.status}"
            if parser is not None:
                delay = parser.crawl_delay(ROBOTS_AGENT)
                if delay:
                    self._delay[host_key(url)] = min(float(delay), self.p.max_crawl_delay)
            return parser

    def _interval(self, key: str) -> float:
        return max(self.p.min_interval, self._delay.get(key, 0.0))

    def _slot(self, key: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            return self._slots.setdefault(key, threading.BoundedSemaphore(self.p.max_per_host))

    def _request(self, url: str, headers: dict[str, str]) -> Response:
        """One URL, no redirects followed; retried on 5xx, timeouts and broken connections."""
        key = host_key(url)
        delays = backoff_delays(self.p)
        attempt = 0
        while True:
            attempt += 1
            with self._slot(key):
                self.limiter.wait(key, self._interval(key))
                resp = self._once(url, headers)
            resp.attempts = attempt
            if not resp.retryable or attempt > len(delays):
                return resp
            self.sleep(delays[attempt - 1])

    def _once(self, url: str, headers: dict[str, str]) -> Response:
        self.requests += 1
        with deadline.within(self.p.deadline):
            return self._attempt(url, headers)

    def _attempt(self, url: str, headers: dict[str, str]) -> Response:
        fetched_at = now_utc()
        try:
            with self.http.stream("GET", url, headers=headers) as r:
                kept = {k: r.headers[k] for k in KEPT_HEADERS if k in r.headers}
                resp = Response(url=url, final_url=url, status=r.status_code, headers=kept, fetched_at=fetched_at)
                resp.retryable = r.status_code >= 500
                declared = int(r.headers.get("content-length") or 0)
                if declared > self.p.max_bytes:
                    resp.error = f"too large: {declared} bytes declared (limit {self.p.max_bytes})"
                    resp.retryable = False
                    return resp
                return self._read_body(r, resp)
        except httpx.TimeoutException as exc:
            if deadline.expired():  # the server is too slow as a whole: a failure of this URL, not a hiccup
                why = f"timeout: no complete response within the {self.p.deadline:g} s deadline"
                return Response(url, url, None, error=why, fetched_at=fetched_at)
            return Response(
                url, url, None, error=f"timeout: {type(exc).__name__}", fetched_at=fetched_at, retryable=True
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
            return Response(url, url, None, error=error, fetched_at=fetched_at, retryable=True)

    def _read_body(self, r: httpx.Response, resp: Response) -> Response:
        """The body with every Content-Encoding layer undone, refused as soon as any layer (or the raw
        bytes) passes max_bytes: a small gzip bomb never inflates in memory."""
        encoding = r.headers.get("content-encoding")
        try:
            decoder = BoundedDecoder(encoding, self.p.max_bytes)
            body = bytearray()
            received = 0
            for raw in r.iter_raw():
                received += len(raw)
                if received > self.p.max_bytes:
                    raise BodyTooLarge("raw")
                for piece in decoder.decode(raw):
                    body += piece
            for piece in decoder.finish():
                body += piece
        except BodyTooLarge:
            after = f" after decoding {', '.join(decoder.names)}" if decoder.names else ""
            resp.error, resp.retryable = f"too large: more than {self.p.max_bytes} bytes{after}", False
            return resp
        except BadContentEncoding as exc:
            resp.error, resp.retryable = str(exc), False
            return resp
        resp.content = bytes(body)
        if r.status_code >= 400:
            resp.error = f"HTTP {r.status_code}"
        return resp


def url_problem(url: str) -> str | None:
    """Why httpx would refuse the URL (a port like '80a', a bad host), or None: checked before any request,
    so one bad link on a page is skipped instead of failing the portal."""
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        return str(exc)
    try:
        _ = urlsplit(url).port  # the standard library's own check (used for the origin)
    except ValueError as exc:
        return str(exc)
    return None


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def robots_parser(resp: Response) -> Protego | None:
    """RFC 9309 rules (wildcards, `$`, the longest match wins), by protego: a 4xx means no rules (except
    401/403: everything disallowed); unreachable means disallow all."""
    if resp.status == 200 and resp.content is not None:
        return Protego.parse(resp.content.decode("utf-8", errors="replace"))
    if resp.status in (401, 403):
        return None
    if resp.status is not None and 400 <= resp.status < 500:
        return Protego.parse("")
    return None
