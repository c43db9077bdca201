"""The lake and warehouse: partitioned Parquet, idempotent appends, views, bad input kept."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govreports.load.lake import read_table, table_files
from govreports.load.warehouse import open_database, warehouse_path
from govreports.pipelines.ingest import discover, load_batch, process_batch
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.document import process_document
from govreports.transform.model import InputDoc

HTML = """<html><head><meta charset="utf-8"><meta name="PubDate" content="2024-01-17">
<meta name="ArticleTitle" content="某某县财政局2023年政府信息公开工作年度报告"></head><body>
<p>二、主动公开政府信息情况</p><table>
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>1</td><td>0</td><td>3</td></tr>
<tr><td>行政规范性文件</td><td>5</td><td>2</td><td>40</td></tr></table></body></html>"""


@pytest.fixture
def inputs(tmp_path: Path) -> list[InputDoc]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "report.html").write_text(HTML, encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (folder / "notes.odt").write_bytes(b"ignored: not a report format")
    return discover([folder])


def run(inputs: list[InputDoc], out: Path) -> list:
    written = load_batch(process_batch(inputs), out)
    build_warehouse(out)
    return written


def lake_state(out: Path) -> dict:
    return {t: sorted(str(p.relative_to(out)) for p in table_files(out, t)) for t in ("documents", "facts", "checks")}


def test_discover_skips_unknown_suffixes(inputs: list[InputDoc]) -> None:
    assert [d.file_name for d in inputs] == ["broken.pdf", "report.html"]


def test_ingest_writes_partitioned_parquet_and_views(inputs: list[InputDoc], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert len(run(inputs, out)) == 2
    assert lake_state(out)["facts"] == [
        f"lake/facts/report_year-2023-part-{p.name.rsplit('-', 1)[1]}" for p in table_files(out, "facts")
    ]
    con = open_database(warehouse_path(out))
    docs = con.sql(
        "SELECT file_name, status, template, report_year, published_date::VARCHAR FROM documents ORDER BY file_name"
    ).fetchall()
    assert docs[0][:2] == ("broken.pdf", "failed")
    assert docs[1] == ("report.html", "ok", "gov_2021", 2023, "2024-01-17")
    facts = dict(con.sql("SELECT key, value FROM facts").fetchall())
    assert facts == {
        "s2.art20_1.regulations.issued_this_year": 1,
        "s2.art20_1.regulations.repealed_this_year": 0,
        "s2.art20_1.regulations.in_force": 3,
        "s2.art20_1.normative_docs.issued_this_year": 5,
        "s2.art20_1.normative_docs.repealed_this_year": 2,
        "s2.art20_1.normative_docs.in_force": 40,
    }
    error = con.execute("SELECT error FROM documents WHERE status = 'failed'").fetchone()[0]
    assert error.startswith("PDFSyntaxError") or "PDF" in error


def test_rerun_changes_nothing(inputs: list[InputDoc], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    before = lake_state(out)
    facts_before = read_table(out, "facts").sort_by("key").to_pylist()
    assert run(inputs, out) == []
    assert lake_state(out) == before
    assert read_table(out, "facts").sort_by("key").to_pylist() == facts_before


def test_every_part_holds_its_report_year_as_a_column(inputs: list[InputDoc], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(inputs, out)
    for path in table_files(out, "facts"):
        assert pq.read_schema(path).field("report_year").type == pa.int32()
        assert pq.read_table(path).column("report_year").to_pylist() == [2023] * 6
    assert read_table(out, "facts").column("report_year").to_pylist() == [2023] * 6


def test_unreadable_path_is_recorded_not_raised(tmp_path: Path) -> None:
    result = process_document(InputDoc(path=tmp_path / "gone.html", source="gone.html", file_name="gone.html"))
    assert result.document["status"] == "failed"
    assert result.document["error"].startswith("cannot read file")


def test_a_lake_with_only_unknown_years_reads_back(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf")
    out = tmp_path / "out"
    run(discover([folder]), out)
    docs = read_table(out, "documents")
    assert docs.column("report_year").to_pylist() == [None]
    assert docs.schema.field("report_year").type == "int32"


def test_documents_loaded_but_never_validated_are_validated_next_run(inputs: list[InputDoc], tmp_path: Path) -> None:
    from govreports.load.lake import validated_doc_ids
    from govreports.pipelines.ingest import RunSummary, finish

    out = tmp_path / "out"
    written = run(inputs, out)  # loaded, then "crashed" before validation
    assert validated_doc_ids(out) == set()
    finish(RunSummary(out_dir=str(out)), out)  # the next run has nothing new to load
    assert validated_doc_ids(out) == {r.doc_id for r in written}
    assert (out / "data_docs" / "index.html").exists()
