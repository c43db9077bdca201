"""The lake answers like the views (issue 11 item 4): document_choice and reports as lake tables.

The README's national total (applications received by primary reports) is computed from the
`reports` view, DuckDB on the lake Parquet (the reports table, and facts + document_choice without
it), pandas (both ways), pyarrow and polars, and must be one exact number. Crashes inside the
swap of the derived tables are real (a child process killed at a named step).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from govreports.load.dictionary import data_dictionary
from govreports.load.lake import PUBLISHING, STAGING, file_year, lake_dir, recover, table_files, write_batch, year_glob
from govreports.load.lake_tables import DERIVED, THIN_VIEWS
from govreports.load.sqltext import glob_literal, paths_relative_to
from govreports.load.warehouse import connect, create_computing_views, open_database
from govreports.pipelines.warehouse import VALIDATION_VIEWS, build_warehouse
from govreports.transform.reference import reference
from tests.conftest import SAMPLES, SHARED_CORPUS, crash_child
from tests.validation_fixtures import doc_id, fact, result

RECEIVED = "s3.new_received.total"
NATIONAL_TOTAL = "SELECT sum(applications_received)::BIGINT FROM reports WHERE is_primary"
BY_YEAR = "SELECT report_year, sum(applications_received)::BIGINT FROM reports WHERE is_primary GROUP BY 1 ORDER BY 1"
LAKE_TABLES = ("documents", "facts", "checks", "validated", *DERIVED)


def received_keys() -> list[str]:
    """The keys the reports view reads applications_received from (the dictionary's measure)."""
    dictionary = data_dictionary()
    return sorted(dictionary.loc[dictionary["measure"] == RECEIVED, "key"])


# --- the national total, every way --------------------------------------------------------------


def from_view(out: Path) -> dict:
    con = connect(out)
    try:
        return dict(con.execute(BY_YEAR).fetchall())
    finally:
        con.close()


def from_duckdb_reports_parquet(out: Path) -> dict:
    src = f"read_parquet({glob_literal(lake_dir(out) / 'reports', '*.parquet')})"
    con = duckdb.connect()
    try:
        return dict(con.execute(BY_YEAR.replace("FROM reports", f"FROM {src}")).fetchall())
    finally:
        con.close()


def from_duckdb_facts_parquet(out: Path) -> dict:
    """Without the reports table: facts and documents of the lake, is_primary from lake/document_choice."""
    lake = lake_dir(out)
    keys = ", ".join(f"'{k}'" for k in received_keys())
    sql = f"""
        WITH received AS (
            SELECT doc_id, max(value) AS v FROM read_parquet({glob_literal(lake / "facts", "*.parquet")})
            WHERE key IN ({keys}) GROUP BY doc_id
        )
        SELECT c.report_year, sum(r.v)::BIGINT
        FROM read_parquet({glob_literal(lake / "document_choice", "*.parquet")}) c
        JOIN read_parquet({glob_literal(lake / "documents", "*.parquet")}) d USING (doc_id)
        JOIN received r USING (doc_id)
        WHERE c.is_primary AND d.doc_type = 'annual_report' AND r.v = trunc(r.v)
        GROUP BY 1 HAVING count(*) > 0 ORDER BY 1
    """
    con = duckdb.connect()
    try:
        return dict(con.execute(sql).fetchall())
    finally:
        con.close()


def from_pandas_reports(out: Path) -> dict:
    reports = pd.read_parquet(lake_dir(out) / "reports")
    primary = reports[reports["is_primary"]]
    return {int(y): int(v) for y, v in primary.groupby("report_year")["applications_received"].sum().items()}


def from_pandas_facts(out: Path) -> dict:
    """Without the reports table: pandas on lake/facts, is_primary from lake/document_choice."""
    facts = pd.read_parquet(lake_dir(out) / "facts", columns=["doc_id", "key", "value"])
    choice = pd.read_parquet(lake_dir(out) / "document_choice")
    received = facts[facts["key"].isin(received_keys())].groupby("doc_id")["value"].max()
    received = received[received == received.round()]
    primary = choice[choice["is_primary"]].set_index("doc_id")
    joined = primary.join(received.rename("received"), how="inner")
    # the annual reports, from plain pandas on lake/documents (which holds undated documents)
    documents = pd.read_parquet(lake_dir(out) / "documents", columns=["doc_id", "doc_type"])
    joined = joined[joined.index.isin(documents.loc[documents["doc_type"] == "annual_report", "doc_id"])]
    return {int(y): int(v) for y, v in joined.groupby("report_year")["received"].sum().items()}


def from_pyarrow_facts(out: Path) -> dict:
    """pyarrow datasets on lake/facts, lake/documents and lake/document_choice, joined in Arrow."""
    lake = lake_dir(out)
    received = (
        ds.dataset(lake / "facts", format="parquet")
        .to_table(columns=["doc_id", "value"], filter=pc.field("key").isin(received_keys()))
        .group_by("doc_id")
        .aggregate([("value", "max")])
    )
    received = received.filter(pc.equal(received["value_max"], pc.round(received["value_max"])))
    annual = ds.dataset(lake / "documents", format="parquet").to_table(
        columns=["doc_id", "report_year"], filter=pc.field("doc_type") == "annual_report"
    )
    primary = ds.dataset(lake / "document_choice", format="parquet").to_table(
        columns=["doc_id"], filter=pc.field("is_primary")
    )
    joined = annual.join(primary, "doc_id", join_type="inner").join(received, "doc_id", join_type="inner")
    summed = joined.group_by("report_year").aggregate([("value_max", "sum")])
    return dict(zip(summed["report_year"].to_pylist(), map(int, summed["value_max_sum"].to_pylist()), strict=True))


def from_polars_facts(out: Path) -> dict:
    """polars on lake/facts, lake/documents and lake/document_choice (hive_partitioning as docs/analysts.md)."""
    pl = pytest.importorskip("polars")
    lake = lake_dir(out)

    def scan(table: str):
        return pl.scan_parquet(str(lake / table / "**" / "*.parquet"), hive_partitioning=True)

    received = (
        scan("facts")
        .filter(pl.col("key").is_in(received_keys()))
        .group_by("doc_id")
        .agg(pl.col("value").max())
        .filter(pl.col("value") == pl.col("value").round())
    )
    frame = (
        scan("documents")
        .filter(pl.col("doc_type") == "annual_report")
        .select("doc_id", "report_year")
        .join(scan("document_choice").filter(pl.col("is_primary")).select("doc_id"), on="doc_id")
        .join(received, on="doc_id")
        .group_by("report_year")
        .agg(pl.col("value").sum())
        .collect()
    )
    return {y: int(v) for y, v in zip(frame["report_year"].to_list(), frame["value"].to_list(), strict=True)}


def from_pyarrow(out: Path) -> dict:
    table = ds.dataset(lake_dir(out) / "reports", format="parquet").to_table(
        columns=["report_year", "applications_received"], filter=pc.field("is_primary")
    )
    summed = table.group_by("report_year").aggregate([("applications_received", "sum")])
    return {
        y: v
        for y, v in zip(summed["report_year"].to_pylist(), summed["applications_received_sum"].to_pylist(), strict=True)
        if v is not None
    }


def from_polars(out: Path) -> dict:
    pl = pytest.importorskip("polars")
    frame = (
        pl.scan_parquet(str(lake_dir(out) / "reports" / "*.parquet"), hive_partitioning=True)
        .filter(pl.col("is_primary"))
        .group_by("report_year")
        .agg(pl.col("applications_received").sum())
        .collect()
    )
    return dict(zip(frame["report_year"].to_list(), frame["applications_received"].to_list(), strict=True))


def from_published(out: Path) -> dict:
    """The release file a researcher is given (`govreports publish`): its own tables, no lake."""
    from govreports.pipelines.publish import RELEASE_DB, publish

    release = publish(out, Path(tempfile.mkdtemp(dir=out.parent)) / "release", pages=False)
    con = duckdb.connect(str(release / RELEASE_DB), read_only=True)
    try:
        return dict(con.execute(BY_YEAR).fetchall())
    finally:
        con.close()


WAYS = [from_view, from_duckdb_reports_parquet, from_duckdb_facts_parquet, from_pandas_reports, from_pandas_facts,
        from_pyarrow, from_pyarrow_facts, from_polars, from_polars_facts, from_published]  # fmt: skip


def assert_one_national_total(out: Path, expected_total: int) -> None:
    by_way = {way.__name__: way(out) for way in WAYS}
    reference_years = by_way["from_view"]
    for name, years in by_way.items():
        # a year whose primary reports print no total sums to null in SQL, 0 in pandas: compare the printed ones
        years = {y: v for y, v in years.items() if v}
        assert years == {y: v for y, v in reference_years.items() if v}, name
        assert sum(years.values()) == expected_total, name


@pytest.fixture(scope="module")
def samples_lake(tmp_path_factory) -> Path:
    from govreports.pipelines.ingest import discover, ingest

    out = tmp_path_factory.mktemp("lake_tables_samples")
    ingest(discover([SAMPLES]), out)
    return out


def test_national_total_is_one_number_every_way_on_the_samples(samples_lake: Path):
    """Four readers (DuckDB, pandas, polars, pyarrow) on the lake tables themselves (documents, facts,
    document_choice), on a lake holding documents with no year, on lake/reports, and the published
    release's DuckDB file give one number."""
    undated = pd.read_parquet(lake_dir(samples_lake) / "documents", columns=["report_year"])["report_year"]
    assert undated.isna().sum() == 12
    assert_one_national_total(samples_lake, 13110)
    con = connect(samples_lake)
    try:  # the view reads the lake table now, and says the same as the computation it replaced
        assert con.execute(NATIONAL_TOTAL).fetchone() == (13110,)
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'reports'").fetchone()[0]
        assert "lake/reports/" in sql
    finally:
        con.close()


def test_national_total_is_one_number_every_way_with_the_shared_corpus(samples_lake: Path, tmp_path: Path):
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (a fresh clone has no shared folder)")
    from govreports.pipelines.ingest import discover, ingest

    out = tmp_path / "out"
    shutil.copytree(samples_lake, out)  # the samples are in already: only the corpus is parsed
    ingest(discover([SHARED_CORPUS]), out)
    assert_one_national_total(out, 13638)


def test_every_lake_table_reads_with_plain_pandas_polars_pyarrow_and_duckdb(samples_lake: Path):
    """The samples have documents with no year: each reader sees them with a null report_year."""
    pl = pytest.importorskip("polars")
    undated = {"documents": 12, "document_choice": 12, "facts": 0, "checks": 0, "reports": 0}
    for table in LAKE_TABLES:
        folder = lake_dir(samples_lake) / table
        frame = pd.read_parquet(folder)
        lazy = pl.scan_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True)
        arrow = ds.dataset(folder, format="parquet").to_table()
        con = duckdb.connect()
        try:
            duck = con.execute(f"SELECT count(*) FROM read_parquet({glob_literal(folder, '*.parquet')})").fetchone()[0]
        finally:
            con.close()
        assert len(frame) == lazy.select(pl.len()).collect().item() == arrow.num_rows == duck > 0, table
        if table in undated:
            assert frame["report_year"].isna().sum() == undated[table], table  # null, never 0 or a string
            assert lazy.select(pl.col("report_year").is_null().sum()).collect().item() == undated[table], table
            assert arrow["report_year"].null_count == undated[table], table
            assert arrow.schema.field("report_year").type == pa.int32(), table
            assert lazy.collect_schema()["report_year"] == pl.Int32, table
    assert len(pd.read_parquet(lake_dir(samples_lake) / "documents")) == 149


