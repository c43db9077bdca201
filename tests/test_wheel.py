"""The built wheel installs and runs on its own: no source tree, no generic top-level modules.

Builds the wheel from a copy of the tracked sources, installs it (without dependencies) into a
fresh venv outside the checkout whose dependencies come from this venv's site-packages through
a .pth file (an install of every dependency would take minutes), then runs `govreports run` and
a DuckDB query from an empty directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERIC_NAMES = ("pipelines", "extract", "transform", "load", "expectations", "data")
# Only these of data/ are sources; the rest is pipeline output (lake, warehouse) of a local run.
DATA_SOURCES = {"__init__.py", "reference", "samples", "sites"}
SKIP = {".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", "govreports.egg-info"}

pytestmark = pytest.mark.slow


def _ignore(folder: str, names: list[str]) -> set[str]:
    if Path(folder) == REPO / "data":
        return {n for n in names if n not in DATA_SOURCES}
    return {n for n in names if n in SKIP or n.endswith((".duckdb", ".wal"))}


def dependency_paths() -> list[str]:
    """This interpreter's site-packages dirs (and those its .pth files add), never a source checkout."""
    return [p for p in sys.path if p.rstrip("/").endswith("site-packages") and Path(p).is_dir()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src") / "govreports"
    shutil.copytree(REPO, src, ignore=_ignore)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src), "-w", str(dist)],
        check=True,
        capture_output=True,
    )
    (found,) = dist.glob("govreports-*.whl")
    return found


@pytest.fixture(scope="module")
def env(wheel: Path, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(root)
    py = root / "bin" / "python"
    site = Path(
        subprocess.check_output([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True).strip()
    )
    (site / "_deps.pth").write_text("\n".join(dependency_paths()) + "\n", encoding="utf-8")
    subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True, capture_output=True
    )
    return root


def test_wheel_holds_only_the_govreports_namespace(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = zf.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    tops = {line.split("/", 1)[0] for line in record.splitlines() if line}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"govreports"}
    assert "govreports/data/reference/detection.json" in names
    assert "govreports/data/reference/release_tables.csv" in names
    assert "govreports/load/sql/reports.sql" in names
    assert any(n.startswith("govreports/data/samples/") for n in names)


def test_installed_wheel_runs_outside_the_checkout(env: Path, tmp_path: Path):
    py, cli = env / "bin" / "python", env / "bin" / "govreports"
    environ = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": ""}
    probe = (
        "import importlib.util, json, govreports.transform, govreports.data as d;"
        f"print(json.dumps({{'file': govreports.transform.__file__, 'reference': str(d.REFERENCE_DIR),"
        f"'generic': [n for n in {GENERIC_NAMES!r} if importlib.util.find_spec(n)]}}))"
    )
    info = json.loads(subprocess.check_output([py, "-c", probe], cwd=tmp_path, env=environ, text=True))
    assert info["file"].startswith(str(env)), info
    assert info["reference"].startswith(str(env)), info
    assert info["generic"] == []
    run = subprocess.run([cli, "run"], cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert (tmp_path / "data" / "warehouse.duckdb").is_file()  # ./data of the working directory
    query = (
        "import duckdb; con = duckdb.connect('data/warehouse.duckdb', read_only=True,"
        " config={'file_search_path': 'data'});"
        "import json; print(json.dumps(con.sql('SELECT count(*), count(DISTINCT report_year) "
        "FROM reports WHERE is_primary').fetchall()[0]))"
    )
    out = subprocess.check_output([py, "-c", query], cwd=tmp_path, env=environ, text=True)
    reports, years = json.loads(out)
    assert reports > 0 and years > 1, out
    version = subprocess.check_output([cli, "--version"], cwd=tmp_path, env=environ, text=True)
    assert version.strip() == f"govreports {metadata.version('govreports')}"
