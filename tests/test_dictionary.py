"""The data dictionary: generated from the mapping tables, current in docs/, in Parquet metadata, on the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from govreports.load.dictionary import DOCS_PATH, data_dictionary, dictionary_metadata, lookup, render_markdown
from govreports.load.reference_build import RELATION_FIELDS, relation_records
from govreports.pipelines.cli import app
from govreports.transform.reference import REFERENCE_DIR, reference

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO.parent / "shared" / "spec" / "templates.json"


def entry(key: str) -> dict:
    rows = data_dictionary().query("key == @key").to_dict("records")
    assert len(rows) == 1, key
    return rows[0]


def test_committed_docs_are_current():
    assert DOCS_PATH.read_text(encoding="utf-8") == render_markdown(), "run: govreports dict --write-docs"


@pytest.mark.corpus
def test_relations_csv_matches_the_spec():
    if not SPEC.exists():
        pytest.skip("../shared/spec is absent")
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    with (REFERENCE_DIR / "relations.csv").open(encoding="utf-8") as fh:
        committed = list(csv.DictReader(fh))
    assert committed == [{f: r[f] for f in RELATION_FIELDS} for r in relation_records(spec)]


def test_every_key_a_template_prints_is_described():
    known = {k for k in reference().known_keys() if not k.startswith("s3.results.")}
    keys = set(data_dictionary()["key"])
    assert known <= keys
    assert "legacy.raw.<label>" in keys


def test_labels_units_and_relations_per_key():
    e = entry("s3.new_received.total")
    assert e["label_gov_2019"] == e["label_gov_2021"] == "一、本年新收政府信息公开申请数量 / 总计"
    assert e["label_legacy"] == "≈ （一）收到申请数"
    assert (e["unit"], e["relation"], e["templates"]) == ("件", "equivalent", "gov_2019,gov_2021")

    e = entry("s2.art20_1.normative_docs.issued_this_year")
    assert (e["label_gov_2019"], e["label_gov_2021"]) == (
        "规范性文件 / 本年新制作数量",
        "行政规范性文件 / 本年制发件数",
    )
    assert e["relation"] == "approximate"

    assert entry("s2.art20_1.normative_docs.in_force")["relation"] == "only_2021"
    assert entry("s3.r_other.total")["relation"] == "equivalent_via_derivation"
    assert entry("s3.r_denied.natural_person")["relation"] == "derived"
    assert entry("s2.art20_5.admin_license.items_change")["value_kind"] == "signed"
    fee = entry("s2.art20_8.admin_fees.fee_amount_wan_yuan")
    assert (fee["unit"], fee["value_kind"], fee["relation"]) == ("万元", "decimal", "only_2021")


def test_legacy_measures_line_up_approximately():
    e = entry("legacy.req_received")
    assert (e["measure"], e["series_relation"], e["relation"]) == (
        "s3.new_received.total",
        "approximate",
        "only_legacy",
    )
    assert entry("legacy.review_total")["measure"] == "s4.review_total"
    assert entry("legacy.reply_refused")["measure"] == "s3.r_denied.total"
    # a sum or a choice of counterparts is not lined up: it stays its own measure
    lit = entry("legacy.lit_total")
    assert (lit["measure"], lit["series_relation"]) == ("legacy.lit_total", "only_legacy")
    assert entry("legacy.exams_held")["relation"] == "variant_only"


def test_lookup_by_prefix_and_glob():
    assert list(lookup("s4.review")["key"]) == []  # a prefix means whole segments
    assert len(lookup("s3.new_received")) == 7
    assert sorted(lookup("s4.*_total")["key"]) == [
        "s4.lit_after_review_total",
        "s4.lit_direct_total",
        "s4.review_total",
    ]


def test_parquet_metadata_round_trip(tmp_path: Path):
    table = pa.table({"x": [1]}).replace_schema_metadata(dictionary_metadata())
    pq.write_table(table, tmp_path / "t.parquet")
    meta = pq.read_schema(tmp_path / "t.parquet").metadata
    fields = json.loads(meta[b"govreports.dictionary.fields"])
    legacy = dict(zip(fields, json.loads(meta[b"govreports.dictionary"])["legacy.req_received"], strict=True))
    assert legacy["measure"] == "s3.new_received.total"
    assert legacy["label_legacy"] == "（一）收到申请数"
    assert "blank" in json.loads(meta[b"govreports.value_semantics"])


def test_cli_shows_one_key_and_rejects_unknown():
    runner = CliRunner()
    result = runner.invoke(app, ["dict", "legacy.req_received"])
    assert result.exit_code == 0, result.output
    assert "measure: s3.new_received.total" in result.output
    result = runner.invoke(app, ["dict", "s9.nothing"])
    assert result.exit_code == 1
    assert "no key matches" in result.output
