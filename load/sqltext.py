"""Paths put into SQL text: DuckDB reads them as string literals and, in read_* functions, as
globs, so a folder named `it's [v2]*` must be quoted and its glob characters escaped."""

from __future__ import annotations

from pathlib import Path

_GLOB_ESCAPES = str.maketrans({"[": "[[]", "]": "[]]", "*": "[*]", "?": "[?]"})


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def path_literal(path: Path) -> str:
    """A file path for ATTACH / COPY … TO (not globbed): absolute, quoted."""
    return literal(Path(path).resolve().as_posix())


def glob_literal(folder: Path, pattern: str = "") -> str:
    """A path for read_parquet / read_json: the folder matched literally, then `pattern` as a glob."""
    base = Path(folder).resolve().as_posix().translate(_GLOB_ESCAPES)
    return literal(f"{base}/{pattern}" if pattern else base)
