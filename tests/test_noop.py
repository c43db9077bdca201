"""The unchanged re-run: decided before Prefect or Great Expectations is imported, and only when
there is truly nothing to do (a changed, new or once-unreadable file, an unvalidated document, a
missing or stale warehouse, another version's warehouse all still do the work)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govreports.load import warehouse
from govreports.load.lake import known_doc_ids, lake_dir, mark_validated, partition_of
from govreports.load.warehouse import warehouse_path
from govreports.pipelines.ingest import Freshness, discover, freshness, ingest, load_batch, process_batch
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.model import InputDoc
from tests.test_lake import HTML

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of three inputs, loaded and validated by the plain ingest: two reports and a PDF that
    fails to parse (its failed row is keyed by its bytes: the same bytes are not parsed again)."""
    root = tmp_path_factory.mktemp("noop")
    src = root / "in"
    src.mkdir()
    (src / "report.html").write_text(HTML, encoding="utf-8")
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (src / "other.html").write_text(HTML.replace("财政局", "教育局"), encoding="utf-8")
    summary = ingest(discover([src]), root / "out")
    assert summary.written == 3 and summary.by_status["failed"] == 1
    return root


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    shutil.copytree(built, tmp_path / "run", symlinks=True)
    return tmp_path / "run"


def fresh(root: Path) -> Freshness:
    return freshness(discover([root / "in"]), root / "out")


def test_unchanged_inputs_are_nothing_new(copy: Path) -> None:
    assert fresh(copy) == Freshness(inputs=3, in_lake=3, unvalidated=0, warehouse_current=True)
    assert fresh(copy).nothing_new


def test_a_changed_file_is_work(copy: Path) -> None:
    (copy / "in" / "report.html").write_text(HTML.replace("<td>5</td>", "<td>6</td>"), encoding="utf-8")
    assert fresh(copy) == Freshness(inputs=3, in_lake=2, unvalidated=0, warehouse_current=True)
    assert not fresh(copy).nothing_new


def test_a_new_file_is_work(copy: Path) -> None:
    (copy / "in" / "new.html").write_text(HTML.replace("财政局", "民政局"), encoding="utf-8")
    assert fresh(copy) == Freshness(inputs=4, in_lake=3, unvalidated=0, warehouse_current=True)
    assert not fresh(copy).nothing_new


def test_a_file_that_failed_unreadable_is_retried_once_readable(copy: Path) -> None:
    # Its failed row is keyed by its path; readable, it is keyed by its bytes: new to the lake.
    # (A file whose same bytes failed to parse stays in the lake, as skip_known decides: broken.pdf.)
    later = copy / "in" / "later.html"
    later.mkdir()
    load_batch(process_batch([InputDoc.from_path(later)]), copy / "out")
    mark_validated(copy / "out", known_doc_ids(copy / "out"))
    build_warehouse(copy / "out")
    assert fresh(copy) == Freshness(inputs=4, in_lake=4, unvalidated=0, warehouse_current=True)
    later.rmdir()
    later.write_text(HTML.replace("财政局", "民政局"), encoding="utf-8")
    assert fresh(copy) == Freshness(inputs=4, in_lake=3, unvalidated=0, warehouse_current=True)


def test_documents_not_yet_validated_are_work(copy: Path) -> None:
    shutil.rmtree(lake_dir(copy / "out") / "validated")
    assert fresh(copy) == Freshness(inputs=3, in_lake=3, unvalidated=3, warehouse_current=True)
    assert not fresh(copy).nothing_new


def test_a_missing_warehouse_is_work(copy: Path) -> None:
    warehouse_path(copy / "out").unlink()
    assert fresh(copy) == Freshness(inputs=3, in_lake=3, unvalidated=0, warehouse_current=False)


def test_a_warehouse_of_another_version_is_work(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warehouse, "__version__", "99.0.0")
    assert not fresh(copy).warehouse_current
    build_warehouse(copy / "out")  # what the full path does: the new version's views, then a no-op again
    assert fresh(copy).nothing_new


def test_a_warehouse_touched_since_its_build_or_a_lake_changed_under_it_is_work(copy: Path) -> None:
    out = copy / "out"
    part = next((lake_dir(out) / "facts").glob("*.parquet"))
    shutil.copy(part, part.with_name(f"{partition_of(part)}-part-copied.parquet"))
    assert not fresh(copy).warehouse_current
    build_warehouse(out)
    assert fresh(copy).warehouse_current
    stamp = warehouse.stamp_path(out)
    stamp.write_text(json.dumps({**json.loads(stamp.read_text()), "warehouse": [0, 0]}))
    assert not fresh(copy).warehouse_current


CHILD = """
import sys
from govreports.pipelines.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    print("loaded:", sorted(m for m in ("prefect", "great_expectations", "pdfplumber") if m in sys.modules))
"""


def cli_child(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=REPO, timeout=300, check=False
    )


def test_the_unchanged_cli_run_says_nothing_new_without_prefect_or_great_expectations(copy: Path) -> None:
    before = warehouse_path(copy / "out").stat().st_mtime_ns
    done = cli_child("ingest", str(copy / "in"), "--out", str(copy / "out"))
    assert done.returncode == 0, done.stderr
    assert "nothing new: 3 inputs, 3 already in the lake and validated" in done.stdout
    assert "loaded: []" in done.stdout
    assert warehouse_path(copy / "out").stat().st_mtime_ns == before  # not rebuilt
