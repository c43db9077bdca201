"""One writer per output folder.

Every command that writes DIR (ingest, rebuild, corrections, warehouse, compact) holds
DIR/.govreports.lock, an OS file lock (filelock): the kernel releases it when its holder
dies, so the lock of a killed process is taken over safely by the next run. Beside it,
DIR/.govreports.lock.json says who holds it, for the message a second writer gets.
The lock is re-entrant within a process (a flow called from the CLI takes it again).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = ".govreports.lock"
HOLDER_NAME = ".govreports.lock.json"


class LakeBusyError(RuntimeError):
    """Another process holds the output folder."""


_held: dict[Path, int] = {}
_guard = threading.Lock()


def holder(out_dir: Path) -> dict:
    """Who holds (or last held) the lock: pid, host, since, command; {} when unknown."""
    try:
        return json.loads((Path(out_dir) / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def busy_message(out_dir: Path) -> str:
    h = holder(out_dir)
    since = h.get("since", "an unknown time")
    return (
        f"another ingest holds {out_dir} since {since}, pid {h.get('pid', '?')} on {h.get('host', '?')}"
        f" ({h.get('command', '?')}); wait for it to finish, or pass --wait SECONDS"
    )


@contextmanager
def lake_lock(out_dir: Path, wait: float = 0, command: str = "ingest") -> Iterator[None]:
    """Hold DIR's writer lock for the block; raise LakeBusyError after `wait` seconds."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = out_dir.resolve()
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentrant = True
        else:
            reentrant = False
    if reentrant:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    lock = FileLock(str(key / LOCK_NAME), thread_local=False)
    try:
        lock.acquire(timeout=wait)
    except Timeout as exc:
        raise LakeBusyError(busy_message(out_dir)) from exc
    try:
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command,
        }
        tmp = key / f"{HOLDER_NAME}.tmp"
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, key / HOLDER_NAME)
        with _guard:
            _held[key] = 1
        yield
    finally:
        with _guard:
            _held.pop(key, None)
        lock.release()
