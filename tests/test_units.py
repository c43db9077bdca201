"""Money units: amounts normalised to the key's spec unit, the printed unit kept, assumed and odd units flagged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from govreports.extract.model import RawTable
from govreports.load.dictionary import data_dictionary
from govreports.pipelines.evaluate import DocScore, Tally, score_facts
from govreports.transform.document import process_document
from govreports.transform.model import Fact, InputDoc
from govreports.transform.reference import reference
from govreports.transform.runtogether import facts_from_text
from govreports.transform.tables import TableMapper
from govreports.transform.units import amount_keys, is_unit_factor, normalise_amounts, unit_in_text

PROCUREMENT = "s2.art20_9.gov_central_procurement.procurement_amount"
PROJECTS = "s2.art20_9.gov_central_procurement.procurement_projects"
FEES_2021 = "s2.art20_8.admin_fees.fee_amount_wan_yuan"


def mapped(template: str, rows: list[list[str | None]]) -> dict[str, Fact]:
    facts = TableMapper(template, reference()).feed([RawTable(rows=rows, origin="tsv")])
    return {f.key: f for f in normalise_amounts(facts, reference())}


def block_9(header: str, amount: str) -> list[list[str | None]]:
    return [["第二十条第（九）项"], ["信息内容", "采购项目数量", header], ["政府集中采购", "12", amount]]


def test_amount_keys_come_from_the_mapping_tables() -> None:
    units = {k: a.spec_unit for k, a in amount_keys(reference()).items()}
    assert units == {
        FEES_2021: "万元",
        PROCUREMENT: "万元",  # the spec prints no unit: amounts.csv says 万元
        "legacy.fees_collected": "万元",
        "legacy.budget": "万元",
        "legacy.fee_waiver_amount_yuan": "元",
    }


def test_unit_in_cell_is_normalised_and_kept() -> None:
    fact = mapped("gov_2019", block_9("采购总金额", "809100元"))[PROCUREMENT]
    assert (fact.value, fact.unit, fact.raw_text, fact.flags) == (80.91, "元", "809100元", [])


def test_unit_in_column_header_full_width_brackets() -> None:
    facts = mapped("gov_2019", block_9("采购总金额（元）", "809100"))
    assert (facts[PROCUREMENT].value, facts[PROCUREMENT].unit, facts[PROCUREMENT].raw_text) == (80.91, "元", "809100")
    assert (facts[PROJECTS].value, facts[PROJECTS].flags) == (12, [])  # a count is never scaled


@pytest.mark.parametrize(
    ("header", "amount", "value", "unit"),
    [
        ("采购总金额(万元)", "80.91", 80.91, "万元"),
        ("采购总金额【单位：元】", "1,234,500.50", 123.45005, "元"),
        ("采购总金额（亿元）", "1.5", 15000.0, "亿元"),
        ("采购总金额（千元）", "809.1", 80.91, "千元"),
        ("采购总金额（万元）", "809100元", 80.91, "元"),  # the cell is nearer the value than the header
    ],
)
def test_other_units_and_spellings(header: str, amount: str, value: float, unit: str) -> None:
    fact = mapped("gov_2019", block_9(header, amount))[PROCUREMENT]
    assert (fact.value, fact.unit) == (value, unit)


def test_no_unit_printed_assumes_the_spec_unit() -> None:
    fact = mapped("gov_2019", block_9("采购总金额", "80.91"))[PROCUREMENT]
    assert (fact.value, fact.unit, fact.flags) == (80.91, "万元", ["unit_assumed"])


def test_implausible_magnitude_with_printed_unit_is_kept_and_flagged() -> None:
    fact = mapped("gov_2019", block_9("采购总金额（元）", "12"))[PROCUREMENT]  # 12 元 of central procurement
    assert (fact.value, fact.unit, fact.flags) == (0.0012, "元", ["unit_implausible"])
    assert fact.reason.startswith("printed in 元, kept as printed: 12 元 is outside 1000..1e+12 元")


def test_implausible_magnitude_with_assumed_unit_is_null() -> None:
    # 809,100,000 printed with no unit: 8.091e12 元 in 万元 — a figure in 元 under a unitless header
    fact = mapped("gov_2019", block_9("采购总金额", "809100000000"))[PROCUREMENT]
    assert fact.value is None
    assert fact.flags == ["unit_assumed", "unit_implausible"]
    assert fact.reason.startswith("no unit printed and 万元 is implausible: 8.091e+15 元 is outside")


def test_fee_column_header_unit_2021() -> None:
    rows = [["第二十条第（八）项"], ["信息内容", "本年收费金额（单位：元）"], ["行政事业性收费", "15369"]]
    fact = mapped("gov_2021", rows)[FEES_2021]
    assert (fact.value, fact.unit, fact.flags) == (1.5369, "元", [])


def test_legacy_unit_column_and_label() -> None:
    rows = [
        ["统计指标", "单位", "统计数"],
        ["七、依申请公开信息收取的费用", "元", "2300"],
        ["（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）（万元）", "", "3.5"],
        ["政府信息公开收费减免金额", "元", "500"],
    ]
    facts = mapped("legacy_stats", rows)
    assert (facts["legacy.fees_collected"].value, facts["legacy.fees_collected"].unit) == (0.23, "元")
    budget = facts["legacy.budget"]
    assert (budget.value, budget.unit, budget.flags) == (3.5, "万元", [])
    assert facts["legacy.fee_waiver_amount_yuan"].value == 500  # its spec unit is 元


def test_unknown_legacy_rows_printed_in_money_are_amounts_in_wan_yuan() -> None:
    rows = [
        ["统计指标", "单位", "统计数"],
        ["复印材料工本费", "元", "1500"],  # the unit column
        ["网站建设维护经费（万元）", "", "12.5"],  # the label
        ["会议补贴", "", "800元"],  # the cell
        ["宣传资料", "", "3000"],  # no unit: a count, left as printed
    ]
    facts = mapped("legacy_stats", rows)
    got = {k.removeprefix("legacy.raw."): (f.value, f.unit, f.raw_text, f.flags) for k, f in facts.items()}
    assert got == {
        "复印材料工本费": (0.15, "元", "1500", ["unknown_row"]),
        "网站建设维护经费(万元)": (12.5, "万元", "12.5", ["unknown_row"]),
        "会议补贴": (0.08, "元", "800元", ["unknown_row"]),
        "宣传资料": (3000, None, "3000", ["unknown_row"]),
    }


def test_run_together_text_unit_after_the_run_and_in_the_header() -> None:
    after = "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购12 809100元三、收到和处理政府信息公开申请情况"
    header = "第二十条第（九）项\n信息内容 采购项目数量 采购总金额（元）\n政府集中采购12 809100\n三、收到和处理"
    for text in (after, header):
        facts = {f.key: f for f in normalise_amounts(facts_from_text(text, "gov_2019", reference()), reference())}
        assert (facts[PROCUREMENT].value, facts[PROCUREMENT].unit, facts[PROJECTS].value) == (80.91, "元", 12), text


def test_whole_document_html(tmp_path: Path) -> None:
    page = (
        "<html><body><h1>某县人民政府2020年政府信息公开工作年度报告</h1><table>"
        "<tr><td colspan=3>第二十条第（九）项</td></tr>"
        "<tr><td>信息内容</td><td>采购项目数量</td><td>采购总金额（元）</td></tr>"
        "<tr><td>政府集中采购</td><td>3</td><td>809100</td></tr></table></body></html>"
    )
    path = tmp_path / "r.html"
    path.write_text(page, encoding="utf-8")
    fact = next(f for f in process_document(InputDoc.from_path(path)).facts if f.key == PROCUREMENT)
    assert (fact.value, fact.unit, fact.raw_text) == (80.91, "元", "809100")


@pytest.mark.parametrize(
    ("header", "amount", "value", "unit"),
    [
        ("采购总金额", "80.91万", 80.91, "万"),  # a bare 万 after the amount: units.csv, 万 → 万元
        ("采购总金额", "809.1 万", 809.1, "万"),
        ("采购总金额（元）", "80.91万", 80.91, "万"),  # the cell is nearer the value than the header
        ("采购总金额（万）", "1.2", 1.2, "万"),
    ],
)
def test_bare_wan_after_an_amount(header: str, amount: str, value: float, unit: str) -> None:
    fact = mapped("gov_2019", block_9(header, amount))[PROCUREMENT]
    assert (fact.value, fact.unit, fact.flags, fact.reason) == (value, unit, [], None)


def test_bare_wan_in_fee_column_and_run_together_text() -> None:
    rows = [["第二十条第（八）项"], ["信息内容", "本年收费金额"], ["行政事业性收费", "1.5369万"]]
    fee = mapped("gov_2021", rows)[FEES_2021]
    assert (fee.value, fee.unit, fee.raw_text) == (1.5369, "万", "1.5369万")
    text = "第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购12 80.91万三、收到和处理政府信息公开申请情况"
    facts = {f.key: f for f in normalise_amounts(facts_from_text(text, "gov_2019", reference()), reference())}
    assert (facts[PROCUREMENT].value, facts[PROCUREMENT].unit, facts[PROJECTS].value) == (80.91, "万", 12)


def test_a_count_printed_with_wan_is_null_never_scaled() -> None:
    rows = [["第二十条第（九）项"], ["信息内容", "采购项目数量", "采购总金额"], ["政府集中采购", "1.2万", "80.91万元"]]
    facts = mapped("gov_2019", rows)
    assert (facts[PROJECTS].value, facts[PROJECTS].flags) == (None, ["unreadable"])
    assert facts[PROJECTS].reason == f"printed with the money unit '万', but {PROJECTS} is no amount: '1.2万'"
    assert (facts[PROCUREMENT].value, facts[PROCUREMENT].unit) == (80.91, "万元")
    assert unit_in_text("网站访问量（单位：万人次）") is None  # a count's unit, not money


def test_unit_in_text() -> None:
    assert unit_in_text("采购总金额（元）") == "元"
    assert unit_in_text("本年收费金额（单位：万元）") == "万元"
    assert unit_in_text("金额 单位:人民币元") == "人民币元"
    assert unit_in_text("采购总金额") is None
    assert unit_in_text("（四）政府信息公开专项经费（不包括用于政府公报编辑管理等方面的经费）") is None


def test_eval_counts_values_off_by_a_unit_factor() -> None:
    assert is_unit_factor(809100, 80.91) and is_unit_factor(0.008091, 80.91)
    assert not is_unit_factor(80.92, 80.91) and not is_unit_factor(0, 80.91)
    tally = Tally()
    got = {PROCUREMENT: Fact(PROCUREMENT, 809100.0), PROJECTS: Fact(PROJECTS, 13.0)}
    score_facts({"facts": {PROCUREMENT: 80.91, PROJECTS: 12}}, got, tally, DocScore("d", ".", "html", None, tally))
    assert (tally.wrong, tally.unit_factor_off) == (2, 1)


SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def test_samples_printed_in_yuan_read_in_wan_yuan() -> None:
    """The amount_yuan_* samples: every nonzero amount printed in 元 is stored in 万元 with unit 元."""
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    names = [d["document"] for d in manifest["documents"] if d["variation"].startswith("amount_yuan_")]
    assert len(names) >= 8
    amounts = amount_keys(reference())
    seen = 0
    for name in names:
        expected = json.loads((SAMPLES / f"{name.rsplit('.', 1)[0]}.expected.json").read_text(encoding="utf-8"))
        for fact in process_document(InputDoc.from_path(SAMPLES / name)).facts:
            if fact.key not in amounts or fact.value is None:
                continue
            assert fact.value == expected["facts"].get(fact.key, 0), (name, fact.key)
            assert fact.unit == "元" and "unit_assumed" not in fact.flags, (name, fact.key)
            seen += fact.value != 0
    assert seen >= 6


def layout_row(line: str) -> tuple[list[str], list[tuple[int, int]]]:
    """A space-aligned text line → its cells and their [start, end) columns."""
    found = list(re.finditer(r"\S+(?: \S+)*", line))
    return [m.group() for m in found], [(m.start(), m.end()) for m in found]


@pytest.mark.parametrize(
    "header",
    [
        ["  信息内容   采购项目数量        采购总金额（元）"],
        ["  信息内容   采购项目数量        采购总金额", "                               （元）"],
        ["  信息内容   采购项目数量        采购总金额（", "                                 元）"],
    ],
)
def test_layout_text_header_unit_wrapped_over_lines(header: list[str]) -> None:
    lines = ["        第二十条第（九）项", *header, "政府集中采购     12                809100"]
    cells, spans = zip(*(layout_row(line) for line in lines), strict=True)
    table = RawTable(rows=list(cells), origin="layout", spans=list(spans))
    facts = {f.key: f for f in normalise_amounts(TableMapper("gov_2019", reference()).feed([table]), reference())}
    assert (facts[PROCUREMENT].value, facts[PROCUREMENT].unit, facts[PROJECTS].value) == (80.91, "元", 12)


def test_key_dictionary_gives_the_stored_unit() -> None:
    units = {r["key"]: r["unit"] for r in data_dictionary().to_dict("records")}
    assert (units[PROCUREMENT], units[FEES_2021], units["legacy.fee_waiver_amount_yuan"]) == ("万元", "万元", "元")


def test_samples_with_no_unit_printed_are_flagged_assumed() -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    names = [d["document"] for d in manifest["documents"] if d["variation"] == "amount_no_unit"]
    assert len(names) >= 3
    amounts = amount_keys(reference())
    flagged = 0
    for name in names:
        for fact in process_document(InputDoc.from_path(SAMPLES / name)).facts:
            if fact.key in amounts and fact.value:
                assert (fact.unit, fact.flags) == ("万元", ["unit_assumed"]), (name, fact.key)
                flagged += 1
    assert flagged >= 2