def test_a_year_is_read_alone_by_file_name_or_by_statistics(samples_lake: Path):
    """Partition pruning: one year's facts by glob (year_glob), or by a filter the readers push down to the
    files' min/max statistics; both give that year's rows and nothing else."""
    pl = pytest.importorskip("polars")
    facts = lake_dir(samples_lake) / "facts"
    whole = pd.read_parquet(facts, columns=["report_year"])
    n2023 = int((whole["report_year"] == 2023).sum())
    assert 0 < n2023 < len(whole)
    by_name = pd.read_parquet([str(f) for f in facts.glob(year_glob(2023))])
    assert len(by_name) == n2023 and set(by_name["report_year"]) == {2023}
    assert len(pd.read_parquet(facts, filters=[("report_year", "=", 2023)])) == n2023
    lazy = pl.scan_parquet(str(facts / "*.parquet")).filter(pl.col("report_year") == 2023)
    assert lazy.select(pl.len()).collect().item() == n2023


# --- the same report captured twice --------------------------------------------------------------

CAPTURES = [
    result("page.html", [fact(RECEIVED, 40)], agency="洪泽区人民政府", format="html"),
    result("page.txt", [fact(RECEIVED, 40)], agency="淮安市洪泽区人民政府", format="text"),
    result("other.html", [fact(RECEIVED, 5)], agency="沭阳县人民政府"),
    result("notice.html", [], doc_type="other", template=None, report_year=None),
]


