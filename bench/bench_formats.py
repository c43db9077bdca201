"""Documents per second per format (HTML, PDF, text) on the generated corpus, in-process.

    .venv/bin/python bench/bench_formats.py [DIR] [--repeat N]

Calls transform.document.process_document on every document of DIR (default
data/samples) N times per format and prints the best and median rate. PDFs are also run
through the naive baseline (pdfplumber's extract_text + extract_tables on every page,
extract.pdf.extract_pdf_pdfplumber) in the same run, and the speed-up is printed.
Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports import extract  # noqa: E402
from govreports.extract.pdf import extract_pdf_pdfplumber  # noqa: E402
from govreports.transform.document import process_document  # noqa: E402
from govreports.transform.model import InputDoc  # noqa: E402


def documents_by_format(root: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in sorted(root.rglob("*")):
        fmt = extract.FORMAT_OF_SUFFIX.get(p.suffix.lower())
        if fmt and p.is_file():
            out.setdefault(fmt, []).append(p)
    return out


def one_pass(paths: list[Path]) -> float:
    """Seconds to process every path once."""
    start = time.perf_counter()
    for p in paths:
        process_document(InputDoc.from_path(p))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", nargs="?", type=Path, default=REPO / "data" / "samples")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'format':<6} {'docs':>5} {'MB':>6} {'best docs/s':>12} {'median docs/s':>14} {'median s/doc':>13}")
    for fmt, paths in sorted(documents_by_format(args.root).items()):
        one_pass(paths[:2])  # warm-up: imports, caches
        times = [one_pass(paths) for _ in range(args.repeat)]
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        best, median = len(paths) / min(times), len(paths) / statistics.median(times)
        print(f"{fmt:<6} {len(paths):>5} {size_mb:>6.2f} {best:>12.1f} {median:>14.1f} {1 / median:>13.4f}")
        if fmt == "pdf":
            fast = statistics.median(times)
            extract.EXTRACTORS["pdf"] = extract_pdf_pdfplumber
            try:
                naive = statistics.median(one_pass(paths) for _ in range(args.repeat))
            finally:
                extract.EXTRACTORS["pdf"] = extract.extract_pdf
            print(f"{'':<6} naive pdfplumber baseline: {len(paths) / naive:.1f} docs/s; speed-up {naive / fast:.2f}x")


if __name__ == "__main__":
    main()
