"""Progress of a long run: a bar on a terminal, plain periodic lines elsewhere (CI, Prefect workers),
nothing with --quiet.

Plain functions (ingest, eval, generate, publish) take a `progress` callback, no-op by default, and
call it with a `Progress` event as work finishes; the commands choose how events are shown
(`reporting`). The Prefect flow cannot take a callable as a parameter, so a command hands it the
callback with `listening`, and batch tasks in this process report each document through `counting`.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from govreports.transform.model import DocumentResult

LINE_SECONDS = float(os.environ.get("GOVREPORTS_PROGRESS_SECONDS", "10"))  # plain lines: at most this far apart
LINE_STEPS = 10  # … and one each time another tenth is done
QUIET_HELP = "No progress bar or progress lines (the summary is still printed)."


@dataclass(frozen=True)
class Progress:
    stage: str  # ingest, eval, generate, publish, crawl
    done: int
    total: int
    failed: int = 0
    unit: str = "documents"


ProgressCallback = Callable[[Progress], None]


def no_progress(event: Progress) -> None:
    """The default callback: nobody is watching."""


class Steps:
    """Counts units as they finish (from any thread) and reports the running totals."""

    def __init__(
        self, stage: str, total: int, callback: ProgressCallback = no_progress, unit: str = "documents"
    ) -> None:
        self.stage, self.total, self.callback, self.unit = stage, total, callback, unit
        self.done = self.failed = 0
        self._seen: dict[int, dict] = {}  # counted one by one and not settled yet (kept alive: ids stay unique)
        self._lock = threading.Lock()

    def start(self) -> Steps:
        self._emit()
        return self

    def advance(self, n: int = 1, failed: int = 0) -> None:
        with self._lock:
            self.done += n
            self.failed += failed
            self._emit()

    def document(self, result: DocumentResult) -> None:
        """One document processed (failed when its row says so)."""
        with self._lock:
            self._seen[id(result.document)] = result.document
        self.advance(failed=int(result.document.get("status") == "failed"))

    def settle(self, results: Iterable[DocumentResult]) -> None:
        """A batch is back: count the documents not reported one by one (they ran in another process)."""
        with self._lock:
            fresh = [r for r in results if self._seen.pop(id(r.document), None) is None]
        if fresh:
            self.advance(len(fresh), sum(r.document.get("status") == "failed" for r in fresh))

    def _emit(self) -> None:
        self.callback(Progress(self.stage, self.done, self.total, self.failed, self.unit))


# ------------------------------------------------------------------ how events are shown


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


class LineReporter:
    """One plain line at the start, at each further 10 %, at least every LINE_SECONDS while work
    goes on, and at the end."""

    def __init__(self, stream: TextIO, every: float = LINE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.stream, self.every, self.clock = stream, every, clock
        self.started: dict[str, float] = {}
        self.last: dict[str, tuple[float, int]] = {}  # stage → (time, step) of its last line
        self._lock = threading.Lock()

    def __call__(self, event: Progress) -> None:
        with self._lock:
            now = self.clock()
            start = self.started.setdefault(event.stage, now)
            step = event.done * LINE_STEPS // event.total if event.total else 0
            if event.stage in self.last:
                at, last_step = self.last[event.stage]
                finished = event.done >= event.total
                if not (finished or step > last_step or now - at >= self.every):
                    return
            self.last[event.stage] = (now, step)
            # write, not print: a flow with log_prints turns print() into Prefect log records
            self.stream.write(self.line(event, now - start) + "\n")
            self.stream.flush()

    @staticmethod
    def line(event: Progress, elapsed: float) -> str:
        share = f"{100 * event.done / event.total:.0f} %" if event.total else "-"
        rate = event.done / elapsed if elapsed > 0 else None
        eta = (event.total - event.done) / rate if rate else None
        speed = f"{rate:.1f}/s" if rate else "-/s"
        left = eta_text(eta if event.done < event.total else 0)
        counts = f"{event.done}/{event.total} {event.unit} ({share}), {event.failed} failed"
        return f"{event.stage}: {counts}, {speed}, ETA {left}"


class BarReporter:
    """A rich progress bar per stage: done/total, rate, ETA and the failures so far."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self.bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}/s"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]} failed"),
            console=Console(file=stream),
            transient=False,
        )
        self.tasks: dict[str, object] = {}
        self.started: dict[str, float] = {}

    def __call__(self, event: Progress) -> None:
        if event.stage not in self.tasks:
            self.tasks[event.stage] = self.bar.add_task(event.stage, total=event.total, rate="-", failed=0)
            self.started[event.stage] = time.monotonic()
        elapsed = time.monotonic() - self.started[event.stage]
        rate = f"{event.done / elapsed:.1f}" if elapsed > 0 and event.done else "-"
        self.bar.update(
            self.tasks[event.stage], completed=event.done, total=event.total, rate=rate, failed=event.failed
        )

    def __enter__(self) -> BarReporter:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


@contextmanager
def reporting(quiet: bool = False, stream: TextIO | None = None) -> Iterator[ProgressCallback]:
    """The callback a command passes down: nothing when quiet, a bar on a terminal, else lines (on stderr,
    so stdout keeps only the summary)."""
    stream = stream or sys.stderr
    if quiet:
        yield no_progress
    elif stream.isatty():
        with BarReporter(stream) as bar:
            yield bar
    else:
        yield LineReporter(stream)


# ------------------------------------------------------------------ the Prefect flow's side door

_listener: ProgressCallback = no_progress
_tally: Steps | None = None


@contextmanager
def listening(callback: ProgressCallback) -> Iterator[None]:
    """Let flows run in this process report to `callback`."""
    global _listener
    previous, _listener = _listener, callback
    try:
        yield
    finally:
        _listener = previous


def listener() -> ProgressCallback:
    return _listener


@contextmanager
def counting(tally: Steps) -> Iterator[None]:
    """Batch tasks running in this process (threads) count each document on `tally`."""
    global _tally
    previous, _tally = _tally, tally
    try:
        yield
    finally:
        _tally = previous


def count_document(result: DocumentResult) -> None:
    """Per-document hook for batch tasks: counts on the active tally; in a worker process there is
    none, and the flow counts the batch when it comes back (Steps.settle)."""
    if _tally is not None:
        _tally.document(result)