def test_a_report_captured_as_page_and_text_counts_once_from_pandas(tmp_path: Path):
    write_batch(CAPTURES, tmp_path, reference().known_keys())
    build_warehouse(tmp_path)
    facts = pd.read_parquet(lake_dir(tmp_path) / "facts")
    assert facts.loc[facts["key"] == RECEIVED, "value"].sum() == 85  # the naive sum counts 40 twice
    reports = pd.read_parquet(lake_dir(tmp_path) / "reports")
    assert reports.loc[reports["is_primary"], "applications_received"].sum() == 45
    choice = pd.read_parquet(lake_dir(tmp_path) / "document_choice").set_index("doc_id")
    assert choice.loc[doc_id("page.html"), "reason"] == "primary of 2 copies: html/pdf over text"
    assert choice.loc[doc_id("page.txt"), "reason"].startswith(f"copy of {doc_id('page.html')[:12]}, which wins on")
    assert choice.loc[doc_id("page.txt"), "agency_key"] == "洪泽区人民政府"
    assert pd.isna(choice.loc[doc_id("notice.html"), "report_year"])
    assert from_view(tmp_path) == from_pandas_reports(tmp_path) == from_pandas_facts(tmp_path) == {2023: 45}


# --- crashes inside the swap -----------------------------------------------------------------------

