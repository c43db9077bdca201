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
    stale = out / "lake" / "facts" / "report_year-2023-stale.parquet"
    next((out / "lake" / "facts").glob("report_year-2023-part-*.parquet")).rename(stale)

    result = runner.invoke(app, ["ingest", str(src), "--out", str(out), "--rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 inputs: 1 written" in result.output
    assert not stale.exists() and not (out / ".rebuild").exists()
    con = open_database(out / "warehouse.duckdb")
    assert con.execute("SELECT count(*), count(DISTINCT doc_id) FROM facts").fetchone() == (6, 1)
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (1,)


def test_worker_processes_give_the_same_lake(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.html").write_text(HTML, encoding="utf-8")
    (src / "b.html").write_text(HTML.replace(">1<", ">2<"), encoding="utf-8")  # another document
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(src), "--out", str(out), "--workers", "2", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    con = open_database(out / "warehouse.duckdb")
    values = con.sql(
        "SELECT d.file_name, f.value FROM facts f JOIN documents d USING (doc_id) "
        "WHERE f.key = 's2.art20_1.regulations.issued_this_year' ORDER BY 1"
    ).fetchall()
    assert values == [("a.html", 1.0), ("b.html", 2.0)]


def test_the_flow_holds_one_batch_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """Memory is bounded by the batch, not the run: with threads, a batch is parsed only once the
    one before it is loaded (Prefect's default thread pool would otherwise parse every batch at once)."""
    from govreports.pipelines import ingest as spine

    src = tmp_path / "in"
    src.mkdir()
    for n in range(4):
        (src / f"d{n}.html").write_text(HTML.replace(">1<", f">{n + 1}<"), encoding="utf-8")
    held, most = [0], [0]
    parse, load = spine.process_batch, spine.load_batch

    def parsing(batch, *args):
        held[0] += 1
        most[0] = max(most[0], held[0])
        return parse(batch, *args)

    def loading(results, out_dir):
        held[0] -= 1
        return load(results, out_dir)

    monkeypatch.setattr(spine, "process_batch", parsing)
    monkeypatch.setattr(spine, "load_batch", loading)
    result = runner.invoke(app, ["ingest", str(src), "--out", str(tmp_path / "out"), "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert most[0] == 1
    assert held[0] == 0
