"""Reports as government portal pages: Word-exported markup or plain tables, UTF-8 or GBK.

The same markup, without the portal around it, is the Word-style document that
render_pdf.py hands to LibreOffice.
"""

from __future__ import annotations

from html import escape

from govreports.pipelines.generate.compose import Report
from govreports.pipelines.generate.layout import Cell, Para, Table

WORD_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ProgId" content="Word.Document">
<meta name="Generator" content="Microsoft Word 15">
<title>{title}</title>
<style>
<!--
p.MsoNormal, li.MsoNormal, div.MsoNormal
  {{margin:0cm; text-align:justify; font-size:10.5pt; font-family:"Times New Roman", serif;}}
table.MsoNormalTable {{border-collapse:collapse; width:100%;}}
td {{border:solid windowtext 1.0pt; padding:0cm 5.4pt 0cm 5.4pt;}}
@page WordSection1 {{size:595.3pt 841.9pt; margin:72.0pt 90.0pt 72.0pt 90.0pt;}}
div.WordSection1 {{page:WordSection1;}}
-->
</style>
<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->
</head>
"""
PLAIN_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{title}</title>
<style>table{{border-collapse:collapse}} td{{border:1px solid #000;padding:2px 4px}}</style>
</head>
"""
LINE = "line-height:28.0pt"
SONG = "font-size:16.0pt;font-family:仿宋_GB2312, 仿宋"
PARA_STYLE = {
    "title": f"align=center style='text-align:center;{LINE}'><b><span style='font-size:18.0pt;font-family:宋体'",
    "heading": f"style='text-indent:32.0pt;{LINE}'><b><span style='font-size:16.0pt;font-family:黑体'",
    "body": f"style='text-indent:32.0pt;{LINE}'><span style='{SONG}'",
    "sign": f"align=right style='text-align:right;{LINE}'><span style='{SONG}'",
}
NUMBER_FONT = 'font-size:10.0pt;font-family:"Times New Roman"'
EMPTY_O = "<span lang=EN-US><o:p></o:p></span>"


def is_number_text(text: str) -> bool:
    return text[:1].isdigit() or text[:1] == "-" and text[1:2].isdigit()


# ---------------------------------------------------------------- Word-exported markup


def word_para(p: Para) -> str:
    style = PARA_STYLE[p.style]
    bold_close = "</b>" if p.style in ("title", "heading") else ""
    return f"<p class=MsoNormal {style}>{escape(p.text)}</span>{bold_close}<span lang=EN-US><o:p></o:p></span></p>\n"


def word_cell(c: Cell, width: int | None = None) -> str:
    spans = (f" width={width}" if width else "") + (f" rowspan={c.rowspan}" if c.rowspan > 1 else "")
    spans += f" colspan={c.colspan}" if c.colspan > 1 else ""
    if not c.text:
        inner = "<span lang=EN-US>&nbsp;<o:p></o:p></span>"
    elif is_number_text(c.text):
        inner = f"<span lang=EN-US style='{NUMBER_FONT}'>{escape(c.text)}<o:p></o:p></span>"
    else:
        inner = f"<span style='font-size:10.0pt;font-family:宋体'>{escape(c.text)}</span>{EMPTY_O}"
    align = "center" if c.head or c.key else "left"
    return (
        f"  <td{spans} valign=middle style='border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt'>"
        f"<p class=MsoNormal align={align} style='text-align:{align}'>{inner}</p></td>\n"
    )


PAGE_WIDTH_PX = 640  # Word writes absolute cell widths; LibreOffice honours them, not percentages


def grid_starts(rows: list[list[Cell]]) -> list[list[int]]:
    """The grid column where each cell starts, after the rowspans of the rows above."""
    taken: set[tuple[int, int]] = set()
    out = []
    for i, row in enumerate(rows):
        col, starts = 0, []
        for c in row:
            while (i, col) in taken:
                col += 1
            starts.append(col)
            taken |= {(i + di, col + dj) for di in range(c.rowspan) for dj in range(c.colspan)}
            col += c.colspan
        out.append(starts)
    return out


def cell_widths(t: Table) -> list[list[int | None]]:
    if not t.widths:
        return [[None] * len(row) for row in t.rows]
    return [
        [round(sum(t.widths[s : s + c.colspan]) * PAGE_WIDTH_PX / 100) for c, s in zip(row, starts, strict=True)]
        for row, starts in zip(t.rows, grid_starts(t.rows), strict=True)
    ]