BUILD = """
import sys
from govreports.pipelines.warehouse import build_warehouse
build_warehouse(sys.argv[1])
"""


def derived_rows(out: Path, tables: tuple[str, ...] = ("document_choice", "reports")) -> dict[str, int]:
    """Rows of the first two derived tables the swap replaces (the crash points count their renames)."""
    assert tables == tuple(DERIVED)[:2]
    return {t: len(pd.read_parquet(lake_dir(out) / t)) for t in tables if (lake_dir(out) / t).exists()}


@pytest.mark.parametrize("crash_at", ["tables-manifest-written", "table-old-retired:1", "table-old-retired:2"])
def test_a_crash_in_the_swap_never_shows_a_half_table_and_is_rolled_forward(crash_at: str, tmp_path: Path):
    write_batch(CAPTURES[2:], tmp_path, reference().known_keys())
    build_warehouse(tmp_path)
    old = {"document_choice": 2, "reports": 1}
    assert derived_rows(tmp_path) == old
    write_batch(CAPTURES[:2], tmp_path, reference().known_keys())
    crashed = crash_child(BUILD, tmp_path, crash_at=crash_at)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    # each table is the old one whole, the new one whole, or not there (mid-swap): never a mix
    seen = derived_rows(tmp_path)
    new = {"document_choice": 4, "reports": 3}
    assert all(seen[t] in (old[t], new[t]) for t in seen), seen
    if crash_at == "tables-manifest-written":
        assert seen == old
    else:
        assert len(seen) == 1  # one table renamed aside, not yet replaced
    done = recover(tmp_path)
    assert any("finished publishing batch tables-" in note for note in done)
    assert derived_rows(tmp_path) == new
    assert not list(lake_dir(tmp_path).glob(f"{STAGING}/*")) and not list(lake_dir(tmp_path).glob(f"{PUBLISHING}/*"))
    assert not [p for p in lake_dir(tmp_path).iterdir() if p.name.endswith(".old")]
    build_warehouse(tmp_path)
    assert from_view(tmp_path) == from_pandas_reports(tmp_path) == {2023: 45}


