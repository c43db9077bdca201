"""Raw files → Extracted (raw tables, text, metadata). Nothing here interprets the report."""

from __future__ import annotations

from extract.html import extract_html
from extract.model import Extracted, RawTable
from extract.pdf import extract_pdf
from extract.text import extract_text

EXTRACTORS = {"html": extract_html, "pdf": extract_pdf, "text": extract_text}


def extract(raw: bytes, fmt: str) -> Extracted:
    return EXTRACTORS[fmt](raw)


__all__ = ["EXTRACTORS", "Extracted", "RawTable", "extract"]
