"""What a Prefect run shows, without a server: run and task names, which failures are retried,
the markdown tables, the failure verdicts, and the usage-reporting defaults."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Completed, Failed
from typer.testing import CliRunner

from govreports.pipelines import observe
from govreports.pipelines.cli import app
from govreports.pipelines.crawl.crawler import SiteCrawl
from govreports.pipelines.crawl.run import SourceStatus, SourceUnreachable, run_failure, source_markdown, unreachable
from govreports.pipelines.ingest import RunSummary
from govreports.pipelines.prefect_env import PRIVATE_DEFAULTS, apply_private_defaults
from tests.test_nightly import free_port

NIGHTLY = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 02:00 in Shanghai


def test_run_names_from_inputs_and_time() -> None:
    assert observe.run_stamp(NIGHTLY) == "2026-12-01T02:00+08:00"
    assert observe.ingest_name({"paths": ["data/samples/a.html", "data/samples/b.pdf"]}, NIGHTLY) == (
        "ingest-2026-12-01T02:00+08:00-samples"
    )
    assert observe.ingest_name({"paths": ["x/samples/a.html", "x/corpus/b.pdf"]}, NIGHTLY) == (
        "ingest-2026-12-01T02:00+08:00-x"
    )
    assert observe.ingest_name({"inputs": []}, NIGHTLY) == "ingest-2026-12-01T02:00+08:00"
    params = {"sources": ["pingtan", "https://www.xx.gov.cn/col/index.html", "data/sites/shuyang-fgj.yaml"]}
    assert observe.crawl_name(params, NIGHTLY) == "crawl-pingtan+www.xx.gov.cn+shuyang-fgj-2026-12-01T02:00+08:00"
    params["sources"].append("four")
    assert observe.crawl_name(params, NIGHTLY) == "crawl-pingtan+www.xx.gov.cn+2-more-2026-12-01T02:00+08:00"
    assert observe.crawl_name({"sources": None}, NIGHTLY) == "crawl-all-sites-2026-12-01T02:00+08:00"


def unreachable_crawl() -> SiteCrawl:
    why = "not fetched: robots.txt could not be read (ConnectError: [Errno 111] Connection refused)"
    return SiteCrawl(source="deadhost", errors=[("http://127.0.0.1:9/", why)])


def test_only_transient_failures_are_retried() -> None:
    assert unreachable(unreachable_crawl())
    assert unreachable(SiteCrawl(source="s", errors=[("u", "timeout: ReadTimeout")]))
    assert unreachable(SiteCrawl(source="s", errors=[("u", "HTTP 503")]))
    assert not unreachable(SiteCrawl(source="s", errors=[("u", "HTTP 404")]))
    assert not unreachable(SiteCrawl(source="s", errors=[("u", "not fetched: disallowed by robots.txt")]))
    assert not unreachable(SiteCrawl(source="s", listing_pages=1, errors=[("u", "HTTP 503")]))
    retried = [SourceUnreachable(unreachable_crawl()), httpx.ConnectError("refused"), TimeoutError()]
    final = [ValueError("no table in section 三"), KeyError("s3")]
    assert [observe.transient_only(None, None, Failed(data=e)) for e in retried] == [True, True, True]
    assert [observe.transient_only(None, None, Failed(data=e)) for e in final] == [False, False]
    assert observe.transient_only(None, None, Completed(data=1)) is False


def test_failures_survive_pickling_for_worker_processes() -> None:
    exc = pickle.loads(pickle.dumps(SourceUnreachable(unreachable_crawl())))
    assert exc.crawl.source == "deadhost"
    assert str(exc).startswith("deadhost unreachable: not fetched: robots.txt could not be read")
    failed = pickle.loads(pickle.dumps(observe.RunFailed("1 of 2 new documents failed", {"written": 2})))
    assert (str(failed), failed.result) == ("1 of 2 new documents failed", {"written": 2})


def test_retry_delays_from_environment(monkeypatch) -> None:
    monkeypatch.delenv("GOVREPORTS_RETRY_DELAYS", raising=False)
    assert observe.retry_delays() == [30.0, 120.0]
    monkeypatch.setenv("GOVREPORTS_RETRY_DELAYS", "0,0")
    assert observe.retry_delays() == [0.0, 0.0]
    monkeypatch.setenv("GOVREPORTS_RETRY_DELAYS", "")
    assert observe.retry_delays() == []


def test_source_table_and_verdict() -> None:
    bad = SourceStatus(source="county", listing_pages=3, reports=8, new=6, failed=2, requests=17)
    bad.reasons = ["http://x/t1.html: HTTP 404", "a | b"]
    good = SourceStatus(source="pingtan", listing_pages=2, reports=4, unchanged=4, requests=6)
    assert source_markdown(bad) == (
        "### county: **failed**\n\n"
        "| source | pages | reports | new | unchanged | failed | not parsed | skipped | requests |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| county | 3 | 8 | 6 | 0 | 2 | 0 | 0 | 17 |\n\n"
        "**Reasons**\n\n- http://x/t1.html: HTTP 404\n- a \\| b"
    )
    assert run_failure([good], None) is None
    assert run_failure([good, bad], None) == "1 of 2 sources failed (county)"
    summary = RunSummary(out_dir="o", by_status=Counter(failed=1, ok=3))
    assert run_failure([good], summary) == "1 documents failed"


def test_ingest_table_and_verdict() -> None:
    summary = RunSummary(out_dir="out", inputs=3, written=2, skipped_known=1, by_status=Counter(failed=1, ok=1))
    summary.errors = [("in/a_broken.pdf", "cannot parse PDF")]
    assert observe.ingest_markdown(summary) == (
        "### Ingest into `out`\n\n| documents | new | unchanged | failed |\n|---|---|---|---|\n| 3 | 2 | 1 | 1 |"
        "\n\n**Failed documents**\n\n- in/a_broken.pdf: cannot parse PDF"
    )
    assert observe.ingest_failure(summary) == "1 of 2 new documents failed"
    assert observe.ingest_failure(RunSummary(out_dir="out", written=2, by_status=Counter(ok=2))) is None


def test_usage_reporting_off_unless_chosen(tmp_path: Path) -> None:
    env = {"PREFECT_HOME": str(tmp_path), "PREFECT_SERVER_ANALYTICS_ENABLED": "true"}
    assert apply_private_defaults(env) == ["DO_NOT_TRACK", "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY"]
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "true"  # the user's choice stays
    assert env["DO_NOT_TRACK"] == PRIVATE_DEFAULTS["DO_NOT_TRACK"] == "1"
    (tmp_path / "profiles.toml").write_text(
        'active = "local"\n[profiles.local]\nPREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY = "true"\n', encoding="utf-8"
    )
    env = {"PREFECT_HOME": str(tmp_path)}
    assert apply_private_defaults(env) == ["DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED"]
    assert "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY" not in env  # set in a profile: left to it


def test_crawl_serve_refuses_an_ephemeral_or_absent_api(tmp_path: Path) -> None:
    """Without PREFECT_API_URL (Prefect would serve against a temporary server whose schedules never fire),
    or with nothing answering there, crawl-serve exits 2 before registering anything, and says how to start one."""
    out = tmp_path / "out"
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["crawl-serve", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: crawl-serve needs a running Prefect server: PREFECT_API_URL is not set")
    assert "prefect server start --host 127.0.0.1 --port 4200" in result.output
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in result.output
    closed = f"http://127.0.0.1:{free_port()}/api"
    with temporary_settings({PREFECT_API_URL: closed}):
        result = CliRunner().invoke(app, ["crawl-serve", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"no Prefect server answers at {closed} (ConnectError)" in result.output
    assert not out.exists()
