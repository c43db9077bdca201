"""The table mapper on small hand-made grids: each layout quirk, exact values."""

from __future__ import annotations

from govreports.extract.model import RawTable
from govreports.transform.identities import add_derived, check_identities, unfill_blank_totals
from govreports.transform.reference import S3_COLUMNS, reference
from govreports.transform.tables import TableMapper

S3_HEADER = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", None, None, "申请人情况"],
    [None, None, None, "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]
LABELS_2021 = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "（一）予以公开",
    "（二）部分公开",
    "1.属于国家秘密",
    "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”",
    "4.保护第三方合法权益",
    "5.属于三类内部事务信息",
    "6.属于四类过程性信息",
    "7.属于行政执法案卷",
    "8.属于行政查询事项",
    "1.本机关不掌握相关政府信息",
    "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确",
    "1.信访举报投诉类申请",
    "2.重复申请",
    "3.要求提供公开出版物",
    "4.无正当理由大量反复申请",
    "5.要求行政机关确认或重新出具已获取信息",
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "3.其他",
    "（七）总计",
    "四、结转下年度继续办理",
]


def s3_values(label: str) -> list[str]:
    table = {
        "一、本年新收政府信息公开申请数量": 10,
        "（一）予以公开": 6,
        "1.本机关不掌握相关政府信息": 3,
        "3.其他": 1,
        "（七）总计": 10,
    }
    n = table.get(label, 0)
    return [str(n), "0", "0", "0", "0", "0", str(n)]


def facts_of(template: str, tables: list[RawTable]) -> dict[str, float | None]:
    facts = TableMapper(template, reference()).feed(tables)
    return {f.key: f.value for f in add_derived(facts, reference())}


def test_s3_table_split_across_pages_without_repeated_header() -> None:
    rows = [[lab, None, None, *s3_values(lab)] for lab in LABELS_2021]
    first = RawTable(rows=S3_HEADER + rows[:13], pages=[3] * 15, origin="pdf")
    # page 4 starts under an empty group-label cell, with no repeated header
    second = RawTable(rows=[["", "", *r] if i == 0 else r for i, r in enumerate(rows[13:])], pages=[4] * 12)
    values = facts_of("gov_2021", [first, second])
    assert values["s3.new_received.natural_person"] == 10
    assert values["s3.r_unable_not_held.total"] == 3
    assert values["s3.r_unable_unclear.total"] == 0
    assert values["s3.r_other_misc.total"] == 1
    assert values["s3.r_other.total"] == 1  # derived from its three parts
    assert values["s3.carried_to_next.total"] == 0
    derived = {"r_denied", "r_unable", "r_rejected", "r_other"}
    assert len([k for k in values if k.split(".")[1] not in derived]) == 25 * 7  # every printed cell
    assert len([k for k in values if k.split(".")[1] in derived]) == 4 * 7


def test_garbled_labels_in_template_order_are_placed_by_order() -> None:
    garbled = [[f"~{i}#", *s3_values(lab)] for i, lab in enumerate(LABELS_2021)]
    mapper = TableMapper("gov_2021", reference())
    facts = mapper.feed([RawTable(rows=S3_HEADER + garbled, origin="tsv")])
    by_key = {f.key: f for f in facts}
    assert by_key["s3.r_granted.total"].value == 6
    assert by_key["s3.r_granted.total"].method == "ocr_order"
    assert "garbled_label" in by_key["s3.r_granted.total"].flags


def test_undivided_other_row_in_a_2021_report() -> None:
    labels = [lab for lab in LABELS_2021 if not lab.startswith(("1.申请人", "2.申请人", "3.其他"))]
    rows = [
        [lab, *(["4", "0", "0", "0", "0", "0", "4"] if lab == "（六）其他处理" else s3_values(lab))]
        for lab in labels[:20] + ["（六）其他处理"] + labels[20:]
    ]
    values = facts_of("gov_2021", [RawTable(rows=S3_HEADER + rows)])
    assert values["s3.r_other.natural_person"] == 4
    assert "s3.r_other_misc.total" not in values


