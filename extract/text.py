"""Plain-text captures → text, and tables from tab-, '|'- or space-aligned lines.

Text copied from a PDF (`pdftotext -layout`, a PDF viewer) aligns the cells of a row
with runs of spaces: such a capture becomes one table of its short and aligned lines
(`layout` origin), cells cut at runs of two or more spaces, a cell of numbers split
at single spaces too. Captures whose table cells were flattened into running text
(no separators) have no tables here; transform/runtogether.py reads those rows (and
the unseparated parts of aligned rows) from the text itself.
"""

from __future__ import annotations

import re

from govreports.extract.encoding import decode_counted
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


LAYOUT_GAP = re.compile(r"[ \u3000]{2,}")
ALIGNED_VALUE = re.compile(r"\S[ \u3000]{2,}[-+]?\d")  # a cell, a run of spaces, a number
NUMBERS_ONLY = re.compile(r"^[-+]?\d[\d,]*(?:\.\d+)?(?: [-+]?\d[\d,]*(?:\.\d+)?)+$")
MIN_ALIGNED_LINES = 3  # fewer aligned lines than this: prose with the odd double space


VALUE_CELL = re.compile(r"^(?:[-+]?\d[\d,]*(?:\.\d+)?(?:万?元|万)?|[—－–─/-]+|[条件次篇个人项]|人次|万元|元)$")
Span = tuple[int, int]  # [start, end) character columns of a cell in its line


def layout_cells(line: str) -> list[tuple[str, Span]]:
    """Cells of a space-aligned line with their columns: cut at runs of spaces; '19 6 0' at each space."""
    cells: list[tuple[str, Span]] = []
    body = line.rstrip()
    for m in re.finditer(r"\S+(?: \S+)*", body):
        text, start = m.group(), m.start()
        if NUMBERS_ONLY.match(text):
            cells += [(n.group(), (start + n.start(), start + n.end())) for n in re.finditer(r"\S+", text)]
        else:
            cells.append((clean(text), (start, m.end())))
    return cells


def is_layout(lines: list[str]) -> bool:
    """A space-aligned capture: several lines with a number set off by a run of spaces, no tabs or pipes."""
    if any(split_cells(line) is not None for line in lines):
        return False
    return sum(1 for line in lines if ALIGNED_VALUE.search(line.strip())) >= MIN_ALIGNED_LINES


def has_label(cells: list[tuple[str, Span]]) -> bool:
    return any(not VALUE_CELL.match(text) for text, _ in cells)


WRAP_INDENT = 4  # a line starting this far right has no label: it continues a cell


def is_wrapped_value_head(cells: list[tuple[str, Span]]) -> bool:
    """'88（其中废止后重新': one cell, off the label margin, a number followed by words."""
    text, span = cells[0]
    return len(cells) == 1 and span[0] >= WRAP_INDENT and text[0].isdigit() and has_label(cells)


def layout_table(lines: list[str]) -> list[RawTable]:
    """The aligned and the short lines of a layout capture, as one stream of rows (prose left out).

    A row whose label wrapped puts its numbers on a line of their own: the label-only
    line right above joins it (the label's tail on the next line stays a label-only row).
    A value cell that wrapped ('88（其中废止后重新' over '发布 80 件）') starts on the line
    above its row, away from the label margin: that head joins the row below at its column.
    Form feeds start a new page: column positions are compared within a page only.
    """
    rows: list[list[str | None]] = []
    spans: list[list[Span]] = []
    pages: list[int | None] = []
    numbers: list[int] = []
    page, label_only = 1, False
    head: list[tuple[str, Span]] = []  # a wrapped value cell's first line, waiting for its row
    for number, line in enumerate(join_wrapped_numbers(lines), start=1):
        page += line.count("\f")
        text = line.replace("\f", "")
        stripped = text.strip()
        if not stripped or (not LAYOUT_GAP.search(stripped) and not is_caption(stripped)):
            label_only = False if stripped else label_only
            head = []
            continue
        cells = layout_cells(text)
        if is_wrapped_value_head(cells):
            head = cells
            continue
        if head and cells[0][1][0] < WRAP_INDENT:
            cells, head = sorted(cells + head, key=lambda c: c[1][0]), []
        if label_only and not has_label(cells) and pages[-1] == page:
            rows[-1] += [c for c, _ in cells]
            spans[-1] += [sp for _, sp in cells]
            label_only = False
            continue
        rows.append([c for c, _ in cells])
        spans.append([sp for _, sp in cells])
        pages.append(page)
        numbers.append(number)
        label_only = has_label(cells) and all(not VALUE_CELL.match(c) or not c[0].isdigit() for c, _ in cells)
    if not rows:
        return []
    return [RawTable(rows=rows, pages=pages, origin="layout", line_numbers=numbers, spans=spans)]


def overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def numbers_only(cells: list[tuple[str, Span]]) -> bool:
    return bool(cells) and all(NUMBERS_ONLY.match(f"{c} 0") for c, _ in cells)


def wrapped_numbers(above: str, line: str, below: str) -> list[tuple[str, int]] | None:
    """A number too wide for its cell wraps: '103' on the line above its row, '1' on the line below, in
    the same column, where the row itself prints nothing. Returns each joined number with its column."""
    up, row, down = layout_cells(above), layout_cells(line), layout_cells(below)
    if not (numbers_only(up) and numbers_only(down) and len(up) == len(down) and has_label(row)):
        return None
    pairs = list(zip(up, down, strict=True))
    if not all(overlaps(a, b) for (_, a), (_, b) in pairs):
        return None
    if any(overlaps(sp, r) for (_, a), (_, b) in pairs for sp in (a, b) for _, r in row):
        return None
    return [(f"{ta}{tb}", min(a[0], b[0])) for (ta, a), (tb, b) in pairs]


def join_wrapped_numbers(lines: list[str]) -> list[str]:
    """Write wrapped numbers back into their row's line ('103' / row / '1' → 1031 in the row), so they are
    read at their column like any other cell; the two half lines become empty."""
    out = list(lines)
    i = 1
    while i + 1 < len(out):
        if "\f" in out[i] + out[i + 1]:  # never across a page break
            i += 1
            continue
        joined = wrapped_numbers(out[i - 1], out[i], out[i + 1])
        line = out[i]
        fits = joined is not None and all(
            line[max(0, col - 1) : col + len(text) + 1].strip() == "" for text, col in joined
        )
        if joined is None or not fits:
            i += 1
            continue
        for text, col in joined:
            line = line.ljust(col + len(text) + 1)
            line = line[:col] + text + line[col + len(text) :]
        out[i - 1], out[i], out[i + 1] = "", line.rstrip(), ""
        i += 2
    return out


def crawl_header(text: str) -> dict[str, str]:
    """Metadata lines a crawler writes above the body (标题: …, 发布时间: …)."""
    meta: dict[str, str] = {}
    for label, value in CRAWL_HEADER.findall(text[:2000]):
        if value.strip() and META_KEYS.get(label):
            meta.setdefault(META_KEYS[label], value.strip())
    return meta


def extract_text(raw: bytes) -> Extracted:
    text, encoding, replaced = decode_counted(raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return Extracted(
        format="text",
        text=text.replace("\f", "\n"),
        tables=layout_table(lines) if is_layout(lines) else tables_from_lines(lines),
        meta=crawl_header(text),
        encoding=encoding,
        replaced_bytes=replaced,
    )
