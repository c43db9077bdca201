"""Crashes, a second writer, an open reader, torn logs, hostile output paths (issue 10, items 1–6 and 24).

Faults are real: a child process is killed at a named step (load/faults.py: os._exit, no cleanup), the lock
is held by another process, the warehouse is held open read-write by another process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govreports.load.lake import PUBLISHING, STAGING, lake_dir, read_table
from govreports.load.lock import LOCK_NAME
from govreports.load.warehouse import open_database
from govreports.pipelines.crawl.archive import Archive, FetchRecord
from govreports.pipelines.ingest import SWAP_JOURNAL, discover_all, ingest

from .conftest import SAMPLES

INPUTS = ["gen000_gov_2021_2021.html", "gen001_gov_2021_2022.html", "gen043_legacy_stats_2017.txt",
          "gen048_legacy_stats_2008.txt", "gen002_gov_2021_2023.html"]  # fmt: skip
IGNORED = {"documents": ["ingested_at"], "facts": [], "checks": []}


def copy_inputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in INPUTS:
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def lake_rows(out: Path) -> dict[str, list[tuple]]:
    """Every table of the lake as sorted rows (the time of ingest left out)."""
    rows = {}
    for table, ignored in IGNORED.items():
        data = read_table(out, table).drop_columns(ignored)
        rows[table] = sorted(tuple(map(repr, r.values())) for r in data.to_pylist())
    return rows


def child(code: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


INGEST = """
import sys
from govreports.pipelines.ingest import discover_all, ingest
ingest(discover_all([sys.argv[1]]), sys.argv[2], int(sys.argv[3]))
"""

REBUILD = """
import sys
from pathlib import Path
from govreports.pipelines.ingest import discover_all, ingest, swap_in
out = Path(sys.argv[2])
ingest(discover_all([sys.argv[1]]), out / ".rebuild", int(sys.argv[3]))
swap_in(out / ".rebuild", out)
"""


def run_child(
    script: str, src: Path, out: Path, batch: int, crash_at: str | None = None
) -> subprocess.CompletedProcess:
    env = {"GOVREPORTS_CRASH_AT": crash_at} if crash_at else {}
    return subprocess.run(
        [sys.executable, "-c", script, str(src), str(out), str(batch)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_inputs(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="module")
def reference_lake(inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple]]:
    out = tmp_path_factory.mktemp("reference")
    ingest(discover_all([inputs]), out, batch_size=5)
    rows = lake_rows(out)
    assert len(rows["documents"]) == len(INPUTS) and len(rows["facts"]) > 100
    return rows


@pytest.mark.parametrize(
    "crash_at",
    [
        "batch-part-staged:1",  # first part of the first batch staged
        "batch-part-staged:4",  # mid-batch
        "batch-manifest-written:1",  # committed, nothing moved yet
        "batch-part-published:2",  # committed, half moved
        "batch-manifest-written:2",  # second batch committed
        "warehouse-built:1",  # lake complete, warehouse not swapped in
    ],
)
def test_crash_mid_batch_then_rerun_with_other_batch_size_equals_uninterrupted(
    crash_at: str, inputs: Path, reference_lake: dict, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    crashed = run_child(INGEST, inputs, out, 2, crash_at)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    summary = ingest(discover_all([inputs]), out, batch_size=3)
    assert lake_rows(out) == reference_lake
    assert not list((lake_dir(out) / STAGING).glob("*")) and not list((lake_dir(out) / PUBLISHING).glob("*"))
    # the views show each document once, with its facts once
    con = open_database(out / "warehouse.duckdb")
    dup = "SELECT count(*) FROM (SELECT doc_id, key, count(*) n FROM facts GROUP BY ALL HAVING n > 1)"
    assert con.execute(dup).fetchone() == (0,)
    assert con.execute("SELECT count(DISTINCT doc_id) FROM facts").fetchone() == (len(INPUTS),)
    con.close()
    if crash_at.startswith(("batch-manifest", "batch-part-published")):
        assert any("finished publishing batch" in n for n in summary.recovered)
    # a third run changes nothing
    again = ingest(discover_all([inputs]), out, batch_size=4)
    assert again.written == 0 and lake_rows(out) == reference_lake


@pytest.mark.parametrize("crash_at", ["swap-journal-written", "swap-old-retired", "swap-new-in-place"])
def test_crash_inside_rebuild_swap_is_rolled_forward(
    crash_at: str, inputs: Path, reference_lake: dict, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    old_only = tmp_path / "old"
    copy_inputs(old_only)
    (old_only / INPUTS[0]).unlink()  # the old lake lacks one document: the new one must win
    ingest(discover_all([old_only]), out, batch_size=5)
    crashed = run_child(REBUILD, inputs, out, 2, crash_at)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert (out / SWAP_JOURNAL).exists()
    summary = ingest(discover_all([inputs]), out, batch_size=5)
    assert any("--rebuild swap" in n for n in summary.recovered)
    assert summary.written == 0  # the rebuilt lake already holds every input
    assert lake_rows(out) == reference_lake
    assert not (out / ".lake.old").exists() and not (out / ".rebuild").exists()


def test_half_swapped_folder_without_journal_is_refused_with_what_to_do(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ingest(discover_all([inputs]), out, batch_size=5)
    (out / "lake").rename(out / ".lake.old")
    from typer.testing import CliRunner

    from govreports.pipelines.cli import app

    result = CliRunner().invoke(app, ["ingest", str(inputs), "--out", str(out)])
    assert result.exit_code == 3
    assert ".lake.old but no lake/" in result.output and "mv " in result.output
    assert not (out / "lake").exists()  # nothing started silently over an empty lake


HOLD = """
import sys, time
from govreports.load.lock import lake_lock
with lake_lock(sys.argv[1], command="test holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_second_writer_gets_a_clear_message_and_a_dead_holders_lock_is_taken_over(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        from typer.testing import CliRunner

        from govreports.pipelines.cli import app

        result = CliRunner().invoke(app, ["ingest", str(inputs), "--out", str(out)])
        assert result.exit_code == 3, result.output
        text = " ".join(result.output.split())
        assert f"another ingest holds {out} since" in text and f"pid {holder.pid}" in text
        assert not lake_dir(out).exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (out / LOCK_NAME).exists()  # the dead holder's lock file is still there: it is stale, not held
    summary = ingest(discover_all([inputs]), out, batch_size=5)
    assert summary.written == len(INPUTS)


def test_two_ingests_at_once_give_one_lake(inputs: Path, reference_lake: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = """
import sys
from govreports.load.lock import lake_lock
from govreports.pipelines.ingest import discover_all, ingest
with lake_lock(sys.argv[2], wait=600):
    print(ingest(discover_all([sys.argv[1]]), sys.argv[2], int(sys.argv[3])).written)
"""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(inputs), str(out), str(b)], stdout=subprocess.PIPE, text=True
        )
        for b in (2, 3)
    ]
    written = sorted(int(p.communicate(timeout=600)[0].split()[-1]) for p in procs)
    assert written == [0, len(INPUTS)]  # one wrote everything, the other waited and found nothing new
    assert lake_rows(out) == reference_lake


