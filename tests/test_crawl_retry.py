"""Prefect's task retry on a real transient error (issue 12 item 3): the portal answers the listing
page 500 once. The HTTP client's own retries are off in the source's spec, so only the crawl task's
retry (observe.transient_only, GOVREPORTS_RETRY_DELAYS) can fetch it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from govreports.pipelines.crawl.discover import allowed_entry
from tests.portal import COLUMN, Portal, county_portal

LISTING = COLUMN + "index.html"
# the flow's return value on the last line of stdout (Prefect logs go to stderr)
RUN_FLOW = (
    "import json, sys\n"
    "from govreports.pipelines.crawl.flow import crawl_flow\n"
    "state = crawl_flow(sources=[sys.argv[1]], out=sys.argv[2], return_state=True)\n"
    "result = state.result(raise_on_failure=False)\n"
    "rows = getattr(result, 'result', result)  # a Failed run's RunFailed carries the statuses\n"
    "print(json.dumps({'state': state.type.value, 'statuses': rows}, default=str))\n"
)


def flaky_spec(portal: Portal, folder: Path) -> Path:
    spec = folder / "flaky.yaml"
    spec.write_text(
        f"name: flaky\nstart_urls:\n  - {portal.listing_url}\nallowed_hosts:\n  - {allowed_entry(portal.listing_url)}\n"
        "politeness:\n  min_interval: 0.0\n  backoff: 0.0\n  retries: 0\n",
        encoding="utf-8",
    )
    return spec


def crawl_in_a_fresh_process(spec: Path, out: Path, delays: str) -> dict:
    """The flow as the deployment runs it, with its own temporary Prefect API (the retry count is set
    when the task is defined, from the environment)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"GOVREPORTS_RETRY_DELAYS": delays, "PREFECT_HOME": str(out.parent / "prefect")}
    proc = subprocess.run(
        [sys.executable, "-c", RUN_FLOW, str(spec), str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_transient_listing_error_is_retried_by_the_crawl_task(tmp_path: Path) -> None:
    """With the HTTP retries off the listing's one 500 is fetched again only by Prefect's task retry
    (without it the source has no listing page: tests/test_nightly's failing source)."""
    portal = county_portal()
    try:
        portal.routes[LISTING].fail_first = 1
        run = crawl_in_a_fresh_process(flaky_spec(portal, tmp_path), tmp_path / "out", delays="0")
        listing_answers = [seen.status for seen in portal.requests() if seen.path == LISTING]
    finally:
        portal.stop()
    [status] = run["statuses"]
    # the portal's own broken links (a report answering 500 once, a 404, a redirect off the site) fail the
    # run either way: the HTTP retries are off, and a reachable source is not retried as a whole
    assert run["state"] == "FAILED"
    listing_reasons = [r for r in status["reasons"] if r.startswith(portal.listing_url)]
    assert listing_answers == [500, 200]
    assert (status["source"], status["listing_pages"], status["reports"], status["new"]) == ("flaky", 3, 8, 5)
    assert listing_reasons == []
