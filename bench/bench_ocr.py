"""OCR of scanned PDFs: pages per second and cell accuracy against the expected values.

    .venv/bin/python bench/bench_ocr.py [DIR] [--scan-dpi 150] [--limit N]

Every PDF of DIR (default data/samples) that has an expected.json is turned into an
image-only PDF (a "scan", rendered at --scan-dpi, in each of --styles: upright, turned by
90/180/270 degrees, skewed) and run through
transform.document.process_document, which OCRs it. Prints, per document and in total,
the expected cells read exactly, read wrong (a different number: must be 0), left null
(with the reason) and missing, the seconds per page (wall, and CPU of the process with its
onnxruntime threads: the cores are shared, so wall time depends on the load, printed too) and
the share of pages rendered at full resolution. Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.extract import ocr  # noqa: E402
from govreports.pipelines.generate.render_scan import SCAN_STYLES, render_scan  # noqa: E402
from govreports.transform.document import process_document  # noqa: E402
from govreports.transform.model import InputDoc  # noqa: E402
from tests.conftest import load_expected  # noqa: E402


def score(expected: dict, facts: list) -> dict[str, int]:
    values = {f.key: f for f in facts}
    out = {"exact": 0, "wrong": 0, "null": 0, "missing": 0}
    for key, want in expected["facts"].items():
        fact = values.get(key)
        if fact is None:
            out["missing"] += 1
        elif fact.value is None:
            out["null"] += 1
            print(f"    null  {key}: {fact.reason}")
        elif abs(fact.value - want) > 1e-6:
            out["wrong"] += 1
            print(f"    WRONG {key}: {fact.value} (raw {fact.raw_text!r}) expected {want}")
        else:
            out["exact"] += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default=str(REPO / "data" / "samples"))
    parser.add_argument("--scan-dpi", type=int, default=150)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--styles", default=",".join(SCAN_STYLES), help="scan renderings to try")
    args = parser.parse_args()
    pdfs = sorted(p for p in Path(args.root).rglob("*.pdf") if p.with_suffix(".expected.json").exists())
    pdfs = pdfs[: args.limit or None]
    ocr.engine()  # load the models outside the timing
    full_res = []  # one bool per page read: rendered at full resolution (it holds a ruled table)
    read_page = ocr.read_page

    def counting_read_page(page):
        scan = read_page(page)
        full_res.append(scan.full_resolution)
        return scan

    ocr.read_page = counting_read_page
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for style in args.styles.split(","):
            totals = {"exact": 0, "wrong": 0, "null": 0, "missing": 0}
            pages, seconds, cpu = 0, 0.0, 0.0
            for pdf in pdfs:
                scan = Path(tmp) / f"{style}-{pdf.name}"
                scan.write_bytes(render_scan(pdf.read_bytes(), style, dpi=args.scan_dpi))
                start, start_cpu = time.perf_counter(), time.process_time()
                result = process_document(InputDoc.from_path(scan))
                took, took_cpu = time.perf_counter() - start, time.process_time() - start_cpu
                doc = result.document
                got = score(load_expected(pdf.with_suffix(".expected.json")), result.facts)
                for k, v in got.items():
                    totals[k] += v
                pages += doc["page_count"] or 0
                seconds += took
                cpu += took_cpu
                print(
                    f"{style} {pdf.name}: {doc['status']} {doc['template']} pages={doc['page_count']}"
                    f" {took:.1f}s (cpu {took_cpu:.1f}s) {got}"
                )
            rows.append((style, len(pdfs), pages, seconds, cpu, totals))
    print(f"\n{'style':<18} docs pages  s/page  cpu s/page  cells  exact      wrong null missing")
    for style, docs, pages, seconds, cpu, t in rows:
        cells = sum(t.values())
        print(
            f"{style:<18} {docs:>4} {pages:>5} {seconds / max(pages, 1):>7.2f} {cpu / max(pages, 1):>11.2f}"
            f" {cells:>6} {t['exact'] / max(cells, 1):>8.2%} {t['wrong']:>6} {t['null']:>4} {t['missing']:>7}"
        )
    pages, seconds, cpu = (sum(r[i] for r in rows) for i in (2, 3, 4))
    print(f"all styles: {pages} pages, {seconds / max(pages, 1):.2f} s/page wall, {cpu / max(pages, 1):.2f} s/page cpu")
    print(
        f"pages rendered at full resolution: {sum(full_res)}/{len(full_res)}"
        f" ({sum(full_res) / max(len(full_res), 1):.0%})"
    )
    print("load average (1, 5, 15 min) at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
