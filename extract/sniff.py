"""What a file's bytes say it is (data/reference/signatures.csv), so a PDF named .html is read
as a PDF and the mismatch is recorded, not parsed as garbage."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from functools import cache
from pathlib import Path

SIGNATURES_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "signatures.csv"
HEAD = 1024  # '%PDF-' may follow a few bytes of junk; the spec allows it in the first 1024
# the part naming each Office Open XML format inside its ZIP
OOXML_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx"}
# formats a signature may stand for: an OLE2 file is .doc, .xls or .wps alike
FAMILY = {"zip": {"docx", "xlsx"}, "ole": {"doc", "xls", "wps"}, "html": {"html"}, "pdf": {"pdf"}}


@cache
def signatures() -> list[tuple[str, bytes, str]]:
    with SIGNATURES_CSV.open(encoding="utf-8") as fh:
        return [(r["format"], codecs.escape_decode(r["marker"])[0], r["where"]) for r in csv.DictReader(fh)]


def sniff(raw: bytes) -> str | None:
    """The signature family of the bytes (pdf, zip, ole, html), or None when nothing is recognised."""
    start = raw[:HEAD].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for fmt, marker, where in signatures():
        marker = marker.lower()
        if start.startswith(marker) if where == "start" else marker in raw[:HEAD].lower():
            return fmt
    return None


def content_format(raw: bytes, named: str) -> tuple[str | None, str | None]:
    """(format to read the bytes as, mismatch note or None). `named` is the suffix's format;
    None as the format means the bytes fit no reader (a ZIP that is no DOCX/XLSX).

    A plain-text file is never re-read as HTML: captures quote markup."""
    found = sniff(raw)
    if found is None or named in FAMILY[found] or (found == "html" and named == "text"):
        return named, None
    if found == "zip":
        actual = _ooxml(raw)
        if actual is None:
            return None, f"format mismatch: named .{named}, content is a ZIP archive but not DOCX or XLSX"
    else:
        actual = "doc" if found == "ole" else found  # LibreOffice reads any OLE2 Office file
    return actual, f"format mismatch: named .{named}, content is {actual}"


def _ooxml(raw: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(raw)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return next((fmt for part, fmt in OOXML_PARTS.items() if part in names), None)
