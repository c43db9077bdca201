"""End-to-end ingest throughput: discover → extract/transform/check → lake → warehouse → validation.

Copies data/samples/ K times (each copy's bytes differ, so each is a new document) and
runs the plain spine, then the Prefect flow on each runner (local: this process; dask: a
LocalCluster of N worker processes, started and closed inside the timing). Run on demand:

    .venv/bin/python bench/bench_ingest.py [--copies 4] [--workers 2] [--runners local,dask]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SUFFIXES = {".html", ".pdf", ".txt"}


def make_copies(dest: Path, copies: int) -> int:
    n = 0
    for k in range(copies):
        for src in sorted(SAMPLES.iterdir()):
            if src.suffix not in SUFFIXES:
                continue
            # trailing bytes change the sha256 without changing what any parser reads
            tail = b"\n" * (k + 1) if src.suffix != ".pdf" else b"\n%" + str(k).encode() + b"\n"
            (dest / f"c{k}_{src.name}").write_bytes(src.read_bytes() + tail)
            n += 1
    return n


def timed(label: str, docs: int, fn) -> None:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    print(f"{label:38s} {docs:6d} docs {seconds:7.1f} s {docs / seconds:7.1f} docs/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--runners", default="local,dask", help="comma-separated: local, dask")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

    from govreports.pipelines.flows import flow_with_runner, shared_api
    from govreports.pipelines.ingest import discover, ingest

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in"
        src.mkdir()
        docs = make_copies(src, args.copies)
        inputs = discover([src])
        timed("plain spine, 1 process", docs, lambda: ingest(inputs, Path(tmp) / "plain"))
        timed("re-run (all unchanged)", docs, lambda: ingest(inputs, Path(tmp) / "plain"))
        # one temporary Prefect server for every flow run, started outside the timings: the runners are compared,
        # not server starts (which on two busy cores can pass Prefect's own 20 s limit)
        with shared_api("dask"):
            for runner in args.runners.split(","):
                flow = flow_with_runner(runner, args.workers)
                label = f"prefect flow, {runner}" + (f" ({args.workers} workers)" if runner == "dask" else "")
                out = str(Path(tmp) / runner)
                timed(label, docs, lambda f=flow, o=out: f(inputs=inputs, out=o, batch_size=50))


if __name__ == "__main__":
    main()
