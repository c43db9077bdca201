"""Named variations: documents about the reports that are not reports (issue 9 item 5).

Portals file them in the annual-report column, and each one looks like a report to a
reader of words: a notice on compiling the reports that attaches the report form, a
comparison of two years of reports with both years side by side, a self-inspection of
how the report was published, a work plan that names the report. They are of kind
`other`: the expected doc_type is `other` with no facts, whatever their tables print
(their cells carry no keys, so expected.json lists none).
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from govreports.pipelines.generate.layout import Cell, Para, Table
from govreports.pipelines.generate.variations import Variation, register

if TYPE_CHECKING:
    from govreports.pipelines.generate.compose import Report

REPORT = "政府信息公开工作年度报告"
APPLICANTS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")
REQUEST_ROWS = (
    "本年新收政府信息公开申请数量",
    "上年结转政府信息公开申请数量",
    "予以公开",
    "部分公开",
    "不予公开",
    "结转下年度继续办理",
)


def retitle(report: Report, title: str, body: list[Para | Table]) -> None:
    """Title and body replaced; the signature (the last two blocks) kept."""
    assert report.doc.blocks[0].style == "title"
    report.doc.title = report.meta["title"] = title
    report.doc.blocks = [Para(title, "title"), *body, *report.doc.blocks[-2:]]


def head(*texts: str) -> list[Cell]:
    return [Cell(t, head=True) for t in texts]


def blank_form() -> Table:
    """The report form as a notice attaches it: labels printed, every number cell empty."""
    rows = [head("申请人情况", *APPLICANTS)]
    rows += [[Cell(label)] + [Cell("") for _ in APPLICANTS] for label in REQUEST_ROWS]
    return Table(section="s3", rows=rows)


def two_year_table(rng: random.Random, year: int) -> Table:
    rows = [head("指标", f"{year - 1}年", f"{year}年", "增减")]
    for label in REQUEST_ROWS:
        a, b = rng.randint(0, 300), rng.randint(0, 300)
        rows.append([Cell(label), Cell(str(a)), Cell(str(b)), Cell(f"{b - a:+d}")])
    return Table(section="s3", rows=rows)


def notice(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    title = f"{agency}关于做好{year}年度{REPORT}编制发布工作的{rng.choice(('通知', '通知', '函'))}"
    body: list[Para | Table] = [
        Para("各科室、各下属单位："),
        Para(f"根据《中华人民共和国政府信息公开条例》规定，现就做好{year}年度{REPORT}编制发布工作通知如下："),
        Para("一、编制要求", "heading"),
        Para(f"年度报告应于{year + 1}年1月31日前报送，统计期限为{year}年1月1日至12月31日。"),
        Para("二、报告格式", "heading"),
        Para("请严格按照附件格式填报，数据须与台账一致。"),
        Para(f"附件：{REPORT}格式（收到和处理政府信息公开申请情况）", "heading"),
        blank_form(),
    ]
    retitle(report, title, body)


def comparison(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    titles = (
        f"{agency}{year - 1}—{year}年{REPORT}对比",
        f"{agency}{REPORT}对比分析（{year - 1}年、{year}年）",
        f"{agency}{year - 1}年与{year}年政府信息公开主要数据",  # no telling word: only its tables say it
    )
    title = titles[int(report.plan.name[3:6]) % len(titles)]  # by row, so each form is in the samples
    body: list[Para | Table] = [
        Para(f"本表由{year - 1}年度和{year}年度{REPORT}自动生成，供比较参考。"),
        Para("一、总体情况", "heading"),
        Para("二、收到和处理政府信息公开申请情况", "heading"),
        two_year_table(rng, year),
    ]
    retitle(report, title, body)


def self_inspection(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    title = f"{agency}关于{year}年度{REPORT}发布情况的自查报告"
    body: list[Para | Table] = [
        Para(f"按照上级要求，{agency}对{year}年度{REPORT}的编制和发布情况开展了自查，现将有关情况报告如下："),
        Para("一、总体情况", "heading"),
        Para(f"年度报告已于{year + 1}年1月在门户网站发布，内容包括主动公开政府信息情况等六个部分。"),
        Para("二、存在的主要问题", "heading"),
        Para("个别数据与台账不一致，已更正。"),
    ]
    retitle(report, title, body)


def work_plan(report: Report, rng: random.Random) -> None:
    agency, year = report.meta["agency"], report.plan.year
    title = rng.choice((f"{agency}{year + 1}年{REPORT}编制工作方案", f"{agency}{year + 1}年政务公开工作要点"))
    body: list[Para | Table] = [
        Para("一、工作目标", "heading"),
        Para(f"按时编制发布{year}年度{REPORT}，主动公开政府信息情况、收到和处理政府信息公开申请情况应数据准确。"),
        Para("二、工作安排", "heading"),
        Para(f"{year + 1}年1月15日前各单位报送数据，1月31日前发布。"),
    ]
    retitle(report, title, body)


register(
    Variation("not_report_notice", "a notice on compiling the reports, the report form attached blank", notice),
    Variation("not_report_comparison", "two years of reports side by side, made by a tool", comparison),
    Variation("not_report_self_inspection", "a self-inspection of how the report was published", self_inspection),
    Variation("not_report_work_plan", "a work plan for the next report, filed in the reports' column", work_plan),
)
