"""Agency pages at scale: time and memory of pipelines.pages.write_pages over a synthetic release.

    .venv/bin/python bench/bench_pages.py [--agencies 1000 20000 50000] [--years 6]

Builds a DuckDB file with the three tables the pages read (reports, checks, plausibility) for
N agencies × Y years (a failing identity on 1 report in 10, a flag on 1 agency-year in 7), then
times write_pages and reports the growth of the process's peak resident memory (ru_maxrss; the
synthesis ran before, so this is what the pages add: DuckDB's sort of the three results plus
Python's one agency at a time) and the pages' size. The work is one ordered query per table, so
time grows about linearly and memory stays small. Run on demand, never from the tests.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govreports.load.warehouse import open_database  # noqa: E402
from govreports.pipelines.pages import write_pages  # noqa: E402

SYNTHETIC = """
CREATE TABLE reports AS
SELECT printf('%s县第%d局', ['东阳湖区', '临川区', '兴隆县', '平潭'][a % 4 + 1], a) AS agency_key,
       2019 + y AS report_year, md5(a::VARCHAR || '-' || y::VARCHAR) AS doc_id,
       printf('%s县第%d局', ['东阳湖区', '临川区', '兴隆县', '平潭'][a % 4 + 1], a) AS agency,
       '江苏省' AS province, '淮安市' AS city, '洪泽区' AS county, 'county' AS level, '教育' AS sector,
       CASE WHEN y < 2 THEN 'gov_2019' ELSE 'gov_2021' END AS template,
       printf('doc%d_%d.html', a, y) AS file_name, 'https://example.invalid/x' AS source,
       (a + y) % 10 = 0 AS failing, CAST((a + y) % 10 = 0 AS INTEGER) AS checks_failed, true AS is_primary,
       (a * 7 + y * 13) % 400 AS applications_received, (a + y) % 9 AS applications_carried_over,
       (a * 7 + y * 13) % 380 AS applications_closed, (a * 3 + y) % 200 AS granted,
       (a + y) % 30 AS partially_granted, (a + 2 * y) % 25 AS denied, (a + y) % 4 AS reviews, (a + y) % 3 AS lawsuits
FROM range({agencies}) t(a), range({years}) u(y);
CREATE TABLE checks AS
SELECT doc_id, 'S3_BALANCE' AS identity, 'official' AS level, 'total' AS scope, false AS passed,
       10.0 AS lhs, 12.0 AS rhs, -2.0 AS residual, 'total: 10 vs 12' AS detail
FROM reports WHERE failing;
CREATE TABLE plausibility AS
SELECT 'P_JUMP' AS rule, 'warning' AS severity, c.agency_key, p.report_year AS year_prev, c.report_year AS year,
       's3.new_received.total' AS measure, 's3.new_received.total' AS key, 5.0 AS value_prev, 60.0 AS value,
       p.doc_id AS doc_id_prev, c.doc_id, 'jump' AS detail
FROM reports c JOIN reports p ON p.agency_key = c.agency_key AND p.report_year = c.report_year - 1
WHERE hash(c.doc_id) % 7 = 0;
"""


def synthetic_release(folder: Path, agencies: int, years: int) -> Path:
    db = folder / "release.duckdb"
    con = open_database(db, read_only=False)
    try:
        con.execute(SYNTHETIC.format(agencies=agencies, years=years))
    finally:
        con.close()
    return db


def run(agencies: int, years: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = synthetic_release(folder, agencies, years)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        written = write_pages(db, folder / "release", "bench")
        seconds = time.perf_counter() - start
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
        size = sum(p.stat().st_size for p in (folder / "release" / "pages").rglob("*.html"))
        print(
            f"{written:>7} agencies × {years} years: {seconds:6.2f} s ({seconds / written * 1000:.2f} ms/agency), "
            f"peak RSS +{grown / 1024:.0f} MiB, pages {size / 2**20:.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--years", type=int, default=6)
    args = parser.parse_args()
    for n in args.agencies:
        run(n, args.years)


if __name__ == "__main__":
    main()
