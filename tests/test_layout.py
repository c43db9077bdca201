"""Space-aligned text tables (pdftotext -layout, text copied from a PDF viewer)."""

from __future__ import annotations

import json
from pathlib import Path

from govreports.extract.text import extract_text, layout_cells, wrapped_numbers
from govreports.pipelines.evaluate import score_corpus
from govreports.transform.detect import detect
from govreports.transform.document import map_facts
from govreports.transform.geometry import centers_from_rows, place

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def facts_of(text: str) -> dict[str, float | None]:
    ex = extract_text(text.encode("utf-8"))
    return {f.key: f.value for f in map_facts(ex, detect(ex))}


def test_cells_are_cut_at_runs_of_spaces_and_numbers_at_each_space() -> None:
    cells = layout_cells("规章                  2 0   5")
    assert cells == [("规章", (0, 2)), ("2", (20, 21)), ("0", (22, 23)), ("5", (26, 27))]
    assert [c for c, _ in layout_cells("   指标名称   2013 年度")] == ["指标名称", "2013 年度"]


def test_a_number_between_two_columns_is_not_placed() -> None:
    columns = centers_from_rows([[(20, 21), (30, 31), (40, 41)], [(19, 21), (29, 31), (39, 41)]], 3)
    assert columns == [19.75, 29.75, 39.75]
    assert place([(20, 21), (40, 41)], columns) == [0, 2]  # the middle cell was printed blank
    assert place([(24, 26)], columns) is None  # as near one column as the next: unread
    assert place([(20, 21), (21, 22)], columns) is None  # two numbers under one column


S2_HEADER = "       信息内容            本年制发件数         本年废止件数                现行有效件数"
GOV_2021 = "\n".join(
    [
        "清江县人民政府2023年度政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "                        第二十条第（一）项",
        S2_HEADER,
        "",
        "              88（其中废止后重新",
        "规章" + " " * 38 + "1" + " " * 21 + "165",
        "                 发布 80 件）",
        "",
        "行政规范性文件" + " " * 20 + "6" + " " * 36 + "91",
        "                        第二十条第（五）项",
        "       信息内容                          本年处理决定数量",
        "行政许可                                       575",
        "",
    ]
)


def test_section_two_blank_cells_by_column_and_a_wrapped_note_is_not_blank() -> None:
    facts = facts_of(GOV_2021)
    key = "s2.art20_1.{}.{}".format
    assert [facts[key("regulations", c)] for c in ("issued_this_year", "repealed_this_year", "in_force")] == [
        88,
        1,
        165,
    ]
    docs = [facts[key("normative_docs", c)] for c in ("issued_this_year", "repealed_this_year", "in_force")]
    assert docs == [6, 0, 91]  # the middle cell was printed blank
    assert facts["s2.art20_5.admin_license.decisions_this_year"] == 575


LEGACY = """\
清江县发展和改革局2013年政府信息公开工作年度报告
一、概述
  本年度主动公开信息情况如下。
附表：清江县发展和改革局2013年度政府信息公开工作情况统计表
               指标名称   计量单位   2013 年度         历年累计

主动公开信息数               条       9572     28718

其中:1.政府网站             件        712     2182

2.政府公报                件                 4627

受理依申请公开信息总数           件        226     1367
"""


def test_legacy_cumulative_column_is_never_the_years_value() -> None:
    facts = facts_of(LEGACY)
    assert facts["legacy.active_total"] == 9572 and facts["legacy.active_via_website"] == 712
    assert facts["legacy.active_via_gazette"] in (0, None)  # the year's cell is blank; 4627 is 历年累计
    assert facts["legacy.req_received"] == 226


def test_a_wrapped_label_joins_its_numbers() -> None:
    row = "受理依申请公开信息总数           件        226     1367"
    wrapped = "受理依申请公开信息总数（含\n" + " " * 26 + "件        226     1367\n转办）"
    assert facts_of(LEGACY.replace(row, wrapped))["legacy.req_received"] == 226


def test_pdftotext_samples_per_variation() -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    layout = [d["document"] for d in manifest["documents"] if d["variation"] == "pdftotext_layout"]
    assert len(layout) >= 8
    report = score_corpus(SAMPLES)
    tally = report.by_variation()["pdftotext_layout"]
    assert tally.documents == len(layout)
    assert (tally.wrong, tally.false_positive, tally.ambiguous_valued, tally.errors) == (0, 0, 0, 0)
    assert tally.accuracy >= 0.995
    assert tally.identities_false_alarm == 0 and tally.identities_missed == 0


S3_HEADER = """\
                                               申请人情况
                                           法人或其他组织
                                          自然
                                                社会              总计
                               人     商业企   科研        法律服
                                                公益         其他
                                      业    机构        务机构
                                                组织"""
# pdftotext -layout puts the same table's columns at other character positions on the next page
S3_PAGE_2_HEADER = """\
                                                                申请人情况
                                                            法人或其他组织
                                          自然
                                                                 社会               总计
                                          人        商业企      科研         法律服
                                                                 公益          其他
                                                    业       机构         务机构
                                                                 组织"""
S3_CONTINUED = "\n".join(
    [
        "清江县人民政府2021年度政府信息公开工作年度报告",
        "     三、收到和处理政府信息公开申请情况",
        S3_HEADER,
        "一、本年新收政府信息公开申请数量               718    0    0     0     8        726",
        "二、上年结转政府信息公开申请数量               39     0          0     1        40",
        "三、   （一）予以公开                   56     0    0     0     1   0    57",
        "\f" + S3_PAGE_2_HEADER,
        "           1.申请人无正当理由逾期不补正、行",
        "                                          26        0       0     0           0   26",
        "           政机关不再处理其政府信息公开申请",
        "           2.申请人逾期未按收费通知要求缴纳",
        "           费用、行政机关不再处理其政府信息               4         0       —           0     0   4",
        "           3.其他                           23        0       0     0     1         24",
        "     （七）总计                               685        /                   8         693",
        "四、结转下年度继续办理                               72                0     —     1     0   73",
    ]
)


