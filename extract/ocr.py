"""Scanned PDFs (no text layer) → Extracted, by OCR (RapidOCR, ONNX models shipped in its wheel).

Pages are rendered with pypdfium2 and read by RapidOCR into text boxes. Boxes that
overlap vertically form a line; inside a line, a gap wider than about one character
height starts a new cell. Lines with several cells are written tab-joined, so the
text-capture table reader (`extract.text.tables_from_lines`) builds the tables and the
same table mapper reads them; every row keeps its page.

A cell with digits read below `MIN_DIGIT_CONFIDENCE` must not yield a number: its text
is replaced by `unsure_marker(...)`, a value-like cell `0（OCR置信度0.43：5）` that every
table reader places like any other value; `distrust_unsure` (called by the transform on
OCR'd documents) turns the fact it becomes into value None, flag `unreadable`, reason
`OCR confidence 0.43 (read '5')`. The 0 is never stored.
"""

from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version

from govreports.extract.html import clean
from govreports.extract.model import Extracted
from govreports.extract.pdf import pdf_metadata
from govreports.extract.text import tables_from_lines

DPI = 200  # measured on the samples: lowest correct digit confidence 0.94 at 200 dpi, 0.77 at 150
MIN_DIGIT_CONFIDENCE = 0.8  # a dash misread as '1' came at 0.20; clean digits mostly ≥ 0.9 (bench/bench_ocr.py)
LINE_OVERLAP = 0.5  # share of the smaller height two boxes must share to be on one line
CELL_GAP = 1.0  # a horizontal gap wider than this many character heights starts a new cell
UNSURE = re.compile(r"^OCR置信度(?P<conf>\d\.\d+)[:：](?P<read>.*)$")  # the cell parser NFKC-folds ：
DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Box:
    """One OCR text box: its bounding rectangle in pixels, text and confidence."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    confidence: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def engine_available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def engine():
    """The OCR engine, loaded once per process (loading the models takes a while)."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(text_score=0.0)  # keep every box: low confidence is judged here, not dropped


def engine_name() -> str:
    return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


def ocr_pdf(raw: bytes) -> Extracted:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(raw)
    try:
        page_lines = [lines_of(read_page(pdf[i])) for i in range(len(pdf))]
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    return extracted_from_lines(page_lines, pdf_meta(info))


def read_page(page) -> list[Box]:
    import numpy as np

    image = page.render(scale=DPI / 72).to_pil().convert("RGB")
    result, _ = engine()(np.asarray(image), use_cls=False)  # scans are upright; the angle model doubles the time
    return [box_of(points, text, conf) for points, text, conf in result or []]


def box_of(points: list[list[float]], text: str, confidence: float) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs), max(ys), clean(text), float(confidence))


def pdf_meta(info: dict) -> dict[str, str]:
    """pypdfium2's metadata dict uses the same keys as pdfplumber's (Title, CreationDate)."""
    return {**pdf_metadata(info), "ocr": engine_name()}


# -- from boxes to lines and cells (pure) ----------------------------------------------------------


def lines_of(boxes: list[Box]) -> list[list[list[Box]]]:
    """Boxes → lines (top to bottom) → cells (left to right) → boxes."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        line = next((ln for ln in reversed(lines[-3:]) if same_line(ln, box)), None)
        if line is None:
            lines.append([box])
        else:
            line.append(box)
    lines.sort(key=lambda ln: statistics.fmean((b.y0 + b.y1) / 2 for b in ln))
    return [cells_of(sorted(line, key=lambda b: b.x0)) for line in lines]


def same_line(line: list[Box], box: Box) -> bool:
    """The box overlaps the line's band (its boxes' mean top and bottom) by enough."""
    top = statistics.fmean(b.y0 for b in line)
    bottom = statistics.fmean(b.y1 for b in line)
    overlap = min(bottom, box.y1) - max(top, box.y0)
    return overlap >= LINE_OVERLAP * min(bottom - top, box.height)


def cells_of(line: list[Box]) -> list[list[Box]]:
    char = statistics.median(b.height for b in line)
    cells: list[list[Box]] = [[line[0]]]
    for box in line[1:]:
        if box.x0 - cells[-1][-1].x1 > CELL_GAP * char:
            cells.append([box])
        else:
            cells[-1].append(box)
    return cells


def cell_text(cell: list[Box]) -> str:
    text = "".join(b.text for b in cell)
    confidence = min(b.confidence for b in cell)
    if DIGIT.search(text) and confidence < MIN_DIGIT_CONFIDENCE and is_value_text(text):
        return unsure_marker(confidence, text)
    return text


def is_value_text(text: str) -> bool:
    """A cell meant as a number (digits, separators, a unit), not a label that holds a year or an item number."""
    return re.fullmatch(r"[\d\s.,，。·\-—()（）%元万件个项条次人]+", text) is not None


def unsure_marker(confidence: float, text: str) -> str:
    return f"0（OCR置信度{confidence:.2f}：{text}）"


def line_text(cells: list[list[Box]]) -> str:
    return "\t".join(cell_text(c) for c in cells)


def extracted_from_lines(page_lines: list[list[list[list[Box]]]], meta: dict[str, str]) -> Extracted:
    lines: list[str] = []
    pages: list[int] = []
    for number, page in enumerate(page_lines, start=1):
        for cells in page:
            lines.append(line_text(cells))
            pages.append(number)
        lines.append("")  # a page break is a blank line: a table running on over the page stays one table
        pages.append(number)
    tables = tables_from_lines(lines)
    for table in tables:
        table.origin = "ocr"
        table.pages = [pages[n - 1] for n in table.line_numbers]
    return Extracted(format="pdf", text="\n".join(lines), tables=tables, meta=meta, page_count=len(page_lines))


# -- the transform's side: what an unsure cell becomes -----------------------------------------------


def distrust_unsure(facts: list) -> list:
    """Facts read from an unsure OCR cell get no value: null, `unreadable`, the confidence as reason."""
    for fact in facts:
        m = UNSURE.match(fact.note or "")
        if m:
            fact.value = None
            fact.note = None
            fact.raw_text = m.group("read")
            fact.flags = [f for f in fact.flags if f != "note"]
            fact.flag("unreadable")
            fact.reason = f"OCR confidence {m.group('conf')} (read {m.group('read')!r})"
    return facts


def scan_of(raw: bytes, dpi: int = 150, pages: list[int] | None = None) -> bytes:
    """An image-only PDF of a PDF's pages (0-based `pages`, default all): what a scanner makes, for tests and bench."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(raw)
    try:
        images = [pdf[i].render(scale=dpi / 72).to_pil().convert("L") for i in pages or range(len(pdf))]
    finally:
        pdf.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()