# --- the snippets of docs/analysts.md -------------------------------------------------------------


def analysts_snippets() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "analysts.md").read_text(encoding="utf-8")
    section = text.split("## Totals from Parquet alone", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_the_analysts_parquet_snippets_give_the_national_total(samples_lake: Path):
    snippets = analysts_snippets()
    assert len(snippets) == 3
    totals = []
    for code in snippets:
        if "import polars" in code:
            pytest.importorskip("polars")
        scope: dict = {}
        exec(code.replace('lake = "data/lake"', f"lake = {str(lake_dir(samples_lake))!r}"), scope)  # noqa: S102
        totals.append(scope["total"])
    assert totals == [13110, 13110, 13110]
    assert analysts_snippets()[2].count('"s3.new_received.total", "legacy.req_received"') == 1
    assert received_keys() == ["legacy.req_received", "s3.new_received.total"]  # the snippet's keys are the measure's


# --- the materialised views answer as the computations they replace ----------------------------


def relation_rows(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list, list[str]]:
    shape = con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall()
    return shape, sorted(map(repr, con.execute(f"SELECT * FROM {name}").fetchall()))


def assert_views_answer_as_computed(out: Path) -> int:
    """The warehouse's relations (thin selects over lake tables) against the same relations computed from
    documents/facts/checks by the view definitions they replace: same columns, types and rows, for every
    relation, the validation views over them included. Returns how many relations were compared."""
    computing = out / ".computing-views.duckdb"  # beside the lake: the views hold relative paths
    con = open_database(computing, read_only=False)
    warehouse = connect(out)
    try:
        with paths_relative_to(out):
            create_computing_views(con, out)
            for create in VALIDATION_VIEWS:
                create(con)
        listing = (
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() UNION ALL "
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
        )
        names = [n for (n,) in warehouse.execute(listing).fetchall()]
        assert set(THIN_VIEWS) <= set(names)
        for view in [v for v in THIN_VIEWS if table_files(out, THIN_VIEWS[v][0])]:  # each reads its lake table now
            sql = warehouse.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()[0]
            assert f"lake/{THIN_VIEWS[view][0]}/" in sql, view
        for name in names:
            assert relation_rows(warehouse, name) == relation_rows(con, name), name
        return len(names)
    finally:
        warehouse.close()
        con.close()
        computing.unlink(missing_ok=True)


def test_every_view_answers_as_its_computing_definition_on_the_samples(samples_lake: Path):
    assert assert_views_answer_as_computed(samples_lake) >= 22


def derived_inodes(out: Path) -> dict[tuple[str, int | None], int]:
    """(table, year) -> inode of that year's file: a file kept by a build keeps its inode (hard link)."""
    return {(t, file_year(f)): f.stat().st_ino for t in DERIVED for f in table_files(out, t)}


def rewritten_years(before: dict, after: dict) -> set[int | None]:
    return {year for key, year in after if before.get((key, year)) != after[(key, year)]} | {
        year for key, year in before if (key, year) not in after
    }


def test_a_batch_rewrites_only_the_years_it_touches_and_the_answers_stay_exact(tmp_path: Path):
    known = reference().known_keys()
    write_batch(
        [
            result("a2021.html", [fact(RECEIVED, 7)], agency="沭阳县人民政府", report_year=2021),
            result("b2022.html", [fact(RECEIVED, 9)], agency="淮安市洪泽区人民政府", report_year=2022),
            result("c2023.html", [fact(RECEIVED, 4)], agency="泗洪县人民政府", report_year=2023),
            result("notice.html", [], doc_type="other", template=None, report_year=None, agency=None),
        ],
        tmp_path,
        known,
    )
    build_warehouse(tmp_path)
    first = derived_inodes(tmp_path)
    assert {year for _, year in first} == {2021, 2022, 2023, None}
    build_warehouse(tmp_path)  # nothing new: nothing rewritten
    assert derived_inodes(tmp_path) == first
    # a second copy of the 2023 report (text): 2023 only
    write_batch([result("c2023.txt", [fact(RECEIVED, 4)], agency="泗洪县人民政府", report_year=2023, format="text")],
                tmp_path, known)  # fmt: skip
    build_warehouse(tmp_path)
    second = derived_inodes(tmp_path)
    assert rewritten_years(first, second) == {2023}
    assert_views_answer_as_computed(tmp_path)
    # a 2024 report under the shorter name: the 2022 report's agency_key changes too, 2021 and 2023 are kept
    write_batch([result("d2024.html", [fact(RECEIVED, 3)], agency="洪泽区人民政府", report_year=2024)], tmp_path, known)
    build_warehouse(tmp_path)
    assert rewritten_years(second, derived_inodes(tmp_path)) == {2022, 2024}
    assert_views_answer_as_computed(tmp_path)
    con = connect(tmp_path)
    try:
        history = "SELECT report_year, applications_received FROM reports WHERE agency_key = ? ORDER BY 1"
        assert con.execute(history, ["洪泽区人民政府"]).fetchall() == [(2022, 9), (2024, 3)]
        assert con.execute(NATIONAL_TOTAL).fetchone() == (23,)
    finally:
        con.close()
    # a derived table's folder lost (the warehouse stamp then asks for a build): computed again for every year
    before_loss = {f.name for f in table_files(tmp_path, "series")}
    shutil.rmtree(lake_dir(tmp_path) / "series")
    build_warehouse(tmp_path)
    assert {f.name for f in table_files(tmp_path, "series")} == before_loss != set()
    assert_views_answer_as_computed(tmp_path)


# --- a lake of the old layout (report_year=<Y>/ folders, the year only in the folder name) ------------

OLD_LAYOUT_TABLES = ("documents", "facts", "checks")
VIEW_QUERIES = [
    BY_YEAR,
    "SELECT report_year, count(*) FROM documents GROUP BY 1 ORDER BY 1 NULLS FIRST",
    "SELECT * FROM documents ORDER BY doc_id",
    "SELECT doc_id, report_year, key, value, method, page, raw_label FROM facts ORDER BY ALL",
    "SELECT * FROM checks ORDER BY ALL",
    "SELECT * FROM requests_wide ORDER BY ALL",
]
MIGRATE = """
import sys
from govreports.load.lake import recover
from govreports.load.lock import lake_lock
with lake_lock(sys.argv[1]):
    recover(sys.argv[1])
"""


def view_answers(out: Path) -> list[list[tuple]]:
    con = connect(out)
    try:
        return [con.execute(q).fetchall() for q in VIEW_QUERIES]
    finally:
        con.close()


def to_old_layout(out: Path) -> None:
    """Rewrite the lake as the writer before the flat layout did: report_year=<Y>/part-<batch>.parquet
    (__HIVE_DEFAULT_PARTITION__ for no year), without the column in the file."""
    import pyarrow.parquet as pq

    for table in OLD_LAYOUT_TABLES:
        for part in table_files(out, table):
            year = file_year(part)
            folder = part.parent / f"report_year={'__HIVE_DEFAULT_PARTITION__' if year is None else year}"
            folder.mkdir(exist_ok=True)
            old = pq.read_table(part).drop_columns(["report_year"])
            pq.write_table(old, folder / f"part-{part.stem[-16:]}.parquet")
            part.unlink()


@pytest.fixture
def old_lake(samples_lake: Path, tmp_path: Path) -> tuple[Path, list]:
    """A copy of the samples lake in the old layout, with the view answers it gave before."""
    out = tmp_path / "out"
    shutil.copytree(samples_lake, out)
    build_warehouse(out)
    answers = view_answers(out)
    to_old_layout(out)
    assert not list((lake_dir(out) / "documents").glob("*.parquet"))
    with pytest.raises(pa.ArrowInvalid, match="Cannot yet unify dictionaries with nulls"):
        pd.read_parquet(lake_dir(out) / "documents")  # what the old layout gave a pandas reader
    return out, answers


def test_the_next_ingest_migrates_an_old_layout_lake_with_the_same_answers(old_lake: tuple[Path, list]):
    from govreports.pipelines.ingest import discover, ingest

    out, answers = old_lake
    summary = ingest(discover([SAMPLES / "gen000_gov_2021_2021.html"]), out)
    assert summary.written == 0  # the documents already in the lake are known in the old layout too
    assert sorted(n for n in summary.recovered if n.startswith("migrated")) == [
        f"migrated lake/{t} to one folder with report_year in every file (was report_year=… folders)"
        for t in sorted(OLD_LAYOUT_TABLES)
    ]
    assert not list(lake_dir(out).glob("*/report_year=*"))
    assert view_answers(out) == answers
    assert len(pd.read_parquet(lake_dir(out) / "documents")) == 149
    assert_one_national_total(out, 13110)
    again = ingest(discover([SAMPLES / "gen000_gov_2021_2021.html"]), out)
    assert not any(n.startswith("migrated") for n in again.recovered)


@pytest.mark.parametrize("crash_at", ["migrate-part-written:40", "tables-manifest-written", "table-old-retired:2"])
def test_a_migration_killed_midway_leaves_a_readable_lake_and_is_finished_by_the_next_run(
    crash_at: str, old_lake: tuple[Path, list]
):
    out, answers = old_lake
    crashed = crash_child(MIGRATE, out, crash_at=crash_at)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    if crash_at == "migrate-part-written:40":  # before the commit: the old layout, whole
        assert len(list((lake_dir(out) / "facts").glob("report_year=*/*.parquet"))) > 0
        assert not list((lake_dir(out) / "facts").glob("*.parquet"))
    from typer.testing import CliRunner

    from govreports.pipelines.cli import app

    result = CliRunner().invoke(app, ["warehouse", str(out)])  # takes the lock, recovers, migrates, rebuilds
    assert result.exit_code == 0, result.output
    done = " ".join(result.output.split())
    if crash_at == "migrate-part-written:40":  # dropped, then done again
        assert "dropped unpublished batch tables-migrate-" in done and "migrated lake/facts" in done
    else:  # committed: rolled forward
        assert "finished publishing batch tables-migrate-" in done and "migrated" not in done
    assert not list((lake_dir(out)).glob("*/report_year=*"))
    assert not list((lake_dir(out) / STAGING).glob("*")) and not list((lake_dir(out) / PUBLISHING).glob("*"))
    assert view_answers(out) == answers
