"""End-to-end ingest throughput: discover → extract/transform/check → lake → warehouse → validation.

Copies data/samples/ K times (each copy's bytes differ, so each is a new document) and
runs the plain spine, then the Prefect flow on each runner (local: this process; dask: a
LocalCluster of N worker processes, started and closed inside the timing). Run on demand:

    .venv/bin/python bench/bench_ingest.py [--copies 4] [--workers 2] [--runners local,dask]

`--memory 60,600 --source DIR` instead ingests the first N documents of DIR (a folder from
`govreports generate DIR --count 600`) with `govreports ingest` into a fresh folder, one child
process per N, and prints the peak RSS of the largest process of each ingest (`ru_maxrss`) and its wall time:

    .venv/bin/python bench/bench_ingest.py --memory 60,600 --source /tmp/gen600 [--batch-size 200]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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


def peak_rss_of_ingest(files: list[Path], out: Path, batch_size: int) -> tuple[float, float]:
    """(peak RSS in MB of the largest process of the ingest, wall seconds)."""
    cmd = [str(Path(sys.executable).with_name("govreports")), "ingest", *map(str, files), "--out", str(out), "-q"]
    cmd += ["--batch-size", str(batch_size)]
    probe = "import resource,subprocess,sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
    # ru_maxrss of RUSAGE_CHILDREN: the largest of the ingest and the processes it waited for
    probe += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", probe, *cmd], stdout=subprocess.PIPE, text=True)
    output, _ = child.communicate()
    seconds = time.perf_counter() - start
    if child.returncode:
        raise SystemExit(f"ingest failed ({child.returncode}): {' '.join(cmd[:3])} …")
    return int(output.strip().splitlines()[-1]) / 1024, seconds


def memory_report(source: Path, counts: list[int], batch_size: int) -> None:
    docs = sorted(p for p in source.iterdir() if p.suffix in {".html", ".pdf", ".txt", ".docx", ".xlsx"})
    print(f"{'documents':>9s} {'peak RSS MB':>12s} {'wall s':>7s}   (batch size {batch_size})")
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            if n > len(docs):
                raise SystemExit(f"{source} has only {len(docs)} documents")
            own, seconds = peak_rss_of_ingest(docs[:n], Path(tmp) / f"out{n}", batch_size)
            print(f"{n:9d} {own:12.0f} {seconds:7.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--runners", default="local,dask", help="comma-separated: local, dask")
    parser.add_argument("--memory", help="comma-separated document counts: peak RSS of `govreports ingest`")
    parser.add_argument("--source", type=Path, help="folder of documents for --memory")
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()
    if args.memory:
        memory_report(args.source, [int(n) for n in args.memory.split(",")], args.batch_size)
        return
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")

    from govreports.pipelines.flows import flow_with_runner, ingest_listed, shared_api
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
                timed(label, docs, lambda f=flow, o=out: ingest_listed(f, inputs, o, Path(o), batch_size=50))


if __name__ == "__main__":
    main()
