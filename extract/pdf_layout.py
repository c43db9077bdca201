"""pdfplumber's text-line and table algorithms, with the same results, without their
per-call overhead.

pdfplumber builds a WordExtractor, nested closures and dicts for every table cell, scans
every char of the page for every row of every table, and pairs every intersection with
every later one when it looks for cells: on PDFium-fed pages (extract.pdfium_page) that
was most of the extraction time. Each function here follows one pdfplumber function step
by step (named in its docstring) with pdfplumber's default settings; tests/test_pdf_layout.py
checks both give the same output on the sample PDFs.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import groupby
from operator import itemgetter

from pdfplumber.table import Table, TableFinder, TableSettings, cells_to_tables, edges_to_intersections
from pdfplumber.utils.text import DEFAULT_X_TOLERANCE, DEFAULT_Y_TOLERANCE, LIGATURES

Point = tuple[float, float]
Bbox = tuple[float, float, float, float]
EDGE_BBOX = itemgetter("x0", "top", "x1", "bottom")
TOP = itemgetter("top")
X0 = itemgetter("x0")


def cluster(items: list, key, tolerance: float) -> list[list]:
    """pdfplumber.utils.cluster_objects: values within `tolerance` of the previous one
    (in sorted order) share a cluster; clusters in value order, items in input order."""
    if not items:
        return []
    keys = [key(x) for x in items]
    if max(keys) <= min(keys) + tolerance:  # one cluster (most cells are one line): the general path agrees
        return [items]
    values = sorted(set(keys))
    index: dict[float, int] = {}
    group = 0
    for i, value in enumerate(values):
        if i and value > values[i - 1] + tolerance:
            group += 1
        index[value] = group
    tagged = sorted((index[k], n) for n, k in enumerate(keys))
    return [[items[n] for _, n in members] for _, members in groupby(tagged, key=itemgetter(0))]


def words_of_line(line: list[dict]) -> list[tuple[float, str]]:
    """WordExtractor.iter_chars_to_words + merge_chars for one left-to-right line: (top, text)
    of each word; a blank char ends a word, a gap over x_tolerance or a jump over y_tolerance
    starts one."""
    words: list[tuple[float, str]] = []
    current: list[dict] = []
    for char in line:
        text = char["text"]
        if text.isspace() or text == "":  # a blank ends the word; an empty char is a word of its own
            if current:
                words.append(merged(current))
            current = [char] if text == "" else []
            if text == "":
                words.append(merged(current))
                current = []
        elif current and begins_new_word(current[-1], char):
            words.append(merged(current))
            current = [char]
        else:
            current.append(char)
    if current:
        words.append(merged(current))
    return words


def begins_new_word(prev: dict, curr: dict) -> bool:
    """WordExtractor.char_begins_new_word for upright text read left to right."""
    cx = curr["x0"]
    return (
        cx < prev["x0"] or cx > prev["x1"] + DEFAULT_X_TOLERANCE or abs(curr["top"] - prev["top"]) > DEFAULT_Y_TOLERANCE
    )


def merged(chars: list[dict]) -> tuple[float, str]:
    return min(c["top"] for c in chars), "".join(LIGATURES.get(c["text"], c["text"] or "") for c in chars)


def chars_text(chars: list[dict]) -> str:
    """pdfplumber.utils.extract_text(chars) with default settings, for upright chars (all that
    extract.pdfium_page makes): chars clustered into lines by top, sorted by x0, cut into words;
    words clustered into lines again, joined by spaces and line breaks."""
    if not chars:
        return ""
    if not all(c["upright"] for c in chars):
        raise ValueError("chars_text reads upright text only")
    words: list[tuple[float, str]] = []
    for line in cluster(chars, TOP, DEFAULT_Y_TOLERANCE):
        words += words_of_line(sorted(line, key=X0))
    lines = cluster(words, itemgetter(0), DEFAULT_Y_TOLERANCE)
    return "\n".join(" ".join(text for _, text in line) for line in lines)


def cells_from_intersections(intersections: dict) -> list[Bbox]:
    """pdfplumber.table.intersections_to_cells: for each intersection (sorted), the smallest
    cell whose four corners are intersections joined by edges. The points below and right of
    each point come from per-column and per-row lists instead of a scan of all later points."""
    points = sorted(intersections)
    v_edges = {p: {EDGE_BBOX(e) for e in intersections[p]["v"]} for p in points}
    h_edges = {p: {EDGE_BBOX(e) for e in intersections[p]["h"]} for p in points}
    by_x: dict[float, list[Point]] = {}
    by_y: dict[float, list[Point]] = {}
    for p in points:  # sorted by (x, y): each column's points by y, each row's by x
        by_x.setdefault(p[0], []).append(p)
        by_y.setdefault(p[1], []).append(p)

    def connected(a: Point, b: Point) -> bool:
        if a[0] == b[0] and not v_edges[a].isdisjoint(v_edges[b]):
            return True
        return a[1] == b[1] and not h_edges[a].isdisjoint(h_edges[b])

    def smallest_cell(pt: Point) -> Bbox | None:
        column, row = by_x[pt[0]], by_y[pt[1]]
        below = column[column.index(pt) + 1 :]
        right = row[row.index(pt) + 1 :]
        for below_pt in below:
            if not connected(pt, below_pt):
                continue
            for right_pt in right:
                if not connected(pt, right_pt):
                    continue
                corner = (right_pt[0], below_pt[1])
                if corner in intersections and connected(corner, right_pt) and connected(corner, below_pt):
                    return (pt[0], pt[1], corner[0], corner[1])
        return None

    return [cell for cell in map(smallest_cell, points[:-1]) if cell]


def find_tables(page, settings: TableSettings) -> list[Table]:
    """TableFinder(page, settings).tables, with cells_from_intersections."""
    finder = TableFinder.__new__(TableFinder)
    finder.page, finder.settings = page, settings
    edges = finder.get_edges()
    intersections = edges_to_intersections(edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance)
    return [Table(page, group) for group in cells_to_tables(cells_from_intersections(intersections))]


def table_text(table: Table) -> list[list[str | None]]:
    """Table.extract(): each cell's text from the chars whose centre lies in it (None for a
    slot a merged cell covers), the row's chars found by bisecting the chars sorted by centre."""
    centred = sorted(
        ((c["top"] + c["bottom"]) / 2, (c["x0"] + c["x1"]) / 2, n, c) for n, c in enumerate(table.page.chars)
    )
    v_mids = [v for v, *_ in centred]
    out: list[list[str | None]] = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        hits = centred[bisect_left(v_mids, top) : bisect_left(v_mids, bottom)]
        row_chars = sorted((n, v, h, c) for v, h, n, c in hits if x0 <= h < x1)
        out.append([cell_text(cell, row_chars) for cell in row.cells])
    return out


def cell_text(cell: Bbox | None, row_chars: list[tuple[int, float, float, dict]]) -> str | None:
    if cell is None:
        return None
    x0, top, x1, bottom = cell
    return chars_text([c for _, v, h, c in row_chars if x0 <= h < x1 and top <= v < bottom])
