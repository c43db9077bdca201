"""OCR of scanned PDFs: scans made here from the repo's own sample PDFs, read back and compared.

The real-OCR tests run RapidOCR on 15 pages (a few seconds each); the rest feed hand-made
boxes or a PDF's own word boxes to the same grouping and wiring, and are fast.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from govreports.extract import ocr
from govreports.extract.ocr import Box, PageScan
from govreports.pipelines.generate.render_scan import render_scan, scan_of
from govreports.transform.document import process_document
from govreports.transform.identities import confirm_by_identities
from govreports.transform.model import DocumentResult, Fact, InputDoc
from govreports.transform.reference import reference
from tests.conftest import load_expected

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
# (sample, scan rendering): blank and '—' cells, turned and skewed pages (pipelines/generate/render_scan.py)
SCANNED = [
    ("gen014_gov_2021_2023", "scan_upright"),  # zeros printed as '—'
    ("gen015_gov_2021_2024", "scan_rotated_270"),  # zeros printed blank, notes in cells
    ("gen032_gov_2019_2019", "scan_rotated_180"),
    ("gen047_legacy_stats_2013", "scan_skewed"),
]
MIN_EXACT_SHARE = 0.99  # measured: bench/bench_ocr.py (every rendering, 0 wrong values)

needs_engine = pytest.mark.skipif(not ocr.engine_available(), reason="rapidocr-onnxruntime not installed")


def box(x0: float, y0: float, x1: float, y1: float, text: str, confidence: float = 0.99) -> Box:
    return Box(x0, y0, x1, y1, text, confidence)


def texts(lines: list[list[list[Box]]]) -> list[list[str]]:
    return [["".join(b.text for b in cell) for cell in line] for line in lines]


# -- grouping (pure) -------------------------------------------------------------------------------


def test_boxes_group_into_lines_by_vertical_overlap_and_cells_by_wide_gaps() -> None:
    boxes = [
        box(200, 212, 240, 240, "25"),  # a value box sitting a little lower than its label
        box(10, 200, 60, 230, "行政"),
        box(64, 201, 90, 231, "许可"),  # 4 px after 行政: same cell
        box(10, 100, 300, 130, "一、总体情况"),
        box(400, 205, 430, 235, "0"),
        box(10, 300, 40, 330, "总计"),
    ]
    assert texts(ocr.lines_of(boxes)) == [["一、总体情况"], ["行政许可", "25", "0"], ["总计"]]


def test_boxes_without_enough_overlap_are_separate_lines() -> None:
    boxes = [box(10, 100, 60, 130, "本年"), box(100, 118, 130, 148, "9")]  # 12 of 30 px shared
    assert texts(ocr.lines_of(boxes)) == [["本年"], ["9"]]


def test_a_gap_of_one_character_height_or_less_keeps_the_cell() -> None:
    boxes = [box(0, 0, 30, 30, "1"), box(60, 0, 90, 30, "2"), box(121, 0, 150, 30, "3")]
    assert texts(ocr.lines_of(boxes)) == [["12", "3"]]


def test_low_confidence_digit_cell_becomes_a_marker_and_labels_never_do() -> None:
    line = [[box(0, 0, 30, 30, "5", 0.43)], [box(60, 0, 200, 30, "2023年度报告", 0.43)], [box(300, 0, 330, 30, "7")]]
    assert ocr.line_text(line) == "0（OCR置信度0.43：5）\t2023年度报告\t7"


def test_tables_keep_the_page_of_every_row() -> None:
    page1 = PageScan([box(0, 0, 80, 30, "规章"), box(200, 0, 230, 30, "2"), box(300, 0, 330, 30, "5")])
    page2 = PageScan([box(0, 0, 80, 30, "行政许可"), box(200, 0, 230, 30, "9")])
    ex = ocr.extracted_from_scans([page1, page2], {"ocr": "test"})
    assert [t.rows for t in ex.tables] == [[["规章", "2", "5"], ["行政许可", "9"]]]
    assert ex.tables[0].pages == [1, 2]
    assert (ex.format, ex.page_count, ex.needs_ocr, ex.meta) == ("pdf", 2, False, {"ocr": "test"})


# -- the wiring, with a PDF's own word boxes standing in for the OCR engine (fast) ---------------


def word_boxes(pdf_path: Path) -> list[list[Box]]:
    with pdfplumber.open(pdf_path) as pdf:
        return [
            [box(w["x0"], w["top"], w["x1"], w["bottom"], w["text"]) for w in page.extract_words()]
            for page in pdf.pages
        ]


def scan_with_fake_ocr(tmp_path: Path, monkeypatch, name: str, unsure: str | None = None) -> DocumentResult:
    """Scan a sample; the 'OCR' returns the original's word boxes, the word `unsure` at confidence 0.43."""
    source = SAMPLES / f"{name}.pdf"
    pages = iter(word_boxes(source))

    def fake_read_page(_page) -> PageScan:
        return PageScan([Box(b.x0, b.y0, b.x1, b.y1, b.text, 0.43 if b.text == unsure else 1.0) for b in next(pages)])

    monkeypatch.setattr(ocr, "read_page", fake_read_page)
    scan = tmp_path / f"{name}.pdf"
    scan.write_bytes(scan_of(source.read_bytes(), dpi=40))
    return process_document(InputDoc.from_path(scan))


