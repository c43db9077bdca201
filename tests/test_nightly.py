"""The nightly deployment: a real Prefect server on loopback fires a scheduled crawl-and-ingest run.

Schedules only fire with a running server (never in ephemeral mode), so the test starts
`prefect server start` with a temporary PREFECT_HOME, serves the deployment with a
one-minute cron against the mock portal, and waits (bounded) for a scheduled run to
complete. Everything listens on 127.0.0.1 / 127.0.0.2 only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govreports.load.warehouse import open_database
from govreports.pipelines.crawl.flow import DEPLOYMENT_NAME, NIGHTLY_CRON, NIGHTLY_TIMEZONE, nightly_deployment
from tests.portal import COLUMN, Portal, county_portal

REPO = Path(__file__).resolve().parents[1]
SERVER_START_TIMEOUT = 90
RUN_TIMEOUT = 150


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


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = prefect_env(tmp_path / "prefect_home", api_url)
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("prefect server did not start:\n" + (tmp_path / "server.log").read_text(errors="replace"))
            time.sleep(1)
        yield api_url, env
    finally:
        stop(server)
        log.close()


@pytest.fixture
def portal() -> Iterator[Portal]:
    site = county_portal()
    yield site
    site.stop()


def completed_scheduled_runs(api_url: str) -> list[dict]:
    body = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}}}
    runs = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=10).json()
    return [r for r in runs if r.get("auto_scheduled")]


@pytest.mark.slow
def test_scheduled_run_crawls_and_ingests(prefect_server: tuple[str, dict[str, str]], portal: Portal, tmp_path: Path):
    api_url, env = prefect_server
    out = tmp_path / "out"
    serve_log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (closed below)
    serve = subprocess.Popen(
        [sys.executable, "-m", "govreports.pipelines.cli", "crawl-serve", portal.listing_url, "--out", str(out)]
        + ["--cron", "* * * * *", "--timezone", "Asia/Shanghai", "--min-interval", "0"],
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        runs: list[dict] = []
        while not runs and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(3)
            runs = completed_scheduled_runs(api_url)
        log = (tmp_path / "serve.log").read_text(errors="replace")
        assert runs, f"no scheduled run finished within {RUN_TIMEOUT}s; serve log:\n{log}"
        run = runs[0]
        assert run["state_type"] == "COMPLETED", log
        deployments = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=10).json()
        (deployment,) = [d for d in deployments if d["id"] == run["deployment_id"]]
        assert deployment["name"] == DEPLOYMENT_NAME
        assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["* * * * *"]
    finally:
        stop(serve)
        serve_log.close()
    # the run crawled the portal and ingested its seven report bodies
    assert COLUMN + "index_2.html" in portal.paths()
    assert portal.paths("other") == []
    con = open_database(out / "warehouse.duckdb")
    try:
        # 5 pages, 2 PDFs, a DOCX and an XLS attachment
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (9,)
    finally:
        con.close()
