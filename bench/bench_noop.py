"""Cold run vs unchanged re-run (the `nothing new` no-op), wall time of the real command line.

Samples: `govreports run --out TMP` twice. Optionally a larger generated set (HTML and text, no
LibreOffice needed): `govreports generate TMP/in --count N`, then `govreports ingest` twice. Run on demand:

    .venv/bin/python bench/bench_noop.py [--generated 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "govreports.pipelines.cli"]


def timed(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args, "--quiet"], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(args)}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return time.perf_counter() - started, done.stdout


def cold_and_rerun(args: list[str]) -> tuple[float, float]:
    cold, _ = timed(args)
    rerun, out = timed(args)
    assert "nothing new" in out, out[:400]
    return cold, rerun


def report(label: str, cold: float, rerun: float) -> None:
    print(f"{label}: cold {cold:.1f} s, unchanged re-run {rerun:.2f} s ({100 * rerun / cold:.1f} % of cold)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=0, help="Also a generated set of this many documents.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report("samples (govreports run)", *cold_and_rerun(["run", "--out", f"{tmp}/samples"]))
        if args.generated:
            src = Path(tmp) / "in"
            subprocess.run(
                [*CLI, "generate", str(src), "--count", str(args.generated), "--formats", "html,text", "--quiet"],
                check=True,
                capture_output=True,
            )
            n = sum(1 for p in src.iterdir() if p.suffix in {".html", ".txt"})
            cold, rerun = cold_and_rerun(["ingest", str(src), "--out", f"{tmp}/gen"])
            report(f"generated, {n} documents (govreports ingest)", cold, rerun)


if __name__ == "__main__":
    main()
