"""Analysts' corrections: an overlay over the lake, applied after load, kept across re-runs and rebuilds."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.expectations.explain import explain_text
from govreports.load.corrections import apply_corrections, overlay_files
from govreports.load.lake import write_batch
from govreports.load.warehouse import connect
from govreports.pipelines.cli import app
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.reference import reference
from tests.test_views import PINGTAN, RESULTS

HEADER = "doc_id,agency,report_year,key,value,reason,author,date\n"
GOOD = (
    "c2021,,,s3.new_received.total,31,source prints 30; the rows add to 31,li,2026-12-01\n"
    f",{PINGTAN},2019,s4.review_total,5,table cut off in the capture; value from the PDF,wang,2026-12-02\n"
)
BAD = "zzz,,,s3.new_received.total,1,no such document,li,2026-12-03\nd2021,,,s9.nothing,1,no such key,li,2026-12-03\n"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    write_batch(RESULTS, tmp_path, reference().known_keys())
    build_warehouse(tmp_path)
    return tmp_path


def apply(out: Path, text: str) -> tuple[bool, list]:
    path = out / "corrections.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    changed, errors = apply_corrections(out, path, reference().known_keys())
    build_warehouse(out)
    return changed, errors


def test_corrections_become_manual_facts_with_the_machine_value_beside(out: Path):
    changed, errors = apply(out, GOOD)
    assert (changed, errors) == (True, [])
    with connect(out) as con:
        facts = con.execute(
            "SELECT doc_id, key, value, method, reason FROM facts WHERE method = 'manual' ORDER BY doc_id"
        ).fetchall()
        assert facts == [
            ("b2019", "s4.review_total", 5.0, "manual", "table cut off in the capture; value from the PDF"),
            ("c2021", "s3.new_received.total", 31.0, "manual", "source prints 30; the rows add to 31"),
        ]
        # one fact per (doc_id, key): the machine row is replaced in the view, kept in the lake
        assert con.execute(
            "SELECT count(*) FROM facts WHERE doc_id = 'c2021' AND key = 's3.new_received.total'"
        ).fetchone() == (1,)
        assert con.execute(
            "SELECT doc_id, value, machine_value, author FROM corrections ORDER BY doc_id"
        ).fetchall() == [
            ("b2019", 5.0, 2.0, "wang"),
            ("c2021", 31.0, 30.0, "li"),
        ]
        assert con.execute("SELECT applications_received FROM reports WHERE doc_id = 'c2021'").fetchone() == (31.0,)
    text = explain_text(out, "c2021")
    assert (
        "s3.new_received.total = 31 (machine: 30) source prints 30; the rows add to 31 [li 2026-12-01, line 2]" in text
    )


def test_unknown_document_or_key_is_an_error_and_the_rest_still_applies(out: Path):
    changed, errors = apply(out, GOOD + BAD)
    assert changed
    assert errors == [
        ("corrections.csv:4", "no document with doc_id 'zzz'"),
        ("corrections.csv:5", "key 's9.nothing' is not in the data dictionary"),
    ]
    with connect(out) as con:
        assert con.execute("SELECT count(*) FROM corrections").fetchone() == (2,)


def test_overlay_is_rewritten_only_when_the_file_or_its_targets_change(out: Path):
    assert apply(out, GOOD)[0]
    first = overlay_files(out)
    assert not apply(out, GOOD)[0]  # same file: nothing to do
    assert overlay_files(out) == first
    assert apply(out, GOOD.replace(",31,", ",32,"))[0]
    (part,) = overlay_files(out)
    assert part != first[0]
    (out / "corrections.csv").unlink()  # no file: no overlay
    changed, _ = apply_corrections(out, None, reference().known_keys())
    assert changed and overlay_files(out) == []


def test_ingest_applies_the_default_file_and_reports_errors(tmp_path: Path):
    out = tmp_path / "out"
    src = tmp_path / "in"
    src.mkdir()
    (src / "r.txt").write_text("天津市河西区人民政府2021年政府信息公开工作年度报告\n", encoding="utf-8")
    out.mkdir()
    (out / "corrections.csv").write_text(HEADER + BAD, encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(src), "--out", str(out)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "no document with doc_id 'zzz'" in result.output
    assert "corrections.csv:3: key 's9.nothing' is not in the data dictionary" in result.output
