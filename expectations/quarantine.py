"""The quarantine: rows that broke a critical expectation, with the reason, the raw snippet and the source.

Nothing is removed from documents/facts/checks: the lake stays the record of what
was read. The quarantine says which of those rows must not be trusted and why.
It is a lake table like the others (DIR/lake/quarantine/report_year-YYYY-part-*.parquet,
written atomically) exposed as the `quarantine` view. Recording the same findings
again writes nothing, so re-validating the same documents changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa

from govreports.load.lake import atomic_write, read_table, table_dir, year_file_name

TABLE = "quarantine"
QUARANTINE_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("report_year", pa.int32()),
        ("table_name", pa.string()),  # documents | facts | checks
        ("key", pa.string()),  # fact key, or identity[scope] for checks, null for documents
        ("rule", pa.string()),  # expectation meta rule (expectations/suites.py)
        ("expectation", pa.string()),  # GX expectation type
        ("reason", pa.string()),
        ("value", pa.float64()),
        ("raw_text", pa.string()),
        ("raw_label", pa.string()),
        ("page", pa.int32()),
        ("source", pa.string()),
        ("file_name", pa.string()),
        ("validated_at", pa.timestamp("us", tz="UTC")),
    ]
)
# a finding is the same finding when these agree (validated_at differs between runs)
IDENTITY_COLUMNS = ("doc_id", "table_name", "key", "rule", "raw_text")


def _clean(value):
    """pandas NA/NaN -> None, numpy scalars -> Python."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _year(value) -> int | None:
    value = _clean(value)
    return None if value is None else int(value)


def _documents_by_id(frames: dict[str, pd.DataFrame]) -> dict[str, dict]:
    docs = frames.get("documents")
    if docs is None or docs.empty:
        return {}
    return {r["doc_id"]: r for r in docs.to_dict("records")}


def _matching_rows(frame: pd.DataFrame, indexes: list[dict], columns: list[str]) -> list[dict]:
    """The frame's rows whose index columns equal one of the failure's unexpected index values."""
    if not indexes:
        return []
    wanted = pd.DataFrame([{c: _clean(i.get(c)) for c in columns} for i in indexes]).drop_duplicates()
    wanted = wanted.astype({c: frame[c].dtype for c in columns}, errors="ignore")
    # pandas merges null keys with null keys, so a row without doc_id still finds itself
    return frame.merge(wanted, on=columns, how="inner").to_dict("records")


def _document_row(failure, doc: dict, now: dt.datetime) -> dict:
    detail = " ".join(str(x) for x in (doc.get("status"), _clean(doc.get("error"))) if x)
    return {
        "doc_id": doc.get("doc_id"),
        "report_year": _year(doc.get("report_year")),
        "table_name": "documents",
        "key": None,
        "rule": failure.rule,
        "expectation": failure.expectation,
        "reason": f"{failure.reason} ({detail})" if detail else failure.reason,
        "value": None,
        "raw_text": _clean(doc.get("title")),
        "raw_label": None,
        "page": None,
        "source": _clean(doc.get("source")),
        "file_name": _clean(doc.get("file_name")),
        "validated_at": now,
    }


def _fact_row(failure, fact: dict, doc: dict, now: dt.datetime) -> dict:
    value = _clean(fact.get("value"))
    return {
        "doc_id": fact.get("doc_id"),
        "report_year": _year(fact.get("report_year")),
        "table_name": "facts",
        "key": _clean(fact.get("key")),
        "rule": failure.rule,
        "expectation": failure.expectation,
        "reason": failure.reason if value is None else f"{failure.reason} (value {value:g})",
        "value": value,
        "raw_text": _clean(fact.get("raw_text")),
        "raw_label": _clean(fact.get("raw_label")),
        "page": _year(fact.get("page")),
        "source": _clean(doc.get("source")),
        "file_name": _clean(doc.get("file_name")),
        "validated_at": now,
    }


