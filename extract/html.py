"""HTML pages → visible text, tables (rowspan/colspan expanded) and page metadata."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from govreports.extract.encoding import decode_counted
from govreports.extract.limits import check_table_rows
from govreports.extract.model import Extracted, RawTable, RejectedInput

BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "title"}
CELL_TAGS = {"td", "th"}
DROP_TAGS = ("script", "style", "noscript", "template")
# <meta name=...> holding the publication date or title on common CMS templates (TRS, Hanweb, …)
DATE_META = ("pubdate", "publishdate", "firstpublishedtime", "published_time", "article:published_time", "pubtime")
TITLE_META = ("articletitle", "title", "og:title")
SPACES = re.compile(r"[\s\u00a0\u3000\u2002\u2003\u200b]+")


def clean(text: str) -> str:
    return SPACES.sub(" ", text).strip()


def expand_table(table: etree._Element) -> list[list[str | None]]:
    """Rows of cell texts on a full grid; see the comment on spans below."""
    grid: list[list[str | None]] = []
    pending: dict[tuple[int, int], str | None] = {}  # (row, col) -> text carried down by rowspan
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    check_table_rows(len(rows))
    for r, tr in enumerate(rows):
        row: list[str | None] = []
        col = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in CELL_TAGS:
                continue
            col = _fill_pending(row, pending, r, col)
            text = clean(cell.text_content())
            colspan = _span(cell.get("colspan"))
            rowspan = _span(cell.get("rowspan"))
            # Colspan copies are None (covered, not printed blank); rowspan copies keep
            # the text, so a group label stays visible on every row it spans.
            for c in range(col, col + colspan):
                row.append(text if c == col else None)
                for extra in range(1, rowspan):
                    pending[(r + extra, c)] = text if c == col else None
            col += colspan
        _fill_pending(row, pending, r, col)
        grid.append(row)
    width = max((len(r) for r in grid), default=0)
    return [row + [None] * (width - len(row)) for row in grid]


def _fill_pending(row: list[str | None], pending: dict, r: int, col: int) -> int:
    """Append the slots that rowspans from above cover at (r, col…); return the next free column."""
    while (r, col) in pending:
        row.append(pending.pop((r, col)))
        col += 1
    return col


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(str(value).strip()), 100))
    except (TypeError, ValueError):
        return 1


def visible_text(root: etree._Element) -> str:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in CELL_TAGS:
            el.tail = "\t" + (el.tail or "")
        elif tag in BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
    text = root.text_content()
    lines = (SPACES.sub(" ", line.replace("\t", " \t ")).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def page_meta(root: etree._Element) -> dict[str, str]:
    meta: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or m.get("property") or "").lower()
        content = clean(m.get("content") or "")
        if not content:
            continue
        if name in DATE_META and "published" not in meta:
            meta["published"] = content
        elif name in TITLE_META and "title" not in meta:
            meta["title"] = content
        elif name == "contentsource":
            meta["publisher"] = content
        elif name == "url":
            meta["url"] = content
    # Some CMSs print the date in a custom tag: <publishtime>2024-01-17</publishtime>
    for el in root.iter("publishtime"):
        if el.text and "published" not in meta:
            meta["published"] = clean(el.text)
    if "title" not in meta:
        title = root.find(".//title")
        if title is not None and title.text:
            meta["title"] = clean(title.text)
    return meta


# libxml2 drops whatever lies deeper than 256 levels, or 2048 with huge_tree (HTML_PARSE_HUGE):
# CMS pages pile up unclosed <font> and <span> tags far past that.
MAX_DEPTH = 2048
INLINE_TAGS = re.compile(r"</?(?:font|span|b|i|u|em|strong|small|big|o:p)(?:\s[^>]*)?/?>", re.I)


def parse_deep(text: str) -> tuple[etree._Element, str | None]:
    """Parse with no 256-level limit. A page that still reaches libxml2's hard depth is parsed
    again without its inline formatting tags (which carry no content), and that is noted; one
    nested too deep even then is refused, never silently cut."""
    parser = lxml.html.HTMLParser(huge_tree=True)
    root = lxml.html.document_fromstring(text, parser=parser)
    if _depth(root) < MAX_DEPTH - 1:
        return root, None
    root = lxml.html.document_fromstring(INLINE_TAGS.sub("", text), parser=parser)
    if _depth(root) < MAX_DEPTH - 1:
        return root, f"HTML nested {MAX_DEPTH}+ levels deep: inline formatting tags removed to read it whole"
    raise RejectedInput(f"HTML nested {MAX_DEPTH}+ levels deep: the parser would cut the content")


def _depth(root: etree._Element) -> int:
    """Depth of the deepest element, walked iteratively."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest


def extract_html(raw: bytes) -> Extracted:
    text, encoding, replaced = decode_counted(raw)
    # lxml refuses str input that still carries an XML encoding declaration
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root, warning = parse_deep(text or "<html></html>")
    for bad in root.xpath("|".join(f"//{t}" for t in DROP_TAGS)):
        bad.drop_tree()
    tables = [RawTable(rows=expand_table(t), origin="html") for t in root.iter("table")]
    meta = page_meta(root)
    return Extracted(
        format="html",
        text=visible_text(root),
        tables=[t for t in tables if t.rows],
        meta=meta,
        encoding=encoding,
        replaced_bytes=replaced,
        warnings=[warning] if warning else [],
    )
