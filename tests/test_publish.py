"""`govreports publish`: a self-contained, citable release folder."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from govreports.load.dictionary import data_dictionary
from govreports.load.lake import write_batch
from govreports.load.warehouse import connect
from govreports.pipelines.cli import app
from govreports.pipelines.publish import RELEASE_DB, release_tables
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.reference import reference
from tests.test_views import RESULTS

TOTAL_SQL = "SELECT sum(applications_received) FROM reports WHERE is_primary"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("publish_out")
    write_batch(RESULTS, path, reference().known_keys())
    build_warehouse(path)
    return path


@pytest.fixture(scope="module")
def release(out: Path, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("releases") / "v1"
    result = CliRunner().invoke(app, ["publish", str(target), "--out", str(out), "--version", "2026.12.0"])
    assert result.exit_code == 0, result.output
    return target


def test_release_database_is_tables_only_and_carries_the_versions(release: Path):
    con = duckdb.connect(str(release / RELEASE_DB), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {t["table"] for t in release_tables()}
        assert con.execute("SELECT release_version, parser_versions FROM release_info").fetchall() == [
            ("2026.12.0", "test")
        ]
        assert con.execute("SELECT DISTINCT parser_version FROM documents").fetchall() == [("test",)]
    finally:
        con.close()


def test_a_moved_release_answers_from_its_own_files(release: Path, out: Path, tmp_path: Path):
    with connect(out) as con:
        expected = con.execute(TOTAL_SQL).fetchone()[0]
    copy = tmp_path / "moved"
    shutil.copytree(release, copy)
    con = duckdb.connect(str(copy / RELEASE_DB), read_only=True)
    try:
        assert con.execute(TOTAL_SQL).fetchone()[0] == expected
    finally:
        con.close()
    reports = pd.read_parquet(copy / "parquet" / "reports.parquet")
    assert reports.loc[reports["is_primary"], "applications_received"].sum() == expected
    csv_reports = pd.read_csv(copy / "csv" / "reports.csv")
    assert csv_reports.loc[csv_reports["is_primary"], "applications_received"].sum() == expected


def test_frictionless_validates_the_package_and_catches_a_changed_file(release: Path, tmp_path: Path):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    broken = tmp_path / "broken"
    shutil.copytree(release, broken)
    target = broken / "csv" / "reports.csv"
    raw = target.read_bytes()
    assert b",2021," in raw
    target.write_bytes(raw.replace(b",2021,", b",2022,", 1))  # same size, other bytes
    report = frictionless.validate(str(broken / "datapackage.json"))
    assert not report.valid
    assert "hash-count" in {row[0] for row in report.flatten(["type"])}


def test_datapackage_schema_has_types_units_and_primary_keys(release: Path):
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    assert package["version"] == "2026.12.0"
    resources = {r["name"]: r for r in package["resources"]}
    reports = resources["reports"]["schema"]
    assert reports["primaryKey"] == ["doc_id"]
    fields = {f["name"]: f for f in reports["fields"]}
    assert fields["applications_received"]["unit"] == "件"
    assert fields["applications_received"]["title"] == "本年新收政府信息公开申请数量"
    assert fields["is_primary"]["type"] == "boolean"
    assert fields["report_year"]["type"] == "integer"
    assert {f["name"]: f["type"] for f in resources["documents"]["schema"]["fields"]}["ingested_at"] == "datetime"


def test_codebook_covers_every_key_and_every_reports_column(release: Path):
    with (release / "codebook.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keys = {r["name"] for r in rows if r["kind"] == "key"}
    assert keys == set(data_dictionary()["key"])
    con = duckdb.connect(str(release / RELEASE_DB), read_only=True)
    try:
        columns = {r[0] for r in con.sql("DESCRIBE reports").fetchall()}
    finally:
        con.close()
    described = {r["name"]: r for r in rows if r["kind"] == "column" and r["table"] == "reports"}
    assert set(described) == columns
    assert all(described[c]["description"] for c in columns), [c for c in columns if not described[c]["description"]]


def test_checksums_cover_every_file(release: Path):
    lines = (release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest
    summary = json.loads((release / "validation_summary.json").read_text(encoding="utf-8"))
    assert summary["release_version"] == "2026.12.0"
    assert summary["documents"] == len(RESULTS)


def test_publish_refuses_a_non_empty_folder(out: Path, tmp_path: Path):
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(app, ["publish", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


def test_version_flag():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("govreports ")
