"""Column geometry of space-aligned text rows (extract/text.py `layout` tables).

Such rows lose their blank cells: '规章    2         5' has two numbers for three
columns. Each number belongs to the column it sits under, so the columns' centres —
from the header cells where a header names them, else from the rows of the same
table and page that print every cell — say which column each number fills.
A number as close to two columns as to one is not placed: the row is left unread.
"""

from __future__ import annotations

from statistics import median

Span = tuple[int, int]
MIN_MARGIN = 1.0  # a number must be this much nearer its column than the next one


def center(span: Span) -> float:
    return (span[0] + span[1] - 1) / 2


def centers_from_rows(rows: list[list[Span]], n: int) -> list[float] | None:
    """Column centres from rows with exactly n value cells (the median of each position)."""
    complete = [r for r in rows if len(r) == n]
    if not complete:
        return None
    return [median(center(r[i]) for r in complete) for i in range(n)]


def centers_from_cells(rows: list[list[Span]], n: int) -> list[float] | None:
    """Column centres from every value cell of a page's rows when no row prints all n cells.

    A page continuing a table may have a blank cell in every row, each in another column;
    together the rows still mark each column. Only when the cells fall in exactly n
    clearly separate clusters are those the columns: fewer means a column printed blank
    throughout, more a cell not under any one column — both left unread.
    """
    clusters = cluster([center(span) for row in rows for span in row])
    return clusters if len(clusters) == n else None


def place(spans: list[Span], columns: list[float]) -> list[int] | None:
    """The column of each value cell, left to right, or None when a cell is not clearly under one column."""
    out: list[int] = []
    for span in spans:
        c = center(span)
        ranked = sorted(range(len(columns)), key=lambda i: abs(columns[i] - c))
        if len(ranked) > 1 and abs(columns[ranked[1]] - c) - abs(columns[ranked[0]] - c) < MIN_MARGIN:
            return None
        out.append(ranked[0])
    if out != sorted(set(out)):  # two cells under one column, or out of order
        return None
    return out


CLUSTER_GAP = 1.5  # header fragments of one column (a label wrapped over lines) sit this close


def cluster(centers: list[float]) -> list[float]:
    """Sorted centres → one mean centre per run of centres closer than CLUSTER_GAP."""
    groups: list[list[float]] = []
    for c in sorted(centers):
        if groups and c - sum(groups[-1]) / len(groups[-1]) <= CLUSTER_GAP:
            groups[-1].append(c)
        else:
            groups.append([c])
    return [sum(g) / len(g) for g in groups]
