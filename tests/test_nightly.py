"""The nightly deployment: a real Prefect server on loopback fires a scheduled crawl-and-ingest run.

Schedules only fire with a running server (never in ephemeral mode), so the test starts
`prefect server start` with a temporary PREFECT_HOME, serves the deployment with a
one-minute cron against the mock portal, and waits (bounded) for a scheduled run to
complete. Everything listens on 127.0.0.1 / 127.0.0.2 only.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govreports.load.warehouse import open_database
from govreports.pipelines.crawl.flow import DEPLOYMENT_NAME, NIGHTLY_CRON, NIGHTLY_TIMEZONE, nightly_deployment
from tests.portal import COLUMN, Portal, county_portal

REPO = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT = 90
RUN_TIMEOUT = 150
STOP_TIMEOUT = 10  # crawl-serve stops within a few seconds of SIGTERM (Prefect's own handler: ~80 s)


def test_nightly_deployment_defaults_to_two_am_shanghai(tmp_path: Path) -> None:
    deployment = nightly_deployment(sources=["pingtan"], out=str(tmp_path))
    (schedule,) = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (NIGHTLY_CRON, NIGHTLY_TIMEZONE)
    assert (NIGHTLY_CRON, NIGHTLY_TIMEZONE) == ("0 2 * * *", "Asia/Shanghai")
    assert deployment.name == DEPLOYMENT_NAME
    assert deployment.entrypoint == "govreports.pipelines.crawl.flow.crawl_flow"
    assert deployment.parameters == {"sources": ["pingtan"], "out": str(tmp_path.resolve()), "min_interval": None}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_env(home: Path, api_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_RUNNER_POLL_FREQUENCY="2",
        PREFECT_SERVER_UI_ENABLED="false",
        NO_PROXY="127.0.0.1,127.0.0.2,localhost",
    )
    return env


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def start_server(root: Path) -> tuple[subprocess.Popen, str, dict[str, str]]:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(root / "prefect_home", api_url)
    log = root / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return server, api_url, env
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            stop(server)
            pytest.fail("prefect server did not start:\n" + log.read_text(errors="replace"))
        time.sleep(1)


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One real server for the module (starting one costs ~10 s)."""
    server, api_url, env = start_server(tmp_path_factory.mktemp("prefect"))
    try:
        yield api_url, env
    finally:
        stop(server)


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


@dataclass
class Served:
    proc: subprocess.Popen
    out: Path
    log: Path
    dead_port: int

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def unreachable_spec(folder: Path) -> tuple[Path, int]:
    """A source whose host refuses connections (a closed loopback port), without the client's own retries."""
    port = free_port()
    spec = folder / "deadhost.yaml"
    spec.write_text(
        f"name: deadhost\nstart_urls: [http://127.0.0.1:{port}/col/]\nallowed_hosts: [http://127.0.0.1:{port}]\n"
        "politeness: {min_interval: 0, retries: 0, backoff: 0}\n",
        encoding="utf-8",
    )
    return spec, port


@pytest.fixture(scope="module")
def served(
    prefect_server: tuple[str, dict[str, str]], portal: Portal, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """`govreports crawl-serve` of the portal and an unreachable source, on a one-minute cron."""
    _, env = prefect_server
    root = tmp_path_factory.mktemp("serve")
    spec, dead_port = unreachable_spec(root)
    log = root / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "govreports.pipelines.cli", "crawl-serve", portal.listing_url, str(spec)]
            + ["--out", str(root / "out"), "--cron", "* * * * *", "--timezone", "Asia/Shanghai"]
            + ["--min-interval", "0"],
            env=env | {"GOVREPORTS_RETRY_DELAYS": "0,0"},
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    yield Served(proc, root / "out", log, dead_port)
    stop(proc)


def post(api_url: str, path: str, body: dict | None = None) -> list | dict:
    response = httpx.post(f"{api_url}/{path}", json=body or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def finished_runs(api_url: str, **match: object) -> list[dict]:
    body = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]}}}}
    runs = post(api_url, "flow_runs/filter", body)
    return [r for r in runs if all(r.get(k) == v for k, v in match.items())]


def wait_for(found, what: str, served: Served, timeout: float = RUN_TIMEOUT):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and served.proc.poll() is None:
        result = found()
        if result:
            return result
        time.sleep(2)
    pytest.fail(f"{what} within {timeout:.0f}s; serve log:\n{served.text()}")


def nightly(api_url: str) -> dict:
    (deployment,) = [d for d in post(api_url, "deployments/filter") if d["name"] == DEPLOYMENT_NAME]
    return deployment


