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

import math
import os
import re
import statistics
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING

import numpy as np

from govreports.extract.html import clean
from govreports.extract.model import Extracted, RawTable
from govreports.extract.pdf import pdf_metadata
from govreports.extract.text import tables_from_lines

if TYPE_CHECKING:  # OpenCV loads only when a scan is read
    from govreports.extract.scan_grid import Grid

TABLE_DPI = 200  # measured on the samples: lowest correct digit confidence 0.94 at 200 dpi, 0.77 at 150
TEXT_DPI = 150  # pages without a ruled table: prose and titles read well at this resolution
PROBE_DPI = 72  # the cheap first look: orientation, skew, rulings
# Text detection stays at the page's resolution: run at 150 dpi on table pages (boxes read from the 200 dpi
# image) it gave crops whose lone digits read at lower confidence (0.55-0.78 instead of >= 0.85, gen010).
REC_MIN_WIDTH = 160  # px every crop is padded to: at 48 px lone digits read at lower confidence (bench/RESULTS.md)
RAPIDOCR_REC_WIDTH = 320  # what RapidOCR pads every recognition batch to
REC_BATCH_WIDTH = 1000  # pixels of padded width per recognition call: larger batches ran slower (bench/RESULTS.md)
UPSIDE_DOWN_SAMPLE = 40  # text lines whose direction is checked per page
DASH_READINGS = {"一", "ー", "_", "－", "-", "一一", "——"}  # how OCR reads a printed '—' alone in a cell
# Readings of a lone mark that could be a dash or a numeral: never a value, never dropped.
UNSURE_READINGS = {"二", "="}
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

    # keep every box (low confidence is judged here, not dropped); one onnxruntime thread per core
    return RapidOCR(text_score=0.0, intra_op_num_threads=os.cpu_count() or 1)


def engine_name() -> str:
    return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')}"


@dataclass
class PageScan:
    """What OCR saw on one page, in the pixels of the upright, deskewed page image."""

    boxes: list[Box]
    grids: list[Grid] = field(default_factory=list)
    full_resolution: bool = False
    turned: int = 0  # degrees the page was turned to be upright (0, 90, 180, 270)
    skew: float = 0.0  # degrees of deskewing applied


def ocr_pdf(raw: bytes) -> Extracted:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(raw)
    try:
        scans = [read_page(pdf[i]) for i in range(len(pdf))]
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    return extracted_from_scans(scans, pdf_meta(info))


def render_gray(page, dpi: int):
    return np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def read_page(page) -> PageScan:
    """A cheap low-resolution look decides orientation, skew and whether the page holds a ruled
    table; only table pages are rendered at full resolution."""
    from govreports.extract import scan_grid

    probe = render_gray(page, PROBE_DPI)
    turned = 90 if is_sideways(probe) else 0
    probe = scan_grid.rotate(probe, turned)
    skew = scan_grid.skew_angle(probe)
    tables = bool(scan_grid.find_grids(scan_grid.rotate(probe, skew)))
    dpi = TABLE_DPI if tables else TEXT_DPI
    image = scan_grid.rotate(scan_grid.rotate(render_gray(page, dpi), turned), skew)
    image, boxes, flipped = ocr_boxes(image)
    grids = scan_grid.find_grids(image) if tables else []
    return PageScan(boxes + unboxed_cells(image, grids, boxes), grids, tables, (turned + 180 * flipped) % 360, skew)


