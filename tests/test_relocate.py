"""A moved or copied output folder reads its own lake (issue 11 item 3): the warehouse's views hold
lake paths relative to its folder, resolved when it is opened."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from govreports.load.lake import file_year, table_files, year_glob
from govreports.load.warehouse import open_database, warehouse_path
from govreports.pipelines.warehouse import build_warehouse
from tests.test_corrections import GOOD, apply, out  # noqa: F401  (the fixture)


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall()]


def answers(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """Every view's row count and a checksum of its rows."""
    return {
        v: con.execute(f'SELECT count(*), sum(hash(t)) FROM (SELECT * FROM "{v}") t').fetchone() for v in views(con)
    }


@pytest.fixture
def full_out(out: Path) -> Path:  # noqa: F811
    """The lake, a correction overlay and a fetch log: every kind of file the views read."""
    apply(out, GOOD)
    log = out / "raw" / "fetches.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps({"url": "https://example.gov.cn/a.html", "status": 200}) + "\n", encoding="utf-8")
    build_warehouse(out)
    return out


def test_a_copied_folder_reads_its_own_lake_after_the_original_is_deleted(
    full_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with open_database(warehouse_path(full_out)) as con:
        before = answers(con)
    assert len(before) > 20 and before["facts"][0] > 0 and before["corrections"][0] == 2 and before["fetches"][0] == 1
    copy = tmp_path_factory.mktemp("elsewhere") / "copy"
    shutil.copytree(full_out, copy)
    shutil.rmtree(full_out)
    with open_database(warehouse_path(copy)) as con:
        assert answers(con) == before


def test_the_copy_answers_from_its_own_lake_not_the_original(
    full_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    copy = tmp_path_factory.mktemp("copy") / "out"
    shutil.copytree(full_out, copy)
    years = sorted({file_year(f) for f in table_files(copy, "facts")} - {None})
    assert len(years) > 1
    lost = years[0]
    for part in (copy / "lake" / "facts").glob(year_glob(lost)):  # only the copy loses a year of facts
        part.unlink()  # its warehouse is not rebuilt
    count = "SELECT count(*) FROM facts WHERE report_year = ?"
    with open_database(warehouse_path(full_out)) as con:
        assert con.execute(count, [lost]).fetchone()[0] > 0
    with open_database(warehouse_path(copy)) as con:
        assert con.execute(count, [lost]).fetchone() == (0,)


def test_plain_duckdb_from_inside_the_folder_or_with_file_search_path(
    full_out: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with open_database(warehouse_path(full_out)) as con:
        want = con.execute("SELECT count(*) FROM facts WHERE method = 'manual'").fetchone()
    moved = tmp_path_factory.mktemp("moved") / "out"
    os.rename(full_out, moved)
    con = duckdb.connect(str(warehouse_path(moved)), read_only=True, config={"file_search_path": str(moved)})
    assert con.execute("SELECT count(*) FROM facts WHERE method = 'manual'").fetchone() == want == (2,)
    con.close()
    # a working directory holding another lake does not leak into the views (globs only)
    decoy = tmp_path_factory.mktemp("decoy") / "out"
    shutil.copytree(moved, decoy)
    shutil.rmtree(decoy / "lake" / "corrections")
    cwd = os.getcwd()
    os.chdir(decoy)
    try:
        with open_database(warehouse_path(moved)) as con:
            assert con.execute("SELECT count(*) FROM corrections").fetchone() == (2,)
    finally:
        os.chdir(cwd)
