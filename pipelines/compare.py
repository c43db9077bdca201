"""`govreports compare AGENCY`: two annual reports of one agency side by side, section by section.

    govreports compare 洪泽区人民政府                       # the agency's two latest reports, markdown
    govreports compare 洪泽区人民政府 --years 2020 2021 --format html --to hz.html

Every key of either report is a line: both values, the change, how comparable the two are (the
`yoy` view's `comparison`: same_template, or across a template change the spec's relation), the
plausibility flags of the pair, and where each value was read (page, table, row, column, raw
text). A key that only one report prints is listed and not compared. The HTML form is one file
with inline CSS and an inline SVG chart of the agency's main totals over all its years: no
script, no network, Chinese labels in a CJK font stack.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import duckdb
import typer

from govreports.data import default_out
from govreports.load.dictionary import SECTION_TITLES, TEMPLATE_LABEL_COLUMNS, data_dictionary
from govreports.load.warehouse import open_database, warehouse_path

DEFAULT_OUT = default_out()
FORMATS = ("md", "html", "csv")
NOT_COMPARED = "not_compared"
# The chart's series: reports view column -> label. Pre-2019 values are approximate counterparts.
CHART_TOTALS = {
    "applications_received": "本年新收申请",
    "applications_closed": "办结总计",
    "granted": "予以公开",
    "reviews": "行政复议",
    "lawsuits": "行政诉讼",
}
CHART_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
CSV_COLUMNS = (
    "section",
    "measure",
    "label",
    "key_a",
    "key_b",
    "value_a",
    "value_b",
    "change",
    "relative_change",
    "comparison",
    "flags",
    "source_a",
    "source_b",
)

LINES_SQL = """
WITH side AS (
    SELECT s.doc_id, s.template, s.measure, s.key, s.value, s.relation, f.page, f.table_index, f.row_index,
           f.col_index, f.raw_text, f.flags
    FROM series s JOIN facts f ON f.doc_id = s.doc_id AND f.key = s.key
), a AS (SELECT * FROM side WHERE doc_id = $a), b AS (SELECT * FROM side WHERE doc_id = $b)
SELECT coalesce(b.measure, a.measure) AS measure, a.key AS key_a, b.key AS key_b, a.value AS value_a,
       b.value AS value_b,
       CASE
           WHEN a.key IS NULL OR b.key IS NULL THEN 'not_compared'
           WHEN a.template IS NOT DISTINCT FROM b.template THEN 'same_template'
           WHEN a.key <> b.key THEN 'approximate'  -- a pre-2019 row against its counterpart (as in `yoy`)
           ELSE b.relation
       END AS comparison,
       a.page AS page_a, a.table_index AS table_a, a.row_index AS row_a, a.col_index AS col_a,
       a.raw_text AS raw_a, a.flags AS cell_flags_a,
       b.page AS page_b, b.table_index AS table_b, b.row_index AS row_b, b.col_index AS col_b,
       b.raw_text AS raw_b, b.flags AS cell_flags_b
