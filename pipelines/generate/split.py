"""Which cells of a run-together row ('规范性文件7777166') the source pins down.

A reading is admissible when it has the row's cell count, no leading zeros, a minus
only where the column is signed, a decimal point only where it is decimal, and it
satisfies the row's own identity. Cells that differ between admissible readings are
ambiguous: the expected file lists them in ambiguous_cells, never as facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

TOKEN = {
    "count": re.compile(r"0|[1-9]\d*"),
    "signed": re.compile(r"-?(?:0|[1-9]\d*)"),
    "decimal": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),
    "amount": re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?"),
}
RowRule = Callable[[Sequence[float]], bool]


def readings(run: str, kinds: Sequence[str]) -> list[tuple[float, ...]]:
    """Every way to cut `run` into len(kinds) admissible numbers."""
    if not kinds:
        return [()] if run == "" else []
    out = []
    pattern = TOKEN[kinds[0]]
    for end in range(1, len(run) + 1):
        token = run[:end]
        if pattern.fullmatch(token):
            out.extend((float(token), *rest) for rest in readings(run[end:], kinds[1:]))
    return out


def ambiguous_positions(run: str, kinds: Sequence[str], rule: RowRule | None = None) -> list[int]:
    """Indexes of the cells whose value differs between admissible readings."""
    options = [r for r in readings(run, kinds) if rule is None or rule(r)]
    if not options:
        raise ValueError(f"no admissible reading of {run!r}")
    return [i for i in range(len(kinds)) if len({r[i] for r in options}) > 1]


def spaced_readings(tokens: Sequence[str], kinds: Sequence[str]) -> list[tuple[float, ...]]:
    """Every reading of a row whose cells are separated by single spaces, some spaces dropped.

    Each space-separated token holds one or more whole cells ('20 0 0 0 02' is seven cells).
    """
    if not tokens:
        return [()] if not kinds else []
    out = []
    for k in range(1, len(kinds) - len(tokens) + 2):
        for head in readings(tokens[0], kinds[:k]):
            out.extend(head + rest for rest in spaced_readings(tokens[1:], kinds[k:]))
    return out


def ambiguous_spaced(tokens: Sequence[str], kinds: Sequence[str], rule: RowRule | None = None) -> list[int]:
    options = [r for r in spaced_readings(tokens, kinds) if rule is None or rule(r)]
    if not options:
        raise ValueError(f"no admissible reading of {' '.join(tokens)!r}")
    return [i for i in range(len(kinds)) if len({r[i] for r in options}) > 1]


def total_is_sum(values: Sequence[float]) -> bool:
    """Section 三 rows: the last column (总计) is the sum of the six applicant columns."""
    return abs(values[-1] - sum(values[:-1])) < 1e-9


def group_totals(values: Sequence[float]) -> bool:
    """Section 四: in each group of five, the fifth (总计) is the sum of the first four."""
    return all(abs(values[i + 4] - sum(values[i : i + 4])) < 1e-9 for i in range(0, len(values), 5))
