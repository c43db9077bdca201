"""A PDF page as pdfplumber's table finder sees it, built from PDFium (pypdfium2).

pdfminer's layout analysis is most of the time of a pdfplumber parse (the profile in
../shared/notes). pdfplumber's TableFinder needs only a page's `chars`, `edges` and
`bbox`; PDFium gives both far faster. Char boxes follow pdfminer's convention (a box
one font size high standing on the baseline) so that lines and cells cluster as they do
under pdfminer: PDFium's tight or loose glyph boxes vary by glyph and font and split
lines (measured: CJK 一 and Latin digits land on lines of their own).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import pypdfium2
import pypdfium2.raw as pdfium

DESCENT = 0.2  # of the font size below the baseline; one value for all fonts keeps a line's chars level
STRAIGHT = 0.5  # points: a segment this close to level (or plumb) is a ruling
MAX_OBJECT_DEPTH = 5  # form XObjects nest; tables are drawn at the top level or one form down
SKIPPED_CODES = frozenset((0, 0xFFFE, 0x0D, 0x0A))
SPACE = 0x20


@dataclass
class PdfiumPage:
    """Duck-types the parts of pdfplumber.Page that TableFinder and Table.extract read."""

    width: float
    height: float
    chars: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def has_rulings(self) -> bool:
        """A ruled table needs both level and plumb rulings; pages without them skip table finding."""
        kinds = {e["orientation"] for e in self.edges}
        return kinds == {"h", "v"}


def read_page(page: pypdfium2.PdfPage) -> PdfiumPage:
    width, height = page.get_size()
    out = PdfiumPage(width, height)
    out.chars = page_chars(page, height)
    out.edges = page_edges(page, height)
    return out


def page_chars(page: pypdfium2.PdfPage, height: float) -> list[dict]:
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        chars = []
        box = pdfium.FS_RECTF()
        matrix = pdfium.FS_MATRIX()
        x, y = ctypes.c_double(), ctypes.c_double()
        get_unicode, is_generated = pdfium.FPDFText_GetUnicode, pdfium.FPDFText_IsGenerated
        get_box, get_matrix = pdfium.FPDFText_GetLooseCharBox, pdfium.FPDFText_GetMatrix
        get_size, get_origin = pdfium.FPDFText_GetFontSize, pdfium.FPDFText_GetCharOrigin
        for i in range(pdfium.FPDFText_CountChars(raw)):
            code = get_unicode(raw, i)
            # PDFium's own word spaces and line breaks are not in the content: pdfplumber infers its own
            # (PDFium generates only spaces and CR LF, so only a space needs asking)
            if code in SKIPPED_CODES or (code == SPACE and is_generated(raw, i)):
                continue
            if not get_box(raw, i, box):
                continue
            # the font size is given in text space: scale it by the char's matrix, as pdfminer does
            get_matrix(raw, i, matrix)
            text_size = get_size(raw, i)
            size = text_size * math.hypot(matrix.c, matrix.d)
            get_origin(raw, i, x, y)
            right = char_right(box.left, box.right, text_size, size)
            bottom = height - (y.value - DESCENT * size)
            top = bottom - size
            chars.append(
                {
                    "text": chr(code),
                    "x0": box.left,
                    "x1": right,
                    "top": top,
                    "bottom": bottom,
                    "doctop": top,
                    "width": right - box.left,
                    "height": size,
                    "size": size,
                    "upright": True,
                    "object_type": "char",
                }
            )
        return chars
    finally:
        textpage.close()


def char_right(left: float, right: float, text_size: float, size: float) -> float:
    """The char's right edge. For vertical-writing CID fonts PDFium's loose box is as wide as the
    unscaled font size (199 text-space units, not 9.95 pt: hzq2023_working.pdf's block header),
    which moves the char's centre into the next column; its width is then the scaled size."""
    scaled = not math.isclose(text_size, size, abs_tol=0.01)
    if scaled and math.isclose(right - left, text_size, abs_tol=0.01):
        return left + size
    return right


def page_edges(page: pypdfium2.PdfPage, height: float) -> list[dict]:
    """Every straight level or plumb segment of every path (as pdfplumber makes edges of
    lines, rects and curves), in top-down page coordinates."""
    edges: list[dict] = []
    m = pdfium.FS_MATRIX()
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in path_objects(page.raw):
        pdfium.FPDFPageObj_GetMatrix(obj, m)
        start = prev = None
        for i in range(pdfium.FPDFPath_CountSegments(obj)):
            seg = pdfium.FPDFPath_GetPathSegment(obj, i)
            pdfium.FPDFPathSegment_GetPoint(seg, x, y)
            point = (m.a * x.value + m.c * y.value + m.e, height - (m.b * x.value + m.d * y.value + m.f))
            kind = pdfium.FPDFPathSegment_GetType(seg)
            if kind == pdfium.FPDF_SEGMENT_MOVETO:
                start = prev = point
                continue
            if kind == pdfium.FPDF_SEGMENT_LINETO and prev is not None:
                add_edge(edges, prev, point)
            prev = point
            if pdfium.FPDFPathSegment_GetClose(seg) and start is not None:
                add_edge(edges, prev, start)
                prev = start
    return edges


def path_objects(parent, form: bool = False, level: int = 0) -> Iterator:
    """The raw path objects of a page and of its forms down to MAX_OBJECT_DEPTH, in drawing order
    (PdfPage.get_objects(filter=[PATH]) without a Python wrapper for every text object)."""
    count, get = (
        (pdfium.FPDFFormObj_CountObjects, pdfium.FPDFFormObj_GetObject)
        if form
        else (pdfium.FPDFPage_CountObjects, pdfium.FPDFPage_GetObject)
    )
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = pdfium.FPDFPageObj_GetType(obj)
        if kind == pdfium.FPDF_PAGEOBJ_PATH:
            yield obj
        elif kind == pdfium.FPDF_PAGEOBJ_FORM and level < MAX_OBJECT_DEPTH - 1:
            yield from path_objects(obj, True, level + 1)


def add_edge(edges: list[dict], a: tuple[float, float], b: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = a, b
    if abs(y0 - y1) <= STRAIGHT < abs(x0 - x1):
        top = (y0 + y1) / 2
        edges.append(edge(min(x0, x1), max(x0, x1), top, top, "h"))
    elif abs(x0 - x1) <= STRAIGHT < abs(y0 - y1):
        mid = (x0 + x1) / 2
        edges.append(edge(mid, mid, min(y0, y1), max(y0, y1), "v"))


def edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> dict:
    return {
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "doctop": top,
        "width": x1 - x0,
        "height": bottom - top,
        "orientation": orientation,
        "object_type": "line",
    }