def test_scanned_pdf_is_read_through_ocr_and_every_fact_is_flagged(tmp_path: Path, monkeypatch) -> None:
    result = scan_with_fake_ocr(tmp_path, monkeypatch, "gen010_gov_2021_2023")
    expected = load_expected(SAMPLES / "gen010_gov_2021_2023.expected.json")
    values = {f.key: f.value for f in result.facts}
    assert result.document["status"] == "ok"
    assert result.document["template"] == "gov_2021"
    assert result.document["page_count"] == 5
    assert {k: values.get(k) for k in expected["facts"]} == expected["facts"]
    assert all("ocr" in f.flags for f in result.facts)
    assert {f.page for f in result.facts if f.key.startswith("s3.") and f.method != "derived"} == {2, 3, 4}


def test_low_confidence_digits_are_null_with_the_confidence_as_reason(tmp_path: Path, monkeypatch) -> None:
    # 172.02 (s2 行政事业性收费) is printed once in gen010; its word is read at confidence 0.43
    result = scan_with_fake_ocr(tmp_path, monkeypatch, "gen010_gov_2021_2023", unsure="172.02")
    fact = next(f for f in result.facts if f.key == "s2.art20_8.admin_fees.fee_amount_wan_yuan")
    assert fact.value is None
    assert fact.raw_text == "172.02"
    assert fact.reason == "OCR confidence 0.43 (read '172.02')"
    assert fact.note is None
    assert fact.flags == ["unreadable", "ocr"]
    assert sum(1 for f in result.facts if f.value is None) == 1


def test_without_an_ocr_engine_a_scan_still_needs_ocr(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ocr, "engine_available", lambda: False)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_of((SAMPLES / "gen057_narrative_2013.pdf").read_bytes(), dpi=40))
    result = process_document(InputDoc.from_path(scan))
    assert (result.document["status"], result.facts) == ("needs_ocr", [])


def test_an_ocr_error_fails_the_document_with_the_error(tmp_path: Path, monkeypatch) -> None:
    def broken(_page) -> list[Box]:
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(ocr, "engine_available", lambda: True)
    monkeypatch.setattr(ocr, "read_page", broken)
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scan_of((SAMPLES / "gen057_narrative_2013.pdf").read_bytes(), dpi=40))
    result = process_document(InputDoc.from_path(scan))
    assert result.document["status"] == "failed"
    assert result.document["error"].startswith("RuntimeError: model file damaged")
    assert result.facts == []


# -- real OCR of scans made from the samples ----------------------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> dict[str, DocumentResult]:
    folder = tmp_path_factory.mktemp("scans")
    results = {}
    for name, style in SCANNED:
        scan = folder / f"{name}.pdf"
        scan.write_bytes(render_scan((SAMPLES / f"{name}.pdf").read_bytes(), style))
        results[name] = process_document(InputDoc.from_path(scan))
    return results