FROM a FULL OUTER JOIN b USING (measure)
"""


class CompareError(ValueError):
    """No warehouse, an agency that names no (or several) bodies, or a year without a report."""


@dataclass(frozen=True)
class Report:
    year: int
    doc_id: str
    agency: str
    template: str | None
    file_name: str
    source: str


@dataclass
class Line:
    section: str
    measure: str
    label: str
    key_a: str | None
    key_b: str | None
    value_a: float | None
    value_b: float | None
    comparison: str
    flags: list[str]
    source_a: str
    source_b: str

    @property
    def change(self) -> float | None:
        if self.comparison == NOT_COMPARED or self.value_a is None or self.value_b is None:
            return None
        return self.value_b - self.value_a

    @property
    def relative_change(self) -> float | None:
        change = self.change
        return None if change is None or not self.value_a else change / self.value_a


@dataclass
class Comparison:
    agency_key: str
    a: Report
    b: Report
    lines: list[Line]
    history: list[dict]  # one dict per primary report year: report_year, template, CHART_TOTALS columns
    notes: list[str] = field(default_factory=list)  # flags about the pair as a whole (a missing year …)


# ---- reading ---------------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def resolve_agency(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The agency_key a name means: an exact agency or agency_key, else the one body whose name contains it."""
    sql = "SELECT DISTINCT agency_key FROM reports WHERE is_primary AND agency_key IS NOT NULL AND ({}) ORDER BY 1"
    exact = [r[0] for r in con.execute(sql.format("agency = $n OR agency_key = $n"), {"n": name}).fetchall()]
    found = exact or [r[0] for r in con.execute(sql.format("contains(agency, $n)"), {"n": name}).fetchall()]
    if not found:
        raise CompareError(f"no annual report of an agency named {name!r}")
    if len(found) > 1:
        raise CompareError(f"{name!r} names several agencies; give one of: {', '.join(found[:10])}")
    return found[0]


def agency_reports(con: duckdb.DuckDBPyConnection, agency_key: str) -> dict[int, Report]:
    rows = _rows(
        con,
        "SELECT report_year, doc_id, agency, template, file_name, source FROM reports "
        "WHERE is_primary AND agency_key = $k AND report_year IS NOT NULL ORDER BY report_year",
        {"k": agency_key},
    )
    return {r["report_year"]: Report(r["report_year"], *[r[c] for c in list(r)[1:]]) for r in rows}


def pick_years(reports: dict[int, Report], years: tuple[int, int] | None, agency_key: str) -> tuple[int, int]:
    """The two years asked for, or the agency's two latest reports."""
    available = sorted(reports)
    if years is None:
        if len(available) < 2:
            raise CompareError(f"{agency_key} has {len(available)} report(s) ({available}); nothing to compare")
        return available[-2], available[-1]
    missing = [y for y in years if y not in reports]
    if missing:
        raise CompareError(f"{agency_key} has no report for {missing}; its reports: {available}")
    first, second = sorted(years)
    return first, second


def cell_source(page, table, row, col, raw, flags) -> str:
    """Where a value was read: 'p.2 t0 r5 c3 raw "12"' (and its cell flags)."""
    parts = [
        f"p.{page}" if page is not None else None,
        f"t{table}" if table is not None else None,
        f"r{row}" if row is not None else None,
        f"c{col}" if col is not None else None,
        f'raw "{raw}"' if raw is not None else None,
        f"[{flags}]" if flags else None,
    ]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class _Labels:
    order: dict[str, int]
    section: dict[str, str]
    label: dict[tuple[str, str], str]  # (key, template) -> printed label

    def of(self, key: str, template: str | None) -> str:
        column = TEMPLATE_LABEL_COLUMNS.get(template or "", "")
        return self.label.get((key, column)) or next(
            (self.label[(key, c)] for c in TEMPLATE_LABEL_COLUMNS.values() if self.label.get((key, c))), ""
        )


def _labels() -> _Labels:
    frame = data_dictionary()
    records = frame.to_dict("records")
    return _Labels(
        order={r["key"]: i for i, r in enumerate(records)},
        section={r["key"]: r["section"] for r in records},
        label={(r["key"], c): r[c] for r in records for c in TEMPLATE_LABEL_COLUMNS.values()},
    )


def _pair_flags(con: duckdb.DuckDBPyConnection, a: Report, b: Report) -> tuple[dict[str, list[str]], list[str]]:
    """Plausibility flags of the pair: per key, and those about the pair as a whole."""
    rows = _rows(
        con,
        "SELECT rule, key, detail FROM plausibility WHERE doc_id_prev = $a AND (doc_id = $b OR doc_id IS NULL) "
        "ORDER BY rule, key",
        {"a": a.doc_id, "b": b.doc_id},
    )
    per_key: dict[str, list[str]] = {}
    notes = []
    for r in rows:
        if r["key"]:
            per_key.setdefault(r["key"], []).append(r["rule"])
        else:
            notes.append(f"{r['rule']}: {r['detail']}")
    return per_key, notes


