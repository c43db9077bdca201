"""Pure functions that read a fetched page: its text, its links, which links are reports,
attachments or further listing pages, and which URLs the crawl may visit.

Nothing here touches the network; the crawler hands in snapshot bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from govreports.extract.encoding import SUPERSETS, decode
from govreports.extract.html import TITLE_META

# A report title names the disclosure report (信息公开…年度报告 / 年报); notices *about*
# writing or filing the reports, and readings of them, are not reports.
REPORT_TITLE = re.compile(r"(政府|政务)?信息公开.{0,12}?(年度报告|年报|年度工作报告)")
NOT_REPORT = re.compile(r"通知|解读|要点|编制|报送|考核|评估|第三方|图解|政策问答")
# Reports name their year; a bare column name (政府信息公开年报) in the navigation does not.
TITLE_YEAR = re.compile(r"(19|20)\d{2}\s*年|[〇零一二三四五六七八九]{4}\s*年")
NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|next|›|>|»)\s*$", re.I)
# TRS WCM, the most common CMS on government portals, writes its pager in JavaScript:
# createPageHTML(pageCount, currentPage, "index", "html") → index.html, index_1.html, …
TRS_PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([\w\-]+)[\"']\s*,\s*[\"'](\w+)[\"']")
ATTACHMENT_KINDS = {s: s[1:] for s in (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx")}
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")
# Listings cut long titles to fit a column: "青禾县卫生健康委员会2023年政府信息…".
CUT_TITLE = re.compile(r"(…+|\.{3,}|。{3,}|．{3,})\s*$")
# A cut title worth following to read the whole one: its visible part could begin a report's title.
REPORT_PREFIX = re.compile(r"信息公开|政务公开|年度|年报|(19|20)\d{2}|[〇零一二三四五六七八九]{4}")


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def decode_page(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding). Valid UTF-8 is UTF-8 whatever the header says (GBK text is almost never valid
    UTF-8, while mislabelled headers are common); then the HTTP charset, then the page's own declaration
    and detection. GBK/GB2312 decode as their superset GB18030."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = HTTP_CHARSET.search(content_type or "")
    if declared:
        name = declared.group(1).lower()
        name = SUPERSETS.get(name, name)
        try:
            return raw.decode(name), name
        except (UnicodeDecodeError, LookupError):
            pass  # the header lies often enough: fall back to the page's own declaration and detection
    return decode(raw)


def normalize_url(href: str, base_url: str) -> str | None:
    """Absolute URL without fragment, or None for links that lead nowhere fetchable."""
    href = (href or "").strip()
    if not href or href.startswith("#") or href.lower().startswith(SKIP_SCHEMES):
        return None
    url = urldefrag(urljoin(base_url, href)).url
    return url if urlsplit(url).scheme in ("http", "https") else None


def extract_links(html: str, base_url: str, selector: str = "a[href]") -> list[Link]:
    """Anchors in document order. The title attribute is preferred when the visible text is truncated."""
    tree = LexborHTMLParser(html)
    base = tree.css_first("base[href]")
    if base is not None:
        base_url = urljoin(base_url, base.attributes.get("href") or "")
    links: list[Link] = []
    for a in tree.css(selector):
        url = normalize_url(a.attributes.get("href") or "", base_url)
        if url is None:
            continue
        text = " ".join(a.text(separator=" ").split())
        title = " ".join((a.attributes.get("title") or "").split())
        links.append(Link(url=url, text=title if len(title) > len(text) else text))
    return links


def is_report_title(text: str, pattern: re.Pattern[str] = REPORT_TITLE) -> bool:
    return bool(pattern.search(text) and TITLE_YEAR.search(text)) and not NOT_REPORT.search(text)


def why_not_report(text: str, pattern: re.Pattern[str] = REPORT_TITLE) -> str:
    """Why a link text is not a report title (for the list of links not followed)."""
    notice = NOT_REPORT.search(text)
    if notice:
        return f"about reports, not a report ({notice.group(0)})"
    if not pattern.search(text):
        return "not a report title"
    return "report title without a year"


def is_cut(text: str) -> bool:
    return bool(CUT_TITLE.search(text))


def target_title(url: str) -> str:
    """The link target's file name without its suffix: some portals name files by their title."""
    return PurePosixPath(last_segment(url)).stem


@dataclass(frozen=True)
class Verdict:
    """What to do with one listing link: 'report', 'probe' (title cut short: follow it and judge
    by the linked page's own title) or 'pass' (not followed, `why`)."""

    link: Link
    action: str
    why: str = ""


