from __future__ import annotations

from datetime import date

import pytest

from govreports.extract.model import Extracted
from govreports.transform.detect import agency_of, detect, parse_date, published_date_of, report_year_of


@pytest.mark.parametrize(
    ("title", "body", "agency"),
    [
        ("平潭综合实验区2024年度政府信息公开工作年度报告", "", "平潭综合实验区"),
        ("沭阳县发展和改革局2023年政府信息公开年度报告-沭阳县发改局", "", "沭阳县发展和改革局"),
        ("2018年加格达奇区政府信息公开工作年度报告", "加格达奇区人民政府高度重视", "加格达奇区人民政府"),
        ("厦门市文化和旅游局关于网站政府信息公开专栏建设情况自查情况总结", "", "厦门市文化和旅游局"),
        ("洪泽区人民政府2023年政府信息公开工作年度报告", "", "洪泽区人民政府"),
    ],
)
def test_agency_as_printed_in_the_title(title: str, body: str, agency: str) -> None:
    assert agency_of(title, body) == agency


def test_report_year_is_the_year_reported_on() -> None:
    assert report_year_of("某局2023年政府信息公开工作年度报告", "") == 2023
    assert report_year_of("某局政务信息公开工作年度报告", "现将我局 2023年政务公开工作总体情况报告如下") == 2023


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-01-17", date(2024, 1, 17)),
        ("2019年3月26日", date(2019, 3, 26)),
        ("二〇二四年一月十二日", date(2024, 1, 12)),
        ("二○一三年一月二十日", date(2013, 1, 20)),
    ],
)
def test_dates(text: str, day: date) -> None:
    assert parse_date(text) == day


def test_signature_date_when_the_page_has_none() -> None:
    ex = Extracted(format="text", text="某局2023年政府信息公开工作年度报告\n正文……\n某局\n2024年1月12日\n")
    assert published_date_of(ex) == date(2024, 1, 12)


def test_page_date_wins_over_signature() -> None:
    text = "某局2019年政府信息公开工作年度报告\n时间:2020-01-20 来源:某局\n正文\n2020年1月10日"
    ex = Extracted(format="text", text=text)
    assert published_date_of(ex) == date(2020, 1, 20)


def test_not_an_annual_report() -> None:
    text = "厦门市文化和旅游局关于网站政府信息公开专栏建设情况自查情况总结\n来源: 时间:2019-09-19\n"
    ex = Extracted(format="text", text=text)
    found = detect(ex)
    assert (found.doc_type, found.template, found.report_year) == ("other", None, None)


def test_layout_from_markers() -> None:
    base = "某局2021年政府信息公开工作年度报告\n"
    assert detect(Extracted(format="text", text=base + "信息内容 本年制发件数 本年废止件数")).template == "gov_2021"
    assert detect(Extracted(format="text", text=base + "信息内容 本年新制作数量 对外公开总数量")).template == "gov_2019"
    legacy = base + "统计指标 单位 统计数 同意公开答复数"
    assert detect(Extracted(format="text", text=legacy)).template == "legacy_stats"
    assert detect(Extracted(format="text", text=base + "一、概述 本年度未收到申请。")).template == "narrative"


def test_a_portal_column_page_is_not_a_report() -> None:
    text = "政府信息公开年报\n某某县2023年政府信息公开工作年度报告\n某某县2022年政府信息公开工作年度报告\n下一页"
    ex = Extracted(format="html", text=text, meta={"title": "政府信息公开年报"})
    assert detect(ex).doc_type == "other"


def test_a_garbled_title_gives_no_agency() -> None:
    assert agency_of("紋-`ql砻鉑;酄+赺0X,Z0:L奮愘", "") is None
