"""The notebooks run top to bottom on a warehouse built from the bundled samples, and draw Chinese."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from govreports.pipelines.ingest import discover, ingest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SAMPLES = REPO / "data" / "samples"
FIGURES = (
    "applications_by_year_level.png",
    "outcomes_by_year.png",
    "applications_series.png",
    "s3_balance_failing.png",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    """The bundled samples ingested into a fresh folder."""
    out = tmp_path_factory.mktemp("sample_warehouse")
    ingest(discover([SAMPLES]), out)
    return out


def run_notebook(name: str, out: Path, figures: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    env = {"GOVREPORTS_OUT": str(out), "GOVREPORTS_FIGURES": str(figures), "MPLBACKEND": "Agg"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits the environment
    try:
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def output_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k == "text/plain")
    return "\n".join(parts)


def test_tour_runs_and_traces_a_number(warehouse: Path, tmp_path: Path):
    text = output_text(run_notebook("01_tour.ipynb", warehouse, tmp_path))
    assert "documents," in text and "identity checks" in text
    assert "printed as:" in text  # the provenance cell found the fact behind the top total
    assert "s3.new_received.total" in text


def test_analysis_runs_and_saves_plots_without_missing_glyphs(warehouse: Path, tmp_path: Path):
    nb = run_notebook("02_analysis.ipynb", warehouse, tmp_path)
    text = output_text(nb)
    assert "CJK font: " in text
    assert "Glyph" not in text and "missing from" not in text
    for name in FIGURES:
        assert (tmp_path / name).stat().st_size > 5_000, name


def test_matplotlib_resolves_a_cjk_font(tmp_path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    sys.path.insert(0, str(NOTEBOOKS))
    try:
        from cjk_font import use_cjk_font
    finally:
        sys.path.remove(str(NOTEBOOKS))
    name = use_cjk_font()
    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]), fallback_to_default=False)
    assert "CJK" in name or "WenQuanYi" in name or "Han" in name
    assert "DejaVu" not in path
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("各年度收到的政府信息公开申请")
        ax.bar(["县级", "市级"], [3, 5])
        fig.savefig(tmp_path / "cjk.png")
        plt.close(fig)
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
