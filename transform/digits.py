"""Splitting a printed run of digits into a row's cells. Pure functions, no layout knowledge.

A crawler that flattens a table prints a row's cells with no separator
('规范性文件898989'), or with single spaces that ARE cell boundaries ('230 000023').
A row of k cells is recovered by choosing where the cells end inside each
space-separated group. A split is admissible when every cell is a valid printed
value for its column kind:

- no leading zeros ('0' alone is fine, '05' is not),
- a minus sign only at the start of a `signed` cell (本年增/减), never '-0',
- a decimal point only inside a `decimal` / `amount` cell,
- a dash ('—') only as a whole cell,
- a `code` cell (a row code column such as '01') is any short digit string.

Sum rules (a column total, a group total) prune the search as cells are placed.
Every search is bounded: cells are at most MAX_CELL_CHARS long and the depth-first
search gives up after a step budget, so a garbage run cannot hang a batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

MAX_CELL_CHARS = 16  # '13575394432.52' (an amount in 元) is 14
STEP_BUDGET = 25_000  # DFS nodes per row (real rows need < 1000); beyond that the row is reported as unsearchable
DASH = "—"  # a printed dash cell (stored 0, flagged 'dash'); other dash forms are mapped to it
TOLERANCE = 1e-6

CELL_PATTERNS = {
    "count": re.compile(r"0|[1-9]\d*|—"),
    "signed": re.compile(r"-?[1-9]\d*|0|—"),
    "decimal": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?|—"),
    "amount": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?|—"),
    "code": re.compile(r"\d{1,6}"),  # a row code column ('01'): leading zeros are printed
}


@dataclass(frozen=True)
class SumRule:
    """sum(cells[lhs]) <op> sum(cells[rhs]), checked once every cell it names is placed."""

    lhs: tuple[int, ...]
    rhs: tuple[int, ...]
    op: str = "=="

    @property
    def last(self) -> int:
        return max(self.lhs + self.rhs)

    def holds(self, values: list[float]) -> bool:
        left = sum(values[i] for i in self.lhs)
        right = sum(values[i] for i in self.rhs)
        return abs(left - right) <= TOLERANCE if self.op == "==" else left <= right + TOLERANCE


@dataclass
class Search:
    splits: list[tuple[str, ...]]
    complete: bool  # False when the step budget or the result limit cut the search short
    steps: int = 0


def groups_of(run: str) -> tuple[str, ...]:
    """'230 000023' → ('230', '000023'); whitespace is a real cell boundary."""
    return tuple(run.split())


@lru_cache(maxsize=65536)
def valid_cell(token: str, kind: str) -> bool:
    pattern = CELL_PATTERNS.get(kind, CELL_PATTERNS["count"])
    return len(token) <= MAX_CELL_CHARS and pattern.fullmatch(token) is not None


def cell_value(token: str) -> float:
    return 0.0 if token == DASH else float(token)


def count_splits(groups: tuple[str, ...], kinds: tuple[str, ...]) -> int:
    """How many admissible splits exist (column count + cell rules, no sums). Exact, polynomial."""

    @cache
    def ways(g: int, p: int, j: int) -> int:
        if g == len(groups):
            return 1 if j == len(kinds) else 0
        if p == len(groups[g]):
            return ways(g + 1, 0, j) if p > 0 else 0
        if j == len(kinds):
            return 0
        text = groups[g]
        return sum(
            ways(g, q, j + 1)
            for q in range(p + 1, min(len(text), p + MAX_CELL_CHARS) + 1)
            if valid_cell(text[p:q], kinds[j])
        )

    return ways(0, 0, 0) if groups else 0


def enumerate_splits(
    groups: tuple[str, ...],
    kinds: tuple[str, ...],
    rules: tuple[SumRule, ...] = (),
    limit: int = 10_000,
    budget: int = STEP_BUDGET,
) -> Search:
    """Admissible splits that also satisfy the sum rules, in reading order (shortest first cell first)."""
    out: list[tuple[str, ...]] = []
    steps = 0
    cut = False
    by_last: dict[int, list[SumRule]] = {}
    for rule in rules:
        by_last.setdefault(rule.last, []).append(rule)
    remaining = [sum(len(t) for t in groups[g:]) for g in range(len(groups) + 1)]
    k = len(kinds)

    def feasible(g: int, p: int, j: int) -> bool:
        """Enough characters for the cells left, and every group left gets at least one cell."""
        left_cells = k - j
        chars = remaining[g] - p
        groups_left = len(groups) - g - (1 if p == len(groups[g]) else 0) if g < len(groups) else 0
        return groups_left <= left_cells <= chars

    def forced_total(j: int, values: list[float]) -> str | None:
        for rule in by_last.get(j, ()):
            if rule.op == "==" and rule.lhs == (j,) and j not in rule.rhs:
                expected = sum(values[i] for i in rule.rhs)
                if expected >= 0 and expected == int(expected):
                    return str(int(expected))
        return None

    def walk(g: int, p: int, cells: list[str], values: list[float]) -> None:
        nonlocal steps, cut
        steps += 1
        if steps > budget or len(out) >= limit:
            cut = True
            return
        if g < len(groups) and p == len(groups[g]):
            g, p = g + 1, 0
        j = len(cells)
        if g == len(groups):
            if j == k:
                out.append(tuple(cells))
            return
        if j == k or not feasible(g, p, j):
            return
        text = groups[g]
        total = forced_total(j, values)
        ends = range(p + 1, min(len(text), p + MAX_CELL_CHARS) + 1)
        if total is not None:  # a total cell can only be the printed sum of its parts
            ends = range(p + len(total), p + len(total) + 1) if text.startswith(total, p) else range(0)
        for q in ends:
            token = text[p:q]
            if not valid_cell(token, kinds[j]):
                continue
            values.append(cell_value(token))
            cells.append(token)
            if all(rule.holds(values) for rule in by_last.get(j, ())):
                walk(g, q, cells, values)
            cells.pop()
            values.pop()
            if cut:
                return

    if groups and k:
        walk(0, 0, [], [])
    return Search(out, complete=not cut, steps=steps)


def normalise_run(run: str) -> str:
    """Unify dash forms so a dash cell is one character; keep spaces (they are boundaries)."""
    return re.sub(r"[—－–─]+", DASH, run)


def show(split: tuple[str, ...]) -> str:
    return "|".join(split)