def test_s2_blocks_with_blank_dash_note_and_unsplit_cells() -> None:
    rows = [
        ["第二十条第（一）项", None, None, None],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", "", "—", "0"],
        ["行政规范性文件", "22（其中修订16件）", "3", "40"],
        ["第二十条第（六）项", None, None, None],
        ["信息内容", "本年处理决定数量", None, None],
        ["行政处罚 8", "", "", ""],
        ["行政强制", "2", None, None],
    ]
    mapper = TableMapper("gov_2021", reference())
    facts = {f.key: f for f in mapper.feed([RawTable(rows=rows)])}
    assert facts["s2.art20_1.regulations.issued_this_year"].flags == ["blank"]
    assert facts["s2.art20_1.regulations.repealed_this_year"].flags == ["dash"]
    assert facts["s2.art20_1.normative_docs.issued_this_year"].value == 22
    assert facts["s2.art20_1.normative_docs.issued_this_year"].note == "其中修订16件"
    assert facts["s2.art20_6.admin_penalty.decisions_this_year"].value == 8
    assert facts["s2.art20_6.admin_coercion.decisions_this_year"].value == 2


def test_2019_blocks_signed_change_and_procurement_unit() -> None:
    rows = [
        ["第二十条第（五）项", None, None, None],
        ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
        ["行政许可", "396", "-8", "181"],
        ["第二十条第（九）项", None, None, None],
        ["信息内容", "采购项目数量", "采购总金额", None],
        ["政府集中采购", "135", "75394432.52元", None],
    ]
    facts = {f.key: f for f in TableMapper("gov_2019", reference()).feed([RawTable(rows=rows)])}
    assert facts["s2.art20_5.admin_license.items_change"].value == -8
    assert facts["s2.art20_5.admin_license.decisions_this_year"].value == 181
    amount = facts["s2.art20_9.gov_central_procurement.procurement_amount"]
    assert (amount.value, amount.unit) == (75394432.52, "元")


def test_s4_and_group_totals_identity() -> None:
    rows = [
        ["行政复议", None, None, None, None, "行政诉讼"],
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉"],
        [str(v) for v in [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 5]],
    ]
    facts = TableMapper("gov_2021", reference()).feed([RawTable(rows=rows)])
    checks = {(c.identity, c.scope): c for c in check_identities(facts, "gov_2021", reference())}
    review = checks[("S4_GROUP_TOTALS", "review")]
    assert (review.passed, review.lhs, review.rhs, review.residual) == (False, 0, 11, -11)
    assert checks[("S4_GROUP_TOTALS", "lit_after_review")].passed is True


def test_s4_totals_printed_empty_are_null_when_their_parts_are_not_zero() -> None:
    """Parts filled in, 总计 cells left empty: a total of 0 under parts of 11 would be a wrong number."""
    rows = [
        ["行政复议", None, None, None, None, "行政诉讼"],
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉"],
        [*(str(v) for v in [10, 1, 0, 0]), "", *(["0"] * 9), "—"],
    ]
    facts = TableMapper("gov_2021", reference()).feed([RawTable(rows=rows)])
    facts = unfill_blank_totals(facts, "gov_2021", reference())
    by_key = {f.key: f for f in facts}
    review = by_key["s4.review_total"]
    assert (review.value, review.flags) == (None, ["blank", "ambiguous"])
    assert review.reason == "total printed empty while its parts sum to 11 (S4_GROUP_TOTALS): not filled in, or 0"
    assert (by_key["s4.lit_after_review_total"].value, by_key["s4.lit_after_review_total"].flags) == (0, ["dash"])
    checks = {(c.identity, c.scope): c for c in check_identities(facts, "gov_2021", reference())}
    assert (checks[("S4_GROUP_TOTALS", "review")].passed, checks[("S4_GROUP_TOTALS", "review")].lhs) == (False, 0)
    assert checks[("S4_GROUP_TOTALS", "lit_after_review")].passed is True


