"""Agency profile pages of a release: `pages/index.html` and `pages/agency/<name>.html`.

Static HTML a journalist opens in any browser without Python or a network: per agency the
history of a few headline measures as an inline SVG chart and a table, the latest report's key
numbers, its failing identities and its plausibility flags, each with the document and the
`govreports explain` command that tells more. The index lists every agency with its years; a
small inline script filters it by name, and without JavaScript the whole list is still there.

Bounded work: one ordered query per table (reports, checks, plausibility) for all agencies,
read in batches and merged by agency_key, one page written at a time. Which measures are shown
and their labels are data (data/reference/page_measures.csv). Everything that comes from a
document is HTML-escaped.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote

import duckdb

from govreports.data import REFERENCE_DIR
from govreports.load.warehouse import open_database
from govreports.pipelines.compare import STYLE, chart_svg, number

PAGES_DIR = "pages"
AGENCY_DIR = "agency"
BATCH = 2000  # rows fetched at a time from each query
DOC_PREFIX = 12  # characters of a doc_id in the `govreports explain` hint (as `compare` prints)
NAME_CHARS = 60  # characters of the agency key kept in its file name
UNSAFE = re.compile(r"[^\w\-]+")  # \w is Unicode: CJK stays readable in the file name


@dataclass(frozen=True)
class Measure:
    column: str
    label_zh: str
    label_en: str
    unit: str
    chart: bool


def page_measures() -> list[Measure]:
    with (REFERENCE_DIR / "page_measures.csv").open(encoding="utf-8", newline="") as fh:
        return [
            Measure(r["column"], r["label_zh"], r["label_en"], r["unit"], r["chart"] == "yes")
            for r in csv.DictReader(fh)
        ]


def page_file_name(agency_key: str) -> str:
    """A file name any file system takes: the key's letters (CJK kept, the rest '_'), cut to
    NAME_CHARS, plus a hash of the exact key so that two keys never share a file."""
    readable = UNSAFE.sub("_", agency_key).strip("_")[:NAME_CHARS] or "agency"
    digest = hashlib.sha256(agency_key.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{digest}.html"


# ---- reading: one query per table, ordered by agency_key ------------------------------------------


def reports_sql(measures: list[Measure]) -> str:
    columns = ", ".join(m.column for m in measures)
    return (
        "SELECT agency_key, report_year, doc_id, agency, province, city, county, level, sector, template, "
        f"file_name, source, checks_failed, {columns} FROM reports "
        "WHERE is_primary AND agency_key IS NOT NULL AND report_year IS NOT NULL "
        "ORDER BY agency_key, report_year, doc_id"
    )


CHECKS_SQL = """
SELECT r.agency_key, r.report_year, r.file_name, c.doc_id, c.identity, c.level, c.lhs, c.rhs, c.residual, c.detail
FROM checks c JOIN reports r USING (doc_id)
WHERE r.is_primary AND r.agency_key IS NOT NULL AND r.report_year IS NOT NULL AND c.passed = false
ORDER BY r.agency_key, r.report_year, c.identity, c.scope
"""

FLAGS_SQL = """
SELECT p.agency_key, p.year, p.year_prev, p.rule, p.severity, p.key, p.value_prev, p.value, p.detail,
       coalesce(p.doc_id, p.doc_id_prev) AS doc_id, r.report_year AS doc_year, r.file_name