def unboxed_cells(gray, grids: list[Grid], boxes: list[Box]) -> list[Box]:
    """Cells with ink in them but no OCR box (text detection misses lone small digits): read
    each such cell on its own; a mark that still reads as nothing is kept as unreadable."""
    from govreports.extract import scan_grid

    mask = scan_grid.text_ink(gray)
    missed = [
        c.rect
        for g in grids
        for c in g.cells
        if scan_grid.has_ink(mask, c.rect)
        and not any(c.rect.holds((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2) for b in boxes)
    ]
    dashes = [r for r in missed if scan_grid.is_dash(mask, r)]
    marks = [r for r in missed if r not in dashes]
    out = [Box(r.x0, r.y0, r.x1, r.y1, "—", 1.0) for r in dashes]
    if marks:
        tight = [scan_grid.ink_box(mask, r) for r in marks]
        crops = [gray[t.y0 : t.y1, t.x0 : t.x1] for t in tight]
        read = recognize([np.stack([c] * 3, axis=-1) for c in crops])
        for r, (text, conf) in zip(marks, read, strict=True):
            text = clean(text)
            out.append(Box(r.x0, r.y0, r.x1, r.y1, text or "?", float(conf) if text else 0.0))
    return out


def is_sideways(gray) -> bool:
    """A page turned by 90° or 270° has its text lines running down the page: most detected
    text boxes are taller than wide. (A projection test fails on tables: digit columns
    look like lines.)"""
    found, _ = engine().text_det(np.stack([gray] * 3, axis=-1))
    if found is None or len(found) == 0:
        return False
    widths = found[:, :, 0].max(axis=1) - found[:, :, 0].min(axis=1)
    heights = found[:, :, 1].max(axis=1) - found[:, :, 1].min(axis=1)
    return int((heights > 1.5 * widths).sum()) > int((widths > 1.5 * heights).sum())


def ocr_boxes(gray) -> tuple[np.ndarray, list[Box], bool]:
    """Detect, check the direction of, and read the text lines. A page whose lines read upside
    down is turned by a half turn, its boxes with it (no second detection); returns the image
    the boxes are on, the boxes and whether it was turned."""
    e = engine()
    image = np.stack([gray] * 3, axis=-1)
    found, _ = e.text_det(image)
    if found is None or len(found) == 0:
        return gray, [], False
    found = e.sorted_boxes(found)
    crops = e.get_crop_img_list(image, found)
    flipped = reads_upside_down(crops)
    if flipped:
        height, width = gray.shape
        gray, image = np.ascontiguousarray(gray[::-1, ::-1]), np.ascontiguousarray(image[::-1, ::-1])
        # a half turn maps each corner to the opposite one: roll the corners to keep top-left first
        found = e.sorted_boxes(np.array([np.roll([width - 1, height - 1] - b, 2, axis=0) for b in found], np.float32))
        crops = e.get_crop_img_list(image, found)
    read = recognize(crops)
    return gray, [box_of(p.tolist(), text, conf) for p, (text, conf) in zip(found, read, strict=True)], flipped


def reads_upside_down(crops: list[np.ndarray]) -> bool:
    """The angle classifier on the long lines only: a lone digit or dash reads the same either way up."""
    long_lines = sorted((c for c in crops if c.shape[1] >= 2.5 * c.shape[0]), key=lambda c: -c.shape[1])
    if not long_lines:
        return False
    _, directions, _ = engine().text_cls([c.copy() for c in long_lines[:UPSIDE_DOWN_SAMPLE]])
    flipped = sum(score for d, score in directions if d == "180")
    upright = sum(score for d, score in directions if d != "180")
    return bool(flipped > upright)


def recognize(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Text and confidence of each crop. Crops of similar width go in one onnxruntime call, each
    batch padded only to its widest crop (RapidOCR pads every batch to at least 320 px, several
    times the width of a lone number, and most crops of a table page are lone numbers) and
    kept to about REC_BATCH_WIDTH pixels (a batch of long lines is slower than one at a time)."""
    rec = engine().text_rec
    height = rec.rec_image_shape[1]
    widths = [max(REC_MIN_WIDTH, math.ceil(height * c.shape[1] / c.shape[0])) for c in crops]
    out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
    for batch in width_batches(widths, REC_BATCH_WIDTH):
        images = np.stack([rec.resize_norm_img(crops[i], widths[batch[-1]] / height) for i in batch])
        for i, read in zip(batch, rec.postprocess_op(rec.session(images.astype(np.float32))[0]), strict=True):
            out[i] = (read[0], float(read[1]))
    # a narrow crop read unsure or as nothing is read again as RapidOCR reads it, padded to 320 px:
    # narrow padding read a lone '1' as nothing (gen011 skewed) and some digits a little less sure
    unsure = [
        i
        for i, (text, conf) in enumerate(out)
        if widths[i] < RAPIDOCR_REC_WIDTH and (conf < MIN_DIGIT_CONFIDENCE or not text.strip())
    ]
    if unsure:
        again, _ = rec([crops[i] for i in unsure])
        for i, read in zip(unsure, again, strict=True):
            out[i] = (read[0], float(read[1]))
    return out


def width_batches(widths: list[int], budget: int) -> list[list[int]]:
    """Indices by increasing width, cut into batches whose size × widest width stays within budget."""
    batches: list[list[int]] = []
    for i in sorted(range(len(widths)), key=lambda i: widths[i]):
        if batches and (len(batches[-1]) + 1) * widths[i] <= budget:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


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


def grid_cell_text(boxes: list[Box]) -> str:
    """The boxes inside one ruled cell, read line by line (a label may wrap inside its cell)."""
    if not boxes:
        return ""  # an empty rectangle: a blank cell, not a missing one
    ordered = [b for line in lines_of(boxes) for cell in line for b in cell]
    if all(b.text in ("", "?") for b in ordered):  # a mark that reads as nothing: never a blank
        return unsure_marker(0.0, "?")
    text = cell_text(ordered)
    if text in UNSURE_READINGS:
        return unsure_marker(min(b.confidence for b in ordered), text)
    return "—" if text in DASH_READINGS else text


def grid_table(grid: Grid, boxes: list[Box], page: int) -> RawTable:
    from govreports.extract import scan_grid

    inside: dict[int, list[Box]] = {}
    for b in boxes:
        x, y = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
        at = next((i for i, c in enumerate(grid.cells) if c.rect.holds(x, y)), None)
        if at is not None:
            inside.setdefault(at, []).append(b)
    texts = {i: grid_cell_text(inside.get(i, [])) for i in range(len(grid.cells))}
    rows = scan_grid.grid_rows(grid, texts)
    return RawTable(rows=rows, pages=[page] * len(rows), origin="ocr_grid")


def extracted_from_scans(scans: list[PageScan], meta: dict[str, str]) -> Extracted:
    """Pages → text in reading order and tables: ruled tables from their grid, the rest of
    each page by lines (unruled tables come from those lines, as in a text capture)."""
    text: list[str] = []
    free: list[str] = []  # the lines outside ruled tables, for the line-based table reader
    free_at: list[tuple[int, int]] = []  # (page, position in text) of each free line
    grid_tables: list[tuple[int, RawTable]] = []
    for number, scan in enumerate(scans, start=1):
        in_grid = [any(g.rect.holds((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2) for g in scan.grids) for b in scan.boxes]
        loose = [b for b, held in zip(scan.boxes, in_grid, strict=True) if not held]
        items = [(statistics.fmean(b.y0 for c in ln for b in c), 0, ln) for ln in lines_of(loose)]
        items += [(g.rect.y0, 1, g) for g in scan.grids]
        for _, is_grid, item in sorted(items, key=lambda it: (it[0], it[1])):
            if is_grid:
                table = grid_table(item, scan.boxes, number)
                grid_tables.append((len(text), table))
                text += ["\t".join(c for c in row if c) for row in table.rows]
                free.append("")  # a ruled table ends any line-read table around it
                free_at.append((number, len(text)))
            else:
                text.append(line_text(item))
                free.append(text[-1])
                free_at.append((number, len(text) - 1))
        text.append("")  # a page break is a blank line: a table running on over the page stays one table
        free.append("")
        free_at.append((number, len(text) - 1))
    line_tables = tables_from_lines(free)
    ordered = list(grid_tables)
    for table in line_tables:
        table.origin = "ocr"
        table.pages = [free_at[n - 1][0] for n in table.line_numbers]
        ordered.append((free_at[table.line_numbers[0] - 1][1] if table.line_numbers else 0, table))
    ordered.sort(key=lambda it: it[0])
    return Extracted(
        format="pdf", text="\n".join(text), tables=[t for _, t in ordered], meta=meta, page_count=len(scans)
    )


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
