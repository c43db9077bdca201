"""Word and Excel attachments → the same Extracted form as HTML pages.

Portals publish the report, or only its statistics table, as .docx/.doc/.wps or
.xlsx/.xls. Merged cells follow the HTML convention of extract.html: a slot covered
by a horizontal merge is None, a slot covered by a vertical merge keeps the text
(a group label stays visible on every row it spans).

.doc and .wps are converted to .docx with LibreOffice (`soffice --headless`) when it
is installed; otherwise the document is marked `needs_conversion`, never dropped.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from datetime import date, datetime
from pathlib import Path

from govreports.extract.model import Extracted, RawTable

CONVERT_TIMEOUT_S = 120


def cell_text(value: object) -> str:
    """A spreadsheet value as printed: 12.0 → '12', dates ISO, None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return " ".join(str(value).split())


def table_text(rows: list[list[str | None]]) -> str:
    return "\n".join(" \t ".join(c for c in row if c) for row in rows if any(row))


def spread_merges(rows: list[list[str | None]], merges: list[tuple[int, int, int, int]]) -> None:
    """Apply merged ranges (first_row, first_col, last_row, last_col; inclusive, 0-based) in place."""
    for r0, c0, r1, c1 in merges:
        if r0 >= len(rows):
            continue
        text = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1 + 1, len(rows[r]))):
                if (r, c) == (r0, c0):
                    continue
                rows[r][c] = None if c != c0 else text


def trimmed(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Drop empty trailing rows and columns (spreadsheets report a used range, not a table)."""
    rows = list(rows)
    while rows and not any(rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, c in enumerate(r) if c), default=0) for r in rows), default=0)
    return [r[:width] + [""] * (width - len(r)) for r in rows]


# --- Word ---------------------------------------------------------------------------


def docx_table_rows(table) -> list[list[str | None]]:
    """python-docx repeats a merged cell's object in every slot it covers; tell which merge it is."""
    grid: list[list[str | None]] = []
    above: list = []
    for row in table.rows:
        cells = list(row.cells)
        out: list[str | None] = []
        for c, cell in enumerate(cells):
            text = " ".join(cell.text.split())
            if c > 0 and cells[c - 1]._tc is cell._tc:
                out.append(None)  # horizontal merge
            elif c < len(above) and above[c] is cell._tc:
                out.append(text)  # vertical merge: keep the label
            else:
                out.append(text)
        above = [cell._tc for cell in cells]
        grid.append(out)
    width = max((len(r) for r in grid), default=0)
    return [r + [None] * (width - len(r)) for r in grid]


def extract_docx(raw: bytes) -> Extracted:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(raw))
    parts: list[str] = []
    tables: list[RawTable] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = " ".join(Paragraph(child, document).text.split())
            if text:
                parts.append(text)
        elif tag == "tbl":
            rows = docx_table_rows(Table(child, document))
            if rows:
                tables.append(RawTable(rows=rows, origin="docx"))
                parts.append(table_text(rows))
    props = document.core_properties
    meta = {k: v for k, v in (("file_title", props.title), ("publisher", props.author)) if v}
    if props.created:
        meta["created"] = props.created.date().isoformat()
    return Extracted(format="docx", text="\n".join(parts), tables=tables, meta=meta)


# --- Excel ---------------------------------------------------------------------------


def extract_xlsx(raw: bytes) -> Extracted:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    tables: list[RawTable] = []
    for sheet in book.worksheets:
        rows = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells.ranges]
        spread_merges(rows, merges)
        tables.append(RawTable(rows=rows, origin="xlsx"))
    return _sheets(tables, "xlsx", {"file_title": book.properties.title} if book.properties.title else {})


def extract_xls(raw: bytes) -> Extracted:
    import xlrd

    book = xlrd.open_workbook(file_contents=raw, formatting_info=True)
    tables: list[RawTable] = []
    for sheet in book.sheets():
        rows = [[cell_text(sheet.cell_value(r, c)) for c in range(sheet.ncols)] for r in range(sheet.nrows)]
        merges = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
        spread_merges(rows, merges)
        tables.append(RawTable(rows=rows, origin="xls"))
    return _sheets(tables, "xls", {})


def _sheets(tables: list[RawTable], fmt: str, meta: dict[str, str]) -> Extracted:
    kept = [RawTable(rows=trimmed(t.rows), origin=t.origin) for t in tables]
    kept = [t for t in kept if t.rows]
    return Extracted(format=fmt, text="\n".join(table_text(t.rows) for t in kept), tables=kept, meta=meta)


# --- .doc / .wps via LibreOffice ------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_docx(raw: bytes, suffix: str) -> bytes:
    """One LibreOffice conversion in a private profile (parallel runs do not share one)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in{suffix}"
        src.write_bytes(raw)
        profile = Path(tmp) / "profile"
        subprocess.run(
            [soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "docx", "--outdir", tmp, str(src)],
            check=True, capture_output=True, timeout=CONVERT_TIMEOUT_S,
        )  # fmt: skip
        out = src.with_suffix(".docx")
        if not out.exists():
            raise ValueError(f"LibreOffice did not convert the {suffix} file")
        return out.read_bytes()


def converted_reader(fmt: str):
    def extract_converted(raw: bytes) -> Extracted:
        if soffice() is None:
            return Extracted(format=fmt, text="", needs_conversion=True)
        ex = extract_docx(convert_to_docx(raw, f".{fmt}"))
        ex.format = fmt
        return ex

    return extract_converted


extract_doc = converted_reader("doc")
extract_wps = converted_reader("wps")
