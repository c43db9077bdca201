"""Office files the tests need but the generator does not write (.xls: no maintained writer)."""

from __future__ import annotations

import io

import openpyxl
import xlwt


def xlsx_to_xls(raw: bytes) -> bytes:
    """The same sheets, values and merged ranges, as a legacy .xls (BIFF8) workbook."""
    src = openpyxl.load_workbook(io.BytesIO(raw))
    book = xlwt.Workbook(encoding="utf-8")
    for ws in src.worksheets:
        sheet = book.add_sheet(ws.title)
        merged = {(m.min_row, m.min_col): m for m in ws.merged_cells.ranges}
        covered = {(r, c) for m in ws.merged_cells.ranges for r, c in m.cells} - set(merged)
        for row in ws.iter_rows():
            for cell in row:
                at = (cell.row, cell.column)
                if at in covered or cell.value is None and at not in merged:
                    continue
                if at in merged:
                    m = merged[at]
                    sheet.write_merge(m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1, cell.value)
                else:
                    sheet.write(cell.row - 1, cell.column - 1, cell.value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
