"""The raw archive: every fetched body as an immutable, content-addressed snapshot.

Layout under DIR/raw/:
  <sha[:2]>/<sha>.<ext>   the bytes as received (read-only once written)
  fetches.jsonl           one JSON line per fetch: URL, final URL, time, status, headers, sha
  links.jsonl             one JSON line per link a crawl did not follow, with why

Snapshots are written to a temporary name and renamed, so a crash never leaves a
partial file under its final name; the log is append-only, one line per write.
Parsers read snapshots, never the network, so anything can be re-parsed later.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

# Snapshot suffixes are those the ingest spine recognises (format is decided by suffix).
CONTENT_TYPE_EXT = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-works": ".wps",
}
URL_EXT = {s: s for s in (".pdf", ".doc", ".docx", ".wps", ".txt", ".xls", ".xlsx")}
FETCH_LOG = "fetches.jsonl"
LINK_LOG = "links.jsonl"


@dataclass
class FetchRecord:
    """The sidecar of one fetch. `sha256`/`path` name the snapshot (for a 304: the one still valid)."""

    url: str
    final_url: str
    fetched_at: str
    status: int | None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    sha256: str | None = None
    path: str | None = None
    encoding: str | None = None
    not_modified: bool = False
    error: str | None = None
    attempts: int = 1


def snapshot_ext(content_type: str | None, url: str) -> str:
    """Suffix from the Content-Type, else from the URL; unknown bodies are '.bin'."""
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime in CONTENT_TYPE_EXT:
        return CONTENT_TYPE_EXT[mime]
    suffix = Path(url.split("?")[0]).suffix.lower()
    if suffix in (".html", ".htm", ".shtml", ".jhtml"):
        return ".html"
    return URL_EXT.get(suffix, ".bin")


def parse_record(line: str) -> FetchRecord | None:
    """One log line as a record; None for a torn or foreign line."""
    try:
        data = json.loads(line)
        return FetchRecord(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def ends_with_newline(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
    except OSError:  # missing or empty
        return True


class Archive:
    def __init__(self, out_dir: Path) -> None:
        self.root = Path(out_dir) / "raw"
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root / FETCH_LOG
        self._lock = threading.Lock()
        self._latest: dict[str, FetchRecord] = {}  # by the URL asked for
        self._by_final: dict[str, FetchRecord] = {}  # by the URL the body came from (after redirects)
        for rec in self.records():
            self._remember(rec)

    def records(self) -> list[FetchRecord]:
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_bytes().decode("utf-8", errors="replace").splitlines()
        # A torn line (a crash or a full disk mid-write), wherever it is, is skipped rather than
        # failing every later crawl.
        return [rec for rec in map(parse_record, lines) if rec is not None]

    def _remember(self, rec: FetchRecord) -> None:
        if rec.sha256 and rec.status in (200, 304):
            self._latest[rec.url] = rec
            self._by_final[rec.final_url] = rec

    def latest(self, url: str) -> FetchRecord | None:
        """The last successful fetch of `url` whose snapshot is on disk."""
        rec = self._latest.get(url)
        return rec if rec is not None and self.snapshot_path(rec).exists() else None

    def served(self, final_url: str) -> FetchRecord | None:
        """The last snapshot that `final_url` served (reached directly or by a redirect)."""
        rec = self._by_final.get(final_url)
        return rec if rec is not None and self.snapshot_path(rec).exists() else None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) to send with a conditional request for `url`."""
        rec = self.served(url)
        return (rec.etag, rec.last_modified) if rec else (None, None)

    def snapshot_path(self, rec: FetchRecord) -> Path:
        return self.root.parent / rec.path if rec.path else self.root / "missing"

    def has_sha(self, sha: str) -> bool:
        return any((self.root / sha[:2]).glob(f"{sha}.*"))

    def store(self, content: bytes, ext: str) -> tuple[str, Path]:
        """Write the snapshot once; identical bytes map to the same file."""
        sha = hashlib.sha256(content).hexdigest()
        path = self.root / sha[:2] / f"{sha}{ext}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(content)
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, path)
        return sha, path

    def record(self, rec: FetchRecord) -> None:
        line = json.dumps(asdict(rec), ensure_ascii=False) + "\n"
        with self._lock:
            if not ends_with_newline(self.log_path):  # after a torn line: start a line of our own
                line = "\n" + line
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._remember(rec)

    def log_links(self, source: str, crawled_at: str, not_followed: list[tuple[str, str]]) -> None:
        """Every link a crawl did not follow, with why: a report that is missing can be looked up."""
        rows = [{"source": source, "crawled_at": crawled_at, "url": u, "why": w} for u, w in not_followed]
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        path = self.root / LINK_LOG
        with self._lock, open(path, "a+b") as fh:
            if fh.tell() and (fh.seek(-1, os.SEEK_END), fh.read(1))[1] != b"\n":
                text = "\n" + text  # a torn last line stays alone on its line
            fh.write(text.encode("utf-8"))

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root.parent).as_posix()
