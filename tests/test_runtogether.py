"""Run-together digits: split enumeration, joint resolution, the text reader, and the text captures.

Unit tests build their rows by hand; corpus tests read ../shared/corpus/text (skipped when
absent) and the repo's generated samples through real ingestion (process_document).
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from govreports.transform.align import sequences
from govreports.transform.digits import (
    SumRule,
    count_splits,
    enumerate_splits,
    groups_of,
    normalise_run,
    show,
    valid_cell,
)
from govreports.transform.document import process_document
from govreports.transform.model import Fact, InputDoc
from govreports.transform.reference import reference
from govreports.transform.runtogether import facts_from_text, segments
from tests.conftest import SAMPLES, SHARED_CORPUS, load_expected

COUNT = "count"
PREV_CHANGE_DECISIONS = (COUNT, "signed", COUNT)  # gov_2019 第二十条第（五）（六）项
S3_ROW_TOTAL = (SumRule((6,), (0, 1, 2, 3, 4, 5)),)
S4_GROUP_TOTALS = (SumRule((4,), (0, 1, 2, 3)), SumRule((9,), (5, 6, 7, 8)), SumRule((14,), (10, 11, 12, 13)))


def splits(run: str, kinds: tuple[str, ...], rules: tuple[SumRule, ...] = ()) -> list[str]:
    return [show(s) for s in enumerate_splits(groups_of(normalise_run(run)), kinds, rules).splits]


def admissible(run: str, kinds: tuple[str, ...]) -> int:
    return count_splits(groups_of(normalise_run(run)), kinds)


def by_key(facts: list[Fact]) -> dict[str, Fact]:
    return {f.key: f for f in facts}


# -- split enumeration -----------------------------------------------------------------


def test_3960181_in_three_cells_has_the_eleven_splits_of_the_2019_notes() -> None:
    assert splits("3960181", PREV_CHANGE_DECISIONS) == [
        "3|9|60181", "3|960|181", "3|9601|81", "3|96018|1", "39|60|181", "39|601|81",
        "39|6018|1", "396|0|181", "3960|1|81", "3960|18|1", "39601|8|1",
    ]  # fmt: skip
    assert admissible("3960181", PREV_CHANGE_DECISIONS) == 11


def test_counts_of_the_notes() -> None:
    assert admissible("898989", (COUNT,) * 3) == 10
    assert "89|89|89" in splits("898989", (COUNT,) * 3)
    assert splits("100153", PREV_CHANGE_DECISIONS) == ["10|0|153", "100|1|53", "100|15|3", "1001|5|3"]
    assert admissible("26480430", PREV_CHANGE_DECISIONS) == 16
    assert admissible("126025", PREV_CHANGE_DECISIONS) == 7
    assert splits("350", (COUNT, "signed")) == ["3|50", "35|0"]
    assert admissible("693665", (COUNT,) * 3) == 10
    assert admissible("8855698", (COUNT,) * 3) == 15
    assert admissible("6233440", (COUNT,) * 3) == 15


def test_no_leading_zeros_and_signs_only_where_allowed() -> None:
    assert valid_cell("0", COUNT) and valid_cell("105", COUNT)
    assert not valid_cell("05", COUNT) and not valid_cell("00", COUNT)
    assert valid_cell("-8", "signed") and not valid_cell("-0", "signed") and not valid_cell("-8", COUNT)
    assert not valid_cell("1.5", COUNT) and valid_cell("1.5", "decimal") and not valid_cell("01.5", "decimal")
    assert valid_cell("01", "code")
    # a minus sign can only open the 本年增/减 cell
    assert splits("396-5181", PREV_CHANGE_DECISIONS) == ["396|-5|181", "396|-51|81", "396|-518|1"]
    assert splits("396-5181", (COUNT,) * 3) == []


def test_a_decimal_run_is_one_cell() -> None:
    assert splits("24252.311082", ("decimal",)) == ["24252.311082"]
    assert splits("24252.311082", (COUNT,)) == []
    amounts = splits("13575394432.52", (COUNT, "amount"))
    assert len(amounts) == 10 and amounts[0] == "1|3575394432.52" and amounts[-1] == "1357539443|2.52"
    assert all("." in s.split("|")[1] for s in amounts)


def test_spaces_are_real_cell_boundaries() -> None:
    assert admissible("230 000023", (COUNT,) * 7) == 3
    assert splits("230 000023", (COUNT,) * 7, S3_ROW_TOTAL) == ["23|0|0|0|0|0|23"]
    assert splits("500000 5", (COUNT,) * 7) == ["5|0|0|0|0|0|5"]
    assert splits("0 1 1 0 2", (COUNT,) * 5) == ["0|1|1|0|2"]
    assert splits("12 3", (COUNT,) * 3) == ["1|2|3"]
    assert splits("1 2 3", (COUNT,) * 2) == []  # three printed cells cannot be two


def test_dash_cells() -> None:
    assert splits("—0—", (COUNT,) * 3) == ["—|0|—"]
    assert splits("——12", (COUNT,) * 2) == ["—|12"]


def test_section_four_group_totals_leave_one_split() -> None:
    assert admissible("10203120001200000", (COUNT,) * 15) == 25
    assert splits("10203120001200000", (COUNT,) * 15, S4_GROUP_TOTALS) == ["1|0|2|0|3|12|0|0|0|12|0|0|0|0|0"]
    assert admissible("21317000001324019", (COUNT,) * 15) == 47
    assert splits("21317000001324019", (COUNT,) * 15, S4_GROUP_TOTALS) == ["2|1|3|1|7|0|0|0|0|0|13|2|4|0|19"]


def test_row_total_prunes_the_2021_granted_row_to_two() -> None:
    assert splits("270020130", (COUNT,) * 7, S3_ROW_TOTAL) == ["2|7|0|0|20|1|30", "27|0|0|2|0|1|30"]


def test_count_matches_enumeration() -> None:
    rng = random.Random(7)
    for _ in range(200):
        run = "".join(rng.choice("0012345") for _ in range(rng.randint(1, 10)))
        if rng.random() < 0.3:
            cut = rng.randint(1, len(run))
            run = f"{run[:cut]} {run[cut:]}".strip()
        for k in (1, 2, 3, 7):
            kinds = (COUNT,) * k
            assert admissible(run, kinds) == len(splits(run, kinds)), (run, k)


def test_brute_force_agrees_on_small_runs() -> None:
    for run in ("100153", "3960181", "270020130"):
        for k in (2, 3):
            brute = set()
            for cuts in itertools.combinations(range(1, len(run)), k - 1):
                parts = [run[a:b] for a, b in zip((0, *cuts), (*cuts, len(run)), strict=True)]
                if all(valid_cell(p, COUNT) for p in parts):
                    brute.add("|".join(parts))
            assert set(splits(run, (COUNT,) * k)) == brute


def test_search_is_bounded() -> None:
    search = enumerate_splits(groups_of("1" * 40), (COUNT,) * 15, S4_GROUP_TOTALS, budget=2000)
    assert not search.complete and search.steps <= 2001
    assert count_splits(groups_of("9" * 60), (COUNT,) * 15) == 12124944014280  # counted, never listed


# -- segments ---------------------------------------------------------------------------


def test_an_enumerator_glued_to_a_run_goes_back_to_the_next_label() -> None:
    segs = [(s.label, s.run) for s in segments("（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0000000")]
    assert segs == [("（三）不予公开1.属于国家秘密", "0000000"), ("2.其他法律行政法规禁止公开", "0000000")]


def test_years_and_parentheticals_stay_in_the_label() -> None:
    segs = [(s.label, s.run) for s in segments("指标名称 计量单位 2012年度 历年累计 主动公开信息数 条 739 4359")]
    assert segs == [("指标名称 计量单位 2012年度 历年累计 主动公开信息数 条 ", "739 4359")]
    segs = [(s.label, s.run) for s in segments("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）条40")]
    assert segs == [("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）条", "40")]


# -- hand-made section 三 tables: joint resolution -------------------------------------

S3_HEADER = (
    "三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
)


def s3_text(runs: dict[str, str]) -> str:
    """A gov_2021 section 三 flattened like the pingtan captures; unlisted rows print '0000000'."""
    rows = sequences(reference(), "gov_2021")[0]
    return S3_HEADER + "".join(f"{r.label}{runs.get(r.row_key, '0000000')}" for r in rows)


PINGTAN_2021 = {  # the 2021 capture's section 三, digits as printed
    "new_received": "640020470",
    "r_granted": "270020130",
    "r_partial": "500000 5",
    "r_denied_internal_affairs": "1000001",
    "r_denied_enforcement_file": "6000006",
    "r_denied_admin_query": "1000001",
    "r_unable_not_held": "220000325",
    "r_other_misc": "1000001",
    "r_total": "630020469",
    "carried_to_next": "1000001",
}


def test_cross_row_identities_pick_the_split() -> None:
    facts = by_key(facts_from_text(s3_text(PINGTAN_2021), "gov_2021", reference()))
    granted = [facts[f"s3.r_granted.{c}"] for c in ("natural_person", "social_welfare_org", "other_org", "total")]
    assert [f.value for f in granted] == [27, 2, 1, 30]
    assert all(f.method == "runtogether" and f.flags == ["identity_resolved"] for f in granted)
    assert "only 27|0|0|2|0|1|30 satisfies" in granted[0].reason and "S3_RESULT_TOTAL" in granted[0].reason
    assert facts["s3.r_unable_not_held.natural_person"].value == 22
    assert facts["s3.r_partial.total"].value == 5 and facts["s3.r_partial.total"].flags == ["unique_split"]
    assert facts["s3.carried_over_from_prev.total"].value == 0
    assert len(facts) == 25 * 7 and all(f.value is not None for f in facts.values())  # 25 leaf rows


def test_rows_the_identities_cannot_separate_stay_null_with_the_reason() -> None:
    # two rows printed '270020130': swapping their readings keeps every column sum
    runs = {"new_received": "2970220260", "r_granted": "270020130", "r_partial": "270020130", "r_total": "2970220260"}
    facts = by_key(facts_from_text(s3_text(runs), "gov_2021", reference()))
    for row in ("r_granted", "r_partial"):
        person = facts[f"s3.{row}.natural_person"]
        assert person.value is None and person.flags == ["ambiguous"]
        assert "12 admissible splits" in person.reason and "2 still satisfy" in person.reason
        assert facts[f"s3.{row}.total"].value == 30  # both readings agree on the total
        assert facts[f"s3.{row}.total"].flags == ["identity_resolved"]
    assert facts["s3.r_total.legal_service_org"].value == 20


def test_values_the_source_breaks_do_not_pick_a_split() -> None:
    # 上年结转 printed '1 1 1 1 1 1 6': S3_BALANCE fails in every column among certain rows, so
    # the 总计 row is suspect and S3_RESULT_TOTAL (which needs it) may not choose the 予以公开 split
    runs = {**PINGTAN_2021, "carried_over_from_prev": "1 1 1 1 1 1 6"}
    facts = by_key(facts_from_text(s3_text(runs), "gov_2021", reference()))
    granted = facts["s3.r_granted.natural_person"]
    assert granted.value is None and granted.flags == ["ambiguous"]
    assert "2 still satisfy S3_COLUMN_TOTAL" in granted.reason
    assert "S3_BALANCE fail among the certain rows" in granted.reason
    assert facts["s3.r_granted.total"].value == 30
    assert facts["s3.carried_over_from_prev.total"].method == "text"


def test_a_row_that_breaks_its_own_total_is_not_forced() -> None:
    facts = by_key(facts_from_text(s3_text({"r_granted": "1000002", "r_partial": "10000012"}), "gov_2021", reference()))
    # one admissible split: kept as printed (the identity check will report the source's error)
    assert [facts[f"s3.r_granted.{c}"].value for c in ("natural_person", "total")] == [1, 2]
    partial = facts["s3.r_partial.natural_person"]
    assert partial.value is None and "no admissible split satisfies S3_COLUMN_TOTAL" in partial.reason


# -- the reader on small texts -----------------------------------------------------------

GOV_2019_S2 = (
    "二、主动公开政府信息情况 第二十条第（一）项信息内容本年新制作数量本年新公开数量对外公开总数量规章000"
    "规范性文件66 66 108第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量行政许可58-2 17"
    "其他对外管理服务事项2 -2 17第二十条第（九）项信息内容采购项目数量采购总金额政府集中采购10 965.37万元"
    "三、收到和处理政府信息公开申请情况"
)


def test_gov_2019_signed_change_amount_unit_and_mapping() -> None:
    facts = by_key(facts_from_text(GOV_2019_S2, "gov_2019", reference()))
    change = facts["s2.art20_5.admin_license.items_change"]
    assert (change.value, change.method, sorted(change.flags)) == (-2, "runtogether", ["negative", "unique_split"])
    assert facts["s2.art20_5.other_admin_services.items_change"].method == "text"
    amount = facts["s2.art20_9.gov_central_procurement.procurement_amount"]
    assert (amount.value, amount.unit, amount.method) == (965.37, "万元", "text")
    assert facts["s2.art20_1.normative_docs.total_published_cumulative"].value == 108
    assert not any(k.endswith(".in_force") for k in facts)  # 对外公开总数量 is not 现行有效件数
    assert facts["s2.art20_1.regulations.issued_this_year"].flags == ["unique_split"]


def test_legacy_table_current_year_only_unknown_rows_kept() -> None:
    text = (
        "指标名称 计量单位 2012年度 历年累计 主动公开信息数 条 739 4359 行政申诉、举报数 件 0 0 "
        "网站留言办理数 条 12 40 附件下载"
    )
    facts = by_key(facts_from_text(text, "legacy_stats", reference()))
    assert facts["legacy.active_total"].value == 739 and facts["legacy.active_total"].method == "text"
    assert facts["legacy.appeals_and_reports"].value == 0
    unknown = facts["legacy.raw.网站留言办理数"]
    assert unknown.value == 12 and unknown.flags == ["unknown_row"] and unknown.raw_label == "网站留言办理数"
    assert not any(f.value in (4359, 40) for f in facts.values())  # 历年累计 is never recorded


def test_legacy_run_together_ambiguity_and_money_unit() -> None:
    text = "指标名称计量单位2016年度历年累计主动公开文件数条346085376政府信息公开收费减免金额元00"
    facts = by_key(facts_from_text(text, "legacy_stats", reference()))
    active = facts["legacy.active_total"]
    assert active.value is None and active.flags == ["ambiguous"] and "7 admissible splits" in active.reason
    fee = facts["legacy.fee_waiver_amount_yuan"]
    assert (fee.value, fee.unit, fee.flags) == (0, "元", ["unique_split"])


def test_wrapped_lines_are_not_rows() -> None:
    text = (
        "统计指标 单位 统计数\n（一）主动公开政府信息数（不同渠道和方式公开相同信息计1\n条 40\n条）\n"
        "新河县 2015 年 3 月 3 日"
    )
    facts = facts_from_text(text, "legacy_stats", reference())
    assert facts == []


def test_prose_and_other_layouts_give_nothing() -> None:
    prose = (
        "一、总体情况2021年，我区全年主动公开政府信息2645条，收到申请70件，办结69件。"
        "因政府信息公开申请行政复议、提起行政诉讼的情况：行政复议3件，行政诉讼12件。第二十条第（一）项 规定的信息1条"
    )
    assert facts_from_text(prose, "gov_2021", reference()) == []
    one_cell_per_line = "第二十条第（一）项\n信息内容\n本年制发件数\n本年废止件数\n现行有效件数\n规章\n0\n0\n0\n"
    assert facts_from_text(one_cell_per_line, "gov_2021", reference()) == []
    tab_rows = "第二十条第（一）项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t0\t0\t10\n"
    assert facts_from_text(tab_rows, "gov_2021", reference()) == []
    assert facts_from_text("规章000", "narrative", reference()) == []


# -- real documents ---------------------------------------------------------------------

TEXT_CAPTURES = sorted((SHARED_CORPUS / "text").glob("*.expected.json")) if SHARED_CORPUS.is_dir() else []
CERTAIN = {  # a few cells per capture, exact as printed (ambiguous ones are checked separately)
    "2012年": {"legacy.active_total": 739, "legacy.active_via_website": 739, "legacy.appeals_and_reports": 0},
    "2016年度": {"legacy.req_letter_or_fax": 0, "legacy.fee_waiver_amount_yuan": 0, "legacy.lit_total": 0},
    "2019年度": {"s3.new_received.natural_person": 23, "s3.r_unable_unclear.total": 5, "s3.r_other.total": 0},
    "2021年度": {
        "s3.r_granted.natural_person": 27,
        "s4.lit_direct_upheld": 12,
        "s2.art20_8.admin_fees.fee_amount_wan_yuan": 24252.311082,
    },
    "2022年度": {
        "s3.new_received.commercial_enterprise": 3,
        "s4.review_total": 2,
        "s2.art20_5.admin_license.decisions_this_year": 10690,
    },
    "2024年度": {"s3.new_received.natural_person": 217, "s4.lit_after_review_total": 19, "s3.r_other_misc.total": 2},
}


def _year(path: Path) -> str:
    return next((y for y in CERTAIN if y in path.name), "")


@pytest.fixture(scope="module")
def text_results() -> dict:
    return {}


@pytest.mark.corpus
@pytest.mark.parametrize("path", TEXT_CAPTURES, ids=[re.search(r"20\d\d", p.name).group() for p in TEXT_CAPTURES])
def test_text_capture(path: Path, text_results: dict) -> None:
    expected = load_expected(path)
    result = process_document(InputDoc.from_path(path.parent / expected["document"]))
    facts = {f.key: f for f in result.facts}
    assert result.document["template"] == expected["template"]
    for key, value in CERTAIN.get(_year(path), {}).items():
        assert facts[key].value == pytest.approx(value), key
        assert facts[key].method in ("text", "runtogether"), key
    ambiguous = set(expected["ambiguous_cells"])
    for key in ambiguous:  # never a guess: null, flagged, with the admissible splits
        assert facts[key].value is None and "ambiguous" in facts[key].flags, key
        assert "admissible splits" in facts[key].reason, key
    exact = sum(
        1 for k, v in expected["facts"].items() if k in facts and facts[k].value is not None
        and abs(facts[k].value - v) < 1e-6
    )  # fmt: skip
    scored = [k for k in expected["facts"] if k not in ambiguous]
    assert exact == len(scored)
    allowed = set(expected["facts"]) | set(expected["blank_cells"]) | set(expected["narrative_facts"])
    assert {k for k, f in facts.items() if f.value is not None and f.method != "derived"} - allowed == set()
    failing = {c.identity for c in result.checks if c.passed is False}
    assert failing == set(expected["expected_failing_identities"])


@pytest.mark.corpus
def test_other_folders_get_no_text_facts(shared_corpus: Path) -> None:
    """Where tables were parsed (HTML, PDF, tab text), the text reader adds nothing."""
    for path in sorted(shared_corpus.rglob("*.expected.json")):
        if path.parent.name == "text":
            continue
        expected = load_expected(path)
        result = process_document(InputDoc.from_path(path.parent / expected["document"]))
        assert [f.key for f in result.facts if f.method in ("text", "runtogether")] == [], path.name


def runtogether_samples() -> list[Path]:
    """Generated text captures whose rows run together (the generator says so in the notes)."""
    if not SAMPLES.is_dir():
        return []
    return [p for p in sorted(SAMPLES.glob("gen*.txt")) if "runtogether" in load_expected(expected_of(p))["notes"]]


def expected_of(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(path.suffix) + ".expected.json")


RUNTOGETHER_SAMPLES = runtogether_samples()


@pytest.mark.parametrize("path", RUNTOGETHER_SAMPLES, ids=[p.name for p in RUNTOGETHER_SAMPLES])
def test_generated_runtogether_samples(path: Path) -> None:
    expected = load_expected(expected_of(path))
    result = process_document(InputDoc.from_path(path))
    facts = {f.key: f for f in result.facts}
    ambiguous = set(expected["ambiguous_cells"])
    wrong = {
        k: (v, facts[k].value if k in facts else "missing")
        for k, v in expected["facts"].items()
        if k not in ambiguous and (k not in facts or facts[k].value is None or abs(facts[k].value - v) > 1e-6)
    }
    assert wrong == {}
    assert all(facts[k].value is None and facts[k].reason for k in ambiguous if k in facts)