def _history(con: duckdb.DuckDBPyConnection, agency_key: str) -> list[dict]:
    columns = ", ".join(CHART_TOTALS)
    return _rows(
        con,
        f"SELECT report_year, template, {columns} FROM reports "
        "WHERE is_primary AND agency_key = $k AND report_year IS NOT NULL ORDER BY report_year",
        {"k": agency_key},
    )


def compare(out_dir: Path, agency: str, years: tuple[int, int] | None = None) -> Comparison:
    path = warehouse_path(Path(out_dir))
    if not path.exists():
        raise CompareError(f"no warehouse at {path}; run `govreports ingest ... --out {out_dir}` first")
    con = open_database(path)
    try:
        agency_key = resolve_agency(con, agency)
        reports = agency_reports(con, agency_key)
        year_a, year_b = pick_years(reports, years, agency_key)
        a, b = reports[year_a], reports[year_b]
        flags, notes = _pair_flags(con, a, b)
        raw = _rows(con, LINES_SQL, {"a": a.doc_id, "b": b.doc_id})
        history = _history(con, agency_key)
    finally:
        con.close()
    labels = _labels()
    lines = [_line(r, labels, a, b, flags) for r in raw]
    lines.sort(key=lambda ln: (labels.order.get(ln.key_b or ln.key_a, len(labels.order)), ln.measure))
    if year_b - year_a != 1:
        notes.insert(0, f"{year_a} and {year_b} are not consecutive: plausibility rules compare consecutive years")
    return Comparison(agency_key, a, b, lines, history, notes)


def _line(r: dict, labels: _Labels, a: Report, b: Report, flags: dict[str, list[str]]) -> Line:
    key = r["key_b"] or r["key_a"]
    template = b.template if r["key_b"] else a.template
    return Line(
        section=labels.section.get(r["measure"], r["measure"].split(".")[0]),
        measure=r["measure"],
        label=labels.of(key, template),
        key_a=r["key_a"],
        key_b=r["key_b"],
        value_a=r["value_a"],
        value_b=r["value_b"],
        comparison=r["comparison"],
        flags=flags.get(r["key_b"], []) if r["key_b"] else [],
        source_a=cell_source(*(r[f"{c}_a"] for c in ("page", "table", "row", "col", "raw", "cell_flags")))
        if r["key_a"]
        else "",
        source_b=cell_source(*(r[f"{c}_b"] for c in ("page", "table", "row", "col", "raw", "cell_flags")))
        if r["key_b"]
        else "",
    )


# ---- rendering -------------------------------------------------------------------------------------


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def signed(value: float | None) -> str:
    if value is None:
        return ""
    return "0" if value == 0 else f"{value:+g}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.1%}"


def _key_text(line: Line) -> str:
    if line.key_a and line.key_b and line.key_a != line.key_b:
        return f"{line.key_a} → {line.key_b}"
    return line.key_b or line.key_a or line.measure


