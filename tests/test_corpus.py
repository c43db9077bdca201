"""One test per real document in ../shared/corpus (discovered automatically), against its expected.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_CORPUS, expected_files, load_expected
from transform.document import process_document
from transform.model import InputDoc

CASES = expected_files(SHARED_CORPUS)
METADATA = ("doc_type", "template", "agency", "report_year", "published_date")


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.expected.json')}"


@pytest.fixture(scope="module")
def results() -> dict:
    return {}


def result_for(path: Path, cache: dict):
    if path not in cache:
        expected = load_expected(path)
        cache[path] = (expected, process_document(InputDoc.from_path(path.parent / expected["document"])))
    return cache[path]


@pytest.mark.corpus
@pytest.mark.parametrize("path", CASES, ids=[_id(p) for p in CASES])
def test_document(path: Path, results: dict) -> None:
    expected, result = result_for(path, results)
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
    guessed = [k for k in expected.get("ambiguous_cells", []) if k in values and values[k].value is not None]
    assert guessed == []
    for key in expected.get("ambiguous_cells", []):
        if key in values:
            assert values[key].reason, f"{key} is null without a reason"

    listed = set(expected["facts"]) | set(expected.get("blank_cells", [])) | set(expected.get("ambiguous_cells", []))
    listed |= set(expected.get("narrative_facts", {}))
    invented = sorted(k for k, f in values.items() if f.value is not None and f.method != "derived" and k not in listed)
    assert invented == []

    prose = {k: f.value for k, f in values.items() if f.method == "narrative"}
    wanted = expected.get("narrative_facts", {})
    assert {k: v for k, v in prose.items() if wanted.get(k) != v} == {}
    if expected["template"] == "narrative":
        assert prose == wanted

    failing = sorted({c.identity for c in result.checks if c.passed is False})
    assert failing == sorted(expected.get("expected_failing_identities", []))


@pytest.mark.corpus
def test_corpus_is_discovered(shared_corpus: Path) -> None:
    assert len(CASES) >= 16
