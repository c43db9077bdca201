"""One test per generated sample in data/samples/ (runs everywhere), against its expected.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SAMPLES, expected_files
from tests.expected_check import assert_matches_expected, case_id

CASES = expected_files(SAMPLES)


@pytest.mark.parametrize("path", CASES, ids=[case_id(p) for p in CASES])
def test_sample(path: Path) -> None:
    assert_matches_expected(path)


def test_samples_are_there() -> None:
    assert len(CASES) >= 60
