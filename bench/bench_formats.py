"""Documents per second per format (HTML, PDF, text) on the generated corpus, in-process.

    .venv/bin/python bench/bench_formats.py [DIR] [--repeat N]

Calls transform.document.process_document on every document of DIR (default
data/samples) N times per format and prints the best and median rate. PDFs are also run
through the naive baseline (pdfplumber's extract_text + extract_tables on every page,
extract.pdf.extract_pdf_pdfplumber) in the same run, one baseline pass after each pass, and
the median of the N paired speed-ups is printed with their range.
Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
        if fmt == "pdf":
            times, naive = paired_passes(paths, args.repeat)
        else:
            times = [one_pass(paths) for _ in range(args.repeat)]
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        best, median = len(paths) / min(times), len(paths) / statistics.median(times)
        print(f"{fmt:<6} {len(paths):>5} {size_mb:>6.2f} {best:>12.1f} {median:>14.1f} {1 / median:>13.4f}")
        if fmt == "pdf":
            ratios = sorted(n / t for t, n in zip(times, naive, strict=True))
            print(
                f"{'':<6} naive pdfplumber baseline: {len(paths) / statistics.median(naive):.1f} docs/s; "
                f"speed-up {statistics.median(ratios):.2f}x (median of {len(ratios)} paired rounds, "
                f"{ratios[0]:.2f}-{ratios[-1]:.2f}x)"
            )


@contextmanager
def naive_pdf_extractor() -> Iterator[None]:
    extract.EXTRACTORS["pdf"] = extract_pdf_pdfplumber
    try:
        yield
    finally:
        extract.EXTRACTORS["pdf"] = extract.extract_pdf


def paired_passes(paths: list[Path], repeat: int) -> tuple[list[float], list[float]]:
    """Each round times the PDFs once with extract_pdf, then once with the naive baseline: on
    shared cores the load changes from minute to minute, and a ratio of neighbouring passes
    varies far less than one of two separate blocks of passes."""
    fast: list[float] = []
    naive: list[float] = []
    with naive_pdf_extractor():
        one_pass(paths[:2])  # warm-up of the baseline's imports
    for _ in range(repeat):
        fast.append(one_pass(paths))
        with naive_pdf_extractor():
            naive.append(one_pass(paths))
    return fast, naive


if __name__ == "__main__":
    main()
