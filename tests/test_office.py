"""Word and Excel attachments: merged cells, .xls, .doc/.wps without LibreOffice, and the samples."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest

from govreports.extract import extract
from govreports.extract.office import docx_table_rows, spread_merges
from govreports.transform.document import process_document
from govreports.transform.model import InputDoc
from tests.office_files import xlsx_to_xls

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def expected_values(name: str) -> dict[str, float]:
    exp = json.loads((SAMPLES / name).with_suffix(".expected.json").read_text(encoding="utf-8"))
    return {k: v for k, v in exp["facts"].items() if v is not None}


def merged_docx() -> bytes:
    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    t.cell(0, 0).merge(t.cell(0, 2)).text = "三、收到和处理政府信息公开申请情况"
    t.cell(1, 0).merge(t.cell(2, 0)).text = "本年新收"
    for r, c, text in ((1, 1, "自然人"), (1, 2, "12"), (2, 1, "法人"), (2, 2, "—")):
        t.cell(r, c).text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_merges_follow_the_html_convention() -> None:
    (table,) = docx.Document(io.BytesIO(merged_docx())).tables
    assert docx_table_rows(table) == [
        ["三、收到和处理政府信息公开申请情况", None, None],  # horizontal merge: covered slots are None
        ["本年新收", "自然人", "12"],
        ["本年新收", "法人", "—"],  # vertical merge: the label stays on every row
    ]
    ex = extract(merged_docx(), "docx")
    assert ex.format == "docx" and ex.tables[0].rows[2] == ["本年新收", "法人", "—"]


def test_spreadsheet_merges_and_numbers() -> None:
    rows: list[list[str | None]] = [["标题", "", ""], ["本年新收", "自然人", "12"], ["", "法人", "0"]]
    spread_merges(rows, [(0, 0, 0, 2), (1, 0, 2, 0)])
    assert rows == [["标题", None, None], ["本年新收", "自然人", "12"], ["本年新收", "法人", "0"]]
    book = openpyxl.Workbook()
    book.active.append(["项目", 12.0, None, "—"])
    buf = io.BytesIO()
    book.save(buf)
    assert extract(buf.getvalue(), "xlsx").tables[0].rows == [["项目", "12", "", "—"]]


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*") if p.suffix in (".docx", ".xlsx")), ids=str)
def test_office_samples_are_read_exactly(name: str) -> None:
    result = process_document(InputDoc.from_path(SAMPLES / name))
    assert result.document["status"] == "ok"
    got = {k: v for k, v in result.values().items() if v is not None}
    expected = expected_values(name)
    assert {k: got.get(k) for k in expected} == expected


def test_xls_reads_like_the_xlsx_it_was_made_from(tmp_path: Path) -> None:
    name = "gen068_gov_2019_2019.xlsx"
    xls = tmp_path / "stats.xls"
    xls.write_bytes(xlsx_to_xls((SAMPLES / name).read_bytes()))
    from_xls = process_document(InputDoc.from_path(xls))
    from_xlsx = process_document(InputDoc.from_path(SAMPLES / name))
    assert from_xls.document["format"] == "xls" and from_xls.document["template"] == "gov_2019"
    assert from_xls.values() == from_xlsx.values()


@pytest.mark.parametrize("suffix", [".doc", ".wps"])
def test_doc_and_wps_without_libreoffice_are_kept_as_needs_conversion(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / f"report{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)  # an OLE2 header, as Word writes
    doc = process_document(InputDoc.from_path(path)).document
    assert (doc["format"], doc["status"]) == (suffix[1:], "needs_conversion")
    assert doc["error"] == f"{suffix} needs LibreOffice (soffice) to be read; it is not installed"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_doc_is_converted_with_libreoffice(tmp_path: Path) -> None:
    import subprocess

    src = tmp_path / "r.docx"
    src.write_bytes((SAMPLES / "gen063_gov_2021_2024.docx").read_bytes())
    subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(src)], check=True)
    result = process_document(InputDoc.from_path(tmp_path / "r.doc"))
    got = {k: v for k, v in result.values().items() if v is not None}
    expected = expected_values("gen063_gov_2021_2024.docx")
    assert {k: got.get(k) for k in expected} == expected
