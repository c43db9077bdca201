"""The CLI through the Prefect flow: summary, exit codes, idempotent re-run."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from govreports.load.warehouse import open_database
from govreports.pipelines.cli import app
from tests.test_lake import HTML

runner = CliRunner()


def test_ingest_summary_and_rerun(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "report.html").write_text(HTML, encoding="utf-8")
    (src / "scan.pdf").write_bytes(b"%PDF-1.4 broken")
    out = tmp_path / "out"

    first = runner.invoke(app, ["ingest", str(src), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "2 inputs: 2 written, 0 already in the lake" in first.output
    assert "facts written: 6" in first.output
    assert "scan.pdf" in first.output  # the failed document is reported with its error

    second = runner.invoke(app, ["ingest", str(src), "--out", str(out)])
    assert second.exit_code == 0, second.output
    assert "nothing new: 2 inputs, 2 already in the lake and validated" in second.output
    con = open_database(out / "warehouse.duckdb")
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (2,)
    assert con.execute("SELECT count(*) FROM facts").fetchone() == (6,)


def test_wrong_arguments_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_unwritable_output_exits_non_zero(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "report.html").write_text(HTML, encoding="utf-8")
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be")
    result = runner.invoke(app, ["ingest", str(src), "--out", str(blocker)])
    assert result.exit_code == 1
    assert "cannot write to" in result.output


def test_rebuild_reparses_into_a_new_lake(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "report.html").write_text(HTML, encoding="utf-8")
    out = tmp_path / "out"
    assert runner.invoke(app, ["ingest", str(src), "--out", str(out)]).exit_code == 0
    # an older parser left a wrong value behind: the rebuilt lake no longer has it
    stale = out / "lake" / "facts" / "report_year=2023" / "stale.parquet"
    next((out / "lake" / "facts" / "report_year=2023").glob("part-*.parquet")).rename(stale)

    result = runner.invoke(app, ["ingest", str(src), "--out", str(out), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 inputs: 1 written" in result.output
    assert not stale.exists() and not (out / ".rebuild").exists()
    con = open_database(out / "warehouse.duckdb")
    assert con.execute("SELECT count(*), count(DISTINCT doc_id) FROM facts").fetchone() == (6, 1)
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (1,)
