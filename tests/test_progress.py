"""Progress: the events the plain functions send, the plain lines a log gets, and --quiet."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

from govreports.pipelines.evaluate import score_corpus
from govreports.pipelines.ingest import discover, ingest
from govreports.pipelines.progress import LineReporter, Progress, Steps, no_progress, reporting
from govreports.pipelines.publish import publish
from tests.test_lake import HTML

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
LINE = re.compile(r"^(\w+): (\d+)/(\d+) documents \((\d+) %\), (\d+) failed, ([\d.]+|-)/s, ETA (\S+)$")


def reports_folder(root: Path) -> Path:
    """Three inputs in discovery order: a PDF that fails to parse, then two reports."""
    src = root / "in"
    src.mkdir()
    (src / "a_broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (src / "b_report.html").write_text(HTML, encoding="utf-8")
    (src / "c_report.html").write_text(HTML.replace("财政局", "教育局"), encoding="utf-8")
    return src


def counts(lines: list[str], stage: str) -> list[tuple[int, int, int]]:
    found = [LINE.match(line) for line in lines]
    return [(int(m[2]), int(m[3]), int(m[5])) for m in found if m and m[1] == stage]


def test_ingest_tells_the_callback_each_document(tmp_path: Path) -> None:
    events: list[Progress] = []
    summary = ingest(discover([reports_folder(tmp_path)]), tmp_path / "out", batch_size=2, progress=events.append)
    assert summary.written == 3
    assert [(e.stage, e.done, e.total, e.failed) for e in events] == [
        ("ingest", 0, 3, 0),
        ("ingest", 1, 3, 1),
        ("ingest", 2, 3, 1),
        ("ingest", 3, 3, 1),
    ]
    again: list[Progress] = []  # nothing left to parse: one event, 0 of 0
    ingest(discover([tmp_path / "in"]), tmp_path / "out", progress=again.append)
    assert again == [Progress("ingest", 0, 0, 0)]

    steps: list[Progress] = []
    publish(tmp_path / "out", tmp_path / "release", pages=False, progress=steps.append)
    assert [(e.stage, e.done, e.total, e.unit) for e in steps] == [("publish", n, 5, "steps") for n in range(6)]


def test_a_batch_back_from_another_process_counts_its_documents_once() -> None:
    from govreports.transform.model import DocumentResult

    events: list[Progress] = []
    steps = Steps("ingest", 3, events.append)
    here = DocumentResult(document={"status": "ok"})
    steps.document(here)  # counted one by one (a thread of this process)
    steps.settle([here, DocumentResult(document={"status": "failed"}), DocumentResult(document={"status": "ok"})])
    assert [(e.done, e.failed) for e in events] == [(1, 0), (3, 1)]


def test_plain_lines_every_ten_percent_every_period_and_at_the_end() -> None:
    out = io.StringIO()
    now = [0.0]
    show = LineReporter(out, every=30, clock=lambda: now[0])
    steps = Steps("ingest", 40, show).start()
    for _ in range(40):
        now[0] += 1
        steps.advance(failed=1 if steps.done == 7 else 0)
    lines = out.getvalue().splitlines()
    assert counts(lines, "ingest") == [(0, 40, 0)] + [(n, 40, 0 if n < 8 else 1) for n in range(4, 41, 4)]
    assert lines[-1] == "ingest: 40/40 documents (100 %), 1 failed, 1.0/s, ETA 0:00:00"
    assert lines[1] == "ingest: 4/40 documents (10 %), 0 failed, 1.0/s, ETA 0:00:36"

    slow = io.StringIO()  # between two 10 % steps, a line at least every `every` seconds
    show = LineReporter(slow, every=5, clock=lambda: now[0])
    steps = Steps("crawl", 1000, show, unit="documents").start()
    for _ in range(12):
        now[0] += 1
        steps.advance()
    assert counts(slow.getvalue().splitlines(), "crawl") == [(0, 1000, 0), (5, 1000, 0), (10, 1000, 0)]


def test_quiet_and_not_a_terminal() -> None:
    with reporting(quiet=True) as shown:
        assert shown is no_progress
    with reporting(stream=io.StringIO()) as shown:
        assert isinstance(shown, LineReporter)


def test_eval_progress_counts_and_quiet_silences_it(tmp_path: Path) -> None:
    folder = tmp_path / "eval"
    folder.mkdir()
    for name in ("gen000_gov_2021_2021", "gen001_gov_2021_2022", "gen002_gov_2021_2023"):
        for f in SAMPLES.glob(f"{name}.*"):
            shutil.copy(f, folder)
    events: list[Progress] = []
    assert len(score_corpus(folder, events.append).docs) == 3
    assert [(e.done, e.total) for e in events] == [(0, 3), (1, 3), (2, 3), (3, 3)]

    cli = [sys.executable, "-m", "govreports.pipelines.cli", "eval", str(folder)]
    loud = subprocess.run(cli, capture_output=True, text=True, cwd=REPO, timeout=300, check=False)
    assert loud.returncode == 0, loud.stderr
    assert counts(loud.stderr.splitlines(), "eval") == [(0, 3, 0), (1, 3, 0), (2, 3, 0), (3, 3, 0)]
    quiet = subprocess.run([*cli, "--quiet"], capture_output=True, text=True, cwd=REPO, timeout=300, check=False)
    assert quiet.returncode == 0, quiet.stderr
    assert "eval:" not in quiet.stderr and "eval:" not in quiet.stdout
    assert quiet.stdout == loud.stdout  # the report itself is unchanged


def test_ingest_cli_through_prefect_logs_progress_then_a_rerun_is_silent(tmp_path: Path) -> None:
    src = reports_folder(tmp_path)
    cli = [sys.executable, "-m", "govreports.pipelines.cli", "ingest", str(src), "--out", str(tmp_path / "out")]
    first = subprocess.run([*cli, "--batch-size", "1"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert first.returncode == 0, first.stderr
    seen = counts(first.stderr.splitlines(), "ingest")  # batches run in threads: any order, counts exact
    assert [done for done, _, _ in seen] == [0, 1, 2, 3] and seen[-1] == (3, 3, 1)
    assert "3 inputs: 3 written" in first.stdout

    (src / "d_report.html").write_text(HTML.replace("财政局", "民政局"), encoding="utf-8")
    quiet = subprocess.run([*cli, "--quiet"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert quiet.returncode == 0, quiet.stderr
    assert "4 inputs: 1 written, 3 already in the lake" in quiet.stdout
    assert "ingest:" not in quiet.stderr
