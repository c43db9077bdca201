"""Shared test fixtures. Tests that read ../shared/corpus skip cleanly when it is absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Quiet, offline Prefect in tests: its temporary API server logs "Stopping…" at exit,
# after pytest has closed the console, which would bury pytest's closing line.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
SAMPLES = REPO / "data" / "samples"


def crash_child(script: str, *args: object, crash_at: str, timeout: float = 300, **env: str):
    """Run `python -c script args…` with GOVREPORTS_CRASH_AT set: the child kills itself (exit 137)
    at that crash point (load/faults.py)."""
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env={**os.environ, "GOVREPORTS_CRASH_AT": crash_at, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def expected_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.expected.json")) if root.is_dir() else []


def load_expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def shared_corpus() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (a fresh clone has no shared folder)")
    return SHARED_CORPUS
