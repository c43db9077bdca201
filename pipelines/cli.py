"""The `govreports` command line. Commands are thin: they call the flows and plain functions."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govreports.data import SAMPLES_DIR, default_out
from govreports.load.lock import LakeBusyError, lake_lock
from govreports.load.warehouse import connect, warehouse_path
from govreports.pipelines.ingest import (
    DASK_EXTRA,
    RUNNERS,
    HalfSwappedError,
    NoInputError,
    RunSummary,
    discover_all,
    freshness,
    recover,
    swap_in,
)
from govreports.pipelines.prefect_env import apply_private_defaults
from govreports.pipelines.progress import QUIET_HELP, listening, reporting

app = typer.Typer(
    help="Government information-disclosure annual reports → unified, validated facts.", no_args_is_help=True
)
console = Console()

DEFAULT_OUT = default_out()
OUT_HELP = (
    "Output folder: lake/, warehouse.duckdb, data_docs/ "
    "(default: data/ of the checkout when run inside it, else ./data of the working directory)."
)
CORRECTIONS_HELP = (
    "CSV of analysts' corrections (doc_id or agency+report_year, key, value, reason, author, date), "
    "applied as method=manual facts after load (default: OUT/corrections.csv when it exists)."
)
EXAMPLE_QUERY = """
SELECT report_year, count(*) AS reports, sum(applications_received)::BIGINT AS applications_received,
       round(avg(s3_balance_passed::INTEGER), 2) AS share_s3_balanced
FROM reports
WHERE is_primary
GROUP BY report_year
ORDER BY report_year
""".strip()

# Commands that live beside the capability they expose; each module has register(app).
COMMAND_MODULES = (
    "govreports.pipelines.evaluate",
    "govreports.pipelines.crawl",
    "govreports.expectations.explain",
    "govreports.load.dictionary",
    "govreports.load.export",
    "govreports.pipelines.publish",
    "govreports.pipelines.compare",
)


def _show_version(value: bool) -> None:
    if value:
        from govreports.pipelines.publish import package_version

        console.print(f"govreports {package_version()}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Government information-disclosure annual reports → unified, validated facts."""
    apply_private_defaults()  # before any command imports Prefect


def _quiet_prefect() -> None:
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # a LocalCluster's start/stop chatter