def word_table(t: Table, thead: bool) -> str:
    rows = [
        f" <tr style='height:20.0pt'>\n{''.join(word_cell(c, w) for c, w in zip(row, widths, strict=True))} </tr>\n"
        for row, widths in zip(t.rows, cell_widths(t), strict=True)
    ]
    head, body = rows[: t.header_rows], rows[t.header_rows :]
    if thead and head:
        head_html = f"<thead>\n{''.join(head)}</thead>\n"
    else:
        head_html, body = "", head + body
    return (
        '<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 width="100%" '
        "style='width:100.0%;border-collapse:collapse;border:none'>\n"
        f"{head_html}<tbody>\n{''.join(body)}</tbody>\n</table>\n"
        "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n"
    )


def word_body(report: Report, thead: bool) -> str:
    parts = [word_para(b) if isinstance(b, Para) else word_table(b, thead) for b in report.doc.blocks]
    return "<div class=WordSection1>\n" + "".join(parts) + "</div>\n"


# ---------------------------------------------------------------- plain markup


def plain_cell(c: Cell) -> str:
    spans = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (f' colspan="{c.colspan}"' if c.colspan > 1 else "")
    return f"<td{spans}>{escape(c.text)}</td>"


def plain_body(report: Report) -> str:
    parts = []
    for b in report.doc.blocks:
        if isinstance(b, Para):
            tag = {"title": "h2", "heading": "h4"}.get(b.style, "p")
            parts.append(f"<{tag}>{escape(b.text)}</{tag}>\n")
        else:
            rows = "".join(f"<tr>{''.join(plain_cell(c) for c in row)}</tr>\n" for row in b.rows)
            parts.append(f'<table border="1" cellspacing="0">\n<tbody>\n{rows}</tbody>\n</table>\n')
    return '<div class="article-content">\n' + "".join(parts) + "</div>\n"


# ---------------------------------------------------------------- the portal page


def portal_meta(report: Report) -> str:
    m = report.meta
    cells = (
        ("索引号：", m["index_no"]),
        ("发布机构：", m["agency"]),
        ("发布日期：", m["published"].isoformat()),
        ("主题分类：", "政务公开"),
    )
    if report.plan.html_style == "word":
        row = "".join(f'<td class="t1">{escape(k)}</td><td>{escape(v)}</td>' for k, v in cells)
        name = f'<tr><td class="t1">名称：</td><td colspan="7">{escape(m["title"])}</td></tr>'
        return f'<table class="xxgk_table" width="100%">\n<tr>{row}</tr>\n{name}\n</table>\n'
    items = "".join(f"<li><span>{escape(k)}</span>{escape(v)}</li>" for k, v in cells)
    return f'<ul class="info-meta">{items}</ul>\n'


def portal_page(report: Report) -> str:
    plan = report.plan
    charset = {"utf-8": "utf-8", "gbk": "gbk"}[plan.encoding]
    head = (WORD_HEAD if plan.html_style == "word" else PLAIN_HEAD).format(
        charset=charset, title=escape(report.meta["title"])
    )
    site = report.meta["agency"].split("人民政府")[0] if "人民政府" in report.meta["agency"] else report.meta["agency"]
    chrome = (
        '<div class="header"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | '
        '<a href="/hdjl/">互动交流</a></div>\n<div class="crumb">当前位置：<a href="/">首页</a> &gt; '
        '<a href="/zwgk/">政府信息公开</a> &gt; 政府信息公开年报</div>\n'
    )
    body = word_body(report, thead=False) if plan.html_style == "word" else plain_body(report)
    footer = f'<div class="footer">主办单位：{escape(site)}人民政府办公室<br>【打印本页】 【关闭窗口】</div>\n'
    return f"{head}<body>\n{chrome}{portal_meta(report)}{body}{footer}</body>\n</html>\n"


def fragment(report: Report) -> str:
    """The report's content saved without the portal page around it (no head, no metadata)."""
    return word_body(report, thead=False) if report.plan.html_style == "word" else plain_body(report)


def render_html(report: Report) -> bytes:
    page = portal_page(report) if report.plan.with_meta else fragment(report)
    return page.encode(report.plan.encoding)


def render_word_document(report: Report) -> str:
    """The Word-style document (no portal) that LibreOffice turns into a PDF."""
    head = WORD_HEAD.format(charset="utf-8", title=escape(report.meta["title"]))
    return f"{head}<body lang=ZH-CN>\n{word_body(report, thead=report.plan.repeat_headers)}</body>\n</html>\n"
