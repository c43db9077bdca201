"""Compare one processed document with its expected.json (the format of ../shared/corpus/README.md)."""

from __future__ import annotations

from pathlib import Path

from govreports.transform.document import process_document
from govreports.transform.model import DocumentResult, InputDoc
from tests.conftest import load_expected

METADATA = ("doc_type", "template", "agency", "report_year", "published_date")


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.expected.json')}"


def process_expected(path: Path) -> tuple[dict, DocumentResult]:
    expected = load_expected(path)
    return expected, process_document(InputDoc.from_path(path.parent / expected["document"]))


def assert_matches_expected(path: Path) -> None:
    expected, result = process_expected(path)
    doc = result.document
    got_meta = {k: (str(doc[k]) if doc[k] is not None else None) for k in METADATA}
    want_meta = {k: (str(expected[k]) if expected[k] is not None else None) for k in METADATA}
    assert got_meta == want_meta
    assert doc["status"] == "ok"

    values = {f.key: f for f in result.facts}
    ambiguous = set(expected.get("ambiguous_cells", []))  # a text-only run must leave these null
    wrong = {
        k: (v, values[k].value if k in values else "missing")
        for k, v in expected["facts"].items()
        if k not in ambiguous and (k not in values or values[k].value is None or abs(values[k].value - v) > 1e-6)
    }
    assert wrong == {}

    for key in expected.get("blank_cells", []):
        assert key not in values or values[key].value in (0, None), key
    guessed = [k for k in ambiguous if k in values and values[k].value is not None]
    assert guessed == []
    for key in ambiguous & set(values):
        assert values[key].reason, f"{key} is null without a reason"

    listed = set(expected["facts"]) | set(expected.get("blank_cells", [])) | ambiguous
    listed |= set(expected.get("narrative_facts", {}))
    invented = sorted(k for k, f in values.items() if f.value is not None and f.method != "derived" and k not in listed)
    assert invented == []

    prose = {k: f.value for k, f in values.items() if f.method == "narrative"}
    wanted = expected.get("narrative_facts", {})
    assert {k: v for k, v in prose.items() if wanted.get(k) != v} == {}

    failing = sorted({c.identity for c in result.checks if c.passed is False})
    assert failing == sorted(expected.get("expected_failing_identities", []))
