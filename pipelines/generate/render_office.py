"""Reports as the Word and Excel attachments portals publish (.docx, .xlsx).

DOCX carries the whole report (title, prose, tables with merged cells). XLSX carries
what a statistics attachment holds: the title line, the section headings and the
tables on one sheet, numbers stored as numbers. Both are written with fixed zip and
document timestamps, so the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

from govreports.pipelines.generate.compose import Report
from govreports.pipelines.generate.layout import Para, Table
from govreports.pipelines.generate.render_html import grid_starts, is_number_text

FIXED_TIME = datetime(2020, 1, 1)
# openpyxl stamps the save time into docProps/core.xml whatever the properties say
CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def stable_zip(raw: bytes) -> bytes:
    """The same archive with every member dated FIXED_TIME (office files are zips)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = CORE_DATES.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", data)
            dst.writestr(member, data)
    return out.getvalue()


def merged_ranges(t: Table) -> list[tuple[int, int, int, int, str]]:
    """(row, col, last_row, last_col, text) of every printed cell on the table's grid."""
    return [
        (i, s, i + c.rowspan - 1, s + c.colspan - 1, c.text)
        for i, (row, starts) in enumerate(zip(t.rows, grid_starts(t.rows), strict=True))
        for c, s in zip(row, starts, strict=True)
    ]


def grid_width(t: Table) -> int:
    return max(c1 + 1 for _, _, _, c1, _ in merged_ranges(t))


def render_docx(report: Report) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    document.core_properties.title = report.meta["title"]
    document.core_properties.created = document.core_properties.modified = FIXED_TIME
    for block in report.doc.blocks:
        if isinstance(block, Para):
            p = document.add_paragraph()
            p.add_run(block.text).bold = block.style in ("title", "heading")
            if block.style == "title":
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif block.style == "sign":
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            continue
        table = document.add_table(rows=len(block.rows), cols=grid_width(block))
        table.style = "Table Grid"
        for r0, c0, r1, c1, text in merged_ranges(block):
            cell = table.cell(r0, c0)
            if (r1, c1) != (r0, c0):
                cell = cell.merge(table.cell(r1, c1))
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return stable_zip(buf.getvalue())


def render_xlsx(report: Report) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "统计表"
    book.properties.title = report.meta["title"]
    book.properties.created = book.properties.modified = FIXED_TIME
    width = max((grid_width(b) for b in report.doc.blocks if isinstance(b, Table)), default=1)
    row = 1
    for block in report.doc.blocks:
        if isinstance(block, Para):
            sheet.cell(row=row, column=1, value=block.text)
            if width > 1:
                sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
            continue
        for r0, c0, r1, c1, text in merged_ranges(block):
            sheet.cell(row=row + r0, column=c0 + 1, value=int(text) if _is_int(text) else text)
            if (r1, c1) != (r0, c0):
                sheet.merge_cells(start_row=row + r0, start_column=c0 + 1, end_row=row + r1, end_column=c1 + 1)
        row += len(block.rows) + 1
    buf = io.BytesIO()
    book.save(buf)
    return stable_zip(buf.getvalue())


def _is_int(text: str) -> bool:
    return is_number_text(text) and text.lstrip("-").isdigit()
