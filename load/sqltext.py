"""Paths put into SQL text: DuckDB reads them as string literals and, in read_* functions, as
globs, so a folder named `it's [v2]*` must be quoted and its glob characters escaped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_GLOB_ESCAPES = str.maketrans({"[": "[[]", "]": "[]]", "*": "[*]", "?": "[?]"})


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def path_literal(path: Path) -> str:
    """A file path for ATTACH / COPY … TO (not globbed): absolute, quoted."""
    return literal(Path(path).resolve().as_posix())


# Set while a warehouse's views are written: their paths are then relative to its folder.
_ROOT: ContextVar[Path | None] = ContextVar("view_root", default=None)


@contextmanager
def paths_relative_to(root: Path) -> Iterator[None]:
    """Within this block glob_literal gives paths relative to `root` (the warehouse's folder), so a
    copied or moved output folder reads its own lake; open_database resolves them against the
    database file's folder (DuckDB's file_search_path)."""
    token = _ROOT.set(Path(root).resolve())
    try:
        yield
    finally:
        _ROOT.reset(token)


def glob_literal(folder: Path, pattern: str = "") -> str:
    """A path for read_parquet / read_json: the folder matched literally, then `pattern` as a glob."""
    path = Path(folder).resolve()
    root = _ROOT.get()
    if root is not None and path.is_relative_to(root):
        path = path.relative_to(root)
        # DuckDB looks a relative *glob* up in file_search_path but a plain file name in the working
        # directory first: a file name is made a glob that matches only itself.
        if pattern and not any(c in pattern for c in "*?["):
            pattern = f"{pattern[:-1]}[{pattern[-1]}]"
    base = path.as_posix().translate(_GLOB_ESCAPES)
    return literal(f"{base}/{pattern}" if pattern else base)
