"""Compaction (issue 13 item 2): small parts → few sorted files, same rows, same answers, crash-safe,
never half visible, under the writer lock.

The lake is made by the real ingest with one document per batch (one part per table and year per
document); crashes are real (a child process killed at a named step, load/faults.py).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from govreports.load import compact as compaction
from govreports.load.compact import COMPACTING, compact, partitions
from govreports.load.lake import lake_dir, read_table
from govreports.load.lock import LakeBusyError
from govreports.load.warehouse import connect
from govreports.pipelines.ingest import discover_all, ingest
from govreports.pipelines.warehouse import build_warehouse

from .conftest import SAMPLES, crash_child

INPUTS = ["gen000_gov_2021_2021.html", "gen004_gov_2021_2021.html", "gen008_gov_2021_2021.html",
          "gen016_gov_2021_2021.txt", "gen020_gov_2021_2021.txt", "gen023_gov_2019_2020.html",
          "gen024_gov_2019_2020.html", "gen033_gov_2019_2020.txt", "gen043_legacy_stats_2017.txt"]  # fmt: skip
EXTRA = "extra"  # a lake table compaction knows nothing about: it is compacted all the same
VIEW_QUERIES = [
    "SELECT report_year, sum(applications_received) FROM reports WHERE is_primary GROUP BY 1 ORDER BY 1",
    "SELECT report_year, avg((NOT s3_balance_passed)::INTEGER) FROM reports WHERE is_primary"
    " AND s3_balance_passed IS NOT NULL GROUP BY 1 ORDER BY 1",
    "SELECT report_year, template, applications_received, granted, reviews FROM reports WHERE agency_key ="
    " (SELECT min(agency_key) FROM reports) AND is_primary ORDER BY report_year",
    "SELECT * FROM reports ORDER BY ALL",
    "SELECT * FROM requests_wide ORDER BY ALL",
    "SELECT * FROM series ORDER BY ALL",
    "SELECT doc_id, key, value, method, page, raw_label, raw_text, flags FROM facts ORDER BY ALL",
    "SELECT * FROM checks ORDER BY ALL",
]
COMPACT = """
import sys
from govreports.load.compact import compact
compact(sys.argv[1])
"""


def lake_rows(out: Path) -> dict[str, list[str]]:
    """Every lake table's rows, sorted, as text (every column)."""
    rows = {t: sorted(map(repr, read_table(out, t).to_pylist())) for t in ("documents", "facts", "checks")}
    for table in ("validated", EXTRA):
        files = sorted((lake_dir(out) / table).rglob("*.parquet"))
        data = ds.dataset([str(f) for f in files], format="parquet").to_table() if files else pa.table({})
        rows[table] = sorted(map(repr, data.to_pylist()))
    return rows


def view_answers(out: Path) -> list[list[tuple]]:
    con = connect(out)
    try:
        return [con.execute(q).fetchall() for q in VIEW_QUERIES]
    finally:
        con.close()


def file_counts(out: Path) -> dict[str, int]:
    return {label: len(files) for label, files in partitions(out).items()}


@pytest.fixture(scope="module")
def small_parts_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("inputs")
    for name in INPUTS:
        shutil.copy(SAMPLES / name, src / name)
    out = tmp_path_factory.mktemp("lake") / "out"
    ingest(discover_all([src]), out, batch_size=1)
    for i in range(5):  # a table of another writer, with small parts in one partition
        part = lake_dir(out) / EXTRA / f"report_year-2021-part-{i}.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"doc_id": [f"d{i}", f"c{i}"], "agency_key": [f"z{i}", f"a{i}"]}), part)
    assert file_counts(out)["facts/report_year-2021"] == 5
    return out


@pytest.fixture(scope="module")
def reference(small_parts_lake: Path) -> tuple[dict, list]:
    """The rows and view answers of the uncompacted lake."""
    return lake_rows(small_parts_lake), view_answers(small_parts_lake)


