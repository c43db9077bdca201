"""The project's own validation summary page: DIR/data_docs/summary.html, beside Data Docs.

Data Docs need GX's CDN assets (and JavaScript) to show their results; this page is one
static file with inline CSS, no JavaScript and no URL outside the folder, so it reads the
same offline, from a mail attachment or through a slow proxy. It lists, per suite, whether
the integrity rules (critical) passed and how many findings (warning, info) there are, then
every failing rule with the documents it names (agency, year, file) and the `govreports
explain` command for each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from govreports.expectations.frames import LABEL_COLUMNS
from govreports.expectations.suites import CRITICAL, INFO, WARNING

PAGE_NAME = "summary.html"
MAX_ROWS_SHOWN = 50  # per failing rule; the rest are counted, and are in Data Docs and the quarantine
SEVERITY_ORDER = {CRITICAL: 0, WARNING: 1, INFO: 2}
SEVERITY_WORDS = {CRITICAL: "严重 critical", WARNING: "警告 warning", INFO: "提示 info"}
# The page's only styling; fonts are the machine's own (no web font, no network).
STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei",
  "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em; color: #1d2433; background: #fff; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 2px solid #d8dde6; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
th, td { border: 1px solid #c9cfd9; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #f3f4f7; padding: 0 0.25em; font-size: 0.92em; }
.pass { background: #dff3e3; color: #155724; font-weight: bold; }
.fail { background: #f8d7da; color: #721c24; font-weight: bold; }
.findings { background: #fff3cd; color: #7a5b00; font-weight: bold; }
.critical { border-left: 6px solid #c0392b; padding-left: 0.6em; }
.warning { border-left: 6px solid #d4a017; padding-left: 0.6em; }
.info { border-left: 6px solid #5b8def; padding-left: 0.6em; }
.muted { color: #5f6b7a; }
"""


@dataclass(frozen=True)
class SuiteLine:
    """One suite of the run: how many rows it checked and how its rules fared."""

    suite: str
    rows: int
    rules: int
    critical: int
    findings: int
    over_tolerance: int = 0

    @property
    def status(self) -> str:
        if self.critical or self.over_tolerance:
            return "fail"
        return "findings" if self.findings else "pass"


STATUS_WORDS = {"pass": "通过 pass", "findings": "通过，有发现 pass, with findings", "fail": "未通过 FAIL"}


def suite_lines(
    rows: Mapping[str, int] | Mapping[str, pd.DataFrame], failures: list, rules_per_suite: dict[str, int]
) -> list[SuiteLine]:
    """One line per suite that checked rows; `rows` gives each suite's row count (or its frame)."""
    lines = []
    for suite, frame in rows.items():
        n = frame if isinstance(frame, int) else len(frame)
        if not n:
            continue
        mine = [f for f in failures if f.suite == suite]
        critical = sum(f.severity == CRITICAL for f in mine)
        over = sum(f.severity != CRITICAL and not f.within_tolerance for f in mine)
        lines.append(SuiteLine(suite, n, rules_per_suite.get(suite, 0), critical, len(mine) - critical, over))
    return lines


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _where(row: dict) -> str:
    """The row's own columns (key, scope, residual …) other than the labels and the doc_id."""
    skip = {*LABEL_COLUMNS, "doc_id", "identity"}  # the identity is in the rule's name above
    return ", ".join(f"{k} {_cell(v)}" for k, v in row.items() if k not in skip and _cell(v) != "")


def _row_html(row: dict) -> str:
    # a row without a doc_id (P_MISSING_YEAR: the report that is missing) has NaN labels
    document = row.get("document") if isinstance(row.get("document"), str) else f"doc_id {_cell(row.get('doc_id'))}"
    command = row.get("explain") if isinstance(row.get("explain"), str) else None
    return (
        f"<tr><td>{escape(str(document))}</td><td>{escape(_where(row))}</td>"
        f"<td>{f'<code>{escape(command)}</code>' if command else '—'}</td></tr>"
    )