def run_ingest(
    paths: list[str],
    out: Path,
    batch_size: int,
    workers: int = 1,
    rebuild: bool = False,
    corrections_file: Path | None = None,
    wait: float = 0,
    quiet: bool = False,
    runner: str | None = None,
    dask_address: str | None = None,
) -> RunSummary:
    _quiet_prefect()
    runner = choose_runner(runner, workers, dask_address)
    if dask_address and not os.environ.get("PREFECT_API_URL") and not is_loopback(dask_address):
        console.print(
            "[yellow]warning:[/yellow] no PREFECT_API_URL: this run's temporary Prefect server listens on 127.0.0.1, "
            "which workers on other machines cannot reach (docs/scale.md)"
        )
    try:
        found = discover_all(paths)
        inputs = found.inputs
    except NoInputError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    try:  # fail before any work when nothing could be written
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        console.print(f"[red]error:[/red] cannot write to {out}: {exc}")
        raise typer.Exit(1) from exc
    try:
        with lake_lock(out, wait=wait, command="ingest --rebuild" if rebuild else "ingest"):
            recovered = recover(out)
            summary = None if rebuild or recovered else _unchanged_run(inputs, out, corrections_file)
            if summary is None:
                with reporting(quiet) as shown, listening(shown):
                    summary = _ingest_locked(
                        inputs,
                        out,
                        batch_size,
                        Runner(runner, workers, dask_address),
                        rebuild,
                        corrections_file,
                        recovered,
                    )
    except (LakeBusyError, HalfSwappedError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc
    summary.skipped_paths = found.skipped
    print_summary(summary)
    return summary


@dataclass(frozen=True)
class Runner:
    """Where the batches are parsed: `local` (threads in this process) or `dask` (`workers` processes of a
    LocalCluster, or the cluster whose scheduler is at `address`)."""

    name: str = "local"
    workers: int = 1
    address: str | None = None


def choose_runner(runner: str | None, workers: int, dask_address: str | None) -> str:
    """--runner as given, else dask when --workers > 1 or --dask-address asks for it; exits 2 on a mix
    that cannot mean anything (local with workers or an address)."""
    chosen = runner or ("dask" if workers > 1 or dask_address else "local")
    problem = None
    if chosen not in RUNNERS:
        problem = f"--runner must be one of {', '.join(RUNNERS)}, not {chosen!r}"
    elif chosen == "local" and (workers > 1 or dask_address):
        problem = "--workers N and --dask-address need --runner dask (local parses in this process)"
    elif workers < 1:
        problem = "--workers must be at least 1"
    elif dask_address and workers > 1:
        problem = "--workers sizes the LocalCluster; with --dask-address the cluster has the workers it has"
    elif chosen == "dask" and importlib.util.find_spec("prefect_dask") is None:  # before any work, without importing it
        problem = f"--runner dask needs the dask extra: {DASK_EXTRA}"
    if problem:
        console.print(f"[red]error:[/red] {escape(problem)}")  # [dask] is no markup
        raise typer.Exit(2)
    return chosen


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_loopback(address: str) -> bool:
    """Whether a scheduler address (tcp://host:port) is on this machine's loopback."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _unchanged_run(inputs: list, out: Path, corrections_file: Path | None) -> RunSummary | None:
    """The summary of a run with nothing to do, or None when there is work. Decided before Prefect,
    Great Expectations or the parsers are imported: an unchanged nightly re-run costs seconds."""
    fresh = freshness(inputs, out)
    if not fresh.nothing_new:
        return None
    docs = out / "data_docs" / "index.html"
    summary = RunSummary(
        out_dir=str(out),
        inputs=fresh.inputs,
        skipped_known=fresh.in_lake,
        warehouse=str(warehouse_path(out)),
        data_docs=str(docs) if docs.exists() else None,
        nothing_new=True,
    )
    summary.errors += apply_corrections_file(out, corrections_file)  # an edited corrections file still applies
    return summary


def _ingest_locked(
    inputs: list,
    out: Path,
    batch_size: int,
    runner: Runner,
    rebuild: bool,
    corrections_file: Path | None,
    recovered: list[str],
) -> RunSummary:
    from govreports.pipelines.flows import flow_with_runner, ingest_listed, shared_api
    from govreports.pipelines.observe import RunFailed

    target = out / ".rebuild" if rebuild else out
    if rebuild:
        shutil.rmtree(target, ignore_errors=True)
    flow = flow_with_runner(runner.name, runner.workers, runner.address)
    try:
        with shared_api(runner.name):
            summary = ingest_listed(flow, inputs, str(target), out, batch_size)
    except RunFailed as failed:  # the Prefect run is Failed (documents failed); the exit code stays 0
        summary = failed.result
    except OSError as exc:  # nothing could be written
        console.print(f"[red]error:[/red] cannot write to {out}: {exc}")
        raise typer.Exit(1) from exc
    summary.recovered = recovered + summary.recovered
    if rebuild:
        swap_in(target, out)
        summary.warehouse = str(out / "warehouse.duckdb")
        summary.data_docs = str(out / "data_docs" / "index.html") if summary.data_docs else None
    summary.errors += apply_corrections_file(out, corrections_file)
    return summary


def apply_corrections_file(out: Path, path: Path | None) -> list[tuple[str, str]]:
    """Overlay the analyst's corrections (after load: nothing is parsed again); their errors for the summary."""
    from govreports.load.corrections import apply_corrections
    from govreports.pipelines.warehouse import build_warehouse
    from govreports.transform.reference import reference

    try:
        changed, errors = apply_corrections(out, path, reference().known_keys())
    except (OSError, ValueError) as exc:
        return [(str(path), f"corrections not applied: {exc}")]
    if changed:
        build_warehouse(out)
    return errors


def print_summary(s: RunSummary) -> None:
    for note in s.recovered:
        console.print(f"[yellow]recovered:[/yellow] {note}")
    if s.nothing_new:
        console.print(
            f"nothing new: [bold]{s.inputs}[/bold] inputs, {s.skipped_known} already in the lake and validated, "
            "warehouse up to date"
        )
    else:
        console.print(
            f"[bold]{s.inputs}[/bold] inputs: {s.written} written, {s.skipped_known} already in the lake (unchanged)"
        )
    if s.written:
        t = Table("status", "documents", title="Documents by status")
        for k, v in sorted(s.by_status.items()):
            t.add_row(k, str(v))
        console.print(t)
        t = Table("template", "documents", title="Documents by template")
        for k, v in sorted(s.by_template.items()):
            t.add_row(k, str(v))
        console.print(t)
        console.print(f"facts written: [bold]{s.facts}[/bold]")
        if s.failed_identities:
            t = Table("identity", "failing instances", title="Failed identities")
            for k, v in sorted(s.failed_identities.items()):
                t.add_row(k, str(v))
            console.print(t)
    for source, error in s.errors[:20]:
        console.print(f"[yellow]{source}[/yellow]: {error}")
    if s.skipped_paths:
        console.print(f"[bold]{len(s.skipped_paths)}[/bold] paths not read:")
    for path, why in s.skipped_paths[:20]:
        console.print(f"[yellow]{path}[/yellow]: {why}")
    if s.batch_peaks:
        console.print(f"peak memory per batch: {s.peak_text()}")
    if s.compacted:
        console.print(f"compacted: {s.compacted}")
    console.print(f"warehouse: {s.warehouse}")
    if s.plausibility:
        t = Table("rule", "flags", title="Plausibility flags")
        for k, v in sorted(s.plausibility.items()):
            t.add_row(k, str(v))
        console.print(t)
    if s.quarantined:
        console.print(f"quarantined rows: {s.quarantined} (view `quarantine`; govreports explain DOC_ID)")
    if s.data_docs:
        console.print(f"data docs: {s.data_docs}")
        offline = Path(s.data_docs).with_name("summary.html")  # expectations/summary.py, readable offline
        if offline.exists():
            console.print(f"validation summary: {offline}")


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Report files or folders (searched recursively)."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help=OUT_HELP),
    batch_size: int = typer.Option(200, help="Documents per processing task."),
    workers: int = typer.Option(
        1, help="Dask worker processes of a LocalCluster on this machine (implies --runner dask)."
    ),
    runner: str = typer.Option(
        None,
        "--runner",
        help="Where batches are parsed: local (this process; the default) or dask (a LocalCluster of --workers "
        "processes, or the cluster at --dask-address; needs the dask extra). Loading always stays in this process.",
    ),
    dask_address: str = typer.Option(
        None,
        "--dask-address",
        help="Scheduler of an existing Dask cluster (tcp://host:8786); implies --runner dask. Each worker needs "
        "govreports installed and read access to the input paths (docs/scale.md).",
    ),
    rebuild: bool = typer.Option(
        False,
        "--rebuild",
        help="Parse every input again (after a parser upgrade) into a new lake that replaces the old one "
        "once complete. The new lake holds only the documents given.",
    ),
    corrections: Path = typer.Option(None, "--corrections", help=CORRECTIONS_HELP),
    wait: float = typer.Option(
        0, "--wait", help="Seconds to wait for another ingest into OUT to finish (default: fail at once)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Ingest HTML, PDF and text reports into the Parquet lake and the DuckDB warehouse."""
    run_ingest(paths, out, batch_size, workers, rebuild, corrections, wait, quiet, runner, dask_address)


@app.command()
def run(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help=OUT_HELP),
    corrections: Path = typer.Option(None, "--corrections", help=CORRECTIONS_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Ingest the bundled sample corpus (data/samples/), print the summary and an example query."""
    run_ingest([str(SAMPLES_DIR)], out, 200, corrections_file=corrections, quiet=quiet)
    con = connect(out)
    try:
        console.print("\n[bold]Example query[/bold] (duckdb " + str(out / "warehouse.duckdb") + "):")
        console.print(EXAMPLE_QUERY)
        console.print(query_text(con, EXAMPLE_QUERY))
    finally:
        con.close()


def query_text(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """A query's rows as text with SQL types kept: counts print as integers, a null as <NA> (never NaN)."""
    frame = con.sql(sql).df()  # a nullable BIGINT is already Int64; a DOUBLE becomes Float64, whose null is <NA>
    return frame.astype({col: "Float64" for col in frame.select_dtypes("float").columns}).to_string(index=False)


@app.command()
def warehouse(out: Path = typer.Argument(DEFAULT_OUT)) -> None:
    """Rebuild DIR/warehouse.duckdb from the Parquet lake."""
    from govreports.pipelines.warehouse import build_warehouse

    try:
        with lake_lock(out, command="warehouse"):
            for note in recover(out):
                console.print(f"[yellow]recovered:[/yellow] {note}")
            console.print(f"rebuilt {build_warehouse(out)}")
    except (LakeBusyError, HalfSwappedError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc


@app.command()
def compact(
    out: Path = typer.Argument(DEFAULT_OUT),
    min_parts: int = typer.Option(1, help="Compact only partitions holding more than this many parts."),
    wait: float = typer.Option(0, help="Seconds to wait for another writer to finish."),
) -> None:
    """Rewrite the lake's small Parquet parts into few large sorted files, atomically (docs/guarantees.md)."""
    from govreports.load.compact import compact as compact_lake
    from govreports.load.warehouse import warehouse_path
    from govreports.pipelines.warehouse import build_warehouse

    try:
        with lake_lock(out, wait=wait, command="compact"):
            for note in recover(out):
                console.print(f"[yellow]recovered:[/yellow] {note}")
            done = compact_lake(out, min_parts=min_parts)
            if done and warehouse_path(out).exists():  # the views need no change, but its stamp names the parts
                build_warehouse(out)
    except (LakeBusyError, HalfSwappedError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(3) from exc
    if not done:
        console.print("nothing to compact")
        return
    for name in done.partitions:
        console.print(f"compacted {name}")
    console.print(
        f"[bold]{len(done.partitions)}[/bold] partitions: {done.files_before} parts → {done.files_after} files"
    )


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":
    app()
