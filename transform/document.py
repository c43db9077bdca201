"""One raw file → one DocumentResult (document row, facts, checks). Never raises."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pipelines import __version__
from transform.model import DocumentResult, InputDoc

FORMATS = {".html": "html", ".htm": "html", ".shtml": "html", ".pdf": "pdf", ".txt": "text"}


def doc_id_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def base_document(doc: InputDoc, raw: bytes) -> dict:
    return {
        "doc_id": hashlib.sha256(raw).hexdigest(),
        "source": doc.source,
        "file_name": doc.file_name,
        "format": FORMATS.get(doc.path.suffix.lower(), "unknown"),
        "doc_type": None,
        "template": None,
        "agency": None,
        "report_year": None,
        "published_date": None,
        "index_no": None,
        "title": None,
        "status": "ok",
        "error": None,
        "page_count": None,
        "encoding": None,
        "n_facts": 0,
        "size_bytes": len(raw),
        "ingested_at": datetime.now(UTC),
        "parser_version": __version__,
    }


def process_document(doc: InputDoc) -> DocumentResult:
    raw = doc.path.read_bytes()
    return DocumentResult(document=base_document(doc, raw))
