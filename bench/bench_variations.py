"""The committed samples are not a lucky draw: a seeded 1,000-document generator run, scored.

    .venv/bin/python bench/bench_variations.py [--count 1000] [--seed 7] [--formats html,text,...]
        [--json OUT.json]

Generates `count` documents (the variation matrix cycled, each with its own seeded values)
into a temporary folder, scores them as `govreports eval` does and prints the figures per
variation, per format and overall, beside the same figures for data/samples. Formats
needing LibreOffice (pdf, pdf_layout) are left out when soffice is missing. Run on demand,
never from the tests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.pipelines.evaluate import EvalReport, Tally, score_corpus  # noqa: E402
from govreports.pipelines.generate.corpus import FORMATS, generate_corpus  # noqa: E402

NEEDS_SOFFICE = {"pdf", "pdf_layout"}


def line(name: str, t: Tally) -> str:
    fields = (t.documents, 100 * t.accuracy, t.wrong, t.missing, t.false_positive, t.ambiguous_valued)
    ids = f"{t.identities_caught}/{t.identities_expected} fa {t.identities_false_alarm}"
    meta = [100 * getattr(t, f"{f}_ok") / t.meta_checked if t.meta_checked else 100.0
            for f in ("doc_type", "agency", "report_year", "published_date")]  # fmt: skip
    return (f"{name:32s} {fields[0]:5d} {fields[1]:8.3f}% wrong {fields[2]:3d} missing {fields[3]:4d} "
            f"fp {fields[4]:3d} ambig.valued {fields[5]:2d} unit off {t.unit_factor_off} ids {ids}  "
            f"type/agency/year/date {'/'.join(f'{m:.1f}' for m in meta)}")  # fmt: skip


def show(title: str, report: EvalReport) -> None:
    print(f"\n== {title}")
    print(line("ALL", report.total()))
    for name, t in report.by("format").items():
        print(line(f"format {name}", t))
    for name, t in report.by_variation().items():
        print(line(name, t))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    if shutil.which("soffice") is None:
        formats = tuple(f for f in formats if f not in NEEDS_SOFFICE)
    with tempfile.TemporaryDirectory(prefix="govreports-bench-") as tmp:
        start = time.perf_counter()
        reports = generate_corpus(Path(tmp), seed=args.seed, count=args.count, formats=formats)
        if set(formats) != set(FORMATS):  # generate_corpus writes the manifest only for a full run
            from govreports.pipelines.generate.corpus import write_manifest

            write_manifest(Path(tmp), reports, args.seed)
        made = time.perf_counter() - start
        report = score_corpus(Path(tmp))
        scored = time.perf_counter() - start - made
    print(f"seed {args.seed}, {len(reports)} documents ({', '.join(formats)}): generated in {made:.0f} s, "
          f"scored in {scored:.0f} s")  # fmt: skip
    show(f"generated run (seed {args.seed})", report)
    show("data/samples", score_corpus(REPO / "data" / "samples"))
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
