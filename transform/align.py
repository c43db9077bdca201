"""Align observed section-三 rows to a template's row sequence (dynamic programming).

Labels are matched fuzzily, and rows that come in template order are kept in that
order even when their labels are unreadable (OCR). Each template may print its
（六）其他处理 block as three rows or as one; both sequences are tried and the
better alignment wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govreports.extract.limits import limit
from govreports.extract.model import RejectedInput
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
    """Best monotone matching of observed rows to expected rows: a table filled bottom-up
    (no recursion, so any number of rows), then one walk forward along the best choices.
    Time and memory are O(n·m) for n observed and m expected rows."""
    n, m = len(observed), len(expected)
    scores = [[match_score(o, e) for e in expected] for o in observed]
    # best[i][j]: score of the best alignment of observed[i:] to expected[j:]; move[i][j] its first step
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [bytearray(m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        here, below, step = best[i], best[i + 1], move[i]
        here[m] = SKIP_OBSERVED + below[m]
        for j in range(m - 1, -1, -1):
            # ties go the way the recursive version chose: skip observed, skip expected, match
            options = (SKIP_OBSERVED + below[j], here[j + 1], scores[i][j] + ORDER_BONUS + below[j + 1])
            k = max(range(3), key=options.__getitem__)
            here[j], step[j] = options[k], k
    pairs: list[tuple[int, int, float]] = []
    i = j = 0
    while i < n:
        k = move[i][j] if j < m else SKIP_OBSERVED_MOVE
        if k == MATCH:
            pairs.append((i, j, scores[i][j]))
        i, j = i + (k != SKIP_EXPECTED_MOVE), j + (k != SKIP_OBSERVED_MOVE)
    return best[0][0], pairs


SKIP_OBSERVED_MOVE, SKIP_EXPECTED_MOVE, MATCH = 0, 1, 2


def align_rows(observed: list[ObservedRow], ref: Reference, template: str) -> list[tuple[ObservedRow, RowSpec, float]]:
    most = int(limit("max_aligned_rows"))
    if len(observed) > most:  # a real section 三 has ~30 rows; time and memory grow with the count
        raise RejectedInput(f"section 三 table has {len(observed)} rows, over the limit of {most} (max_aligned_rows)")
    best_total, best_pairs, best_seq = float("-inf"), [], []
    for seq in sequences(ref, template):
        total, pairs = align(observed, seq)
        if total > best_total:
            best_total, best_pairs, best_seq = total, pairs, seq
    return [(observed[i], best_seq[j], s) for i, j, s in best_pairs]
