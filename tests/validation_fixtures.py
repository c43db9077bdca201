"""Hand-built documents, facts and checks for the validation tests (no parsing involved)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from govreports.load.lake import SCHEMAS, result_records, write_batch
from govreports.load.warehouse import open_database
from govreports.pipelines.warehouse import build_warehouse
from govreports.transform.model import Check, DocumentResult, Fact
from govreports.transform.reference import reference

INGESTED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def doc_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def document(name: str, **overrides) -> dict:
    row = {
        "doc_id": doc_id(name),
        "source": f"/reports/{name}",
        "file_name": name,
        "format": "html",
        "doc_type": "annual_report",
        "template": "gov_2021",
        "agency": "洪泽区人民政府",
        "report_year": 2023,
        "published_date": dt.date(2024, 1, 20),
        "index_no": None,
        "title": f"{name} 政府信息公开工作年度报告",
        "status": "ok",
        "error": None,
        "page_count": None,
        "encoding": "utf-8",
        "n_facts": 0,
        "size_bytes": 1000,
        "ingested_at": INGESTED,
        "parser_version": "test",
    }
    row.update(overrides)
    return row


def result(name: str, facts: list[Fact] = (), checks: list[Check] = (), **overrides) -> DocumentResult:
    facts = list(facts)
    overrides.setdefault("n_facts", len(facts))
    return DocumentResult(document=document(name, **overrides), facts=facts, checks=list(checks))


def fact(key: str, value: float | None, raw: str | None = None, page: int | None = 2, **kw) -> Fact:
    raw = raw if raw is not None else ("" if value is None else f"{value:g}")
    return Fact(key=key, value=value, raw_text=raw, raw_label=kw.pop("raw_label", key.split(".")[1]), page=page, **kw)


def check(identity: str, scope: str, lhs: float, rhs: float, keys: list[str], level: str = "structural") -> Check:
    return Check(
        identity=identity,
        level=level,
        scope=scope,
        passed=lhs == rhs,
        lhs=lhs,
        rhs=rhs,
        keys=keys,
        detail=f"{scope}: {lhs:g} vs {rhs:g}",
    )


def tables(results: list[DocumentResult]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """documents, facts, checks frames typed as the warehouse returns them."""
    records = result_records(results, reference().known_keys())
    con = duckdb.connect()
    try:
        return tuple(
            con.from_arrow(pa.Table.from_pylist(records[t], schema=SCHEMAS[t])).df()
            for t in ("documents", "facts", "checks")
        )
    finally:
        con.close()


def load(results: list[DocumentResult], out_dir: Path) -> Path:
    """Write the results to a lake under out_dir and build the warehouse."""
    write_batch(results, out_dir, reference().known_keys())
    return build_warehouse(out_dir)


def query(out_dir: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_database(Path(out_dir) / "warehouse.duckdb")
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def s4_group(prefix: str, upheld: float, corrected: float, other: float, pending: float, total: float) -> list[Fact]:
    parts = {"upheld": upheld, "corrected": corrected, "other": other, "pending": pending, "total": total}
    return [fact(f"s4.{prefix}_{name}", value, page=4) for name, value in parts.items()]
