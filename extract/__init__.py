"""Raw files → Extracted (raw tables, text, metadata). Nothing here interprets the report."""

from __future__ import annotations

from govreports.extract.html import extract_html
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
    return EXTRACTORS[fmt](raw)


__all__ = ["EXTRACTORS", "FORMAT_OF_SUFFIX", "Extracted", "RawTable", "extract"]
