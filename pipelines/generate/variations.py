"""Named variations: what a generated sample exercises beyond its layout and format.

A variation is one row of VARIATIONS. Its name goes into the plan's tags (manifest.json,
`govreports eval` reports accuracy per tag) and, when it is a MATRIX row's own
`variation`, into the manifest's `variation` field. A variation may change the printed
document before expected.json is read off its cells (`doc`), or adjust expected.json
afterwards (`expected`), e.g. a field the new printing no longer carries. Variations
with neither hook are pure tags: a renderer or the value draw looks at the tag.

Adding one: a function taking (report, rng) that edits report.doc / report.meta (or
report.expected), a Variation row below, and a MATRIX row in corpus.py naming it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govreports.pipelines.generate.compose import Report

Hook = Callable[["Report", random.Random], None]
BASE = "base"  # the variation of a MATRIX row that names none


@dataclass(frozen=True)
class Variation:
    name: str
    describe: str
    doc: Hook | None = None  # edits report.doc / report.meta before expected.json is computed
    expected: Hook | None = None  # edits report.expected after it is computed


VARIATIONS: dict[str, Variation] = {}


def register(*rows: Variation) -> None:
    for row in rows:
        if row.name in VARIATIONS:
            raise ValueError(f"variation {row.name!r} registered twice")
        VARIATIONS[row.name] = row


def apply(stage: str, report: Report, rng: random.Random) -> None:
    """Run the `doc` or `expected` hooks of the plan's variations, in the plan's order."""
    for name in report.plan.variations:
        hook = getattr(VARIATIONS.get(name), stage, None)
        if hook is not None:
            hook(report, rng)
