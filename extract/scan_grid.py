"""Page images of scans: orientation, skew and the cell grid of ruled tables (OpenCV).

OCR finds no box for an empty cell, so a line-based reading of a scanned table cannot
tell a blank cell from a missing one. The official tables are ruled: the rulings give
every cell's rectangle, an empty rectangle is a blank cell, and the OCR boxes are
assigned to the rectangle they sit in. Pure functions over numpy arrays (grayscale,
0 = black); the OCR engine is called by extract.ocr.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_LINE_SHARE = 1 / 25  # a ruling is at least this share of the page width (or height)
MIN_CELL_PX = 12  # smaller enclosed regions are crossings of rulings, not cells
EDGE_TOLERANCE_PX = 10  # cell edges closer than this belong to one grid line
MIN_INK_PX = 12  # fewer dark pixels inside a cell are scan noise, not a mark
DASH_MAX_HEIGHT = 0.15  # of the cell height
DASH_MIN_ASPECT = 3.0
MAX_SKEW_DEG = 5.0
SKEW_STEP_DEG = 0.1


@dataclass(frozen=True)
class Rect:
    x0: int
    y0: int
    x1: int
    y1: int

    def holds(self, x: float, y: float) -> bool:
        return self.x0 <= x < self.x1 and self.y0 <= y < self.y1


@dataclass
class GridCell:
    rect: Rect
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Grid:
    """One ruled table: its outline, its cells and the size of its row × column grid."""

    rect: Rect
    cells: list[GridCell]
    n_rows: int
    n_cols: int


def ink(gray: np.ndarray) -> np.ndarray:
    """Black-on-white page → a 0/255 mask of the ink, robust to uneven scan brightness."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)


