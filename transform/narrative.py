"""Numbers stated only in prose, for reports without statistics tables (pre-2019 narratives).

The sentences that count are data (data/reference/narrative.csv): a regex per key,
with either a captured number or a fixed value ('未收到…申请' → 0); an amount's pattern also
captures its printed unit (group `unit`, '35元'). Approximate
wording ('100多条', '约') never yields a number. Only exact phrasings are read.
"""

from __future__ import annotations

import csv
import re
from functools import cache

from govreports.transform.model import Fact
from govreports.transform.reference import REFERENCE_DIR

SNIPPET = 30  # characters of context kept as raw_text


@cache
def patterns() -> list[tuple[str, re.Pattern, float | None]]:
    with (REFERENCE_DIR / "narrative.csv").open(encoding="utf-8") as fh:
        return [
            (r["key"], re.compile(r["pattern"]), float(r["value"]) if r["value"].strip() else None)
            for r in csv.DictReader(fh)
        ]


def narrative_facts(text: str, report_year: int | None) -> list[Fact]:
    """Legacy keys from the prose of a report up to 2018 (later reports have tables)."""
    if report_year is not None and report_year > 2018:
        return []
    flat = re.sub(r"\s+", "", text)
    facts: dict[str, Fact] = {}
    for key, pattern, fixed in patterns():
        if key in facts:
            continue
        m = pattern.search(flat)
        if not m:
            continue
        value = fixed if fixed is not None else float(m.group(1))
        snippet = flat[max(0, m.start() - SNIPPET) : m.end() + 5]
        unit = m.groupdict().get("unit")  # an amount's printed unit: transform/units.py scales it to the spec unit
        facts[key] = Fact(key, value, method="narrative", raw_text=snippet, unit=unit, flags=["prose"])
    return list(facts.values())
