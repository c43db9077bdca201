"""One raw file → one DocumentResult (document row, facts, checks). Never raises.

raw bytes → extract (tables, text, meta) → detect (doc type, layout, metadata)
→ map tables (and text-only rows) onto unified keys → derived subtotals → identities.
"""

from __future__ import annotations

import hashlib
import traceback
from datetime import UTC, datetime
from pathlib import Path

from govreports.extract import FORMAT_OF_SUFFIX, extract, ocr
from govreports.extract.model import Extracted, RejectedInput
from govreports.extract.sniff import content_format
from govreports.pipelines import __version__
from govreports.transform.cells import check_range
from govreports.transform.detect import DocumentFacts, detect
from govreports.transform.identities import add_derived, check_identities, confirm_by_identities, unfill_blank_totals
from govreports.transform.model import DocumentResult, Fact, InputDoc
from govreports.transform.narrative import narrative_facts
from govreports.transform.reference import reference
from govreports.transform.runtogether import facts_from_text
from govreports.transform.tables import TableMapper
from govreports.transform.units import normalise_amounts

FORMATS = FORMAT_OF_SUFFIX


def doc_id_of(path: Path) -> str:
    """sha256 of the bytes; for a file that cannot be read, of its path (its failed row's id)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return unreadable_id(str(path))


def unreadable_id(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def base_document(doc: InputDoc, raw: bytes) -> dict:
    return {
        "doc_id": hashlib.sha256(raw).hexdigest(),
        "source": doc.source,
        "file_name": doc.file_name,
        "format": FORMATS.get(doc.path.suffix.lower()),
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
        "published_month": None,
        "meta_sources": None,
        "doc_type_reason": None,
    }


def failed_result(doc: InputDoc, error: str) -> DocumentResult:
    """The failed row of a document whose parse was stopped (over a resource bound, its process
    killed): its id and size from its bytes, as process_document would have recorded them."""
    try:
        raw = doc.path.read_bytes()
    except OSError:
        raw = None
    document = base_document(doc, raw or b"")
    if raw is None:
        document["doc_id"] = unreadable_id(str(doc.path))
    document.update(status="failed", error=error)
    return DocumentResult(document=document)


def map_facts(ex: Extracted, found: DocumentFacts) -> list[Fact]:
    """Table cells first; rows the tables did not give are read from the text when possible."""
    if found.doc_type != "annual_report" or found.template is None:
        return []
    if found.template == "narrative":
        return narrative_facts(ex.text, found.report_year)
    ref = reference()
    facts = TableMapper(found.template, ref).feed(ex.tables)
    have = {f.key for f in facts}
    facts += [f for f in facts_from_text(ex.text, found.template, ref) if f.key not in have]
    return facts


def process_document(doc: InputDoc) -> DocumentResult:
    try:
        raw = doc.path.read_bytes()
    except OSError as exc:
        return failed_result(doc, f"cannot read file: {exc.strerror or type(exc).__name__}")
    document = base_document(doc, raw)
    if document["format"] is None:
        document.update(status="failed", error=f"unsupported file type: {doc.path.suffix or '(none)'}")
        return DocumentResult(document=document)
    fmt, mismatch = content_format(raw, document["format"])
    if fmt is None:
        document.update(status="failed", error=mismatch)
        return DocumentResult(document=document)
    document["format"] = fmt
    try:
        ex = extract(raw, fmt)
        if mismatch:
            ex.warnings.insert(0, mismatch)
        return transform(document, ex, raw)
    except MemoryError:  # over the per-document bound: the isolating worker records it (pipelines/isolate.py)
        raise
    except RejectedInput as exc:  # a known kind of bad input: its message is the whole story
        document.update(status="failed", error="; ".join(filter(None, [mismatch, str(exc)])))
        return DocumentResult(document=document)
    except Exception as exc:  # one bad document never stops a batch; the error is kept with it
        last = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {Path(last.filename).name}:{last.lineno})"
        document.update(status="failed", error="; ".join(filter(None, [mismatch, error])))
        return DocumentResult(document=document)


def warnings_of(ex: Extracted) -> str | None:
    """Repairs made while reading an ok document (a format mismatch, replaced bytes), or None."""
    notes = list(ex.warnings)
    if ex.replaced_bytes:
        notes.append(f"{ex.replaced_bytes} undecodable bytes replaced with U+FFFD (decoded as {ex.encoding})")
    return "; ".join(notes) or None


def transform(document: dict, ex: Extracted, raw: bytes = b"") -> DocumentResult:
    ocred = ex.needs_ocr and ocr.engine_available()
    if ocred:
        ex = ocr.ocr_pdf(raw)
    document.update(page_count=ex.page_count, encoding=ex.encoding, error=warnings_of(ex))
    if ex.needs_ocr:
        document.update(status="needs_ocr", error="PDF has no text layer; no OCR engine installed")
        return DocumentResult(document=document)
    if ex.needs_conversion:
        document.update(
            status="needs_conversion",
            error=f".{document['format']} needs LibreOffice (soffice) to be read; it is not installed",
        )
        return DocumentResult(document=document)
    found = detect(ex)
    document.update(
        doc_type=found.doc_type,
        template=found.template,
        agency=found.agency,
        report_year=found.report_year,
        published_date=found.published_date,
        index_no=found.index_no,
        title=found.title,
        published_month=found.published_month,
        meta_sources=found.meta_sources,
        doc_type_reason=found.doc_type_reason,
    )
    ref = reference()
    facts = [check_range(f) for f in normalise_amounts(map_facts(ex, found), ref)]
    if ocred:
        facts = confirm_by_identities(ocr.distrust_unsure(facts), found.template, ref, flag="unreadable")
    facts = add_derived(unfill_blank_totals(facts, found.template, ref), ref)
    if ocred:
        for fact in facts:
            fact.flag("ocr")
    checks = check_identities(facts, found.template, ref)
    document["n_facts"] = len(facts)
    return DocumentResult(document=document, facts=facts, checks=checks)