def rulings(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rulings: long thin runs of ink (text strokes are short)."""
    h, w = mask.shape
    horiz = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel(int(w * MIN_LINE_SHARE), 1))
    vert = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel(1, int(h * MIN_LINE_SHARE)))
    # close the small gaps a scan leaves in a ruling
    return cv2.dilate(horiz, kernel(9, 3)), cv2.dilate(vert, kernel(3, 9))


def kernel(width: int, height: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (max(1, width), max(1, height)))


def find_grids(gray: np.ndarray) -> list[Grid]:
    """Every ruled table on the page, top to bottom."""
    horiz, vert = rulings(ink(gray))
    lines = cv2.bitwise_or(horiz, vert)
    n, _, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    grids = []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        rect = Rect(int(x), int(y), int(x + w), int(y + h))
        if w < gray.shape[1] / 4 or h < 2 * MIN_CELL_PX:
            continue
        region = lines[rect.y0 : rect.y1, rect.x0 : rect.x1]
        if not (horiz[rect.y0 : rect.y1, rect.x0 : rect.x1].any() and vert[rect.y0 : rect.y1, rect.x0 : rect.x1].any()):
            continue
        grid = grid_of(region, rect)
        if grid is not None:
            grids.append(grid)
    return sorted(grids, key=lambda g: g.rect.y0)


def grid_of(region: np.ndarray, rect: Rect) -> Grid | None:
    """The cells of one table: the regions the rulings enclose, placed on a row × column grid."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.bitwise_not(region), connectivity=4)
    h, w = region.shape
    rects = []
    for i in range(1, n):
        x, y, cw, ch, _ = stats[i]
        touches_outline = x == 0 or y == 0 or x + cw >= w or y + ch >= h
        if touches_outline or cw < MIN_CELL_PX or ch < MIN_CELL_PX:
            continue
        rects.append(Rect(rect.x0 + int(x), rect.y0 + int(y), rect.x0 + int(x + cw), rect.y0 + int(y + ch)))
    if len(rects) < 2:
        return None
    col_starts = edges([r.x0 for r in rects])
    row_starts = edges([r.y0 for r in rects])
    cells = []
    for r in rects:
        col, row = nearest(col_starts, r.x0), nearest(row_starts, r.y0)
        colspan = max(1, sum(1 for x in col_starts if r.x0 - EDGE_TOLERANCE_PX <= x < r.x1 - EDGE_TOLERANCE_PX))
        rowspan = max(1, sum(1 for y in row_starts if r.y0 - EDGE_TOLERANCE_PX <= y < r.y1 - EDGE_TOLERANCE_PX))
        cells.append(GridCell(r, row, col, rowspan, colspan))
    return Grid(rect, cells, len(row_starts), len(col_starts))


def edges(values: list[int]) -> list[int]:
    """Cluster nearly equal coordinates; one representative (the mean) per cluster, sorted."""
    out: list[list[int]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= EDGE_TOLERANCE_PX:
            out[-1].append(v)
        else:
            out.append([v])
    return [round(sum(c) / len(c)) for c in out]


def nearest(starts: list[int], value: int) -> int:
    return min(range(len(starts)), key=lambda i: abs(starts[i] - value))


def grid_rows(grid: Grid, texts: dict[int, str]) -> list[list[str | None]]:
    """Cell texts (by index in grid.cells) on the full grid, with extract.html's span convention:
    a slot covered by a colspan is None, a slot covered by a rowspan keeps the label."""
    rows: list[list[str | None]] = [[None] * grid.n_cols for _ in range(grid.n_rows)]
    for i, cell in enumerate(grid.cells):
        text = texts.get(i, "")
        for r in range(cell.row, min(cell.row + cell.rowspan, grid.n_rows)):
            for c in range(cell.col, min(cell.col + cell.colspan, grid.n_cols)):
                rows[r][c] = text if c == cell.col else None
    return rows


# -- orientation and skew ----------------------------------------------------------------------------


def projection_score(mask: np.ndarray) -> float:
    """How strongly the ink falls into horizontal bands (text lines): variance of the row sums."""
    return float(np.var(mask.sum(axis=1, dtype=np.float64)))


def text_ink(gray: np.ndarray) -> np.ndarray:
    """The ink of the text alone: rulings would make a table's columns look like text lines."""
    mask = ink(gray)
    horiz, vert = rulings(mask)
    return cv2.bitwise_and(mask, cv2.bitwise_not(cv2.bitwise_or(horiz, vert)))


def inner(mask: np.ndarray, rect: Rect, margin: int = 4) -> np.ndarray:
    return mask[rect.y0 + margin : rect.y1 - margin, rect.x0 + margin : rect.x1 - margin]


def has_ink(mask: np.ndarray, rect: Rect) -> bool:
    """Whether a cell holds any mark inside its rulings (OCR may find no box for a lone digit or dash)."""
    return int(np.count_nonzero(inner(mask, rect))) >= MIN_INK_PX


def ink_box(mask: np.ndarray, rect: Rect, pad: int = 6) -> Rect:
    """The rectangle around the mark inside a cell, padded: recognition reads a lone
    character far better from a tight crop than from a wide empty cell."""
    margin = 4
    ys, xs = np.nonzero(inner(mask, rect, margin))
    x0, y0 = rect.x0 + margin + int(xs.min()), rect.y0 + margin + int(ys.min())
    x1, y1 = rect.x0 + margin + int(xs.max()) + 1, rect.y0 + margin + int(ys.max()) + 1
    return Rect(max(rect.x0, x0 - pad), max(rect.y0, y0 - pad), min(rect.x1, x1 + pad), min(rect.y1, y1 + pad))


def is_dash(mask: np.ndarray, rect: Rect) -> bool:
    """The cell's only mark is one thin horizontal bar: a printed '—' (text detection often
    misses it, and recognition reads it as 一, 二 or 。)."""
    ys, xs = np.nonzero(inner(mask, rect))
    if len(xs) < MIN_INK_PX:
        return False
    width, height = int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)
    return height <= DASH_MAX_HEIGHT * (rect.y1 - rect.y0) and width >= DASH_MIN_ASPECT * height


def skew_angle(gray: np.ndarray) -> float:
    """The rotation (degrees, counter-clockwise positive) that makes the text lines level."""
    mask = text_ink(gray)
    h, w = mask.shape
    centre = (w / 2, h / 2)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, SKEW_STEP_DEG):
        turned = cv2.warpAffine(mask, cv2.getRotationMatrix2D(centre, float(angle), 1.0), (w, h))
        score = projection_score(turned)
        if score > best_score:
            best, best_score = float(angle), score
    return round(best, 2)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise by `angle` degrees on a white background, keeping the whole page."""
    if angle % 360 == 0:
        return gray
    quarter = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    if angle % 360 in quarter:
        return cv2.rotate(gray, quarter[int(angle % 360)])
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