def _tolerance_words(failure) -> str:
    """Where a findings rule stands against its tolerance (suites.tolerances)."""
    if failure.severity == CRITICAL or not failure.checked:
        return ""
    share = f"{len(failure.rows)} of {failure.checked} ({failure.share:.1%})"
    if failure.max_share >= 1:
        return f"; {share}, reported, not gated"
    verdict = "within" if failure.within_tolerance else "OVER"
    return f"; {share}, {verdict} the tolerance of {failure.max_share:.0%} per chunk"


def _failure_html(failure) -> str:
    rows = failure.rows[:MAX_ROWS_SHOWN]
    more = len(failure.rows) - len(rows)
    parts = [
        f'<section class="{escape(failure.severity)}">',
        f"<h3>{escape(SEVERITY_WORDS.get(failure.severity, failure.severity))} · "
        f"<code>{escape(failure.suite)}</code> · <code>{escape(failure.rule)}</code></h3>",
        f"<p>{escape(failure.reason)} — {len(failure.rows)} row(s){escape(_tolerance_words(failure))}</p>",
    ]
    if rows:
        parts.append("<table><tr><th>文件 document</th><th>where</th><th>查看 explain</th></tr>")
        parts += [_row_html(r) for r in rows]
        parts.append("</table>")
    elif failure.observed is not None:
        parts.append(f"<p>observed: {escape(_cell(failure.observed))}</p>")
    if more:
        parts.append(f'<p class="muted">… and {more} more (Data Docs and the quarantine list them all)</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _suite_table(lines: Iterable[SuiteLine]) -> str:
    out = [
        "<table><tr><th>suite</th><th>rows</th><th>rules</th><th>critical failures</th>"
        "<th>findings</th><th>status</th></tr>"
    ]
    for line in lines:
        out.append(
            f"<tr><td><code>{escape(line.suite)}</code></td><td class='n'>{line.rows}</td>"
            f"<td class='n'>{line.rules}</td><td class='n'>{line.critical}</td><td class='n'>{line.findings}</td>"
            f"<td class='{line.status}'>{STATUS_WORDS[line.status]}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def render_summary(
    lines: list[SuiteLine], failures: list, run_name: str, run_time: dt.datetime, n_documents: int
) -> str:
    """The whole page as one HTML string."""
    ordered = sorted(failures, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.suite, f.rule))
    critical = sum(line.critical for line in lines)
    over = sum(line.over_tolerance for line in lines)
    verdict = (
        '<p class="fail">有严重问题：critical rules failed; the rows are in the quarantine.</p>'
        if critical
        else '<p class="pass">完整性检查全部通过：every integrity (critical) rule passed.</p>'
    )
    if over:
        verdict += (
            f'<p class="fail">发现过多：{over} findings rule(s) flag more rows than their tolerance '
            "(data/reference/tolerances.csv): look at the reader before the sources.</p>"
        )
    findings = "\n".join(_failure_html(f) for f in ordered) or "<p>没有发现 no findings.</p>"
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>验证摘要 validation summary · {escape(run_name)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>政府信息公开工作年度报告 · 验证摘要</h1>
<p class="muted">validation summary of run <code>{escape(run_name)}</code>,
{escape(run_time.strftime("%Y-%m-%d %H:%M:%S UTC"))}: {n_documents} document(s).
Full results: <a href="index.html">Data Docs</a> (needs network for its styling).</p>
{verdict}
<h2>套件 suites</h2>
<p class="muted">critical rules must pass; findings (warning, info) are about the sources — their own totals,
late publication — and are kept, never rejected; a findings rule fails its suite only when it flags more rows
than its tolerance.</p>
{_suite_table(lines)}
<h2>发现 findings ({len(ordered)} rule(s))</h2>
{findings}
</body>
</html>
"""


def write_summary(docs_dir: Path, html: str) -> Path:
    path = Path(docs_dir) / PAGE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
