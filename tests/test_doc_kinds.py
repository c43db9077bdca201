"""Documents about reports are not reports (issue 9 item 5): each is `other`, with no
facts, and the rule of data/reference/doc_kinds.csv that decided in doc_type_reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.extract.model import Extracted, RawTable
from govreports.transform.detect import REPORT_BY_TEXT, REPORT_BY_TITLE, detect
from govreports.transform.document import process_document
from govreports.transform.model import InputDoc
from tests.conftest import SAMPLES

REPORT = SAMPLES / "gen000_gov_2021_2021.html"
REPORT_TITLE = "凤台县教育局2021年政府信息公开工作年度报告"


def retitled(tmp_path: Path, title: str) -> InputDoc:
    """A full 2021-format report page (all its tables) printed under another title, as a
    notice that attaches the report form, or a plan that quotes last year's tables, is."""
    page = tmp_path / "page.html"
    page.write_text(REPORT.read_text(encoding="utf-8").replace(REPORT_TITLE, title), encoding="utf-8")
    return InputDoc(path=page, source=str(page), file_name=page.name)


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("凤台县教育局关于做好2021年度政府信息公开工作年度报告编制发布工作的通知", "a notice about the annual reports"),
        ("凤台县教育局2020年与2021年政府信息公开工作年度报告对比", "a comparison of two years of reports"),
        ("凤台县教育局2021年政府信息公开工作年度报告自查情况", "a self-inspection"),
        ("凤台县教育局2022年政府信息公开工作年度报告编制工作方案", "a work plan"),
    ],
)
def test_a_document_about_the_reports_is_other_with_no_facts(tmp_path: Path, title: str, said: str) -> None:
    result = process_document(retitled(tmp_path, title))
    doc = result.document
    assert (doc["status"], doc["doc_type"], doc["template"], doc["n_facts"]) == ("ok", "other", None, 0)
    assert result.facts == [] and result.checks == []
    assert doc["doc_type_reason"].startswith(said)


def test_the_report_itself_is_still_a_report(tmp_path: Path) -> None:
    result = process_document(retitled(tmp_path, REPORT_TITLE))
    assert (result.document["doc_type"], result.document["doc_type_reason"]) == ("annual_report", REPORT_BY_TITLE)
    assert result.document["n_facts"] > 150


def untitled(tables: list[list[list[str]]]) -> Extracted:
    text = "本报告根据《条例》编制。政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n"
    return Extracted(format="html", text=text, tables=[RawTable(rows=rows) for rows in tables])


def test_tables_setting_two_years_side_by_side_make_a_comparison() -> None:
    rows = [["指标", "2022年", "2023年", "增减"], ["本年新收政府信息公开申请数量", "12", "15", "3"]]
    found = detect(untitled([rows]))
    assert (found.doc_type, found.template) == ("other", None)
    assert found.doc_type_reason.startswith("its tables set two or more years side by side")


def test_one_year_column_or_a_report_title_is_no_comparison() -> None:
    one_year = detect(untitled([[["指标", "2023年"], ["本年新收政府信息公开申请数量", "15"]]]))
    assert (one_year.doc_type, one_year.doc_type_reason) == ("annual_report", REPORT_BY_TEXT)
    # a local report that prints last year beside this year is still the report
    ex = untitled([[["指标", "2022年", "2023年"], ["本年新收政府信息公开申请数量", "12", "15"]]])
    ex.meta["title"] = "某县2023年政府信息公开工作年度报告"
    assert (detect(ex).doc_type, detect(ex).doc_type_reason) == ("annual_report", REPORT_BY_TITLE)


def test_a_page_with_no_report_title_or_sections_says_why() -> None:
    found = detect(Extracted(format="html", text="首页 > 下载中心\n联系我们"))
    assert found.doc_type == "other"
    assert found.doc_type_reason.startswith("no annual-report title")


def test_an_unknown_test_in_doc_kinds_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from govreports.transform import reference as ref

    row = {"kind": "x", "test": "body", "pattern": "x", "over_report_title": "no", "reason": "x"}
    monkeypatch.setattr(ref, "_read_csv", lambda name: [row])
    ref.doc_kinds.cache_clear()
    try:
        with pytest.raises(ValueError, match="unknown test"):
            ref.doc_kinds()
    finally:
        monkeypatch.undo()
        ref.doc_kinds.cache_clear()
