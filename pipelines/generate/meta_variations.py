"""Named variations of the title block, the opening sentence and the signature (issue 9 items 3, 4).

PDF covers set the title over two or three lines, sometimes year first or with spaces
between the characters; some reports name the agency only in the opening sentence
(`本报告由X根据…编制`) or under the signature; signatures are dated in Chinese
numerals, with year and month only, or broken over two lines; old statistics tables
carry a 填报日期 instead of a signed date. Each hook edits the printed document; the
expected agency, year and date stay what a reader of the document would write down.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from govreports.pipelines.generate import prose
from govreports.pipelines.generate.layout import Para
from govreports.pipelines.generate.variations import Variation, register

if TYPE_CHECKING:
    from govreports.pipelines.generate.compose import Report

REPORT_WORDS = "政府信息公开工作年度报告"
GENERIC_TITLE = REPORT_WORDS  # the Title property a PDF or Word file carries when nobody filled it in


def set_title_lines(report: Report, lines: list[str]) -> None:
    """The title Para becomes one Para per printed line; the file's Title property names no report."""
    assert report.doc.blocks[0].style == "title"
    report.doc.blocks[0:1] = [Para(line, "title") for line in lines]
    report.meta["title"] = GENERIC_TITLE


def year_word(rng: random.Random) -> str:
    return rng.choice(("年", "年度"))


def title_two_lines(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    if rng.random() < 0.5:
        set_title_lines(report, [agency, f"{year}{year_word(rng)}{REPORT_WORDS}"])
    else:
        set_title_lines(report, [f"{agency}{year}{year_word(rng)}政府信息公开", "工作年度报告"])


def title_three_lines(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    set_title_lines(report, [agency, f"{year}{year_word(rng)}政府信息公开", "工作年度报告"])


def title_year_first(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    if rng.random() < 0.5:
        set_title_lines(report, [f"{year} 年{agency}", REPORT_WORDS])
    else:
        set_title_lines(report, [f"{year}年度", agency, REPORT_WORDS])


def title_spaced(report: Report, rng: random.Random) -> None:
    """Cover lines set with a space between characters (`金 华 市 婺 城 区`), as justified PDF titles extract."""
    agency, year = report.meta["agency"], report.plan.year
    gap = rng.choice((" ", "\u3000"))  # a space or an ideographic space (U+3000) typed between characters
    set_title_lines(report, [gap.join(agency), gap.join(f"{year}{year_word(rng)}{REPORT_WORDS}")])


def untitled(report: Report, rng: random.Random) -> None:
    """A title that names only the year: the agency must come from elsewhere in the document."""
    set_title_lines(report, [f"{report.plan.year}{year_word(rng)}{REPORT_WORDS}"])


def agency_in_opening(report: Report, rng: random.Random) -> None:
    untitled(report, rng)
    intro = next(b for b in report.doc.blocks if isinstance(b, Para) and b.text.startswith("本报告根据"))
    intro.text = intro.text.replace("本报告根据", f"本报告由{report.meta['agency']}根据", 1)


def agency_in_signature(report: Report, rng: random.Random) -> None:
    untitled(report, rng)  # the opening names no compiler; the signature block names the agency


def signature_date(report: Report) -> Para:
    last = report.doc.blocks[-1]
    assert isinstance(last, Para) and last.style == "sign"
    return last


def date_chinese_numerals(report: Report, rng: random.Random) -> None:
    signature_date(report).text = prose.cn_date(report.meta["signed"])


def date_month_only(report: Report, rng: random.Random) -> None:
    signed = report.meta["signed"]
    numerals = rng.random() < 0.5
    signature_date(report).text = prose.cn_month(signed) if numerals else f"{signed.year}年{signed.month}月"


def no_published_day(report: Report, rng: random.Random) -> None:
    report.expected["published_date"] = None  # published_month keeps the month


def date_split(report: Report, rng: random.Random) -> None:
    """The signature date broken over two lines, as a narrow right-aligned PDF text box breaks it."""
    signed = report.meta["signed"]
    if rng.random() < 0.5:
        head, tail = f"{signed.year}年{signed.month}月", f"{signed.day}日"
    else:
        head, tail = prose.cn_month(signed), prose.small_number_cn(signed.day) + "日"
    signature_date(report).text = head
    report.doc.blocks.append(Para(tail, "sign"))


def legacy_fill_date(report: Report, rng: random.Random) -> None:
    """No signature: the statistics table ends with its 填报 lines, the date among them."""
    signed = report.meta["signed"]
    del report.doc.blocks[-2:]  # the agency and date of the signature
    phone = f"0{rng.randint(310, 999)}-{rng.randint(2000000, 8999999)}"
    written = prose.cn_date(signed) if rng.random() < 0.3 else f"{signed.year}年{signed.month}月{signed.day}日"
    report.doc.blocks += [
        Para("单位负责人：王明  审核人：李华  填报人：张强"),
        Para(f"联系电话：{phone}  填报日期：{written}"),
    ]


def signature_before_annex(report: Report, rng: random.Random) -> None:
    """The agency and date signed under the prose, the statistics table after them as 附表."""
    signature = report.doc.blocks[-2:]
    del report.doc.blocks[-2:]
    caption = next(i for i, b in enumerate(report.doc.blocks) if isinstance(b, Para) and b.text.startswith("附表"))
    report.doc.blocks[caption:caption] = signature


register(
    Variation("title_two_lines", "title set over two lines (agency | year + title, or broken inside)", title_two_lines),
    Variation("title_three_lines", "three lines: X | 2022年度政府信息公开 | 工作年度报告", title_three_lines),
    Variation("title_year_first", "year first: '2022 年X' | title, or '2022年度' | X | title", title_year_first),
    Variation("title_spaced", "title lines with a space between characters", title_spaced),
    Variation("agency_in_opening", "title names no agency; the opening says 本报告由X根据…编制", agency_in_opening),
    Variation("agency_in_signature", "title and opening name no agency; the signature does", agency_in_signature),
    Variation("date_chinese_numerals", "signature dated 二〇二四年一月二十六日", date_chinese_numerals),
    Variation("date_month_only", "signature dated with year and month only", date_month_only, no_published_day),
    Variation("date_split", "signature date broken over two lines", date_split),
    Variation("signature_before_annex", "signature above the 附表 statistics table", signature_before_annex),
    Variation("legacy_fill_date", "no signature; 填报日期 printed under the statistics table", legacy_fill_date),
)
