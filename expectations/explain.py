"""`govreports explain DOC_ID`: why one document's numbers are doubtful, cell by cell.

Reads DIR/warehouse.duckdb only (no Great Expectations import, so it starts fast).
A doc_id prefix is enough when it names one document.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import typer

from govreports.data import default_out
from govreports.expectations.frames import template_year_deviation
from govreports.transform.model import vocabulary

DEFAULT_OUT = default_out()
DOUBTFUL_FLAGS = tuple(t.value for t in vocabulary() if t.column == "flags" and t.doubtful)
CELL_COLUMNS = "key, value, raw_text, raw_label, page, flags, reason, method"


class ExplainError(ValueError):
    """The warehouse is missing or the doc_id names no (or several) documents."""


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:g}"
    return str(value)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [name]).fetchone()[0])


def find_document(con: duckdb.DuckDBPyConnection, prefix: str) -> dict:
    prefix = prefix.strip().lower()
    if not prefix:
        raise ExplainError("give a doc_id (or a prefix of one)")
    docs = _rows(con, "SELECT * FROM documents WHERE starts_with(doc_id, ?) ORDER BY doc_id LIMIT 11", [prefix])
    if not docs:
        raise ExplainError(f"no document with doc_id starting {prefix!r}")
    if len(docs) > 1:
        listed = "\n".join(f"  {d['doc_id']}  {d['source']}" for d in docs[:10])
        raise ExplainError(f"{prefix!r} matches several documents; give more of the doc_id:\n{listed}")
    return docs[0]


def _cell_line(cell: dict) -> str:
    parts = [
        f"{cell['key']} = {_fmt(cell['value'])}",
        f"raw {cell['raw_text']!r}" if cell.get("raw_text") is not None else "raw —",
        f"label {cell['raw_label']!r}" if cell.get("raw_label") else None,
        f"page {cell['page']}" if cell.get("page") is not None else None,
        f"flags {cell['flags']}" if cell.get("flags") else None,
        f"reason: {cell['reason']}" if cell.get("reason") else None,
    ]
    return "      " + " | ".join(p for p in parts if p)


def _document_lines(doc: dict, choice: dict | None) -> list[str]:
    lines = [
        f"document  {doc['doc_id']}",
        f"source    {doc['source']}",
        f"file      {doc['file_name']} ({doc['format']}, {_fmt(doc['size_bytes'])} bytes)",
        f"type      {_fmt(doc['doc_type'])}   template {_fmt(doc['template'])}"
        f"   report_year {_fmt(doc['report_year'])}",
        f"agency    {_fmt(doc['agency'])}   published {_fmt(doc['published_date'])}",
        f"status    {doc['status']}" + (f"   error: {doc['error']}" if doc.get("error") else ""),
        f"facts     {_fmt(doc['n_facts'])}",
    ]
    deviation = template_year_deviation(doc.get("template"), doc.get("report_year"))
    if deviation:
        lines.append(f"note      template/year deviation: {deviation}")
    if choice:
        role = "primary copy" if choice["is_primary"] else "secondary copy"
        lines.append(f"choice    {role}: {choice['reason']}")
    return lines


def _check_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    checks = _rows(
        con,
        "SELECT * FROM checks WHERE doc_id = ? ORDER BY passed NULLS LAST, level, identity, scope",
        [doc_id],
    )
    failing = [c for c in checks if c["passed"] is False]
    unknown = [c for c in checks if c["passed"] is None]
    lines = [f"\nchecks: {len(checks)} evaluated, {len(failing)} failing, {len(unknown)} not evaluable"]
    for c in failing:
        lines.append(
            f"  FAIL {c['identity']} [{c['level']}] scope {c['scope'] or '—'}: "
            f"lhs {_fmt(c['lhs'])} rhs {_fmt(c['rhs'])} residual {_fmt(c['residual'])}"
        )
        if c.get("detail"):
            lines.append(f"    {c['detail']}")
        keys = [k for k in (c.get("keys") or "").split(",") if k]
        cells = _rows(
            con,
            # in the check's own order: the total(s) first, then the parts
            f"SELECT {CELL_COLUMNS} FROM facts WHERE doc_id = ? AND list_contains(?, key) "
            "ORDER BY list_position(?, key)",
            [doc_id, keys, keys],
        )
        found = {cell["key"] for cell in cells}
        lines += [_cell_line(cell) for cell in cells]
        lines += [f"      {k}: not in the document" for k in keys if k not in found]
    for c in unknown:
        lines.append(f"  n/a  {c['identity']} [{c['level']}] scope {c['scope'] or '—'}: {c.get('detail') or ''}")
    return lines


def _doubtful_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    flag_test = " OR ".join(f"list_contains(string_split(coalesce(flags, ''), ','), '{f}')" for f in DOUBTFUL_FLAGS)
    cells = _rows(
        con,
        f"SELECT {CELL_COLUMNS} FROM facts WHERE doc_id = ? AND (value IS NULL OR {flag_test}) ORDER BY key",
        [doc_id],
    )
    if not cells:
        return []
    return [f"\ndoubtful cells: {len(cells)} (null, ambiguous, unreadable or resolved by rule)"] + [
        _cell_line(cell) for cell in cells
    ]


def _quarantine_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    if not _has_view(con, "quarantine"):
        return []
    rows = _rows(con, "SELECT * FROM quarantine WHERE doc_id = ? ORDER BY table_name, key, rule", [doc_id])
    lines = [f"\nquarantine: {len(rows)} row(s)"]
    for q in rows:
        where = f"{q['table_name']} {q['key']}" if q.get("key") else q["table_name"]
        extra = [
            f"raw {q['raw_text']!r}" if q.get("raw_text") is not None else None,
            f"page {q['page']}" if q.get("page") is not None else None,
        ]
        lines.append(f"  {q['rule']} on {where}: {q['reason']}" + "".join(f" | {e}" for e in extra if e))
    return lines


def _cross_doc_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    lines = ["\ncross-document:"]
    if _has_view(con, "x_carry_over"):
        rows = _rows(
            con,
            "SELECT * FROM x_carry_over WHERE ? IN (doc_id, prev_doc_id) ORDER BY report_year, scope",
            [doc_id],
        )
        bad = [r for r in rows if r["passed"] is False]
        lines.append(f"  X_CARRY_OVER: {len(rows)} column(s) compared with the neighbouring year, {len(bad)} failing")
        for r in bad:
            other = r["prev_doc_id"] if r["doc_id"] == doc_id else r["doc_id"]
            lines.append(
                f"    FAIL scope {r['scope']}: {r['detail']} (residual {_fmt(r['residual'])}; other {other[:12]})"
            )
    if _has_view(con, "duplicates"):
        dups = _rows(
            con,
            "SELECT * FROM duplicates WHERE (agency_key, report_year) IN "
            "(SELECT (agency_key, report_year) FROM duplicates WHERE doc_id = ?) ORDER BY is_primary DESC, doc_id",
            [doc_id],
        )
        for d in dups:
            mark = "primary" if d["is_primary"] else "copy"
            lines.append(f"  duplicate ({mark}) {d['doc_id'][:12]} {d['format']} {d['source']}: {d['reason']}")
    if _has_view(con, "report_deadlines"):
        for r in _rows(con, "SELECT * FROM report_deadlines WHERE doc_id = ?", [doc_id]):
            if r["published_date"] is None:
                lines.append(f"  deadline {r['deadline']} ({r['agency_kind']}): no published date, not evaluable")
            elif r["days_late"] > 0:
                lines.append(
                    f"  LATE by {r['days_late']} days: published {r['published_date']}, deadline {r['deadline']} "
                    f"({r['agency_kind']}; {r['basis']})"
                )
            else:
                lines.append(
                    f"  on time: published {r['published_date']}, deadline {r['deadline']} ({r['agency_kind']})"
                )
    return lines


def _plausibility_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    """Flags of data/reference/plausibility.csv on this report or its pair (values unchanged)."""
    if not _has_view(con, "plausibility"):
        return []
    rows = _rows(
        con,
        "SELECT * FROM plausibility WHERE ? IN (doc_id, doc_id_prev) ORDER BY year, rule, measure NULLS FIRST",
        [doc_id],
    )
    lines = [f"\nplausibility: {len(rows)} flag(s) (findings about the source; no value was changed)"]
    for r in rows:
        what = f" {r['key']}" if r.get("key") else ""
        lines.append(f"  {r['rule']} [{r['severity']}]{what}: {r['detail']}")
    return lines


def _correction_lines(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[str]:
    """Analysts' corrections (method manual) with the machine value they replace."""
    if not _has_view(con, "corrections"):
        return []
    rows = _rows(con, "SELECT * FROM corrections WHERE doc_id = ? ORDER BY key", [doc_id])
    if not rows:
        return []
    lines = ["", f"corrections ({len(rows)}, method manual)"]
    for r in rows:
        lines.append(
            f"  {r['key']} = {_fmt(r['value'])} (machine: {_fmt(r['machine_value'])}) "
            f"{r['reason']} [{r['author']} {r['date']}, line {r['line']}]"
        )
    return lines


