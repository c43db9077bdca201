"""Headless Chromium with the network off, for tests of the offline HTML pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run Chromium on `page`; every request goes to a closed loopback port (no network)."""
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--proxy-server=127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1600",
            "--virtual-time-budget=3000",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,  # a bound on a hung browser, not a timing assertion
        check=True,
    )
