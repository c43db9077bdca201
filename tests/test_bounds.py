"""A memory and a time bound per document (issue 10 item 18): a document that allocates past
max_document_mb, runs past max_document_seconds or kills its parser process is recorded as failed
with the reason, the other documents of its batch are parsed exactly, and the run summary shows the
peak memory per batch. Limits are set tiny through the environment, which the forked child inherits."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.load.warehouse import open_database
from govreports.pipelines.cli import app
from govreports.pipelines.ingest import discover, process_batch
from govreports.pipelines.isolate import FAULT_ENV
from tests.test_lake import HTML

runner = CliRunner()
GOOD = ("a.html", "c.html", "e.html")  # around each bad document in name order: a fresh child parses the rest
HOG_MB = 48  # a real input whose parse needs more than the bound of 32 MB set below (read, then decoded)


def write_good(src: Path) -> None:
    for n, name in enumerate(GOOD, 1):
        (src / name).write_text(HTML.replace(">1<", f">{n}<"), encoding="utf-8")  # distinct bytes, distinct doc_id


def write_hog(path: Path) -> None:
    line = "本行政机关2023年度政府信息公开工作年度报告\n"
    path.write_text(line * (HOG_MB * 2**20 // len(line.encode())), encoding="utf-8")


@pytest.fixture
def tiny_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVREPORTS_MAX_DOCUMENT_MB", "32")
    monkeypatch.setenv("GOVREPORTS_MAX_DOCUMENT_SECONDS", "3")


def statuses(results: list) -> dict[str, tuple[str, str | None]]:
    return {r.document["file_name"]: (r.document["status"], r.document["error"]) for r in results}


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("memory", "over the memory limit of 32 MB (max_document_mb)"),
        ("hang", "over the time limit of 3 s (max_document_seconds)"),
        (str(int(signal.SIGKILL)), "parser process died with signal 9 (SIGKILL)"),
        (str(int(signal.SIGSEGV)), "parser process died with signal 11 (SIGSEGV)"),
    ],
)
def test_a_document_over_a_bound_fails_and_its_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_limits: None, fault: str, error: str
) -> None:
    write_good(tmp_path)
    bad = tmp_path / ("b.txt" if fault == "memory" else "b.html")
    if fault == "memory":
        write_hog(bad)
    else:  # a parser stuck in a loop, or dying in C code: the hook does to the child what they would
        bad.write_text(HTML.replace(">1<", ">9<"), encoding="utf-8")
        monkeypatch.setenv(FAULT_ENV, f"b.html:{fault}")
    heard = []
    results = process_batch(discover([tmp_path]), heard.append)
    assert statuses(results) == {
        "a.html": ("ok", None),
        bad.name: ("failed", error),
        "c.html": ("ok", None),
        "e.html": ("ok", None),
    }
    assert [len(r.facts) for r in results] == [6, 0, 6, 6]
    assert results[1].document["size_bytes"] == bad.stat().st_size  # the row is the file's, as parsed ones are
    assert len(heard) == 4  # progress heard of every document, the failed one too
    assert results.peak_mb > 0


def test_the_run_goes_on_and_its_summary_shows_peak_memory_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_limits: None
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    write_good(src)
    write_hog(src / "b.txt")
    (src / "d.html").write_text(HTML.replace(">1<", ">9<"), encoding="utf-8")
    monkeypatch.setenv(FAULT_ENV, "d.html:9")
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(src), "--out", str(out), "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "5 inputs: 5 written, 0 already in the lake" in result.output
    text = " ".join(result.output.split())
    assert "b.txt: over the memory limit of 32 MB (max_document_mb)" in text
    assert "d.html: parser process died with signal 9 (SIGKILL)" in text
    peak = re.search(r"peak memory per batch: max (\d+) MB \(batch ([12])-of-2\) over 2 batches", text)
    assert peak and int(peak[1]) > 0, text
    con = open_database(out / "warehouse.duckdb")
    rows = con.sql("SELECT file_name, status, n_facts FROM documents ORDER BY 1").fetchall()
    con.close()
    assert rows == [
        ("a.html", "ok", 6),
        ("b.txt", "failed", 0),
        ("c.html", "ok", 6),
        ("d.html", "failed", 0),
        ("e.html", "ok", 6),
    ]


def test_isolation_off_parses_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GOVREPORTS_ISOLATE_PARSING=0 (debugging): no child, so the hook's signal would reach this process;
    a harmless one shows where the parse ran."""
    write_good(tmp_path)
    monkeypatch.setenv("GOVREPORTS_ISOLATE_PARSING", "0")
    monkeypatch.setenv(FAULT_ENV, f"c.html:{int(signal.SIGUSR1)}")
    caught = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: caught.append(True))
    try:
        results = process_batch(discover([tmp_path]))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert caught == [True]
    assert statuses(results) == {name: ("ok", None) for name in GOOD}
