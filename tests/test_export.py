"""`govreports export`: views to CSV (Excel-ready), Parquet and xlsx, filtered, atomic, clear errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from govreports.load.export import UTF8_BOM, ExportError, export_view
from govreports.load.lake import write_batch
from govreports.load.warehouse import build_warehouse
from govreports.pipelines.cli import app
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
        ("平潭综合实验区", "30.0"),
        ("沭阳县发展和改革局", "7.0"),
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
    with pytest.raises(ExportError, match="the filter does not run"):
        export_view(out, "csv", where="no_such_column = 1", to=target)
    with pytest.raises(ExportError, match="unknown format"):
        export_view(out, "json", to=target)
    with pytest.raises(ExportError, match="no warehouse"):
        export_view(tmp_path / "empty", "csv")
    assert list(tmp_path.iterdir()) == []
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--format", "csv", "--view", "nope"])
    assert result.exit_code == 2
    assert "unknown view" in result.output
