"""Reports as a crawler's text captures: cells split by tabs, by '|', run together, or
by single spaces with some spaces lost (`crawler`: '行政规范性文件 20 0 0 0 02').

A grid row prints its cells once (merged cells are not repeated). Run-together
captures glue a row's numbers with no separator ('规范性文件7777166'), as some
portals' text extraction does.
"""

from __future__ import annotations

from govreports.pipelines.generate.compose import Report
from govreports.pipelines.generate.layout import Cell, Para, Table


def row_line(row: list[Cell], style: str) -> str:
    texts = [c.text for c in row]
    if style == "tab":
        return "\t".join(texts)
    if style == "pipe":
        return " | ".join(texts) + " |"
    labels = " ".join(c.text for c in row if not c.key)
    if style == "crawler":
        values = "".join(("" if c.glued else " ") + c.text for c in row if c.key)
        return (labels + values).strip()
    return labels + "".join(c.text for c in row if c.key)


def meta_lines(report: Report, style: str) -> list[str]:
    m = report.meta
    pairs = [("索引号：", m["index_no"]), ("发布机构：", m["agency"]), ("发布日期：", m["published"].isoformat())]
    if style == "pipe":
        return [" | ".join(f"{k} | {v}" for k, v in pairs) + " |"]
    if style == "tab":
        return ["\t".join(f"{k}\t{v}" for k, v in pairs)]
    return [" ".join(f"{k}{v}" for k, v in pairs)]


def render_text(report: Report) -> bytes:
    plan = report.plan
    lines: list[str] = []
    if plan.with_meta:
        lines += ["首页 > 政务公开 > 政府信息公开年报", *meta_lines(report, plan.text_style)]
    for block in report.doc.blocks:
        if isinstance(block, Para):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines += [row_line(row, plan.text_style) for row in block.rows]
    if plan.with_meta:
        lines.append("【打印本页】 【关闭窗口】")
    return ("\n".join(lines) + "\n").encode("utf-8")
