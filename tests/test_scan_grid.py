"""The cell grid of ruled tables, dashes, blank cells and skew, on page images drawn here."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from govreports.extract import ocr, scan_grid
from govreports.extract.ocr import Box, PageScan


def ruled_page() -> np.ndarray:
    """A 3 × 4 table: a title row across all columns, a label spanning two rows, a '—' cell,
    a digit cell and blank cells (white page, black rulings)."""
    page = np.full((600, 800), 255, np.uint8)
    xs, ys = [100, 300, 450, 600, 750], [100, 160, 220, 280]
    for y in ys:
        cv2.line(page, (xs[0], y), (xs[-1], y), 0, 2)
    for i, x in enumerate(xs):
        top = ys[0] if i in (0, len(xs) - 1) else ys[1]  # the title row has no inner rulings
        cv2.line(page, (x, top), (x, ys[-1]), 0, 2)
    cv2.line(page, (xs[0], ys[2]), (xs[0], ys[2]), 0, 2)
    # the label cell spans rows 1-2: erase the ruling between them in column 0
    cv2.line(page, (xs[0] + 3, ys[2]), (xs[1] - 3, ys[2]), 255, 4)
    cv2.line(page, (512, 190), (536, 190), 0, 3)  # a dash in row 1, column 2 (shorter than a ruling)
    cv2.putText(page, "7", (360, 205), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 0, 3)  # row 1, column 1
    return page


def test_grid_finds_cells_and_spans() -> None:
    (grid,) = scan_grid.find_grids(ruled_page())
    assert (grid.n_rows, grid.n_cols) == (3, 4)
    spans = sorted((c.row, c.col, c.rowspan, c.colspan) for c in grid.cells)
    assert spans == [(0, 0, 1, 4), (1, 0, 2, 1), (1, 1, 1, 1), (1, 2, 1, 1), (1, 3, 1, 1),
                     (2, 1, 1, 1), (2, 2, 1, 1), (2, 3, 1, 1)]  # fmt: skip


def test_grid_rows_follow_the_html_span_convention() -> None:
    (grid,) = scan_grid.find_grids(ruled_page())
    texts = {i: f"{c.row}{c.col}" for i, c in enumerate(grid.cells)}
    assert scan_grid.grid_rows(grid, texts) == [
        ["00", None, None, None],  # colspan: covered slots are None
        ["10", "11", "12", "13"],
        ["10", "21", "22", "23"],  # rowspan: the label is kept on every row
    ]


def test_empty_rectangles_are_blank_and_marks_are_found() -> None:
    page = ruled_page()
    (grid,) = scan_grid.find_grids(page)
    mask = scan_grid.text_ink(page)
    at = {(c.row, c.col): c.rect for c in grid.cells}
    assert scan_grid.has_ink(mask, at[(1, 1)]) and not scan_grid.is_dash(mask, at[(1, 1)])
    assert scan_grid.has_ink(mask, at[(1, 2)]) and scan_grid.is_dash(mask, at[(1, 2)])
    assert not scan_grid.has_ink(mask, at[(2, 2)]) and not scan_grid.has_ink(mask, at[(1, 3)])


def test_a_ruled_table_keeps_blank_cells_and_reads_dashes_without_ocr_boxes(monkeypatch) -> None:
    page = ruled_page()
    (grid,) = scan_grid.find_grids(page)
    label = Box(110, 170, 290, 210, "本年新收", 0.99)
    monkeypatch.setattr(ocr, "engine", lambda: pytest.fail("no cell needs recognition here"))
    boxes = [label, Box(350, 170, 390, 210, "7", 0.99)]
    scan = PageScan(boxes + ocr.unboxed_cells(page, [grid], boxes), [grid], True)
    (table,) = ocr.extracted_from_scans([scan], {}).tables
    assert table.origin == "ocr_grid"
    assert table.rows[1:] == [["本年新收", "7", "—", ""], ["本年新收", "", "", ""]]


def test_a_mark_that_reads_as_nothing_is_unreadable_never_blank() -> None:
    assert ocr.grid_cell_text([Box(0, 0, 10, 10, "?", 0.0)]) == "0（OCR置信度0.00：?）"
    # a box recognition reads as nothing is a mark, never a blank cell (a '1' read as '' became 0)
    assert ocr.grid_cell_text([Box(0, 0, 10, 10, "", 0.93)]) == "0（OCR置信度0.00：?）"
    assert ocr.grid_cell_text([Box(0, 0, 10, 10, "二", 0.3)]) == "0（OCR置信度0.30：二）"
    assert ocr.grid_cell_text([Box(0, 0, 10, 10, "一", 0.9)]) == "—"
    assert ocr.grid_cell_text([]) == ""


@pytest.mark.parametrize("angle", [-2.5, 1.2, 3.0])
def test_skew_is_measured_and_undone(angle: float) -> None:
    page = np.full((842, 595), 255, np.uint8)
    for y in range(80, 780, 28):  # text lines
        for x in range(60, 530, 16):
            cv2.rectangle(page, (x, y), (x + 11, y + 12), 0, -1)
    skewed = scan_grid.rotate(page, angle)
    assert scan_grid.skew_angle(skewed) == pytest.approx(-angle, abs=0.2)
