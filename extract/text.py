"""Plain-text captures → text, and tables from tab- or '|'-separated lines.

Captures whose table cells were flattened into running text (no separators) have
no tables here; transform/runtogether.py reads those rows from the text itself.
"""

from __future__ import annotations

import re

from govreports.extract.encoding import decode
from govreports.extract.html import clean
from govreports.extract.model import Extracted, RawTable

CRAWL_HEADER = re.compile(r"^(标题|发布时间|文号|发布机构|栏目|原文链接)\s*[:：]\s*(.*)$", re.M)
META_KEYS = {"标题": "title", "发布时间": "published", "发布机构": "publisher", "原文链接": "url"}


def split_cells(line: str) -> list[str] | None:
    """Cells of a tab- or pipe-separated line, or None for a line of prose."""
    if "\t" in line:
        return [clean(c) for c in line.rstrip("\n").split("\t")]
    if line.count("|") >= 2 or line.rstrip().endswith("|"):
        cells = [clean(c) for c in line.split("|")]
        if line.rstrip().endswith("|"):
            cells = cells[:-1]  # the closing pipe ends the row, it opens no cell
        return cells
    return None


MAX_CAPTION = 40  # a short line right above a table is its caption (第二十条第（一）项)


def is_caption(line: str) -> bool:
    text = line.strip()
    return 0 < len(text) <= MAX_CAPTION and "。" not in text


def tables_from_lines(lines: list[str]) -> list[RawTable]:
    """Consecutive separated lines form one table; blank lines do not break it.

    A short line right above a table (a block title printed outside the grid, as
    text captures do) is kept as the table's first, one-cell row.
    """
    tables: list[RawTable] = []
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    gap = 0
    previous = ""
    for number, line in enumerate(lines, start=1):
        cells = split_cells(line)
        if cells is not None and any(cells):
            if not rows and is_caption(previous):
                rows.append([clean(previous)])
                numbers.append(number - 1)
            rows.append(list(cells))
            numbers.append(number)
            gap = 0
            previous = line
            continue
        previous = line
        if not line.strip() and rows and gap == 0:
            gap += 1
            continue
        if rows:
            tables.append(RawTable(rows=rows, pages=[None] * len(rows), origin="tsv", line_numbers=numbers))
            rows, numbers, gap = [], [], 0
    if rows:
        tables.append(RawTable(rows=rows, pages=[None] * len(rows), origin="tsv", line_numbers=numbers))
    return tables


def crawl_header(text: str) -> dict[str, str]:
    """Metadata lines a crawler writes above the body (标题: …, 发布时间: …)."""
    meta: dict[str, str] = {}
    for label, value in CRAWL_HEADER.findall(text[:2000]):
        if value.strip() and META_KEYS.get(label):
            meta.setdefault(META_KEYS[label], value.strip())
    return meta


def extract_text(raw: bytes) -> Extracted:
    text, encoding = decode(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Extracted(
        format="text",
        text=text,
        tables=tables_from_lines(text.split("\n")),
        meta=crawl_header(text),
        encoding=encoding,
    )
