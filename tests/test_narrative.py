from __future__ import annotations

from govreports.transform.narrative import narrative_facts
from govreports.transform.reference import reference
from govreports.transform.units import normalise_amounts


def values(text: str, year: int | None = 2016) -> dict[str, float]:
    return {f.key: f.value for f in narrative_facts(text, year)}


def test_exact_statements_are_read() -> None:
    text = "2015年本局发布各类信息93条，其中：政府公文79条；微博共发布微博1条。"
    text += "本年度未收到依申请公开申请。兼职人员2人。"
    assert values(text) == {
        "legacy.active_total": 93,
        "legacy.ch_weibo": 1,
        "legacy.req_received": 0,
        "legacy.staff_part_time": 2,
    }


def test_approximate_numbers_are_never_read() -> None:
    assert values("全年主动公开政府信息100多条，发布公示公告7条。") == {}


def test_reports_after_2018_are_left_to_their_tables() -> None:
    assert values("本年度未收到依申请公开申请。", 2021) == {}


def test_provenance_is_kept() -> None:
    fact = narrative_facts("我局没有从事政府信息公开工作的全职人员，兼职人员1人。", 2013)[0]
    assert (fact.method, fact.flags) == ("narrative", ["prose"])
    assert "全职人员" in fact.raw_text


def amounts(text: str) -> dict[str, tuple[float | None, str | None, list[str]]]:
    return {f.key: (f.value, f.unit, f.flags) for f in normalise_amounts(narrative_facts(text, 2014), reference())}


def test_amounts_in_prose_are_read_with_their_unit() -> None:
    text = "本年度共收取检索、复制费用35元。政府信息公开专项经费3.5万元。"
    assert amounts(text) == {
        "legacy.fees_collected": (0.0035, "元", ["prose"]),  # 35 元 in the spec unit 万元, printed unit kept
        "legacy.budget": (3.5, "万元", ["prose"]),
    }


def test_approximate_or_unrelated_amounts_in_prose_are_not_read() -> None:
    assert amounts("收取费用约120元，收取复制费用100多元。") == {}
    assert amounts("产生的政府信息公开费用1万元。") == {}  # an expenditure, neither fees nor the budget
