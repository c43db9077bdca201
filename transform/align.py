"""Align observed section-三 rows to a template's row sequence (dynamic programming).

Labels are matched fuzzily, and rows that come in template order are kept in that
order even when their labels are unreadable (OCR). Each template may print its
（六）其他处理 block as three rows or as one; both sequences are tried and the
better alignment wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from govreports.transform.labels import best_similarity
from govreports.transform.reference import Reference, RowSpec

ORDER_BONUS = 0.3  # a row in template order is worth matching even with an unreadable label
SKIP_OBSERVED = -0.5  # an observed value row left unmatched
OTHER_PARTS = ("s3.r_other_no_correction", "s3.r_other_fee_unpaid", "s3.r_other_misc")


@dataclass
class ObservedRow:
    label: str
    full_label: str
    values: list[tuple[int, str]] | None
    source: Any


def sequences(ref: Reference, template: str) -> list[list[RowSpec]]:
    """The leaf-row sequences a template may print (group headers carry no values)."""
    rows = [r for r in ref.rows_for(template, "s3") if not r.derived or r.key == "s3.r_other"]
    split = [r for r in rows if r.key != "s3.r_other"]
    undivided = [r for r in rows if r.key not in OTHER_PARTS]
    return [s for s in (split, undivided) if s] if split != undivided else [split]


def match_score(obs: ObservedRow, spec: RowSpec) -> float:
    return max(best_similarity(obs.label, spec.labels), 0.8 * best_similarity(obs.full_label, spec.labels))


def align(observed: list[ObservedRow], expected: list[RowSpec]) -> tuple[float, list[tuple[int, int, float]]]:
    n, m = len(observed), len(expected)
    scores = [[match_score(o, e) for e in expected] for o in observed]

    @cache
    def best(i: int, j: int) -> tuple[float, tuple[tuple[int, int, float], ...]]:
        if i == n:
            return 0.0, ()
        options = [(SKIP_OBSERVED + best(i + 1, j)[0], best(i + 1, j)[1])]
        if j < m:
            skip = best(i, j + 1)
            options.append(skip)
            s = scores[i][j]
            nxt = best(i + 1, j + 1)
            options.append((s + ORDER_BONUS + nxt[0], ((i, j, s), *nxt[1])))
        return max(options, key=lambda o: o[0])

    total, pairs = best(0, 0)
    best.cache_clear()
    return total, list(pairs)


def align_rows(observed: list[ObservedRow], ref: Reference, template: str) -> list[tuple[ObservedRow, RowSpec, float]]:
    best_total, best_pairs, best_seq = float("-inf"), [], []
    for seq in sequences(ref, template):
        total, pairs = align(observed, seq)
        if total > best_total:
            best_total, best_pairs, best_seq = total, pairs, seq
    return [(observed[i], best_seq[j], s) for i, j, s in best_pairs]
