from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from govreports.extract import extract
from govreports.extract.encoding import decode
from govreports.extract.html import extract_html
from govreports.extract.text import extract_text, split_cells

PAGE = """<html><head><meta charset="{charset}"><meta name="PubDate" content="2024-01-17 09:30">
<meta name="ArticleTitle" content="某某县财政局2023年政府信息公开工作年度报告"></head><body>
<p>索引号：014314799/2024-00002</p>
<table><tr><td rowspan="2" colspan="2">（本列数据的勾稽关系）</td><td colspan="2">申请人情况</td></tr>
<tr><td>自然人</td><td>总计</td></tr>
<tr><td rowspan="2">三、本年度办理结果</td><td>（一）予以公开</td><td>5</td><td>5</td></tr>
<tr><td>（二）部分公开</td><td></td><td>—</td></tr>
</table></body></html>"""


def test_rowspan_and_colspan_are_expanded() -> None:
    ex = extract_html(PAGE.format(charset="utf-8").encode("utf-8"))
    assert ex.tables[0].rows == [
        ["（本列数据的勾稽关系）", None, "申请人情况", None],
        ["（本列数据的勾稽关系）", None, "自然人", "总计"],
        ["三、本年度办理结果", "（一）予以公开", "5", "5"],
        ["三、本年度办理结果", "（二）部分公开", "", "—"],
    ]
    assert ex.meta["published"] == "2024-01-17 09:30"
    assert ex.meta["title"] == "某某县财政局2023年政府信息公开工作年度报告"


@pytest.mark.parametrize("charset", ["gbk", "gb2312", "gb18030"])
def test_gbk_pages_are_detected(charset: str) -> None:
    raw = PAGE.format(charset=charset).encode("gb18030")
    ex = extract_html(raw)
    assert ex.encoding == "gb18030"
    assert ex.tables[0].rows[2][1] == "（一）予以公开"


def test_undeclared_gbk_text_is_detected() -> None:
    body = "某某县财政局2023年政府信息公开工作年度报告\n一、总体情况\n本年新收政府信息公开申请数量为5件。\n" * 3
    text, encoding = decode(body.encode("gbk"))
    assert text == body
    assert encoding in {"gb18030", "gbk", "gb2312"}


def test_pipe_and_tab_rows() -> None:
    assert split_cells("统计指标 | 单位 | 统计数 |") == ["统计指标", "单位", "统计数"]
    assert split_cells("1.政府公报公开政府信息数 | 条 | |") == ["1.政府公报公开政府信息数", "条", ""]
    assert split_cells("规章\t0\t0\t0") == ["规章", "0", "0", "0"]
    assert split_cells("这是一行正文，没有表格。") is None


def test_text_tables_keep_line_numbers() -> None:
    lines = ["标题: 某报告", "发布时间: 2020-01-20 10:00", "正文"]
    lines += ["统计指标 | 单位 | 统计数 |", "（一）收到申请数 | 件 | 3 |"]
    raw = "\n".join(lines).encode()
    ex = extract_text(raw)
    assert ex.meta == {"title": "某报告", "published": "2020-01-20 10:00"}
    # the short line above the table is kept as its caption row
    assert ex.tables[0].rows == [["正文"], ["统计指标", "单位", "统计数"], ["（一）收到申请数", "件", "3"]]
    assert ex.tables[0].line_numbers == [3, 4, 5]


def test_pdf_without_text_layer_needs_ocr() -> None:
    image = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(image).rectangle((50, 50, 550, 300), outline="black")
    buf = BytesIO()
    image.save(buf, format="PDF")
    ex = extract(buf.getvalue(), "pdf")
    assert ex.needs_ocr and ex.page_count == 1 and ex.tables == []


def test_real_pdf_tables_split_across_pages(shared_corpus: Path) -> None:
    ex = extract((shared_corpus / "real" / "hzq2023_working.pdf").read_bytes(), "pdf")
    assert ex.page_count == 5 and not ex.needs_ocr
    pages_with_s3_rows = {
        t.pages[i] for t in ex.tables for i, row in enumerate(t.rows) if any(c and "补正后申请内容" in c for c in row)
    }
    assert pages_with_s3_rows == {4}  # the section 三 table continues on page 4