def _check_row(failure, check: dict, doc: dict, now: dt.datetime) -> dict:
    return {
        "doc_id": check.get("doc_id"),
        "report_year": _year(check.get("report_year")),
        "table_name": "checks",
        "key": f"{_clean(check.get('identity'))}[{_clean(check.get('scope')) or ''}]",
        "rule": failure.rule,
        "expectation": failure.expectation,
        "reason": failure.reason,
        "value": _clean(check.get("residual")),
        "raw_text": _clean(check.get("detail")),
        "raw_label": _clean(check.get("keys")),
        "page": None,
        "source": _clean(doc.get("source")),
        "file_name": _clean(doc.get("file_name")),
        "validated_at": now,
    }


def rows_from_failures(failures: list, frames: dict[str, pd.DataFrame]) -> list[dict]:
    """Quarantine rows for the critical failures of documents, facts and checks (one per offending row)."""
    from govreports.expectations.suites import CRITICAL, row_keys

    now = dt.datetime.now(dt.UTC)
    docs = _documents_by_id(frames)
    rows: list[dict] = []
    for failure in failures:
        if failure.severity != CRITICAL or failure.suite not in ("documents", "facts", "checks"):
            continue
        for match in _matching_rows(frames[failure.suite], failure.rows, row_keys(failure.suite)):
            doc = docs.get(match.get("doc_id"), {})
            if failure.suite == "documents":
                rows.append(_document_row(failure, match, now))
            elif failure.suite == "facts":
                rows.append(_fact_row(failure, match, doc, now))
            else:
                rows.append(_check_row(failure, match, doc, now))
    return _unique(rows)


def _identity(row: dict) -> tuple:
    return tuple(row.get(c) for c in IDENTITY_COLUMNS)


def _unique(rows: list[dict]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for row in rows:
        seen.setdefault(_identity(row), row)
    return list(seen.values())


def read_quarantine(out_dir: Path) -> pa.Table:
    return read_table(out_dir, TABLE, QUARANTINE_SCHEMA)


def _recorded(out_dir: Path) -> set[tuple]:
    table = read_quarantine(out_dir)
    if table.num_rows == 0:
        return set()
    cols = [table.column(c).to_pylist() for c in IDENTITY_COLUMNS]
    return set(zip(*cols, strict=True))


def write_rows(out_dir: Path, rows: list[dict]) -> int:
    """Append the rows not recorded yet; return how many were written."""
    known = _recorded(out_dir)
    fresh = [r for r in _unique(rows) if _identity(r) not in known]
    if not fresh:
        return 0
    digest = hashlib.sha256(repr(sorted(map(_identity, fresh), key=repr)).encode()).hexdigest()[:16]
    by_year: dict[int | None, list[dict]] = {}
    for row in fresh:
        by_year.setdefault(row["report_year"], []).append(row)
    for year, part in by_year.items():
        data = pa.Table.from_pylist(part, schema=QUARANTINE_SCHEMA)
        atomic_write(data, table_dir(out_dir, TABLE) / year_file_name(year, f"part-{digest}"))
    return len(fresh)


def view_sql(out_dir: Path) -> str:
    """SELECT for the `quarantine` view: the lake files, or a typed empty relation when there are none."""
    from govreports.load.warehouse import lake_view_sql

    return lake_view_sql(out_dir, TABLE, QUARANTINE_SCHEMA)


def refresh_view(out_dir: Path) -> None:
    from govreports.load.sqltext import paths_relative_to
    from govreports.load.warehouse import connect, stamp_warehouse, warehouse_path

    if not warehouse_path(out_dir).exists():
        return
    con = connect(out_dir, read_only=False)
    try:
        with paths_relative_to(out_dir):
            con.execute(f"CREATE OR REPLACE VIEW {TABLE} AS {view_sql(out_dir)}")
    finally:
        con.close()
    stamp_warehouse(out_dir)  # the file changed in place, still current


def record(out_dir: Path, rows: list[dict]) -> int:
    """Write the new findings and point the warehouse's quarantine view at them."""
    written = write_rows(Path(out_dir), rows)
    refresh_view(Path(out_dir))
    return written


def count_for(out_dir: Path, doc_ids: list[str]) -> int:
    """Quarantine rows of these documents (for a run summary)."""
    table = read_quarantine(Path(out_dir))
    wanted = set(doc_ids)
    return sum(1 for d in table.column("doc_id").to_pylist() if d in wanted)