FROM plausibility p LEFT JOIN reports r ON r.doc_id = coalesce(p.doc_id, p.doc_id_prev)
WHERE p.agency_key IS NOT NULL
ORDER BY p.agency_key, p.year, p.rule, p.key
"""


def _stream(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[dict]:
    """Rows of `sql` as dicts, BATCH at a time, on a cursor of its own (several streams at once)."""
    cur = con.cursor()
    cur.execute(f'USE "{con.execute("SELECT current_database()").fetchone()[0]}"')
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    try:
        while batch := cur.fetchmany(BATCH):
            yield from (dict(zip(names, row, strict=True)) for row in batch)
    finally:
        cur.close()


def _by_agency(rows: Iterator[dict]) -> Iterator[tuple[str, list[dict]]]:
    key, group = None, []
    for row in rows:
        if row["agency_key"] != key and group:
            yield key, group
            group = []
        key = row["agency_key"]
        group.append(row)
    if group:
        yield key, group


class _Follower:
    """A second ordered stream read alongside the reports: the rows of each agency_key in turn.
    Both are ORDER BY agency_key in DuckDB (byte order of UTF-8 = Python's code-point order)."""

    def __init__(self, rows: Iterator[dict]):
        self._groups = _by_agency(rows)
        self._next = next(self._groups, None)

    def rows_of(self, agency_key: str) -> list[dict]:
        while self._next is not None and self._next[0] < agency_key:  # an agency with no report row
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != agency_key:
            return []
        rows = self._next[1]
        self._next = next(self._groups, None)
        return rows


@dataclass
class Agency:
    key: str
    reports: list[dict]  # primary reports, by year
    checks: list[dict] = field(default_factory=list)  # failing identities
    flags: list[dict] = field(default_factory=list)  # plausibility flags

    @property
    def name(self) -> str:
        return self.reports[-1]["agency"] or self.key  # the latest printed name

    @property
    def years(self) -> list[int]:
        return [r["report_year"] for r in self.reports]


def agencies(con: duckdb.DuckDBPyConnection, measures: list[Measure]) -> Iterator[Agency]:
    streams = [_stream(con, sql) for sql in (reports_sql(measures), CHECKS_SQL, FLAGS_SQL)]
    try:
        checks, flags = _Follower(streams[1]), _Follower(streams[2])
        for key, reports in _by_agency(streams[0]):
            yield Agency(key, reports, checks.rows_of(key), flags.rows_of(key))
    finally:
        for stream in streams:  # close every cursor before the connection
            stream.close()


# ---- rendering -------------------------------------------------------------------------------------

PAGE_STYLE = (
    STYLE
    + """
nav { margin-bottom: 1em; }
#q { font-size: 15px; padding: 4px 8px; width: 24em; }
ul.agencies { list-style: none; padding: 0; columns: 2 28em; }
ul.agencies li { margin: 2px 0; }
.years { color: #666; font-size: 12px; }
.muted { color: #666; }
"""
)

# Filters the list as one types; with JavaScript off the search box stays hidden and the list whole.
SEARCH_SCRIPT = """
<script>
const q = document.getElementById("q");
q.hidden = false;
q.addEventListener("input", () => {
  const term = q.value.trim();
  for (const li of document.querySelectorAll("ul.agencies li")) {
    li.hidden = term !== "" && !li.dataset.name.includes(term);
  }
});
</script>
"""


def _html(title: str, body: list[str], script: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(p for p in body if p)
        + f"\n{script}</body>\n</html>\n"
    )


def _code(text: str | None) -> str:
    return f"<code>{escape(text)}</code>" if text else ""


def _explain(doc_id: str | None) -> str:
    return f"<code>govreports explain {escape(doc_id[:DOC_PREFIX])}</code>" if doc_id else ""


def _document(year: int | None, file_name: str | None) -> str:
    return escape(" ".join(str(x) for x in (year, file_name) if x is not None))


def _place(r: dict) -> str:
    parts = [r["province"], r["city"], r["county"], r["level"], r["sector"]]
    return " · ".join(escape(p) for p in dict.fromkeys(p for p in parts if p))


def _head(*cells: str) -> str:
    return "<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>"


def _measure_head(measures: list[Measure]) -> str:
    return "".join(
        f"<th>{escape(m.label_zh)}<br><span class='muted'>{escape(m.label_en)}</span></th>" for m in measures
    )


def _history_table(a: Agency, measures: list[Measure]) -> str:
    rows = [
        f"<tr><td>{r['report_year']}</td><td>{escape(r['template'] or '—')}</td>"
        + "".join(f'<td class="n">{escape(number(r[m.column]))}</td>' for m in measures)
        + f"<td>{escape(r['file_name'] or '')}</td><td>{_explain(r['doc_id'])}</td></tr>"
        for r in a.reports
    ]
    head = f"<tr><th>年度 year</th><th>格式 template</th>{_measure_head(measures)}<th>文件 document</th><th></th></tr>"
    return "<table>" + head + "".join(rows) + "</table>"


def _latest_table(a: Agency, measures: list[Measure]) -> str:
    r = a.reports[-1]
    rows = [
        f"<tr><td>{escape(m.label_zh)}</td><td>{escape(m.label_en)}</td>"
        f'<td class="n">{escape(number(r[m.column]))}</td><td>{escape(m.unit)}</td></tr>'
        for m in measures
    ]
    return (
        f"<p>{r['report_year']} · {escape(r['file_name'] or '')} · {_explain(r['doc_id'])}</p>"
        "<table><tr><th>项目</th><th>measure</th><th>数值 value</th><th>单位</th></tr>" + "".join(rows) + "</table>"
    )


def _checks_table(a: Agency) -> str:
    if not a.checks:
        return "<p>无 none: every identity evaluated on this agency's reports holds.</p>"
    rows = [
        f"<tr><td>{_document(c['report_year'], c['file_name'])}</td><td><code>{escape(c['identity'])}</code></td>"
        f"<td>{escape(c['level'] or '')}</td><td class='n'>{escape(number(c['lhs']))}</td>"
        f"<td class='n'>{escape(number(c['rhs']))}</td><td>{escape(c['detail'] or '')}</td>"
        f"<td>{_explain(c['doc_id'])}</td></tr>"
        for c in a.checks
    ]
    head = _head("文件 document", "identity", "level", "lhs", "rhs", "detail", "")
    return "<table>" + head + "".join(rows) + "</table>"


def _flags_table(a: Agency) -> str:
    if not a.flags:
        return "<p>无 none.</p>"
    rows = [
        f"<tr class='flagged'><td>{f['year_prev']} → {f['year']}</td><td><code>{escape(f['rule'])}</code></td>"
        f"<td>{escape(f['severity'] or '')}</td><td>{_code(f['key'])}</td>"
        f"<td>{escape(f['detail'] or '')}</td><td>{_document(f['doc_year'], f['file_name'])}</td>"
        f"<td>{_explain(f['doc_id'])}</td></tr>"
        for f in a.flags
    ]
    head = _head("年度 years", "rule", "severity", "key", "detail", "文件 document", "")
    return "<table>" + head + "".join(rows) + "</table>"


def render_agency(a: Agency, measures: list[Measure]) -> str:
    latest = a.reports[-1]
    charted = {m.column: m.label_zh for m in measures if m.chart}
    names = list(dict.fromkeys(r["agency"] for r in a.reports if r["agency"]))
    body = [
        '<nav><a href="../index.html">← 全部机关 all agencies</a></nav>',
        f"<h1>{escape(a.name)}</h1>",
        f"<p>{_place(latest)}</p>",
        f"<p class='muted'>agency_key <code>{escape(a.key)}</code>"
        + (f" · 报告所署名称 names printed: {escape('、'.join(names))}" if len(names) > 1 else "")
        + "</p>",
        "<h2>历年主要数据 history</h2>",
        chart_svg(a.reports, series=charted),
        '<p class="note">空心点为2019年以前的统计表数据，仅为近似可比 (hollow points: pre-2019 table, approximate).</p>'
        if any(r["template"] == "legacy_stats" for r in a.reports)
        else "",
        _history_table(a, measures),
        f"<h2>最新报告 latest report ({latest['report_year']})</h2>",
        _latest_table(a, measures),
        f"<h2>未通过的校验 failing checks ({len(a.checks)})</h2>",
        _checks_table(a),
        f"<h2>合理性提示 plausibility flags ({len(a.flags)})</h2>",
        _flags_table(a),
        "<p class='muted'><code>govreports explain DOC_ID</code> (in the output folder the release was made "
        "from) shows a document's source, cells and findings. A flag never changes a value.</p>",
    ]
    return _html(f"{a.name} · 政府信息公开工作年度报告", body)


def index_item(a: Agency) -> str:
    href = f"{AGENCY_DIR}/{quote(page_file_name(a.key))}"
    years = ", ".join(str(y) for y in a.years)
    flags = f" · {len(a.checks)} checks, {len(a.flags)} flags" if a.checks or a.flags else ""
    return (
        f'<li data-name="{escape(a.name + " " + a.key)}"><a href="{escape(href)}">{escape(a.name)}</a> '
        f'<span class="years">{years}{escape(flags)}</span></li>'
    )


def index_head_and_tail(release_version: str) -> tuple[str, str]:
    """The index page around its list, so the list is written as the agencies stream by."""
    body = [
        "<h1>政府信息公开工作年度报告 · 机关 agencies</h1>",
        f"<p class='muted'>release {escape(release_version)} · 每个机关一页 one page per agency: "
        "history, latest report, failing checks, plausibility flags</p>",
        '<p><input id="q" type="search" placeholder="按名称搜索 search by name" aria-label="search" hidden></p>',
        '<ul class="agencies">',
        "\x00",
        "</ul>",
    ]
    head, tail = _html("政府信息公开工作年度报告 · 机关", body, SEARCH_SCRIPT).split("\x00\n")
    return head, tail


def write_pages(db: Path, release: Path, release_version: str) -> int:
    """Write RELEASE/pages from the release's DuckDB file, one page at a time; returns the number
    of agency pages."""
    measures = page_measures()
    folder = release / PAGES_DIR / AGENCY_DIR
    folder.mkdir(parents=True)
    head, tail = index_head_and_tail(release_version)
    written = 0
    con = open_database(db)
    try:
        # closing(): the query cursors are closed before the connection, also when a page fails
        with (
            (release / PAGES_DIR / "index.html").open("w", encoding="utf-8") as index,
            closing(agencies(con, measures)) as stream,
        ):
            index.write(head)
            for agency in stream:
                (folder / page_file_name(agency.key)).write_text(render_agency(agency, measures), encoding="utf-8")
                index.write(index_item(agency) + "\n")
                written += 1
            index.write(tail.replace("</ul>", f"</ul>\n<p class='muted'>{written} 个机关 agencies</p>", 1))
    finally:
        con.close()
    return written
