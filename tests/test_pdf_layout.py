"""extract.pdf_layout gives exactly what pdfplumber's own text and table functions give on
the same PDFium-fed pages (every page, ruled or not), and on hand-made chars at the edges
of its rules (blank and empty chars, a centre on a cell border)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfplumber.table import Table, TableFinder, TableSettings
from pdfplumber.utils import extract_text

from govreports.extract import pdf_layout, pdfium_page
from govreports.extract.pdf import open_pdf

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
# one of each kind of PDF the generator makes: 2021 and 2019 templates, legacy, narrative
SAMPLE_PDFS = [
    "gen010_gov_2021_2023.pdf",
    "gen029_gov_2019_2020.pdf",
    "gen040_legacy_stats_2014.pdf",
    "gen057_narrative_2013.pdf",
]


def pages_of(path: Path) -> list[pdfium_page.PdfiumPage]:
    pdf = open_pdf(path.read_bytes())
    try:
        return [pdfium_page.read_page(pdf[i]) for i in range(len(pdf))]
    finally:
        pdf.close()


def assert_same_as_pdfplumber(pages: list[pdfium_page.PdfiumPage]) -> int:
    """Compares page text, table cells and table text; returns the number of cells compared."""
    settings = TableSettings.resolve(None)
    cells = 0
    for page in pages:
        assert pdf_layout.chars_text(page.chars) == extract_text(page.chars)
        reference = TableFinder(page, settings).tables
        ours = pdf_layout.find_tables(page, settings)
        assert [t.cells for t in ours] == [t.cells for t in reference]
        for table in reference:
            rows = table.extract()
            assert pdf_layout.table_text(table) == rows
            cells += sum(map(len, rows))
    return cells


@pytest.mark.parametrize("name", SAMPLE_PDFS)
def test_sample_pdf_same_as_pdfplumber(name: str) -> None:
    pages = pages_of(SAMPLES / name)
    cells = assert_same_as_pdfplumber(pages)
    assert cells > 0 or "narrative" in name


def test_real_pdf_same_as_pdfplumber(shared_corpus: Path) -> None:
    for path in sorted((shared_corpus / "real").glob("*.pdf")):
        assert assert_same_as_pdfplumber(pages_of(path)) > 100


def char(text: str, x0: float, top: float, size: float = 10.0) -> dict:
    return {"text": text, "x0": x0, "x1": x0 + size, "top": top, "doctop": top, "bottom": top + size, "upright": True}


HAND_MADE = [
    [],
    [char("一", 0, 0), char("二", 10, 0), char("三", 30, 0)],  # a gap of 10 > x_tolerance: two words
    [char("甲", 10, 0), char("乙", 0, 2)],  # same line (top within 3), read left to right
    [char("甲", 0, 0), char("乙", 0, 4), char("丙", 0, 8)],  # tops chained 4 apart: three lines
    [char("a", 0, 0), char(" ", 10, 0), char("b", 20, 0)],  # a blank char ends a word
    [char("a", 0, 0), char("", 10, 0), char("b", 20, 0)],  # an empty char is a word of its own
    [char("ﬁ", 0, 0), char("x", 10, 0)],  # ligatures expanded
    [char("1", 0, 0), char("2", 5, 0.5), char("3", 9, 3.4)],  # overlapping and drifting chars
    [char(" ", 0, 0), char(" ", 10, 9)],  # blanks only: no words
    [char("甲", 0, 0), char("乙", 0, 3.5)],  # tops over the tolerance apart: two lines
    [char("上", 0, 0.1), char("下", 0, 3.1)],  # tops exactly the tolerance apart: one line, one word
]


@pytest.mark.parametrize("chars", HAND_MADE)
def test_hand_made_text_same_as_pdfplumber(chars: list[dict]) -> None:
    assert pdf_layout.chars_text(chars) == extract_text(chars)


def test_rotated_chars_refused() -> None:
    with pytest.raises(ValueError, match="upright"):
        pdf_layout.chars_text([{**char("a", 0, 0), "upright": False}])


def test_char_centre_on_a_cell_border_goes_right_and_down() -> None:
    """A centre on a cell's left or top border belongs to it, on its right or bottom border
    to the next (pdfplumber's half-open boxes); a slot covered by a merged cell is None."""
    page = pdfium_page.PdfiumPage(100, 100)
    page.chars = [char("左", 5, 5), char("右", 15, 5), char("下", 5, 15)]  # centres (10, 10), (20, 10), (10, 20)
    cells = [(0, 0, 10, 10), (10, 0, 20, 10), (0, 10, 10, 20), (10, 10, 20, 20), (0, 20, 20, 30)]
    table = Table(page, cells)
    expected = [["", ""], ["", "左"], ["下", None]]
    assert table.extract() == expected
    assert pdf_layout.table_text(table) == expected


def test_vertical_block_header_reads_as_pdfminer_reads_it(shared_corpus: Path) -> None:
    """hzq2023's section-三 header is set top to bottom in a vertical-writing CID font; PDFium's
    loose box made each of its chars 199 pt wide, so they joined the labels of the next column."""
    from govreports.extract.pdf import extract_pdf, extract_pdf_pdfplumber

    raw = (shared_corpus / "real" / "hzq2023_working.pdf").read_bytes()
    ours, reference = extract_pdf(raw), extract_pdf_pdfplumber(raw)
    assert [t.rows for t in ours.tables] == [t.rows for t in reference.tables]
    assert any("三 、 本 年 度 办 理 结 果" in (cell or "") for t in ours.tables for row in t.rows for cell in row)


def test_char_right_narrows_only_the_unscaled_loose_box() -> None:
    assert pdfium_page.char_right(85.6, 284.6, 199.0, 9.95) == pytest.approx(95.55)
    assert pdfium_page.char_right(85.6, 95.6, 199.0, 9.95) == 95.6  # a loose box already in page space
    assert pdfium_page.char_right(10.0, 22.0, 12.0, 12.0) == 22.0  # unscaled font: nothing to tell apart
