"""Compaction: a lake of many small parts, analyst queries before and after, and the compaction itself.

    .venv/bin/python bench/bench_compact.py [--parts 10000] [--repeat 3] [--out DIR]

Ingests a few bundled samples with one document per batch (the seed: one part per table and year
per document), then copies their parts --parts times with new doc_ids and agency names, as a nightly
stream of one-document batches would leave them (documents, facts and checks: --parts files each).
Times the warehouse build and README analyst queries (median of --repeat runs) on the small-file
lake, compacts it (`govreports.load.compact.compact`), times the same again and checks every answer is
identical. Prints a markdown table (bench/RESULTS.md). Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.load.compact import compact, partitions  # noqa: E402
from govreports.load.lake import lake_dir, partition_of, table_files  # noqa: E402
from govreports.load.warehouse import connect  # noqa: E402
from govreports.pipelines.ingest import discover_all, ingest  # noqa: E402
from govreports.pipelines.warehouse import build_warehouse  # noqa: E402

SEEDS = ["gen000_gov_2021_2021.html", "gen001_gov_2021_2022.html", "gen002_gov_2021_2023.html",
         "gen003_gov_2021_2024.html", "gen016_gov_2021_2021.txt", "gen023_gov_2019_2020.html",
         "gen033_gov_2019_2020.txt", "gen043_legacy_stats_2017.txt", "gen048_legacy_stats_2008.txt",
         "gen038_legacy_stats_2017.html"]  # fmt: skip
TABLES = ("documents", "facts", "checks")
QUERIES = {
    "national totals by year (README)": """
        SELECT report_year, count(*) AS reports, sum(applications_received)::BIGINT AS applications_received,
               round(avg(s3_balance_passed::INTEGER), 2) AS share_s3_balanced
        FROM reports WHERE is_primary GROUP BY report_year ORDER BY report_year""",
    "one agency's history (README)": """
        SELECT report_year, template, applications_received, granted, reviews FROM reports
        WHERE agency_key = (SELECT min(agency_key) FROM reports WHERE is_primary) AND is_primary
        ORDER BY report_year""",
    "one key over all facts": """
        SELECT report_year, count(*), sum(value) FROM facts WHERE key = (SELECT min(key) FROM facts)
        GROUP BY 1 ORDER BY 1""",
}


def seed_lake(folder: Path) -> Path:
    src = folder / "inputs"
    src.mkdir(parents=True)
    for name in SEEDS:
        shutil.copy(REPO / "data" / "samples" / name, src / name)
    out = folder / "seed"
    ingest(discover_all([src]), out, batch_size=1)
    return out


def seed_batches(seed: Path) -> list[dict[str, tuple[str, pa.Table]]]:
    """Per seed document: table → (its partition, 'report_year-2021', its one-document part)."""
    batches: dict[str, dict[str, tuple[str, pa.Table]]] = {}
    for table in TABLES:
        for part in table_files(seed, table):
            batch = part.name.removeprefix(partition_of(part) or "")
            batches.setdefault(batch, {})[table] = (partition_of(part), pq.read_table(part))
    return [b for b in batches.values() if "documents" in b]


def synthesize(seed: Path, out: Path, n: int) -> None:
    """n one-document batches copied from the seed, each with a new doc_id and agency."""
    seeds = seed_batches(seed)
    for i in range(n):
        batch = seeds[i % len(seeds)]
        doc_id = hashlib.sha256(f"synthetic-{i}".encode()).hexdigest()
        name = f"-part-{doc_id[:16]}.parquet"
        for table, (partition, data) in batch.items():
            data = data.set_column(data.schema.get_field_index("doc_id"), "doc_id", pa.array([doc_id] * len(data)))
            if table == "documents":
                agency = f"{data.column('agency')[0].as_py() or '机关'}第{i // len(seeds)}号"
                data = data.set_column(data.schema.get_field_index("agency"), "agency", pa.array([agency]))
            path = lake_dir(out) / table / f"{partition}{name}"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(data, path, compression="zstd")


def files_per_table(out: Path) -> Counter:
    counts: Counter = Counter()
    for label, files in partitions(out).items():
        counts[label.split("/")[0]] += len(files)
    return counts


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run_queries(out: Path, repeat: int) -> dict[str, tuple[float, list]]:
    con = connect(out)
    try:
        results = {}
        for label, sql in QUERIES.items():
            runs = [timed(lambda sql=sql: con.execute(sql).fetchall()) for _ in range(repeat)]
            results[label] = (statistics.median(t for t, _ in runs), runs[0][1])
        return results
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", type=int, default=10_000, help="one-document batches (parts per table)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="keep the lake here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "lake"
        shutil.rmtree(out, ignore_errors=True)
        seed = seed_lake(Path(tmp))
        t_synth, _ = timed(lambda: synthesize(seed, out, args.parts))
        before_files = files_per_table(out)
        t_build_before, _ = timed(lambda: build_warehouse(out))
        before = run_queries(out, args.repeat)
        t_compact, done = timed(lambda: compact(out))
        after_files = files_per_table(out)
        t_build_after, _ = timed(lambda: build_warehouse(out))
        after = run_queries(out, args.repeat)
    same = all(before[q][1] == after[q][1] for q in QUERIES)
    print(f"synthetic lake: {args.parts:,} one-document batches (written in {t_synth:.0f} s)")
    print()
    print("| what | small parts | compacted |")
    print("|---|---|---|")
    for table in TABLES:
        print(f"| files in `{table}` | {before_files[table]:,} | {after_files[table]:,} |")
    print(f"| warehouse build | {t_build_before:.2f} s | {t_build_after:.2f} s |")
    for q in QUERIES:
        print(f"| {q} (median of {args.repeat}) | {before[q][0]:.3f} s | {after[q][0]:.3f} s |")
    print()
    print(f"compaction: {t_compact:.1f} s for {len(done.partitions)} partitions, "
          f"{done.files_before:,} parts → {done.files_after} files")  # fmt: skip
    print(f"answers identical before and after: {same}")
    if not same or max(after_files.values()) >= 50:
        sys.exit(1)


if __name__ == "__main__":
    main()
