"""National scale: a synthetic lake of N documents, compacted, the warehouse built, the README queries timed.

    .venv/bin/python bench/bench_scale.py [--docs 10000 100000] [--repeat 5] [--out DIR] [--batch 2000] [--nightly 500]
    .venv/bin/python bench/bench_scale.py --docs 1000000        # a million (about an hour of writing)

The seed is an ingest of data/samples (transform only, nothing written): each synthetic document
copies the row, facts and checks of a seed document of its year (so the facts keep the samples'
real distributions of keys, values, methods and failing checks), under a new doc_id and a
synthetic agency that reports every year the samples cover; one document in DUPLICATE_EVERY is
sent twice (a second copy as text), so the choice of primary copies has work to do. The documents
go through the project's own writer (load.lake.write_batch: staging, manifest, publish) in batches
of --batch, then load.compact.compact and load.warehouse.build_warehouse run as an ingest would; then
a nightly batch of --nightly new reports of the newest year is written and the warehouse built again
(the derived tables are kept per year: only the touched year is computed).

Times (median of --repeat runs, each on an open warehouse connection, after one warm-up) the
README's analyst queries: national totals by year from `reports`, one agency's history by
agency_key, and requests_wide totals by year and applicant type. Prints one markdown table with a
column per N (bench/RESULTS.md). `--out DIR` keeps DIR/<N>/ (lake + warehouse.duckdb) so the
queries can be re-run by hand; without it everything is built in a temporary folder.
Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.load.compact import compact  # noqa: E402
from govreports.load.lake import lake_dir, write_batch  # noqa: E402
from govreports.load.warehouse import connect  # noqa: E402
from govreports.pipelines.ingest import discover, process_batch  # noqa: E402
from govreports.pipelines.warehouse import build_warehouse  # noqa: E402
from govreports.transform.model import DocumentResult  # noqa: E402
from govreports.transform.reference import reference  # noqa: E402

DUPLICATE_EVERY = 40  # one document in 40 also arrives as a second copy (text), as mirrored reports do
HISTORY_AGENCY = 7  # the agency whose history is queried (synthetic agency number)
QUERIES = {
    "national totals by year (`reports`, README)": """
        SELECT report_year, count(*) AS reports, sum(applications_received)::BIGINT AS applications_received,
               round(avg(s3_balance_passed::INTEGER), 4) AS share_s3_balanced
        FROM reports WHERE is_primary GROUP BY report_year ORDER BY report_year""",
    "one agency's history by agency_key (README)": """
        SELECT report_year, template, applications_received, granted, reviews FROM reports
        WHERE agency_key = ? AND is_primary ORDER BY report_year""",
    "`requests_wide` totals by year and applicant": """
        SELECT report_year, applicant, count(*) AS rows, sum(new_received)::BIGINT AS new_received,
               sum(r_granted)::BIGINT AS granted
        FROM requests_wide GROUP BY ALL ORDER BY ALL""",
}


def seed_results() -> dict[int, list[DocumentResult]]:
    """The samples' annual reports with a report year, parsed (not written), by report year."""
    inputs = discover([REPO / "data" / "samples"])
    by_year: dict[int, list[DocumentResult]] = defaultdict(list)
    for r in process_batch(inputs):
        year = r.document.get("report_year")
        if r.document.get("doc_type") == "annual_report" and year is not None:
            by_year[year].append(r)
    return dict(sorted(by_year.items()))


def agency_name(n: int) -> str:
    # '…第N号' ends in no division character, so no synthetic name is another's agency_key by suffix
    return f"合成市第{n}区人民政府第{n}号"


def synthetic(seed: DocumentResult, n: int, agency: str, fmt: str | None = None) -> DocumentResult:
    """A copy of `seed` as document number n of `agency` (facts and checks shared, not copied)."""
    doc_id = hashlib.sha256(f"scale-{n}".encode()).hexdigest()
    document = dict(seed.document, doc_id=doc_id, agency=agency, source=f"https://scale.example/{doc_id[:12]}")
    if fmt:
        document["format"] = fmt
    return DocumentResult(document=document, facts=seed.facts, checks=seed.checks)


def synthetic_documents(seeds: dict[int, list[DocumentResult]], n_docs: int, rng: random.Random):
    """n_docs documents (plus duplicates): agency a reports each seed year, from a random seed of that year."""
    years = list(seeds)
    for i in range(n_docs):
        agency, year = divmod(i, len(years))
        doc = synthetic(rng.choice(seeds[years[year]]), i, agency_name(agency))
        yield doc
        if i % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            yield synthetic(doc, n_docs + i, doc.document["agency"], fmt="text")


