"""The nightly deployment with a real Prefect server on loopback.

Schedules only fire with a running server (never in ephemeral mode), so the module starts one
`prefect server start` (temporary PREFECT_HOME) and one `govreports crawl-serve` with a one-minute
cron over the mock portal (a 404 report) and a source on a closed port. Two runs are asked for as
soon as the deployment is registered; the cron's run comes at the next minute. The tests then read
what the server recorded: states and their messages, task run counts, artifacts, the concurrency
limit, and what SIGTERM leaves. Everything listens on 127.0.0.1 / 127.0.0.2 only.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from govreports.load.warehouse import open_database
from govreports.pipelines.crawl.flow import DEPLOYMENT_NAME, NIGHTLY_CRON, NIGHTLY_TIMEZONE, nightly_deployment
from tests.portal import COLUMN, Portal, county_portal

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SERVER_START_TIMEOUT = 90
RUN_TIMEOUT = 150
# crawl-serve stops ~3 s after SIGTERM when idle; a run in progress is cancelled and its process given up to
# 30 s (Prefect's grace) to exit (12 s measured mid-ingest). Prefect's own handler took ~80 s and a traceback.
STOP_TIMEOUT = 45


def test_nightly_deployment_defaults_to_two_am_shanghai(tmp_path: Path) -> None:
    deployment = nightly_deployment(sources=["pingtan"], out=str(tmp_path))
    (schedule,) = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (NIGHTLY_CRON, NIGHTLY_TIMEZONE)
    assert (NIGHTLY_CRON, NIGHTLY_TIMEZONE) == ("0 2 * * *", "Asia/Shanghai")
    assert deployment.name == DEPLOYMENT_NAME
    assert deployment.entrypoint == "govreports.pipelines.crawl.flow.crawl_flow"
    assert deployment.parameters == {"sources": ["pingtan"], "out": str(tmp_path.resolve()), "min_interval": None}


RETRYABLE_STATUS = {429, 502, 503}  # the codes Prefect's client always retries (prefect.client.base)


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
        PREFECT_SERVER_DATABASE_TIMEOUT="30",  # statement timeout (default 10 s): the suite loads both cores
        PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS="1",  # a held run asks again after 1 s (default 30)
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
    manual: list[str] = field(default_factory=list)  # ids of the two runs asked for at once

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
    """`govreports crawl-serve` of the portal and an unreachable source on a one-minute cron; as soon as the
    deployment is registered, two runs are asked for at once (they run while the cron's minute comes)."""
    api_url, env = prefect_server
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
    site = Served(proc, root / "out", log, dead_port)
    try:
        deployment = wait_for(lambda: deployments(api_url), "the deployment was not registered", site)[0]
        site.manual = [post(api_url, f"deployments/{deployment['id']}/create_flow_run")["id"] for _ in range(2)]
        yield site
    finally:
        stop(proc)


def post(api_url: str, path: str, body: dict | None = None, attempts: int = 6) -> list | dict:
    """POST as Prefect's own client does: the server answers 503 for errors a client can retry on (its
    SQLite busy under the full suite's load), and those are retried with backoff (0.5, 1, 2, 4, 8 s)."""
    for attempt in range(attempts):
        response = httpx.post(f"{api_url}/{path}", json=body or {}, timeout=10)
        if response.status_code not in RETRYABLE_STATUS or attempt == attempts - 1:
            break
        time.sleep(0.5 * 2**attempt)
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


def deployments(api_url: str) -> list[dict]:
    return [d for d in post(api_url, "deployments/filter") if d["name"] == DEPLOYMENT_NAME]


def state_names(api_url: str, run: dict) -> list[str]:
    states = httpx.get(f"{api_url}/flow_run_states/", params={"flow_run_id": run["id"]}, timeout=10).json()
    return [s["name"] for s in states]


def artifacts_of(api_url: str, run: dict) -> dict[str, str]:
    artifacts = post(api_url, "artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]}}})
    return {a["description"]: a["data"] for a in artifacts}


@pytest.mark.slow
def test_ingest_with_a_failed_document_ends_failed(
    prefect_server: tuple[str, dict[str, str]], served: Served, tmp_path: Path
):
    """`govreports ingest` against the server (while the served runs go on): a PDF that cannot be read makes
    the run Failed, its batch artifact names the file; the exit code stays 0 and the good report is loaded."""
    api_url, env = prefect_server
    src = tmp_path / "reports"
    src.mkdir()
    (src / "a_broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    shutil.copy(SAMPLES / "gen000_gov_2021_2021.html", src / "b_report.html")
    done = subprocess.run(
        [sys.executable, "-m", "govreports.pipelines.cli", "ingest", str(src), "--out", str(tmp_path / "out"), "-q"],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=RUN_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = [r for r in finished_runs(api_url) if r["name"].startswith("ingest-") and r["name"].endswith("-reports")]
    assert re.fullmatch(r"ingest-2\d{3}-\d\d-\d\dT\d\d:\d\d\+08:00-reports", run["name"])
    assert (run["state_type"], run["state"]["message"]) == ("FAILED", "1 of 2 new documents failed")
    artifacts = artifacts_of(api_url, run)
    assert sorted(artifacts) == ["ingest batch 1-of-1", "ingest run"]
    batch = artifacts["ingest batch 1-of-1"]
    assert "| 2 | 2 | 0 | 1 |" in batch
    assert f"- {src / 'a_broken.pdf'}: " in batch
    con = open_database(tmp_path / "out" / "warehouse.duckdb")
    try:
        assert con.execute("SELECT status, count(*) FROM documents GROUP BY 1 ORDER BY 1").fetchall() == [
            ("failed", 1),
            ("ok", 1),
        ]
    finally:
        con.close()


@pytest.mark.slow
def test_second_run_is_held_back(prefect_server: tuple[str, dict[str, str]], served: Served):
    """Two runs asked for at once (and the cron's): never two at a time; one waited AwaitingConcurrencySlot.
    The first crawl ingested the portal's reports in its own named sub-run, although the run ended Failed."""
    api_url, _ = prefect_server
    runs = wait_for(
        lambda: len(done := [r for r in finished_runs(api_url) if r["id"] in served.manual]) == 2 and done,
        "the two runs did not finish",
        served,
    )
    assert [r["state_type"] for r in runs] == ["FAILED", "FAILED"]  # a 404 report, an unreachable source
    assert any("AwaitingConcurrencySlot" in state_names(api_url, r) for r in runs)
    (deployment,) = deployments(api_url)
    spans = sorted((r["start_time"], r["end_time"]) for r in finished_runs(api_url, deployment_id=deployment["id"]))
    assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)), spans
    # one ingest sub-run (later crawls found nothing new), Completed: every body parsed
    (sub,) = [r for r in finished_runs(api_url) if r["name"].endswith("-raw")]
    assert re.fullmatch(r"ingest-2\d{3}-\d\d-\d\dT\d\d:\d\d\+08:00-raw", sub["name"]), sub["name"]
    assert sub["state_type"] == "COMPLETED"
    # data written before the run failed stays: 5 pages, 2 PDFs, a DOCX and an XLS attachment
    con = open_database(served.out / "warehouse.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM documents").fetchone() == (9,)
    finally:
        con.close()


@pytest.mark.slow
def test_scheduled_run_fails_and_says_why(prefect_server: tuple[str, dict[str, str]], served: Served, portal: Portal):
    """The cron fires a run; a report's 404 and an unreachable source make it Failed, its artifacts say why,
    and the unreachable source was tried three times."""
    api_url, _ = prefect_server
    (run, *_) = wait_for(lambda: finished_runs(api_url, auto_scheduled=True), "no scheduled run finished", served)
    host = f"127.0.0.1:{portal.base.rsplit(':', 1)[1]}"
    assert re.fullmatch(rf"crawl-{re.escape(host)}\+deadhost-2\d{{3}}-\d\d-\d\dT\d\d:\d\d\+08:00", run["name"])
    assert run["state_type"] == "FAILED", served.text()
    assert run["state"]["message"] == f"2 of 2 sources failed ({portal.listing_url}, deadhost)"
    (deployment,) = deployments(api_url)
    assert deployment["id"] == run["deployment_id"]
    assert [s["schedule"]["cron"] for s in deployment["schedules"]] == ["* * * * *"]
    limit = deployment["global_concurrency_limit"]["limit"]
    assert (limit, deployment["concurrency_options"]["collision_strategy"]) == (1, "ENQUEUE")
    tasks = {t["name"]: t for t in post(api_url, "task_runs/filter", {"flow_runs": {"id": {"any_": [run["id"]]}}})}
    assert sorted(tasks) == [f"crawl-{host}", "crawl-deadhost"]  # nothing new: no ingest sub-run
    # a refused connection is transient: tried three times (retries=2); a 404 is not retried
    assert (tasks["crawl-deadhost"]["state_type"], tasks["crawl-deadhost"]["run_count"]) == ("FAILED", 3)
    assert (tasks[f"crawl-{host}"]["state_type"], tasks[f"crawl-{host}"]["run_count"]) == ("COMPLETED", 1)
    artifacts = artifacts_of(api_url, run)
    county_key = f"crawl of {portal.listing_url}: FAILED"
    assert sorted(artifacts) == ["crawl of deadhost: FAILED", county_key, "crawl run"]
    dead = artifacts["crawl of deadhost: FAILED"]
    assert "| deadhost | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 |" in dead
    assert f"http://127.0.0.1:{served.dead_port}/col/: not fetched: robots.txt could not be read (ConnectError" in dead
    county = artifacts[county_key]
    assert f"| {portal.listing_url} | 3 | 8 | 0 | 6 | 2 | 0 | 3 |" in county  # 6 unchanged, 2 failed
    assert f"{portal.base}{COLUMN}202101/t20210115_40001.html: HTTP 404" in county
    assert "Failed sources: " + f"{portal.listing_url}, deadhost" in artifacts["crawl run"]


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
    (deployment,) = deployments(api_url)
    assert deployment["paused"] is False
    assert [s["active"] for s in deployment["schedules"]] == [True]