@pytest.mark.slow
def test_scheduled_run_fails_and_says_why(prefect_server: tuple[str, dict[str, str]], served: Served, portal: Portal):
    """The cron fires a run; a report's 404 and an unreachable source make it Failed, its artifacts say why,
    the unreachable source was retried, and all the portal's reports are still ingested."""
    api_url, _ = prefect_server
    (run, *_) = wait_for(lambda: finished_runs(api_url, auto_scheduled=True), "no scheduled run finished", served)
    host = f"127.0.0.1:{portal.base.rsplit(':', 1)[1]}"
    assert re.fullmatch(rf"crawl-{re.escape(host)}\+deadhost-2\d{{3}}-\d\d-\d\dT\d\d:\d\d\+08:00", run["name"])
    assert run["state_type"] == "FAILED", served.text()
    assert run["state"]["message"] == f"2 of 2 sources failed ({portal.listing_url}, deadhost)"
    deployment = nightly(api_url)
    assert deployment["id"] == run["deployment_id"]
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["* * * * *"]
    assert (
        deployment["global_concurrency_limit"]["limit"],
        deployment["concurrency_options"]["collision_strategy"],
    ) == (
        1,
        "ENQUEUE",
    )
    tasks = {t["name"]: t for t in post(api_url, "task_runs/filter", {"flow_runs": {"id": {"any_": [run["id"]]}}})}
    assert sorted(tasks) == [f"crawl-{host}", "crawl-deadhost", "govreports-ingest-0"]  # the last: the sub-flow
    # a refused connection is transient: tried three times (retries=2); a 404 is not retried
    assert (tasks["crawl-deadhost"]["state_type"], tasks["crawl-deadhost"]["run_count"]) == ("FAILED", 3)
    assert (tasks[f"crawl-{host}"]["state_type"], tasks[f"crawl-{host}"]["run_count"]) == ("COMPLETED", 1)
    artifacts = post(api_url, "artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    by_description = {a["description"]: a["data"] for a in artifacts}
    assert sorted(by_description) == [
        "crawl of deadhost: FAILED",
        f"crawl of {portal.listing_url}: FAILED",
        "crawl run",
    ]
    dead = by_description["crawl of deadhost: FAILED"]
    assert "| deadhost | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |" in dead
    assert f"http://127.0.0.1:{served.dead_port}/col/: not fetched: robots.txt could not be read (ConnectError" in dead
    county = by_description[f"crawl of {portal.listing_url}: FAILED"]
    assert f"| {portal.listing_url} | 3 | 8 | 6 | 0 | 2 | 0 | 3 |" in county
    assert f"{portal.base}{COLUMN}202101/t20210115_40001.html: HTTP 404" in county
    # the ingest sub-run is its own named run, Completed: every body parsed
    (sub,) = finished_runs(api_url, parent_task_run_id=tasks["govreports-ingest-0"]["id"])
    assert (
        re.fullmatch(r"ingest-2\d{3}-\d\d-\d\dT\d\d:\d\d\+08:00-raw", sub["name"]) and sub["state_type"] == "COMPLETED"
    )
    # data written before the run failed stays: 5 pages, 2 PDFs, a DOCX and an XLS attachment
    assert COLUMN + "index_2.html" in portal.paths()
    assert portal.paths("other") == []
    con = open_database(served.out / "warehouse.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (9,)
    finally:
        con.close()


@pytest.mark.slow
def test_second_run_is_held_back(prefect_server: tuple[str, dict[str, str]], served: Served):
    """Two runs asked for at once: the server holds the second (AwaitingConcurrencySlot) until the first ends."""
    api_url, _ = prefect_server
    deployment = nightly(api_url)
    ids = [post(api_url, f"deployments/{deployment['id']}/create_flow_run")["id"] for _ in range(2)]
    runs = wait_for(
        lambda: len(done := [r for r in finished_runs(api_url) if r["id"] in ids]) == 2 and done,
        "the two runs did not finish",
        served,
    )
    first, second = sorted(runs, key=lambda r: r["start_time"])
    assert second["start_time"] >= first["end_time"], (first, second)
    held = httpx.get(f"{api_url}/flow_run_states/", params={"flow_run_id": second["id"]}, timeout=10).json()
    assert "AwaitingConcurrencySlot" in [s["name"] for s in held]
    # no two runs of the deployment ever overlapped, the scheduled ones included
    spans = sorted((r["start_time"], r["end_time"]) for r in finished_runs(api_url, deployment_id=deployment["id"]))
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)), spans


@pytest.mark.slow
def test_sigterm_stops_serving_cleanly_and_keeps_the_schedule(
    prefect_server: tuple[str, dict[str, str]], served: Served
):
    api_url, _ = prefect_server
    served.proc.terminate()
    try:
        code = served.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"crawl-serve still running {STOP_TIMEOUT}s after SIGTERM:\n{served.text()}")
    after = served.text().split("SIGTERM received", 1)
    assert code == 0 and len(after) == 2, served.text()
    assert "Traceback" not in after[1], served.text()
    deployment = nightly(api_url)
    assert deployment["paused"] is False
    assert [s["active"] for s in deployment["schedules"]] == [True]


def test_crawl_serve_refuses_an_ephemeral_api(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "govreports.pipelines.cli", "crawl-serve", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: crawl-serve needs a running Prefect server: PREFECT_API_URL is not set")
    assert "prefect server start --host 127.0.0.1 --port 4200" in done.stderr
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