def test_legacy_rows_map_by_label_and_keep_unknown_rows() -> None:
    rows = [
        ["统计指标", "单位", "统计数"],
        ["四、行政复议数量", "件", "2"],
        ["（一）维持具体行政行为数", "件", "1"],
        ["（二）被依法纠错数", "件", ""],
        ["（三）其他情形数", "件", "1"],
        ["五、行政诉讼数量", "件", "1"],
        ["（一）维持具体行政行为或者驳回原告诉讼请求数", "件", "1"],
        ["（二）被依法纠错数", "件", "0"],
        ["网上信访转办件数", "件", "7"],
    ]
    facts = {f.key: f for f in TableMapper("legacy_stats", reference()).feed([RawTable(rows=rows)])}
    assert facts["legacy.review_corrected"].flags == ["blank"]
    assert facts["legacy.review_other"].value == 1
    assert facts["legacy.lit_corrected"].value == 0
    unknown = facts["legacy.raw.网上信访转办件数"]
    assert (unknown.value, unknown.flags, unknown.raw_label) == (7, ["unknown_row"], "网上信访转办件数")


def test_s3_columns_are_the_spec_columns() -> None:
    assert S3_COLUMNS == (
        "natural_person",
        "commercial_enterprise",
        "research_institution",
        "social_welfare_org",
        "legal_service_org",
        "other_org",
        "total",
    )


def split_by_a_page_break(rows: list[list[str | None]], label: str, head: str, tail: list[str]) -> list[RawTable]:
    """The PDF table with the row `label` cut by a page break: its head and values end page 3, the
    rest of its label starts page 4 over empty cells."""
    cut = next(i for i, r in enumerate(rows) if r[0] == label) + 1
    rows = [([head, *r[1:]] if r[0] == label else r) for r in rows]
    first = RawTable(rows=S3_HEADER + rows[:cut], pages=[3] * (len(S3_HEADER) + cut), origin="pdf")
    second = RawTable(rows=[[*tail, *[""] * (10 - len(tail))], *rows[cut:]], pages=[4] * (1 + len(rows) - cut))
    return [first, second]


def test_a_row_cut_by_a_page_break_keeps_its_values() -> None:
    label = LABELS_2021[21]  # 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请
    rows = [[lab, None, None, *(["1", "0", "0", "0", "0", "2", "3"] if lab == label else s3_values(lab))]
            for lab in LABELS_2021]  # fmt: skip
    tables = split_by_a_page_break(
        rows, label, "2.申请人逾期未按收费通知要求缴纳", ["", "理", "费用、行政机关不再处理其政府信息 公开申请"]
    )
    values = facts_of("gov_2021", tables)
    assert [values[f"s3.r_other_fee_unpaid.{c}"] for c in S3_COLUMNS] == [1, 0, 0, 0, 0, 2, 3]
    assert values["s3.r_other_misc.total"] == 1 and values["s3.carried_to_next.total"] == 0


def test_an_undivided_other_row_after_a_cut_row_stays_undivided() -> None:
    labels = [lab for lab in LABELS_2021 if not lab.startswith(("1.申请人", "2.申请人", "3.其他"))]
    labels.insert(labels.index("（七）总计"), "（六）其他处理")
    rows = [[lab, None, None, *(["19", "1", "0", "0", "0", "0", "20"] if "（六）" in lab else s3_values(lab))]
            for lab in labels]  # fmt: skip
    label = "5.要求行政机关确认或重新出具已获取信息"
    values = facts_of(
        "gov_2021", split_by_a_page_break(rows, label, "5.要求行政机关确认或重新出具已获", ["", "", "取信息"])
    )
    assert [values[f"s3.r_other.{c}"] for c in S3_COLUMNS] == [19, 1, 0, 0, 0, 0, 20]
    assert not any(k.startswith(("s3.r_other_no_correction", "s3.r_other_misc")) for k in values)
    assert values["s3.r_rejected_confirm_reissue.total"] == 0
