"""Reference data and the bundled sample corpus, installed as package data of `govreports.data`.

Code finds these folders through importlib.resources, so they resolve the same way in a
checkout (editable install) and in an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files(__name__)))
REFERENCE_DIR = PACKAGE_DIR / "reference"
SAMPLES_DIR = PACKAGE_DIR / "samples"
SITES_DIR = PACKAGE_DIR / "sites"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None for an installed wheel."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "pipelines").is_dir() else None


def default_out() -> Path:
    """Outputs go to data/ of the checkout when run inside it, else to ./data of the working directory."""
    root, cwd = checkout_root(), Path.cwd().resolve()
    if root is not None and (cwd == root or root in cwd.parents):
        return root / "data"
    return cwd / "data"
