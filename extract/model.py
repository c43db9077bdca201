"""What every extractor returns: raw tables, text and metadata, nothing interpreted yet."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawTable:
    """A table as printed: rows of cell texts on a full grid.

    A slot covered by a merged cell (colspan, or pdfplumber's merged cells) is None;
    an empty printed cell is "". Rowspan copies of label cells keep their text.

    `pages[i]` is the 1-based page of row i (None for HTML and text).
    `origin` says how the grid was made: `html`, `pdf`, `tsv` (tab or '|' text rows),
    `layout` (space-aligned text rows: cells are not on a grid, `spans` give their columns).
    """

    rows: list[list[str | None]]
    pages: list[int | None] = field(default_factory=list)
    origin: str = "html"
    line_numbers: list[int] = field(default_factory=list)  # text captures: 1-based line of each row
    spans: list[list[tuple[int, int]]] = field(default_factory=list)  # layout text: [start, end) column of each cell

    def page_of(self, row: int) -> int | None:
        return self.pages[row] if row < len(self.pages) else None


@dataclass
class Extracted:
    """One document after extraction.

    `text` is the whole visible text in reading order (tables included), used for
    detection, metadata and the text-only table readers. `meta` holds page metadata
    as found (keys: title, published, index_no, publisher, pdf_created).
    """

    format: str  # a value of extract.FORMAT_OF_SUFFIX
    text: str
    tables: list[RawTable] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    page_count: int | None = None
    needs_ocr: bool = False
    needs_conversion: bool = False  # .doc/.wps and no LibreOffice to convert them
    encoding: str | None = None
    replaced_bytes: int = 0  # undecodable bytes shown as U+FFFD (extract.encoding)
    warnings: list[str] = field(default_factory=list)  # repairs made while reading, kept with the document


class RejectedInput(Exception):
    """Bytes a reader refuses for a known reason (encrypted, over a size limit); the message
    is recorded as the document's error, word for word."""
