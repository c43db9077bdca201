"""The layers import one way: load/ never imports expectations/ (validation builds on the load, not back)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# layer -> the layers it must never import, anywhere in its modules (function-level imports included);
# the version string lives in govreports.pipelines, which both read, so pipelines is not listed
FORBIDDEN = {"load": ("expectations",), "transform": ("expectations",)}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module if node.level == 0 else f".{node.module}")
    return found


def violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "govreports" and len(parts) > 1 and parts[1] in FORBIDDEN[layer]:
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    return bad


def test_load_never_imports_expectations():
    assert violations("load") == []


def test_transform_never_imports_expectations():
    assert violations("transform") == []


def test_the_check_finds_a_forbidden_import(tmp_path: Path):
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from govreports.expectations.cross_doc import X\n", encoding="utf-8")
    assert "govreports.expectations.cross_doc" in imported_modules(sample)
