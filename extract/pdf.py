"""PDFs with a text layer → text per page and tables: PDFium's characters and rulings
(extract.pdfium_page) fed to pdfplumber's text and table algorithms.

A PDF with (almost) no text layer is a scan: it is recorded as needing OCR, not
dropped. Tables split across pages come out as separate tables in page order;
the transform step reads them as one stream of rows, so a continuation without a
repeated header needs no special case here.
"""

from __future__ import annotations

import io
import re

from govreports.extract import pdfium_page
from govreports.extract.html import clean
from govreports.extract.inflate import check_inflated
from govreports.extract.model import Extracted, RawTable, RejectedInput

MIN_TEXT_CHARS_PER_PAGE = 20
PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")


def _cell(value: str | None) -> str | None:
    return None if value is None else clean(value)


def extract_pdf(raw: bytes) -> Extracted:
    """PDFium parses; pdfplumber's algorithms build text lines and find tables, and only on
    pages with both level and plumb rulings (most pages of a report hold none)."""
    from pdfplumber.table import TableSettings

    from govreports.extract import pdf_layout  # imports pdfplumber: only when a PDF is parsed

    settings = TableSettings.resolve(None)
    pdf = open_pdf(raw)
    try:
        page_texts: list[str] = []
        tables: list[RawTable] = []
        for number in range(1, len(pdf) + 1):
            page = pdfium_page.read_page(pdf[number - 1])
            page_texts.append(pdf_layout.chars_text(page.chars))
            if page.has_rulings():
                for table in pdf_layout.find_tables(page, settings):
                    rows = [[_cell(c) for c in row] for row in pdf_layout.table_text(table)]
                    rows = [r for r in rows if any(c for c in r)]
                    if rows:
                        tables.append(RawTable(rows=rows, pages=[number] * len(rows), origin="pdf"))
        meta = pdf_metadata(pdf.get_metadata_dict(skip_empty=True))
        page_count = len(pdf)
    finally:
        pdf.close()
    return _extracted(page_texts, tables, meta, page_count)


def open_pdf(raw: bytes):
    """PDFium's document, once the file is known not to inflate past the limits; a password
    protected file is refused with a message that says so."""
    import pypdfium2

    check_inflated(raw)
    try:
        return pypdfium2.PdfDocument(raw)
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pypdfium2.raw.FPDF_ERR_PASSWORD:
            raise RejectedInput("encrypted PDF (user password required)") from exc
        raise


def extract_pdf_pdfplumber(raw: bytes) -> Extracted:
    """The same through pdfplumber alone (pdfminer's layout analysis on every page): the
    baseline bench/bench_formats.py measures against."""
    import pdfplumber  # imported here: a run with no PDF to parse never pays for it

    with pdfplumber.open(io.BytesIO(raw)) as pdf:
        page_texts: list[str] = []
        tables: list[RawTable] = []
        for number, page in enumerate(pdf.pages, start=1):
            page_texts.append(page.extract_text() or "")
            for table in page.extract_tables():
                rows = [[_cell(c) for c in row] for row in table]
                rows = [r for r in rows if any(c for c in r)]
                if rows:
                    tables.append(RawTable(rows=rows, pages=[number] * len(rows), origin="pdf"))
            page.close()  # frees the page's parsed objects: long reports stay small in memory
        meta = pdf_metadata(pdf.metadata or {})
        page_count = len(pdf.pages)
    return _extracted(page_texts, tables, meta, page_count)


def _extracted(page_texts: list[str], tables: list[RawTable], meta: dict[str, str], page_count: int) -> Extracted:
    text = "\n".join(page_texts)
    needs_ocr = len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS_PER_PAGE * max(page_count, 1)
    return Extracted(
        format="pdf",
        text=text,
        tables=tables,
        meta=meta,
        page_count=page_count,
        needs_ocr=needs_ocr,
    )


def pdf_metadata(info: dict) -> dict[str, str]:
    meta: dict[str, str] = {}
    created = PDF_DATE.match(str(info.get("CreationDate", "")))
    if created:
        meta["pdf_created"] = "-".join(created.groups())
    title = info.get("Title")
    if isinstance(title, str) and title.isprintable() and not title.startswith("ÿþ"):
        # set by whatever program wrote the file, often generic ('政府信息公开工作年度报告'):
        # a hint for detection, not the page's own title
        meta["file_title"] = clean(title)
    return meta