def test_ingest_while_a_notebook_holds_the_warehouse_open(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = tmp_path / "first"
    copy_inputs(first)
    for name in INPUTS[2:]:
        (first / name).unlink()
    ingest(discover_all([first]), out, batch_size=5)
    reader = child(
        f"""
        import duckdb, time
        # read-write: the strongest lock a reader takes; the views' lake paths resolve against `out`
        con = duckdb.connect({str(out / "warehouse.duckdb")!r}, config={{"file_search_path": {str(out)!r}}})
        print(con.execute("SELECT count(*) FROM documents").fetchone()[0], flush=True)
        time.sleep(600)
        """
    )
    try:
        assert reader.stdout.readline().strip() == "2"
        summary = ingest(discover_all([inputs]), out, batch_size=5)
        assert summary.written == len(INPUTS) - 2
        assert summary.data_docs  # validation ran
        con = open_database(out / "warehouse.duckdb")
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (len(INPUTS),)
        con.close()
        assert reader.poll() is None  # the reader was not disturbed
    finally:
        reader.kill()
        reader.wait()


def test_a_lake_of_only_yearless_documents_keeps_working(inputs: Path, tmp_path: Path) -> None:
    out, src = tmp_path / "out", tmp_path / "empty"
    src.mkdir()
    (src / "empty.html").write_bytes(b"")
    first = ingest(discover_all([src]), out)
    assert first.written == 1
    again = ingest(discover_all([src, inputs]), out, batch_size=5)
    assert again.skipped_known == 1 and again.written == len(INPUTS)
    years = read_table(out, "documents").column("report_year").to_pylist()
    assert years.count(None) == 1


def test_torn_fetch_log_lines_are_skipped_and_appends_start_a_new_line(tmp_path: Path) -> None:
    log = tmp_path / "raw" / "fetches.jsonl"
    log.parent.mkdir(parents=True)
    good = FetchRecord(url="http://127.0.0.1/a", final_url="http://127.0.0.1/a", fetched_at="2026-01-01", status=404)
    line = json.dumps(good.__dict__)
    log.write_text(line + "\n" + line[:17] + "\n" + line + "\n" + line[:30], encoding="utf-8")  # torn mid and last
    archive = Archive(tmp_path)
    assert len(archive.records()) == 2
    archive.record(good)
    assert len(Archive(tmp_path).records()) == 3
    assert log.read_text(encoding="utf-8").splitlines()[-1] == line
    from govreports.pipelines.warehouse import build_warehouse

    con = open_database(build_warehouse(tmp_path))
    assert con.execute("SELECT count(*) FROM fetches WHERE status = 404").fetchone() == (3,)
    con.close()


def test_output_folder_with_quote_brackets_and_star(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "it's [v2]*"
    decoy = tmp_path / "it's 2x"  # the unescaped glob `[v2]*` matches it too (`?` is left out: DuckDB refuses it)
    ingest(discover_all([inputs]), decoy, batch_size=5)
    ingest(discover_all([inputs]), out, batch_size=5)
    con = open_database(out / "warehouse.duckdb")
    assert con.execute("SELECT count(*) FROM documents").fetchone() == (len(INPUTS),)
    assert con.execute("SELECT count(*) FROM reports WHERE is_primary").fetchone()[0] >= 1
    con.close()


def test_lock_is_reentrant_in_one_process(tmp_path: Path) -> None:
    from govreports.load.lock import lake_lock

    with lake_lock(tmp_path), lake_lock(tmp_path):
        pass
    with lake_lock(tmp_path, wait=0):  # released: taken again at once (wait=0 raises if it were held)
        pass


def test_a_relation_outliving_its_connection_does_not_hang_the_next_ingest(inputs: Path, tmp_path: Path) -> None:
    # DuckDB 1.5: `rel = con.sql(...)`, `con.close()`, then any `duckdb.connect` of the same path spins
    # forever. A notebook does this all the time; the pipeline's own opens must not meet it.
    out = tmp_path / "out"
    ingest(discover_all([inputs]), out, batch_size=5)
    code = f"""
    import duckdb
    from govreports.pipelines.ingest import discover_all, ingest
    con = duckdb.connect({str(out / "warehouse.duckdb")!r}, read_only=True, config={{"file_search_path": {str(out)!r}}})
    rel = con.sql("SELECT count(*) FROM documents")
    assert rel.fetchall() == [({len(INPUTS)},)]
    con.close()
    summary = ingest(discover_all([{str(inputs)!r}]), {str(out)!r}, batch_size=2)
    print("written", summary.written)
    """
    proc = child(code)
    try:
        out_text, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the re-ingest hung opening the warehouse")
    assert proc.returncode == 0, err[-2000:]
    assert "written 0" in out_text