def test_section_three_page_where_every_row_lost_a_blank_cell() -> None:
    """No row of page 2 prints all seven cells, but together its rows mark every column."""
    facts = facts_of(S3_CONTINUED)
    columns = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
               "legal_service_org", "other_org", "total")  # fmt: skip
    row = {key: [facts.get(f"s3.{key}.{c}") for c in columns] for key in (
        "carried_over_from_prev", "r_other_no_correction", "r_other_fee_unpaid", "r_other_misc", "r_total",
        "carried_to_next")}  # fmt: skip
    assert row == {
        "carried_over_from_prev": [39, 0, 0, 0, 1, 0, 40],  # page 1: placed by its complete rows
        "r_other_no_correction": [26, 0, 0, 0, 0, 0, 26],
        "r_other_fee_unpaid": [4, 0, 0, 0, 0, 0, 4],
        "r_other_misc": [23, 0, 0, 0, 1, 0, 24],
        "r_total": [685, 0, 0, 0, 8, 0, 693],
        "carried_to_next": [72, 0, 0, 0, 1, 0, 73],
    }
    assert facts["s3.r_other_no_correction.other_org"] == 0 and facts["s3.r_other_misc.legal_service_org"] == 1


def test_a_page_whose_cells_do_not_mark_every_column_stays_unread() -> None:
    """Every row of page 2 blank in the 法律服务机构 column: six clusters for seven columns, nothing placed."""
    kept = [line for line in S3_CONTINUED.split("\n") if not any(r in line for r in ("费用、", "3.其他", "（七）"))]
    lines = [line.replace("     1     0   73", "           0   73") for line in kept]
    facts = facts_of("\n".join(lines))
    assert [v for k, v in facts.items() if k.startswith("s3.carried_to_next.")] == [None] * 7
    assert facts["s3.carried_over_from_prev.natural_person"] == 39  # page 1 still read


S3_WRAPPED_NUMBERS = "\n".join(
    [
        "凤台县人力资源和社会保障局2019年政府信息公开工作年度报告",
        "三、收到和处理政府信息公开申请情况",
        *S3_HEADER.replace("                                          自然", "                             自然").split(
            "\n"
        ),
        "                             103                              103",
        "一、本年新收政府信息公开申请数量                    0    0     0     0   2",
        "                              1                                3",
        "二、上年结转政府信息公开申请数量             78     0    0     0     0   0    78",
    ]
)


def test_a_number_wrapped_in_its_cell_is_joined_not_read_blank() -> None:
    """'1031' too wide for its cell: '103' on the line above the row, '1' below, the row's cell empty."""
    facts = facts_of(S3_WRAPPED_NUMBERS)
    columns = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
               "legal_service_org", "other_org", "total")  # fmt: skip
    assert [facts[f"s3.new_received.{c}"] for c in columns] == [1031, 0, 0, 0, 0, 2, 1033]
    assert [facts[f"s3.carried_over_from_prev.{c}"] for c in columns] == [78, 0, 0, 0, 0, 0, 78]


def test_only_halves_in_the_same_empty_column_are_joined() -> None:
    row = "一、本年新收政府信息公开申请数量                    0    0     0     0   2"
    assert wrapped_numbers(" " * 29 + "103", row, " " * 30 + "1") == [("1031", 29)]
    assert wrapped_numbers(" " * 36 + "5", row, " " * 36 + "6") is None  # under the row's own cell
    assert wrapped_numbers(" " * 29 + "103", row, " " * 45 + "1") is None  # not one column
    assert wrapped_numbers(" " * 29 + "103", row, "") is None  # one half only: left as it is


S3_ONE_ROW_PAGE = "\n".join(
    [
        "清江县人民政府2023年度政府信息公开工作年度报告",
        "三、收到和处理政府信息公开申请情况",
        "                                                     申请人情况",
        "                                                 法人或其他组织",
        "（本列数据的勾稽关系为：第一项加第二项之和，等于",
        "          第三项加第四项之和）             自然",
        "                                                      社会               总计",
        "                                 人    商业企    科研            法律服",
        "                                                      公益         其他",
        "                                       业     机构            务机构",
        "                                                      组织",
        "一、本年新收政府信息公开申请数量                 88    8         0     0          0    96",
        "\f二、上年结转政府信息公开申请数量      3     0    0     0     0   0    3",
        "三、   （一）予以公开                   50     5    0     0     0   0    55",
    ]
)


def test_a_page_with_one_incomplete_row_takes_its_columns_from_the_header() -> None:
    """The table starts at the foot of a page: one row, one blank cell, no other row to line up with."""
    facts = facts_of(S3_ONE_ROW_PAGE)
    columns = ("natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
               "legal_service_org", "other_org", "total")  # fmt: skip
    assert [facts[f"s3.new_received.{c}"] for c in columns] == [88, 8, 0, 0, 0, 0, 96]
    assert facts["s3.new_received.legal_service_org"] == 0  # the blank cell, under 法律服务机构
    assert [facts[f"s3.carried_over_from_prev.{c}"] for c in columns] == [3, 0, 0, 0, 0, 0, 3]