@needs_engine
@pytest.mark.parametrize("name", [name for name, _ in SCANNED])
def test_ocr_of_a_clean_scan_reads_the_expected_values(scanned: dict[str, DocumentResult], name: str) -> None:
    expected = load_expected(SAMPLES / f"{name}.expected.json")
    result = scanned[name]
    doc = result.document
    assert (doc["status"], doc["template"], doc["report_year"], doc["agency"]) == (
        "ok",
        expected["template"],
        expected["report_year"],
        expected["agency"],
    )
    facts = {f.key: f for f in result.facts}
    read = {k: facts[k].value for k in expected["facts"] if k in facts}
    want = expected["facts"]
    wrong = {k: (v, want[k]) for k, v in read.items() if v is not None and abs(v - want[k]) > 1e-6}
    assert wrong == {}
    unsure = [k for k, v in read.items() if v is None and not facts[k].reason]
    assert unsure == []
    exact = sum(1 for k, v in read.items() if v is not None) / len(expected["facts"])
    assert exact >= MIN_EXACT_SHARE
    assert all("ocr" in f.flags for f in result.facts)
    printed_pages = {f.page for f in result.facts if f.method != "derived"}
    assert None not in printed_pages and printed_pages <= set(range(1, doc["page_count"] + 1))


@needs_engine
def test_an_upside_down_table_page_is_detected_once_and_read_in_narrow_batches(monkeypatch) -> None:
    """Speed (issue 14 item 4), counted, not timed: one text detection on the probe and one on
    the page at full resolution (the half turn found afterwards turns the boxes, it does not
    detect again), and recognition batches padded to their widest crop, not to RapidOCR's 320 px."""
    import pypdfium2

    e = ocr.engine()
    detected, batch_widths = [], []
    det, rec = e.text_det, e.text_rec.session
    monkeypatch.setattr(e, "text_det", lambda image: detected.append(image.shape[:2]) or det(image))
    monkeypatch.setattr(e.text_rec, "session", lambda batch: batch_widths.append(batch.shape[3]) or rec(batch))
    raw = scan_of((SAMPLES / "gen010_gov_2021_2023.pdf").read_bytes(), pages=[1], turn=180)
    pdf = pypdfium2.PdfDocument(raw)
    try:
        width, height = pdf[0].get_size()
        scan = ocr.read_page(pdf[0])
    finally:
        pdf.close()
    assert (scan.turned, scan.full_resolution, len(scan.grids)) == (180, True, 2)
    assert {"行政许可", "575", "364"} <= {b.text for b in scan.boxes}
    assert len(detected) == 2
    assert detected[1] == (round(height * ocr.TABLE_DPI / 72), round(width * ocr.TABLE_DPI / 72))
    assert min(batch_widths) < 320


# -- identities may confirm an unsure reading, only when they fix it ------------------------------------


def expected_facts(name: str) -> list[Fact]:
    expected = load_expected(SAMPLES / f"{name}.expected.json")
    return [Fact(k, v) for k, v in expected["facts"].items()]


def unsure(facts: list[Fact], key: str, read: str) -> Fact:
    fact = next(f for f in facts if f.key == key)
    fact.value, fact.raw_text, fact.reason = None, read, f"OCR confidence 0.76 (read {read!r})"
    fact.flag("unreadable")
    return fact


def test_an_unsure_reading_the_identities_fix_is_confirmed() -> None:
    facts = expected_facts("gen010_gov_2021_2023")
    key = "s3.new_received.natural_person"
    want = next(f.value for f in facts if f.key == key)
    fact = unsure(facts, key, f"{want:g}")
    confirm_by_identities(facts, "gov_2021", reference(), flag="unreadable")
    assert fact.value == want and "identity_resolved" in fact.flags
    assert fact.reason.startswith("OCR confidence 0.76") and "confirmed by S3_" in fact.reason


def test_a_reading_the_identities_contradict_or_cannot_fix_stays_null() -> None:
    facts = expected_facts("gen010_gov_2021_2023")
    key = "s3.new_received.natural_person"
    want = next(f.value for f in facts if f.key == key)
    wrong = unsure(facts, key, f"{want + 1:g}")
    confirm_by_identities(facts, "gov_2021", reference(), flag="unreadable")
    assert wrong.value is None and "identity_resolved" not in wrong.flags
    # two unsure cells of one column: no identity fixes either
    facts = expected_facts("gen010_gov_2021_2023")
    a = unsure(facts, "s3.new_received.natural_person", "1")
    b = unsure(facts, "s3.carried_over_from_prev.natural_person", "1")
    confirm_by_identities(facts, "gov_2021", reference(), flag="unreadable")
    assert (a.value, b.value) == (None, None)