def write_lake(out: Path, seeds: dict[int, list[DocumentResult]], n_docs: int, batch_size: int) -> int:
    known = reference().known_keys()
    batch: list[DocumentResult] = []
    written = 0
    for doc in synthetic_documents(seeds, n_docs, random.Random(n_docs)):
        batch.append(doc)
        if len(batch) == batch_size:
            written += len(write_batch(batch, out, known))
            batch = []
    if batch:
        written += len(write_batch(batch, out, known))
    return written


def nightly_batch(out: Path, seeds: dict[int, list[DocumentResult]], n_docs: int, size: int) -> int:
    """A night's new reports: `size` new agencies' reports of the newest year, one write_batch."""
    year, rng = max(seeds), random.Random(-n_docs)
    docs = [synthetic(rng.choice(seeds[year]), 2 * n_docs + j, agency_name(n_docs + j)) for j in range(size)]
    return len(write_batch(docs, out, reference().known_keys()))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def time_queries(out: Path, repeat: int) -> dict[str, tuple[float, int]]:
    """Median seconds and rows of each query; one warm-up run first (the file cache, not DuckDB's)."""
    con = connect(out)
    try:
        results = {}
        for label, sql in QUERIES.items():
            params = [agency_name(HISTORY_AGENCY)] if "?" in sql else []
            rows = con.execute(sql, params).fetchall()
            runs = [timed(lambda sql=sql, params=params: con.execute(sql, params).fetchall())[0] for _ in range(repeat)]
            results[label] = (statistics.median(runs), len(rows))
        return results
    finally:
        con.close()


def files_in_lake(out: Path) -> int:
    return sum(1 for f in lake_dir(out).rglob("*.parquet") if f.relative_to(lake_dir(out)).parts[0][0] not in "_.")


def run_one(
    out: Path, seeds: dict[int, list[DocumentResult]], n_docs: int, batch: int, repeat: int, nightly: int
) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    t_write, written = timed(lambda: write_lake(out, seeds, n_docs, batch))
    t_compact, _ = timed(lambda: compact(out))
    t_build, _ = timed(lambda: build_warehouse(out))
    t_rebuild, _ = timed(lambda: build_warehouse(out))
    t_night_write, _ = timed(lambda: nightly_batch(out, seeds, n_docs, nightly))
    t_night_build, _ = timed(lambda: build_warehouse(out))
    with connect(out) as con:
        facts = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    size = sum(f.stat().st_size for f in lake_dir(out).rglob("*.parquet"))
    return {
        "documents written": f"{written:,}",
        "facts": f"{facts:,}",
        "lake size (Parquet)": f"{size / 2**20:,.0f} MB",
        "lake files after compaction": f"{files_in_lake(out):,}",
        "write (load.lake.write_batch)": f"{t_write:.0f} s",
        "compact": f"{t_compact:.1f} s",
        "warehouse build (first)": f"{t_build:.1f} s",
        "warehouse build (again, nothing new)": f"{t_rebuild:.1f} s",
        f"nightly batch of {nightly} new {max(seeds)} reports: write": f"{t_night_write:.1f} s",
        f"nightly batch of {nightly} new {max(seeds)} reports: warehouse build": f"{t_night_build:.1f} s",
        **{
            f"{q} (median of {repeat})": f"{t * 1000:,.0f} ms ({rows} rows)"
            for q, (t, rows) in time_queries(out, repeat).items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000], help="lake sizes (documents)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2_000, help="documents per write_batch")
    parser.add_argument("--nightly", type=int, default=500, help="documents of the nightly batch added last")
    parser.add_argument("--out", type=Path, help="keep each lake and warehouse in OUT/<N>/")
    args = parser.parse_args()
    t_seed, seeds = timed(seed_results)
    print(f"seed: {sum(map(len, seeds.values()))} sample reports over {len(seeds)} years (parsed in {t_seed:.0f} s)")
    columns = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.docs:
            out = (args.out or Path(tmp)) / str(n)
            columns[n] = run_one(out, seeds, n, args.batch, args.repeat, args.nightly)
            print(f"  {n:,} documents done", file=sys.stderr)
            if not args.out:
                shutil.rmtree(out, ignore_errors=True)
    print()
    print("| what | " + " | ".join(f"{n:,} documents" for n in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in next(iter(columns.values())):
        print(f"| {row} | " + " | ".join(col[row] for col in columns.values()) + " |")


if __name__ == "__main__":
    main()
