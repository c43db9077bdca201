"""Process memory: what a run reports (peak RSS per batch) and how it gives freed memory back."""

from __future__ import annotations

import ctypes
import gc
import resource
from functools import cache


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_memory() -> None:
    """Collect cycles and hand glibc's free heap pages back to the system. A batch's objects are
    freed when the next replaces them, but glibc keeps the pages, so without this the resident
    size grows with every batch parsed until the DuckDB steps add their own peak on top of it."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
