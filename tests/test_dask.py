"""The ingest on Dask (issue 12 item 4): batches parsed by worker processes of a real LocalCluster on
127.0.0.1 give the same lake as the local run; loading stays in the flow's process."""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from govreports.data import SAMPLES_DIR
from govreports.load.lake import table_glob_sql
from govreports.pipelines.cli import app
from govreports.pipelines.flows import LOCAL_CLUSTER, flow_with_runner, ingest_flow
from govreports.pipelines.ingest import batched, discover, load_batch, process_batch

distributed = pytest.importorskip("distributed")
pytest.importorskip("prefect_dask")

runner = CliRunner()

# html, text and PDF, two report templates and a legacy table: every parser the workers must import
SAMPLE_NAMES = (
    "gen000_gov_2021_2021.html",
    "gen010_gov_2021_2023.pdf",
    "gen016_gov_2021_2021.txt",
    "gen023_gov_2019_2020.html",
    "gen024_gov_2019_2020.html",
)
TABLES = {  # every column but the load time, which differs between any two runs
    "documents": "* EXCLUDE (ingested_at)",
    "facts": "*",
    "checks": "*",
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("dask") / "in"
    src.mkdir()
    for name in SAMPLE_NAMES:
        shutil.copy(SAMPLES_DIR / name, src / name)
    return src


@pytest.fixture(scope="module")
def local_lake(inputs: Path) -> dict[str, list[tuple]]:
    """The lake of the local run: the parse and load functions the local flow calls, in this process
    (its warehouse build and validation read the lake and write nothing to these tables)."""
    out = inputs.parent / "local"
    for batch in batched(discover([inputs]), 2):
        load_batch(process_batch(batch), out)
    return lake_rows(out)


def parts(out: Path, table: str) -> str:
    return table_glob_sql(out, table)  # report_year is a column in every file


def lake_rows(out: Path) -> dict[str, list[tuple]]:
    """Every row of the lake's documents, facts and checks (Parquet, as written), sorted."""
    con = duckdb.connect()  # in memory: the lake's Parquet files are read, no warehouse is opened
    try:
        return {
            table: sorted(con.sql(f"SELECT {cols} FROM read_parquet({parts(out, table)})").fetchall(), key=repr)
            for table, cols in TABLES.items()
        }
    finally:
        con.close()


def test_workers_mean_a_loopback_local_cluster_of_that_many_processes() -> None:
    task_runner = flow_with_runner("dask", 3).task_runner
    assert task_runner.resolved_cluster_class is distributed.LocalCluster
    assert task_runner.cluster_kwargs == {**LOCAL_CLUSTER, "n_workers": 3}
    assert task_runner.cluster_kwargs["host"] == "127.0.0.1" and task_runner.cluster_kwargs["dashboard_address"] is None
    assert flow_with_runner("dask", 1, "tcp://10.0.0.5:8786").task_runner.address == "tcp://10.0.0.5:8786"
    assert flow_with_runner("local", 1) is ingest_flow  # Prefect's thread pool in this process


def test_two_dask_workers_parse_every_batch_and_give_the_same_lake(
    inputs: Path, local_lake: dict, tmp_path: Path
) -> None:
    out = tmp_path / "dask"
    with (
        distributed.LocalCluster(n_workers=2, **LOCAL_CLUSTER) as cluster,  # what --workers 2 starts
        distributed.Client(cluster) as client,
    ):
        client.wait_for_workers(2)
        workers = set(client.scheduler_info()["workers"])
        with distributed.get_task_stream(client) as stream:
            args = ["ingest", str(inputs), "--out", str(out), "--dask-address", cluster.scheduler_address]
            result = runner.invoke(app, [*args, "--batch-size", "1"])
        assert result.exit_code == 0, result.output + "".join(traceback.format_exception(result.exception))
    assert "5 inputs: 5 written, 0 already in the lake" in result.output
    assert " over 5 batches" in result.output  # each worker's parse came back with its peak memory
    ran_on = [task["worker"] for task in stream.data]
    assert len(ran_on) == len(SAMPLE_NAMES)  # one task per batch of one: parsing, and nothing else, on Dask
    assert set(ran_on) == workers  # both worker processes parsed
    assert lake_rows(out) == local_lake


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runner", "local", "--workers", "2"], "need --runner dask"),
        (["--runner", "ray"], "--runner must be one of local, dask"),
        (["--dask-address", "tcp://127.0.0.1:1", "--workers", "2"], "the cluster has the workers it has"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_runner_arguments_that_mean_nothing_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["ingest", str(SAMPLES_DIR), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()  # refused before any work


def test_dask_without_the_extra_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "prefect_dask" else real(name, *a)
    )
    result = runner.invoke(app, ["ingest", str(SAMPLES_DIR), "--out", str(tmp_path / "out"), "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "pip install 'govreports[dask]'" in " ".join(result.output.split())


def test_a_remote_scheduler_without_an_api_url_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    args = ["ingest", str(tmp_path / "missing"), "--out", str(tmp_path / "out"), "--dask-address", "tcp://sched:8786"]
    result = runner.invoke(app, args)  # stops at the missing input, before any connection
    assert result.exit_code == 2, result.output
    assert "workers on other machines cannot reach" in " ".join(result.output.split())
    local = runner.invoke(app, [*args[:-1], "tcp://127.0.0.1:8786"])
    assert "cannot reach" not in local.output