@pytest.fixture
def lake(small_parts_lake: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(small_parts_lake, out)
    build_warehouse(out)  # its views read the copy, not the fixture's folder
    return out


def test_many_small_parts_compact_to_one_file_per_partition_with_the_same_rows_and_answers(
    lake: Path, reference: tuple
) -> None:
    rows, answers = reference
    assert lake_rows(lake) == rows
    assert len(rows["documents"]) == len(INPUTS) and len(rows["facts"]) > 1000
    before = file_counts(lake)
    done = compact(lake)
    after = file_counts(lake)
    assert sorted(done.partitions) == sorted(p for p, n in before.items() if n > 1)
    assert "extra/report_year-2021" in done.partitions
    assert set(after) == set(before) and set(after.values()) == {1}
    assert done.files_before == sum(before[p] for p in done.partitions) and done.files_after == len(done.partitions)
    assert lake_rows(lake) == rows
    assert view_answers(lake) == answers  # the views read globs: the old warehouse file sees the new parts
    build_warehouse(lake)
    assert view_answers(lake) == answers
    assert not (lake_dir(lake) / COMPACTING).exists()


def test_compacted_files_are_sorted_by_the_filter_columns_and_keep_the_dictionary_metadata(lake: Path) -> None:
    compact(lake)
    (facts,) = partitions(lake)["facts/report_year-2021"]
    table = pq.read_table(facts)
    keys = table.column("key").to_pylist()
    assert keys == sorted(keys)
    assert b"govreports.dictionary" in pq.read_schema(facts).metadata
    (extra,) = partitions(lake)[f"{EXTRA}/report_year-2021"]
    assert pq.read_table(extra).column("agency_key").to_pylist() == sorted(f"{c}{i}" for c in "az" for i in range(5))
    (docs,) = partitions(lake)["documents/report_year-2021"]
    assert pq.read_schema(docs) == pq.read_schema(partitions(lake)["documents/report_year-2017"][0])


def test_compacting_twice_changes_nothing(lake: Path) -> None:
    compact(lake)
    files = {f: (f.stat().st_ino, f.stat().st_mtime_ns) for f in sorted(lake_dir(lake).rglob("*.parquet"))}
    again = compact(lake)
    assert not again and again.partitions == []
    assert {f: (f.stat().st_ino, f.stat().st_mtime_ns) for f in sorted(lake_dir(lake).rglob("*.parquet"))} == files


def test_large_parts_are_kept_as_they_are_and_only_small_ones_merged(lake: Path, reference: tuple, monkeypatch) -> None:
    sizes = sorted((p.stat().st_size, p) for p in partitions(lake)["facts/report_year-2021"])
    biggest = sizes[-1][1]
    inode = biggest.stat().st_ino
    rows = reference[0]
    monkeypatch.setattr(compaction, "SMALL_FILE_BYTES", sizes[-1][0])  # the biggest part is "large"
    compact(lake)
    assert biggest.exists() and biggest.stat().st_ino == inode  # hard-linked into the new folder, not rewritten
    assert len(partitions(lake)["facts/report_year-2021"]) == 2
    assert lake_rows(lake) == rows


@pytest.mark.parametrize(
    "crash_at",
    [
        "compact-part-written:1",  # the first merged file written in staging
        "compact-staged:1",  # first table staged, journal written, not swapped
        "compact-swapped:1",  # first table swapped in, its old parts still in staging
        "compact-staged:3",  # some tables done, one staged
        "compact-cleaned:2",  # between two tables
    ],
)
def test_crash_at_each_step_then_rerun_gives_the_same_lake_and_readers_never_see_half(
    crash_at: str, lake: Path, reference: tuple
) -> None:
    rows, answers = reference
    crashed = crash_child(COMPACT, lake, crash_at=crash_at, timeout=120)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert (lake_dir(lake) / COMPACTING).exists()  # it did die mid-compaction
    # what a reader sees at the crash, before any repair: every row exactly once
    assert lake_rows(lake) == rows
    assert view_answers(lake) == answers
    compact(lake)
    assert lake_rows(lake) == rows  # the same rows give the same answers (the first test)
    assert set(file_counts(lake).values()) == {1}
    assert not (lake_dir(lake) / COMPACTING).exists()


def test_an_ingest_after_a_crashed_compaction_repairs_the_lake(lake: Path, reference: tuple) -> None:
    rows = reference[0]
    crashed = crash_child(COMPACT, lake, crash_at="compact-swapped:2", timeout=120)
    assert crashed.returncode == 137
    summary = ingest(discover_all([SAMPLES / INPUTS[0]]), lake, batch_size=1)
    assert summary.written == 0
    assert any("interrupted compaction" in n for n in summary.recovered)
    assert lake_rows(lake) == rows and not (lake_dir(lake) / COMPACTING).exists()


def test_without_folder_exchange_a_crash_between_the_two_renames_is_rolled_forward(
    lake: Path, reference: tuple
) -> None:
    rows = reference[0]
    crashed = crash_child(
        COMPACT, lake, crash_at="compact-old-aside:1", timeout=120, GOVREPORTS_COMPACT_NO_EXCHANGE="1"
    )
    assert crashed.returncode == 137
    assert lake_rows(lake) != rows  # the fallback's window: one partition is away (docs/guarantees.md)
    compact(lake)
    assert lake_rows(lake) == rows and set(file_counts(lake).values()) == {1}


def test_an_ingest_compacts_partitions_past_the_threshold(lake: Path, reference: tuple, monkeypatch) -> None:
    rows = reference[0]
    monkeypatch.setenv("GOVREPORTS_COMPACT_AFTER_PARTS", "3")  # 2021 holds 5 parts a table, 2020 holds 3
    summary = ingest(discover_all([SAMPLES / INPUTS[0]]), lake, batch_size=1)
    counts = file_counts(lake)
    assert counts["facts/report_year-2021"] == 1 and counts["facts/report_year-2020"] == 3
    assert summary.compacted == "4 partitions, 20 parts → 4 files"  # documents, facts, checks, extra of 2021
    assert lake_rows(lake) == rows


HOLD = """
import sys, time
from govreports.load.lock import lake_lock
with lake_lock(sys.argv[1], command="test holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_compaction_takes_the_writer_lock(lake: Path) -> None:
    before = file_counts(lake)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lake)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LakeBusyError, match=f"pid {holder.pid}"):
            compact(lake)
        from typer.testing import CliRunner

        from govreports.pipelines.cli import app

        result = CliRunner().invoke(app, ["compact", str(lake)])
        assert result.exit_code == 3 and "another ingest holds" in " ".join(result.output.split())
        assert file_counts(lake) == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    result = CliRunner().invoke(app, ["compact", str(lake)])
    assert result.exit_code == 0, result.output
    assert "partitions:" in result.output and set(file_counts(lake).values()) == {1}
