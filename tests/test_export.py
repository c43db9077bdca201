"""`govreports export`: views to CSV (Excel-ready), Parquet and xlsx, filtered, atomic, clear errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from govreports.load.export import UTF8_BOM, ExportError, export_view
from govreports.load.lake import write_batch
from govreports.load.safe_filter import ALLOWED_FUNCTIONS
from govreports.pipelines.cli import app
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.reference import reference
from tests.test_views import RESULTS


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("export")
    write_batch(RESULTS, path, reference().known_keys())
    build_warehouse(path)
    return path


def test_csv_has_a_bom_for_excel_and_honours_the_filter(out: Path):
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--format", "csv", "--where", "report_year = 2021"])
    assert result.exit_code == 0, result.output
    target = out / "exports" / "reports.csv"
    assert "wrote 2 rows" in result.output
    raw = target.read_bytes()
    assert raw.startswith(UTF8_BOM)
    rows = list(csv.DictReader(io.StringIO(raw[len(UTF8_BOM) :].decode("utf-8"))))
    assert sorted((r["agency"], r["applications_received"]) for r in rows) == [
        ("平潭综合实验区", "30"),  # counts are BIGINT: no ".0"
        ("沭阳县发展和改革局", "7"),
    ]


def test_parquet_keeps_types(out: Path, tmp_path: Path):
    path, n = export_view(out, "parquet", view="series", to=tmp_path / "series.parquet")
    table = pq.read_table(path)
    assert n == table.num_rows == 17  # every fact of the four primary reports
    assert str(table.schema.field("report_year").type) == "int32"
    assert str(table.schema.field("value").type) == "double"
    assert set(table.column("relation").to_pylist()) == {
        "approximate",
        "equivalent",
        "only_2019",
        "only_2021",
        "derived",
        "only_legacy",  # legacy.lit_total: its counterpart is a sum, not lined up
    }


def test_xlsx_opens_with_chinese_text_and_dates(out: Path, tmp_path: Path):
    path, n = export_view(out, "xlsx", where="agency = '平潭综合实验区'", to=tmp_path / "pingtan.xlsx")
    assert n == 3
    sheet = openpyxl.load_workbook(path, read_only=True)["data"]
    header, *body = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("doc_id", "agency", "province")
    assert sorted(r[header.index("report_year")] for r in body) == [2016, 2019, 2021]
    assert {r[header.index("agency")] for r in body} == {"平潭综合实验区"}


def test_errors_are_clear_and_leave_no_file(out: Path, tmp_path: Path):
    target = tmp_path / "x.csv"
    with pytest.raises(ExportError, match="unknown view"):
        export_view(out, "csv", view="reports; DROP VIEW reports", to=target)
    with pytest.raises(ExportError, match="unknown column 'no_such_column' in view reports"):
        export_view(out, "csv", where="no_such_column = 1", to=target)
    with pytest.raises(ExportError, match="unknown format"):
        export_view(out, "json", to=target)
    with pytest.raises(ExportError, match="no warehouse"):
        export_view(tmp_path / "empty", "csv")
    assert list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--format", "csv", "--view", "nope"])
    assert result.exit_code == 2
    assert "unknown view" in result.output


# Each hostile or malformed --where, with the start of the one-line refusal it must get (issue 10 item 25).
REFUSED_FILTERS = [
    ("report_year = 2021; DROP VIEW reports", "the filter must be one expression, not 2 statements"),
    ("1 = 1; COPY reports TO '/tmp/stolen.csv'", "the filter must be one expression, not 2 statements"),
    ("COPY reports TO '/tmp/stolen.csv'", "the filter must be an expression, not a statement (COPY)"),
    ("SELECT 1", "the filter must be an expression, not a statement (SELECT)"),
    ("ATTACH '/tmp/other.duckdb'", "the filter must be an expression, not a statement (ATTACH)"),
    ("agency IN (SELECT agency FROM documents)", "subqueries and tables are not allowed in a filter"),
    ("(SELECT count(*) FROM read_text('/etc/passwd')) > 0", "subqueries and tables are not allowed in a filter"),
    ("EXISTS (SELECT 1)", "subqueries and tables are not allowed in a filter"),
    ("read_text('/etc/passwd') IS NOT NULL", "function read_text is not allowed in a filter; allowed functions: abs,"),
    ("read_csv('/etc/passwd') IS NOT NULL", "function read_csv is not allowed in a filter"),
    ("getenv('HOME') = 'x'", "function getenv is not allowed in a filter"),
    ("no_such_column = 1", "unknown column 'no_such_column' in view reports"),
    ("agncy = '平潭综合实验区'", "unknown column 'agncy' in view reports; did you mean agency?"),
    ("documents.agency = 'x'", "write the column without a prefix: agency, not documents.agency"),
    ("report_year = $1", "parameters ($1, ?) are not allowed in a filter"),
    ("agency ~ '局'", "the ~ operator is not allowed in a filter"),
    ("report_year >", "the filter does not parse: Required keyword: 'expression' missing at line 1, column 13"),
    ("  ;  ", "the filter is empty"),
    ("report_year + 1", "the filter must be a condition (true or false), but it gives INTEGER"),
]


@pytest.mark.parametrize(("where", "message"), REFUSED_FILTERS)
def test_unsafe_or_malformed_filters_are_refused_with_one_line(out: Path, tmp_path: Path, where: str, message: str):
    with pytest.raises(ExportError) as caught:
        export_view(out, "csv", where=where, to=tmp_path / "x.csv")
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_refused_filter_on_the_command_line_is_a_message_not_a_traceback(out: Path, tmp_path: Path):
    stolen = tmp_path / "stolen.csv"
    where = f"report_year = 2021; COPY (SELECT 42) TO '{stolen}'"
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--format", "csv", "--where", where])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip() == "error: the filter must be one expression, not 2 statements (no ';')"
    assert not stolen.exists()


def test_a_filter_that_fails_on_the_data_is_a_message(out: Path, tmp_path: Path):
    # It binds (a text can be cast to an integer) but the first agency name is no number.
    result = CliRunner().invoke(
        app, ["export", "--out", str(out), "--format", "csv", "--where", "CAST(agency AS INTEGER) > 0"]
    )
    assert result.exit_code == 2
    assert result.output.startswith("error: the filter does not run: Conversion Error: Could not convert string")
    assert result.output.count("\n") == 1


def test_a_valid_filter_with_functions_gives_exact_rows(out: Path, tmp_path: Path):
    where = (
        "starts_with(agency, '平潭') AND report_year BETWEEN 2017 AND 2021 "
        "AND coalesce(applications_received, 0) >= 20 -- the two reports after the 2019 template"
    )
    path, n = export_view(out, "parquet", where=where, to=tmp_path / "pingtan.parquet")
    table = pq.read_table(path)
    assert n == 2
    assert sorted(zip(table.column("doc_id").to_pylist(), table.column("report_year").to_pylist(), strict=True)) == [
        ("b2019", 2019),
        ("c2021", 2021),
    ]


def test_every_allowed_function_is_a_plain_duckdb_scalar():
    # COALESCE and EXTRACT are syntax in DuckDB, not catalog functions; the rest must not be table functions.
    found = dict(
        duckdb.execute(
            "SELECT DISTINCT function_name, function_type FROM duckdb_functions() WHERE function_name IN ?",
            [sorted(ALLOWED_FUNCTIONS)],
        ).fetchall()
    )
    assert set(ALLOWED_FUNCTIONS) - set(found) == {"coalesce", "extract"}
    assert set(found.values()) == {"scalar", "macro"}
