"""One test per real document in ../shared/corpus (discovered automatically), against its expected.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_CORPUS, expected_files, load_expected
from tests.expected_check import assert_matches_expected, case_id, process_expected

CASES = expected_files(SHARED_CORPUS)


@pytest.mark.corpus
@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_document(path: Path) -> None:
    assert_matches_expected(path)


@pytest.mark.corpus
@pytest.mark.parametrize("path", [p for p in CASES if load_expected(p)["template"] == "narrative"],
                         ids=lambda p: case_id(p))
def test_narrative_reports_give_their_prose_numbers(path: Path) -> None:
    expected, result = process_expected(path)
    prose = {f.key: f.value for f in result.facts if f.method == "narrative"}
    assert prose == expected["narrative_facts"]


@pytest.mark.corpus
def test_corpus_is_discovered(shared_corpus: Path) -> None:
    assert len(CASES) >= 16
