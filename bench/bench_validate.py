"""Validation time per 1,000 documents: GX suites, Data Docs and quarantine over a synthetic lake.

    .venv/bin/python bench/bench_validate.py [--docs 1000 5000] [--fail-rate 0.02]

Synthesises documents of realistic size (every key a template prints: ~200 facts and
~40 identity checks for a 2019/2021-format report, ~60 facts for a legacy one), a few
percent of them with a broken identity or a negative count, writes them to a lake in
a temporary folder, builds the warehouse, then times each step of
expectations.validate.validate_run. Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.load.lake import write_batch  # noqa: E402
from govreports.pipelines.warehouse import build_warehouse  # noqa: E402
from govreports.transform.model import Check, DocumentResult, Fact  # noqa: E402
from govreports.transform.reference import S3_COLUMNS, reference  # noqa: E402

TEMPLATE_MIX = (("gov_2021", 2021, 2024, 0.6), ("gov_2019", 2019, 2020, 0.25), ("legacy_stats", 2010, 2018, 0.15))
BATCH = 200


def template_keys(template: str) -> list[str]:
    ref = reference()
    keys = []
    for r in ref.rows:
        if r.template != template or r.derived or not r.key:
            continue
        if r.section == "s3":
            keys += [f"{r.key}.{c}" for c in S3_COLUMNS]
        elif r.section == "s2":
            keys += [f"{r.key}.{c.column_key}" for c in ref.columns_for(template, "s2", r.block)]
        elif r.section == "legacy" and r.block == "":
            keys.append(r.key)
    keys += [f"s4.{c.column_key}" for c in ref.columns_for(template, "s4")]
    return keys


def checks_for(template: str, values: dict[str, float], broken: bool) -> list[Check]:
    checks = []
    for ident in reference().identities:
        if template not in ident.templates:
            continue
        for x in ident.for_each:
            lhs_keys = [k.replace("{x}", x) for k in ident.lhs]
            rhs_keys = [k.replace("{x}", x) for k in ident.rhs]
            lhs = sum(values.get(k, 0.0) for k in lhs_keys)
            rhs = lhs if ident.op == "==" else lhs + 1
            if broken and not checks:
                rhs += 3
            checks.append(
                Check(ident.id, ident.level, x, lhs == rhs or ident.op == "<=", lhs, rhs, lhs_keys + rhs_keys, "")
            )
    return checks


def synthetic_document(i: int, rng: random.Random, keys: dict[str, list[str]], fail_rate: float) -> DocumentResult:
    template, first, last, _ = rng.choices(TEMPLATE_MIX, weights=[t[3] for t in TEMPLATE_MIX])[0]
    year = rng.randint(first, last)
    values = {k: float(rng.choice((0, 0, 0, 1, 2, 5, 17, 230))) for k in keys[template]}
    broken = rng.random() < fail_rate
    facts = [
        Fact(k, v, page=rng.randint(1, 6), table_index=1, row_index=n, col_index=1, raw_label="x", raw_text=f"{v:g}")
        for n, (k, v) in enumerate(values.items())
    ]
    if broken:
        facts[0].value = -1.0
    name = f"bench-{i}"
    document = {
        "doc_id": hashlib.sha256(name.encode()).hexdigest(),
        "source": f"https://example.gov.cn/{name}.html",
        "file_name": f"{name}.html",
        "format": rng.choice(("html", "pdf", "text")),
        "doc_type": "annual_report",
        "template": template,
        "agency": f"{i % 400}号县教育局",
        "report_year": year,
        "published_date": dt.date(year + 1, rng.randint(1, 4), rng.randint(1, 28)),
        "index_no": None,
        "title": f"{name} 政府信息公开工作年度报告",
        "status": "ok",
        "error": None,
        "page_count": 6,
        "encoding": "utf-8",
        "n_facts": len(facts),
        "size_bytes": 50_000,
        "ingested_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "parser_version": "bench",
    }
    return DocumentResult(document=document, facts=facts, checks=checks_for(template, values, broken))


def build_lake(out: Path, n_docs: int, fail_rate: float) -> list[str]:
    rng = random.Random(20240601)
    keys = {t[0]: template_keys(t[0]) for t in TEMPLATE_MIX}
    known = reference().known_keys()
    ids = []
    for start in range(0, n_docs, BATCH):
        batch = [synthetic_document(i, rng, keys, fail_rate) for i in range(start, min(n_docs, start + BATCH))]
        ids += [r.doc_id for r in write_batch(batch, out, known)]
    build_warehouse(out)
    return ids


def timed(label: str, timings: dict, fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    timings[label] = time.perf_counter() - start
    return value


def bench(n_docs: int, fail_rate: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        ids = build_lake(out, n_docs, fail_rate)
        from govreports.expectations import quarantine, summary, validate
        from govreports.expectations.frames import load_frames

        t: dict[str, float] = {}
        frames = timed("read frames", t, load_frames, out, ids)
        context = timed("GX context", t, validate.open_context, out)
        outcome = timed("run suites", t, validate.validate_frames, frames, context, "bench")
        rows = timed("quarantine rows", t, quarantine.rows_from_failures, outcome.failures, frames)
        timed("quarantine write", t, quarantine.record, out, rows)
        timed("prune old runs", t, validate.prune_runs, context, validate.keep_runs())
        index = timed("Data Docs", t, validate.build_docs, context, outcome.result_ids)
        lines = summary.suite_lines(frames, outcome.failures, outcome.rules_per_suite)
        failures = outcome.failures
        page = timed("summary page", t, summary.render_summary, lines, failures, "bench", outcome.run_time, n_docs)
        summary.write_summary(index.parent, page)
        total = sum(t.values())
        n_facts, n_checks = len(frames["facts"]), len(frames["checks"])
        print(f"\n{n_docs} documents, {n_facts} facts, {n_checks} checks, {len(rows)} quarantine rows")
        for label, seconds in t.items():
            print(f"  {label:<17} {seconds:8.2f} s")
        print(f"  {'total':<17} {total:8.2f} s   = {total * 1000 / n_docs:.1f} s per 1,000 documents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[1000])
    parser.add_argument("--fail-rate", type=float, default=0.02)
    args = parser.parse_args()
    start = time.perf_counter()
    import govreports.expectations.validate  # noqa: F401

    print(f"import great_expectations (once per process): {time.perf_counter() - start:.2f} s")
    for n in args.docs:
        bench(n, args.fail_rate)


if __name__ == "__main__":
    main()
