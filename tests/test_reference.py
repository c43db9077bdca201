"""The committed mapping tables agree with the spec they were generated from."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from govreports.transform.reference import REFERENCE_DIR, reference
from govreports.transform.spec_import import build


def read(name: str) -> list[dict]:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_layout_tables_match_the_spec(shared_corpus: Path) -> None:
    spec = json.loads((shared_corpus.parent / "spec" / "templates.json").read_text(encoding="utf-8"))
    rows, columns = build(spec)
    as_text = [{k: str(v) for k, v in r.items()} for r in rows]
    assert read("layout_rows.csv") == as_text
    assert read("layout_columns.csv") == [{k: str(v) for k, v in c.items()} for c in columns]


def test_every_template_has_its_sections() -> None:
    ref = reference()
    assert ref.blocks("gov_2021") == ["art20_1", "art20_5", "art20_6", "art20_8"]
    assert ref.blocks("gov_2019") == ["art20_1", "art20_5", "art20_6", "art20_8", "art20_9"]
    assert len(ref.columns_for("gov_2021", "s4")) == 15
    assert [c.column_key for c in ref.columns_for("gov_2019", "s2", "art20_1")] == [
        "issued_this_year", "published_this_year", "total_published_cumulative"]


def test_known_keys_follow_the_key_grammar() -> None:
    keys = reference().known_keys()
    for key in ("s3.new_received.natural_person", "s2.art20_1.regulations.in_force", "s4.review_total",
                "legacy.req_received", "s2.art20_9.gov_central_procurement.procurement_amount"):
        assert key in keys
    # 对外公开总数量 is not 现行有效件数: the 2019 column has its own key
    assert "s2.art20_1.normative_docs.total_published_cumulative" in keys
