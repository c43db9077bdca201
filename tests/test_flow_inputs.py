"""Any number of inputs in one flow run: the flow gets a manifest's path, not the input list, so its
parameters stay under Prefect's 512 KB limit (the list as a parameter was refused with HTTP 422)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.load.warehouse import open_database
from govreports.pipelines.cli import app
from govreports.pipelines.flows import ingest_listed
from govreports.pipelines.manifest import MANIFEST_DIR, manifest_header, read_manifest, write_manifest
from govreports.transform.model import InputDoc

runner = CliRunner()

PREFECT_PARAMETER_LIMIT = 524_288  # bytes: Prefect's limit on a flow run's parameters
FILES = 90  # each input costs about 6,600 bytes as a parameter (its long path twice): ~600 KB in all


def long_named_inputs(root: Path) -> Path:
    """FILES tiny text reports with long names, twelve folders deep, each with its own bytes."""
    deep = root.joinpath(*[f"{level}-annual-report-" + "x" * 220 for level in range(12)])  # 240-byte names
    deep.mkdir(parents=True)
    for n in range(FILES):
        (deep / (f"{n:04d}-" + "r" * 190 + ".txt")).write_text(f"report number {n}\n", encoding="utf-8")
    return root


def test_more_than_512_kb_of_input_paths_run_as_one_flow(tmp_path: Path) -> None:
    src = long_named_inputs(tmp_path / "in")
    files = sorted(src.rglob("*.txt"))
    as_parameter = sum(2 * len(str(f).encode()) + len(f.name.encode()) for f in files)  # path, source, file_name
    assert as_parameter > PREFECT_PARAMETER_LIMIT
    out = tmp_path / "out"

    result = runner.invoke(app, ["ingest", str(src), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"{FILES} inputs: {FILES} written, 0 already in the lake" in result.output
    con = open_database(out / "warehouse.duckdb")
    try:
        names = [row[0] for row in con.execute("SELECT file_name FROM documents ORDER BY 1").fetchall()]
    finally:
        con.close()
    assert names == [f.name for f in files]
    assert list((out / MANIFEST_DIR).iterdir()) == []  # the run's manifest is removed after it


def test_a_manifest_keeps_every_input_and_names_the_run(tmp_path: Path) -> None:
    inputs = [
        InputDoc(path=tmp_path / "samples" / "a.html", source="https://example.gov.cn/a", file_name="年报.html"),
        InputDoc.from_path(tmp_path / "samples" / "b.pdf"),
    ]
    path = write_manifest(inputs, tmp_path / "out")
    assert path.parent == tmp_path / "out" / MANIFEST_DIR
    assert manifest_header(path) == {"inputs": 2, "label": "samples"}
    assert read_manifest(path) == inputs


def test_a_killed_runs_manifest_goes_and_each_run_deletes_its_own(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inputs = [InputDoc.from_path(tmp_path / "samples" / "a.html")]
    left = write_manifest(inputs, out)  # what a run killed mid-flow leaves behind
    seen: list[list[str]] = []

    def flow(manifest: str, out: str, batch_size: int) -> str:
        seen.append(sorted(p.name for p in (Path(out) / MANIFEST_DIR).iterdir()))
        assert read_manifest(manifest) == inputs
        if len(seen) == 2:
            raise RuntimeError("the run failed")
        return Path(manifest).name

    name = ingest_listed(flow, inputs, str(out), out)
    assert seen == [[name]] and name != left.name  # the leftover is gone before the run starts
    with pytest.raises(RuntimeError, match="the run failed"):
        ingest_listed(flow, inputs, str(out), out)
    assert list((out / MANIFEST_DIR).iterdir()) == []  # a failed run's manifest is deleted too