def explain_text(out_dir: Path, doc_prefix: str) -> str:
    """Everything known about why one document's numbers may be wrong, as plain text."""
    from govreports.load.warehouse import open_database, warehouse_path

    path = warehouse_path(Path(out_dir))
    if not path.exists():
        raise ExplainError(f"no warehouse at {path}; run `govreports ingest ... --out {out_dir}` first")
    con = open_database(path)
    try:
        doc = find_document(con, doc_prefix)
        doc_id = doc["doc_id"]
        choice = None
        if _has_view(con, "document_choice"):
            found = _rows(con, "SELECT * FROM document_choice WHERE doc_id = ?", [doc_id])
            choice = found[0] if found else None
        lines = _document_lines(doc, choice)
        lines += _check_lines(con, doc_id)
        lines += _doubtful_lines(con, doc_id)
        lines += _quarantine_lines(con, doc_id)
        lines += _cross_doc_lines(con, doc_id)
        lines += _plausibility_lines(con, doc_id)
        lines += _correction_lines(con, doc_id)
    finally:
        con.close()
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command(name="explain")
    def explain(
        doc_id: str = typer.Argument(..., help="A doc_id, or a prefix naming one document."),
        out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output folder holding warehouse.duckdb."),
    ) -> None:
        """Explain one document: source, template, failing checks and their cells, quarantine, cross-doc findings."""
        try:
            typer.echo(explain_text(out, doc_id))
        except ExplainError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
