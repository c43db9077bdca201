"""Crash points for the fault-injection tests.

GOVREPORTS_CRASH_AT=NAME[:N] kills the process (os._exit, as abrupt as kill -9: no cleanup,
no flush) the N-th time (default: first) the code passes crash_point(NAME). Unset, it costs
one dict lookup.
"""

from __future__ import annotations

import os
from collections import Counter

ENV = "GOVREPORTS_CRASH_AT"
_passed: Counter[str] = Counter()


def crash_point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    _passed[name] += 1
    if _passed[name] >= int(nth or 1):
        os._exit(137)