def judge_link(link: Link, pattern: re.Pattern[str] = REPORT_TITLE) -> Verdict:
    """A report by its text (or title attribute); a cut text by the link target's file name, else by
    following it when what is visible could begin a report title; anything else is passed over."""
    if is_report_title(link.text, pattern):
        return Verdict(link, "report")
    if not is_cut(link.text):
        return Verdict(link, "pass", why_not_report(link.text, pattern))
    by_target = target_title(link.url)
    if is_report_title(by_target, pattern):
        return Verdict(Link(link.url, by_target), "report")
    visible = CUT_TITLE.sub("", link.text)
    if NOT_REPORT.search(visible) or not REPORT_PREFIX.search(visible):
        return Verdict(link, "pass", f"title cut short; {why_not_report(visible, pattern)}")
    return Verdict(link, "probe", "title cut short: judged by the linked page's title")


def page_title(html: str) -> str:
    """A page's own title: the CMS's title meta (ArticleTitle, og:title), else <title>."""
    tree = LexborHTMLParser(html)
    for meta in tree.css("meta[content]"):
        name = (meta.attributes.get("name") or meta.attributes.get("property") or "").lower()
        if name in TITLE_META and (meta.attributes.get("content") or "").strip():
            return " ".join((meta.attributes.get("content") or "").split())
    title = tree.css_first("title")
    return " ".join(title.text().split()) if title is not None else ""


def attachment_kind(url: str) -> str | None:
    """'pdf', 'doc', 'docx', 'wps' when the URL path names such a file, else None."""
    return ATTACHMENT_KINDS.get(PurePosixPath(urlsplit(url).path).suffix.lower())


def report_links(links: list[Link], pattern: re.Pattern[str] = REPORT_TITLE) -> list[Link]:
    """Links whose text is a report title, first occurrence of each URL."""
    seen: set[str] = set()
    found = []
    for link in links:
        if link.url not in seen and is_report_title(link.text, pattern):
            seen.add(link.url)
            found.append(link)
    return found


def attachment_links(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    found = []
    for link in links:
        if link.url not in seen and attachment_kind(link.url):
            seen.add(link.url)
            found.append(link)
    return found


def pagination_urls(html: str, links: list[Link], page_url: str) -> list[str]:
    """Further listing pages: 下一页-style anchors and the TRS createPageHTML pager."""
    urls = [link.url for link in links if NEXT_TEXT.match(link.text)]
    pager = TRS_PAGER.search(html)
    if pager:
        count, _current, stem, ext = int(pager.group(1)), int(pager.group(2)), pager.group(3), pager.group(4)
        urls += [urljoin(page_url, f"{stem}_{i}.{ext}") for i in range(1, count)]
    return list(dict.fromkeys(urls))


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None for a URL that is not
    http(s) or does not parse (a port like '80a')."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in DEFAULT_PORTS or not host:
        return None
    return parts.scheme, host, port or DEFAULT_PORTS[parts.scheme]


def origin_text(url: str) -> str:
    o = origin(url)
    return f"{o[0]}://{o[1]}:{o[2]}" if o else url


def origin_allowed(url: str, allowed: list[str]) -> bool:
    """Whether the URL's origin (scheme, host and port) is one of `allowed`. An entry is an origin
    ('http://127.0.0.1:8080', 'https://a.gov.cn'), a bare host ('www.xx.gov.cn': http on 80 and https
    on 443, the pair portals move between) or '*.example.gov.cn' for a domain and its subdomains on
    those default ports. Another port on an allowed host is another origin, never implied."""
    o = origin(url)
    return o is not None and any(_entry_admits(entry.lower(), o) for entry in allowed)


def _entry_admits(entry: str, o: tuple[str, str, int]) -> bool:
    scheme, host, port = o
    if "://" in entry:
        return origin(entry) == o
    if port != DEFAULT_PORTS[scheme]:
        return False
    if entry.startswith("*."):
        return host == entry[2:] or host.endswith(entry[1:])
    return host == entry


def allowed_entry(url: str) -> str:
    """The allowed_hosts entry a start URL implies: its bare host on a default port, else its origin."""
    o = origin(url)
    if o is None:
        return urlsplit(url).hostname or ""
    return o[1] if o[2] == DEFAULT_PORTS[o[0]] else f"{o[0]}://{o[1]}:{o[2]}"


def last_segment(url: str) -> str:
    """The file name a URL serves: its last path segment, decoded ('' paths give 'index.html')."""
    path = urlsplit(url).path
    return "index.html" if path.endswith("/") or not path else unquote(PurePosixPath(path).name)
