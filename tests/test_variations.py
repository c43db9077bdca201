"""Every named variation of the samples is read: accuracy per variation, not just overall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govreports.pipelines.evaluate import EvalReport, score_corpus
from govreports.pipelines.generate.split import ambiguous_spaced, spaced_readings, total_is_sum

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
NAMED = sorted({d["variation"] for d in MANIFEST["documents"]} - {"base"})


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return score_corpus(SAMPLES)


@pytest.mark.parametrize("variation", NAMED)
def test_variation_accuracy(report: EvalReport, variation: str) -> None:
    tally = report.by_variation()[variation]
    assert tally.documents >= 2
    assert tally.accuracy >= 0.995, variation
    assert (tally.wrong, tally.false_positive, tally.ambiguous_valued, tally.errors) == (0, 0, 0, 0)
    assert tally.identities_missed == tally.identities_false_alarm == 0


def test_crawler_rows_keep_their_cell_count() -> None:
    assert spaced_readings(["20", "0", "0", "0", "02"], ["count"] * 7) == [(2, 0, 0, 0, 0, 0, 2)]  # no '02'
    assert spaced_readings(["3", "011"], ["count"] * 3) == [(3.0, 0.0, 11.0)]
    # '10 15 25' with a space lost: '1015 25' is 10,15 or 101,5 → only the total (25) decides
    assert ambiguous_spaced(["1015", "25"], ["count"] * 3) == [0, 1, 2]  # or 1015,2,5
    assert ambiguous_spaced(["1015", "25"], ["count"] * 3, total_is_sum) == []


def test_crawler_samples_leave_ambiguous_cells_null(report: EvalReport) -> None:
    tally = report.by_variation()["crawler_spaces"]
    assert tally.ambiguous_expected > 0 and tally.ambiguous_valued == 0


def test_html_fragments_have_no_page_around_them() -> None:
    fragments = [d["document"] for d in MANIFEST["documents"] if d["variation"] == "html_fragment"]
    for name in fragments:
        text = (SAMPLES / name).read_text(encoding="utf-8")
        assert "<html" not in text and "发布机构" not in text and "<table" in text, name


def test_shifting_colspans_do_shift() -> None:
    from govreports.pipelines.generate.compose import compose
    from govreports.pipelines.generate.corpus import plans

    shifting = [p for p in plans() if p.variation == "s2_shifting_colspans"]
    assert len(shifting) >= 2
    for plan in shifting:
        s2 = next(t for t in compose(plan, MANIFEST["seed"]).doc.tables() if t.section == "s2")
        label_spans = {row[0].colspan for row in s2.rows if any(c.key for c in row)}
        assert len(label_spans) >= 2, plan.name  # the label takes 1, 2 or 3 grid columns