def sections(c: Comparison) -> list[tuple[str, list[Line]]]:
    out: dict[str, list[Line]] = {}
    for line in c.lines:
        out.setdefault(line.section, []).append(line)
    order = list(SECTION_TITLES)
    return sorted(out.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def _template_note(c: Comparison) -> str | None:
    if c.a.template == c.b.template:
        return None
    return (
        f"template change {c.a.template} → {c.b.template}: values line up through the spec's version mapping; "
        "`comparison` says how comparable each pair is (approximate values are not the same measure)"
    )


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(c: Comparison) -> str:
    a, b = c.a, c.b
    lines = [
        f"# {c.agency_key}: {a.year} → {b.year}",
        "",
        f"| | {a.year} | {b.year} |",
        "|---|---|---|",
        f"| agency | {_md(a.agency)} | {_md(b.agency)} |",
        f"| template | {a.template or '—'} | {b.template or '—'} |",
        f"| document | {_md(a.file_name)} ({a.doc_id[:12]}) | {_md(b.file_name)} ({b.doc_id[:12]}) |",
        f"| source | {_md(a.source)} | {_md(b.source)} |",
        "",
    ]
    notes = [n for n in [_template_note(c), *c.notes] if n]
    lines += [f"- {_md(n)}" for n in notes] + ([""] if notes else [])
    header = (
        f"| key | 项目 | {a.year} | {b.year} | change | % | comparison | flags | {a.year} source | {b.year} source |"
    )
    for section, part in sections(c):
        lines += [f"## {SECTION_TITLES.get(section, section)}", "", header, "|---" * 10 + "|"]
        for ln in part:
            cells = [
                f"`{_key_text(ln)}`",
                ln.label,
                number(ln.value_a) if ln.key_a else "",
                number(ln.value_b) if ln.key_b else "",
                signed(ln.change),
                percent(ln.relative_change),
                ln.comparison,
                ", ".join(ln.flags),
                ln.source_a,
                ln.source_b,
            ]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def render_csv(c: Comparison) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ln in c.lines:
        writer.writerow(
            [
                ln.section,
                ln.measure,
                ln.label,
                ln.key_a or "",
                ln.key_b or "",
                "" if ln.value_a is None else f"{ln.value_a:g}",
                "" if ln.value_b is None else f"{ln.value_b:g}",
                "" if ln.change is None else f"{ln.change:g}",
                "" if ln.relative_change is None else repr(ln.relative_change),
                ln.comparison,
                ",".join(ln.flags),
                ln.source_a,
                ln.source_b,
            ]
        )
    return buf.getvalue()


def chart_svg(history: list[dict], width: int = 640, height: int = 260, series: dict[str, str] | None = None) -> str:
    """An inline SVG line chart of `series` (column -> label; default CHART_TOTALS) over the years
    (pre-2019 points hollow: approximate)."""
    series = series or CHART_TOTALS
    years = [h["report_year"] for h in history]
    values = [h[col] for h in history for col in series if h[col] is not None]
    if not years or not values:
        return "<p>no totals to chart</p>"
    left, right, top, bottom = 48, 130, 16, 32
    top_value = max(values) or 1
    span = max(years) - min(years) or 1

    def x(year: int) -> float:
        return left + (year - min(years)) / span * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - value / top_value) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="历年主要数据">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{y(top_value) + 4:.1f}" text-anchor="end" font-size="11">{top_value:g}</text>',
        f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="11">0</text>',
    ]
    parts += [
        f'<text x="{x(yr):.1f}" y="{height - 10}" text-anchor="middle" font-size="11">{yr}</text>' for yr in years
    ]
    for i, (col, label) in enumerate(series.items()):
        colour = CHART_COLOURS[i % len(CHART_COLOURS)]
        points = [(h["report_year"], h[col], h["template"]) for h in history if h[col] is not None]
        if len(points) > 1:
            path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for yr, v, template in points:
            fill = "white" if template == "legacy_stats" else colour
            parts.append(
                f'<circle cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="{fill}" stroke="{colour}">'
                f"<title>{escape(label)} {yr}: {v:g}</title></circle>"
            )
        ly = top + 14 * i + 6
        parts.append(f'<rect x="{width - right + 10}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 24}" y="{ly + 1}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


STYLE = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
       "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }
th { background: #f3f3f3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.src { color: #666; font-size: 11px; }
tr.flagged td { background: #fff3cd; }
code { font-size: 12px; }
.note { color: #8a5a00; }
"""


def _value_cell(value: float | None, present: bool, source: str) -> str:
    if not present:
        return '<td class="n"></td>'
    return f'<td class="n" title="{escape(source)}">{escape(number(value))}</td>'


def render_html(c: Comparison) -> str:
    a, b = c.a, c.b
    title = f"{c.agency_key} · {a.year} → {b.year} 政府信息公开工作年度报告对比"
    body = [
        f"<h1>{escape(title)}</h1>",
        "<table><tr><th></th>"
        f"<th>{a.year}</th><th>{b.year}</th></tr>"
        f"<tr><th>机关 agency</th><td>{escape(a.agency)}</td><td>{escape(b.agency)}</td></tr>"
        f"<tr><th>格式 template</th><td>{escape(a.template or '—')}</td><td>{escape(b.template or '—')}</td></tr>"
        f"<tr><th>文件 document</th><td>{escape(a.file_name)} <code>{a.doc_id[:12]}</code></td>"
        f"<td>{escape(b.file_name)} <code>{b.doc_id[:12]}</code></td></tr>"
        f"<tr><th>来源 source</th><td>{escape(a.source)}</td><td>{escape(b.source)}</td></tr></table>",
        "<h2>历年主要数据 main totals over all years</h2>",
        chart_svg(c.history),
        '<p class="note">空心点为2019年以前的统计表数据，仅为近似可比 (hollow points: pre-2019 table, approximate).</p>'
        if any(h["template"] == "legacy_stats" for h in c.history)
        else "",
    ]
    notes = [n for n in [_template_note(c), *c.notes] if n]
    body += [f'<p class="note">{escape(n)}</p>' for n in notes]
    head = (
        f"<tr><th>key</th><th>项目</th><th>{a.year}</th><th>{b.year}</th><th>变化 change</th><th>%</th>"
        f"<th>可比性 comparison</th><th>flags</th><th>{a.year} 出处</th><th>{b.year} 出处</th></tr>"
    )
    for section, part in sections(c):
        body += [f"<h2>{escape(SECTION_TITLES.get(section, section))}</h2>", "<table>", head]
        for ln in part:
            row_class = ' class="flagged"' if ln.flags else ""
            body.append(
                f"<tr{row_class}><td><code>{escape(_key_text(ln))}</code></td><td>{escape(ln.label)}</td>"
                f"{_value_cell(ln.value_a, bool(ln.key_a), ln.source_a)}"
                f"{_value_cell(ln.value_b, bool(ln.key_b), ln.source_b)}"
                f'<td class="n">{escape(signed(ln.change))}</td>'
                f'<td class="n">{escape(percent(ln.relative_change))}</td>'
                f"<td>{escape(ln.comparison)}</td><td>{escape(', '.join(ln.flags))}</td>"
                f'<td class="src">{escape(ln.source_a)}</td><td class="src">{escape(ln.source_b)}</td></tr>'
            )
        body.append("</table>")
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(p for p in body if p)
        + "\n</body>\n</html>\n"
    )


RENDERERS = {"md": render_markdown, "html": render_html, "csv": render_csv}


def register(app: typer.Typer) -> None:
    @app.command(name="compare")
    def compare_command(
        agency: str = typer.Argument(..., help="Agency name (as printed, its agency_key, or a unique part)."),
        years: tuple[int, int] = typer.Option(None, "--years", help="Two report years (default: the latest two)."),
        format_: str = typer.Option("md", "--format", help="md, html or csv."),
        out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output folder holding warehouse.duckdb."),
        to: Path = typer.Option(None, "--to", help="Write to this file instead of printing."),
    ) -> None:
        """Two reports of one agency side by side: values, change, comparability, flags and where each was read."""
        if format_ not in RENDERERS:
            typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
            raise typer.Exit(2)
        try:
            text = RENDERERS[format_](compare(out, agency, tuple(years) if years else None))
        except CompareError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if to is None:
            typer.echo(text, nl=False)
            return
        data = text.encode("utf-8")
        to.write_bytes(b"\xef\xbb\xbf" + data if format_ == "csv" else data)  # BOM: Excel shows the Chinese
        typer.echo(f"wrote {to}")
