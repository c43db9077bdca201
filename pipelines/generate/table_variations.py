"""Named variations of how a statistics table is filled in (issue 9 item 6).

Some agencies fill in the parts of section 四 and leave its 总计 cells empty. An empty
cell normally means 0, but a total whose printed parts are not all 0 cannot be 0: the
reader does not know it, so the expected value is null (listed in ambiguous_cells).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from govreports.pipelines.generate.variations import Variation, register

if TYPE_CHECKING:
    from govreports.pipelines.generate.compose import Report

TOTAL_SUFFIX = "_total"


def s4_totals_blank(report: Report, rng: random.Random) -> None:
    """Every 总计 cell of section 四 printed empty; a group whose parts are all 0 stays a plain blank."""
    for table in report.doc.tables():
        if table.section != "s4":
            continue
        cells = [c for row in table.rows for c in row if c.key]
        for total in (c for c in cells if c.key.endswith(TOTAL_SUFFIX)):
            group = total.key.removesuffix(TOTAL_SUFFIX) + "_"
            parts = [c.value or 0 for c in cells if c.key.startswith(group) and c is not total]
            total.text, total.value, total.unfilled = "", None, sum(parts) > 0


register(
    Variation("s4_totals_blank", "section 四 printed with its 总计 cells empty, the parts filled in", s4_totals_blank),
)
