"""Raw files → Extracted (raw tables, text, metadata). Nothing here interprets the report."""

from __future__ import annotations

from govreports.extract.html import extract_html
from govreports.extract.limits import check_table_rows
from govreports.extract.model import Extracted, RawTable
from govreports.extract.office import extract_doc, extract_docx, extract_wps, extract_xls, extract_xlsx
from govreports.extract.pdf import extract_pdf
from govreports.extract.text import extract_text

EXTRACTORS = {
    "html": extract_html,
    "pdf": extract_pdf,
    "text": extract_text,
    "docx": extract_docx,
    "doc": extract_doc,
    "wps": extract_wps,
    "xlsx": extract_xlsx,
    "xls": extract_xls,
}
# The file suffixes the spine reads, and the reader each one goes to.
FORMAT_OF_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".pdf": "pdf",
    ".txt": "text",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "wps",
    ".xlsx": "xlsx",
    ".xls": "xls",
}


def extract(raw: bytes, fmt: str) -> Extracted:
    ex = EXTRACTORS[fmt](raw)
    for table in ex.tables:  # readers other than HTML only learn a table's length by reading it
        check_table_rows(len(table.rows))
    return ex


__all__ = ["EXTRACTORS", "FORMAT_OF_SUFFIX", "Extracted", "RawTable", "extract"]
