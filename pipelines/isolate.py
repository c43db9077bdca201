"""Each batch parsed in a forked child process, under a memory and a time bound per document
(issue 10 item 18): a document that allocates or loops without end is recorded as failed, and the
run goes on.

One fork per batch in the normal case (Linux: the child starts with this process's imports warm).
The child parses the batch's documents one at a time and sends, over a pipe, a marker before each
and its DocumentResult after it. Before each document it sets RLIMIT_AS to its address space at that
moment plus `max_document_mb`, so an allocation past the bound fails at once (MemoryError) rather
than after the machine swaps. The parent waits at most `max_document_seconds` for each document; a
document whose child overran its time (killed), died (a signal, an exit) or ran out of memory gets a
`failed` row with the reason, and a fresh child parses the rest of the batch. The children's peak
resident memory (`wait4`) comes back with the results.

`GOVREPORTS_ISOLATE_PARSING=0` parses in this process instead (a debugger, a profiler): no bounds then.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from multiprocessing import Pipe
from multiprocessing.connection import Connection

from govreports.extract.limits import limit
from govreports.pipelines.memory import peak_rss_mb
from govreports.transform.document import failed_result, process_document
from govreports.transform.model import DocumentResult, InputDoc

FAULT_ENV = "GOVREPORTS_PARSE_FAULT"  # tests only: FILE_NAME:hang or FILE_NAME:<signal number>, …
PR_SET_PDEATHSIG = 1
Emit = Callable[[int, DocumentResult], None]


class BatchResults(list):
    """A batch's DocumentResults, in input order, and the peak resident memory of the process(es)
    that parsed it, in MB (pickles with both: Dask workers send it back whole)."""

    peak_mb: float = 0.0


def isolation_on() -> bool:
    return limit("isolate_parsing") != 0 and hasattr(os, "fork")


def memory_reason() -> str:
    return f"over the memory limit of {limit('max_document_mb'):g} MB (max_document_mb)"


def time_reason() -> str:
    return f"over the time limit of {limit('max_document_seconds'):g} s (max_document_seconds)"


def death_reason(status: int) -> str:
    """Why a child stopped, from its wait status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else "?"
        return f"parser process died with signal {sig} ({name})"
    return f"parser process exited with code {os.WEXITSTATUS(status)}"


def parse_in_process(inputs: list[InputDoc], on_result: Callable[[DocumentResult], None] | None) -> BatchResults:
    """No child, no bounds (isolate_parsing = 0): this process's peak so far is the batch's."""
    results = BatchResults()
    for doc in inputs:
        inject_fault(doc)
        try:
            results.append(process_document(doc))
        except MemoryError:  # the machine's own limit: the document's row says so, the batch goes on
            results.append(failed_result(doc, "out of memory (MemoryError)"))
        if on_result:
            on_result(results[-1])
    results.peak_mb = peak_rss_mb()
    return results


def parse_isolated(inputs: list[InputDoc], on_result: Callable[[DocumentResult], None] | None) -> BatchResults:
    """Parse a batch in forked children (one unless a document kills one): every input gets a result."""
    done: dict[int, DocumentResult] = {}

    def emit(i: int, result: DocumentResult) -> None:
        done[i] = result
        if on_result:
            on_result(result)

    start, peak_kb = 0, 0
    while start < len(inputs):
        start, child_peak_kb = run_child(inputs, start, emit)
        peak_kb = max(peak_kb, child_peak_kb)
    results = BatchResults(done[i] for i in range(len(inputs)))
    results.peak_mb = peak_kb / 1024  # Linux: ru_maxrss in KB
    return results


def run_child(inputs: list[InputDoc], start: int, emit: Emit) -> tuple[int, int]:
    """Parse inputs[start:] in one child. Returns the index of the first input still without a result
    (len(inputs) when the child finished) and the child's peak resident memory in KB."""
    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        reader.close()
        child_main(inputs, start, writer)
    writer.close()
    nxt, started, failure = start, -1, None
    try:
        while nxt < len(inputs):
            if not reader.poll(limit("max_document_seconds")):
                os.kill(pid, signal.SIGKILL)
                failure = time_reason()
                break
            try:
                message = reader.recv()
            except EOFError:  # the child is gone
                break
            kind, i = message[0], message[1]
            if kind == "start":
                started = i
                continue
            emit(i, message[2] if kind == "done" else failed_result(inputs[i], memory_reason()))
            nxt = i + 1
    finally:
        reader.close()
        _, status, usage = os.wait4(pid, 0)
    # blame the document it was on; a child that died between documents is only replaced
    # (unless it parsed nothing at all: then the next document is blamed, so the batch ends)
    if nxt < len(inputs) and (failure or started == nxt or nxt == start):
        emit(nxt, failed_result(inputs[nxt], failure or death_reason(status)))
        nxt += 1
    return nxt, usage.ru_maxrss


def child_main(inputs: list[InputDoc], start: int, writer: Connection) -> None:
    """The forked child: parse inputs[start:] one by one, each under the memory bound; exit without
    running any of the parent's exit handlers (pytest's, Prefect's, DuckDB's)."""
    code = 0
    try:
        die_with_parent()
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        for i in range(start, len(inputs)):
            writer.send(("start", i))
            inject_fault(inputs[i])
            try:
                bound_address_space(limit("max_document_mb"), hard)
                result = process_document(inputs[i])
            except MemoryError:
                result = None
            finally:
                resource.setrlimit(resource.RLIMIT_AS, (hard, hard))  # sending needs memory too
            writer.send(("memory", i) if result is None else ("done", i, result))
            del result
        writer.close()
    except BaseException:  # our own code failed: the parent sees the exit code and goes on
        traceback.print_exc()
        sys.stderr.flush()
        code = 70
    finally:
        os._exit(code)


def bound_address_space(mb: float, hard: int) -> None:
    """RLIMIT_AS = the address space in use now + mb (never above the hard limit)."""
    page = os.sysconf("SC_PAGE_SIZE")
    with open("/proc/self/statm", encoding="ascii") as fh:
        in_use = int(fh.read().split()[0]) * page
    soft = in_use + int(mb * 2**20)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def die_with_parent() -> None:
    """A child whose parent was killed is killed too, not left parsing for nobody (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def inject_fault(doc: InputDoc) -> None:
    """Tests only (GOVREPORTS_PARSE_FAULT=FILE_NAME:hang or FILE_NAME:<signal>, several comma-separated):
    the parse of that file hangs or the child gets the signal, as a parser stuck in a loop or crashing
    in C would. Unset, it costs one dict lookup."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    faults = dict(item.rpartition(":")[::2] for item in spec.split(","))
    kind = faults.get(doc.file_name)
    if kind == "hang":
        while True:
            time.sleep(1)
    if kind:
        os.kill(os.getpid(), int(kind))
