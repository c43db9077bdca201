"""Raw files → Extracted (raw tables, text, metadata). Nothing here interprets the report."""

from __future__ import annotations

from govreports.extract.html import extract_html
from govreports.extract.model import Extracted, RawTable
from govreports.extract.pdf import extract_pdf
from govreports.extract.text import extract_text

EXTRACTORS = {"html": extract_html, "pdf": extract_pdf, "text": extract_text}


def extract(raw: bytes, fmt: str) -> Extracted:
    return EXTRACTORS[fmt](raw)


__all__ = ["EXTRACTORS", "Extracted", "RawTable", "extract"]
