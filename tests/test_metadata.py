"""The metadata resolver: agency, year and published date from ordered sources, each source recorded."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from govreports.extract.model import Extracted
from govreports.pipelines.evaluate import EvalReport, score_corpus
from govreports.pipelines.generate import prose
from govreports.transform.dates import PrintedDate, parse_date, printed_date
from govreports.transform.detect import detect
from govreports.transform.document import process_document
from govreports.transform.model import InputDoc

BODY = "\n本报告根据《条例》要求编制。\n一、总体情况\n正文。\n"
AGENCY = "金华市婺城区人民政府"


def found(text: str, **meta: str) -> tuple:
    f = detect(Extracted(format="text", text=text, meta=dict(meta)))
    return f.agency, f.report_year, f.published_date, f.published_month, json.loads(f.meta_sources or "{}")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("二〇一六年二月二十九日", PrintedDate(2016, 2, 29)),
        ("二〇一九年一月", PrintedDate(2019, 1, None)),
        ("二〇一九年元月", PrintedDate(2019, 1, None)),
        ("2019 年 12 月", PrintedDate(2019, 12, None)),
        ("二○二三年十二月三十一日", PrintedDate(2023, 12, 31)),
        ("2024年1月26日", PrintedDate(2024, 1, 26)),
    ],
)
def test_printed_dates(text: str, day: PrintedDate) -> None:
    assert printed_date(text) == day


def test_impossible_dates_are_no_dates() -> None:
    assert printed_date("二〇一九年二月二十九日") is None  # 2019 is no leap year
    assert printed_date("2019年13月") is None
    assert parse_date("二〇一九年一月") is None  # a month is not a day


TITLE_BLOCKS = [
    ("2022 年金华市婺城区人民政府\n政府信息公开工作年度报告", "year first, two lines"),
    (f"{AGENCY}\n2022年度政府信息公开\n工作年度报告", "three lines"),
    (f"2022年度\n{AGENCY}\n政府信息公开工作年度报告", "year on a line of its own"),
    (" ".join(AGENCY) + "\n" + " ".join("2022年政府信息公开工作年度报告"), "spaced characters"),
    (f"{AGENCY}2022年政府信息公开\n工作年度报告", "broken inside the title"),
]


@pytest.mark.parametrize(("title", "why"), TITLE_BLOCKS)
def test_title_blocks_over_lines(title: str, why: str) -> None:
    agency, year, _, _, sources = found(title + BODY)
    assert (agency, year) == (AGENCY, 2022), why
    assert (sources["agency"], sources["report_year"]) == ("title_block", "title_block")


def test_the_page_title_comes_first() -> None:
    text = f"{AGENCY}\n2022年政府信息公开工作年度报告" + BODY
    agency, year, _, _, sources = found(text, title="婺城区教育局2021年政府信息公开工作年度报告")
    assert (agency, year, sources["agency"]) == ("婺城区教育局", 2021, "page_title")


def test_agency_from_the_opening_sentence() -> None:
    text = "2022年度政府信息公开工作年度报告\n本报告由金华市婺城区人民政府办公室根据《条例》编制。\n一、总体情况\n"
    assert found(text)[0] == "金华市婺城区人民政府办公室"
    opening = f"根据《条例》，特向社会公布{AGENCY}2022年度政府信息公开工作年度报告。"
    text = f"政府信息公开工作年度报告\n{opening}\n一、总体情况\n"
    agency, year, _, _, sources = found(text)
    assert (agency, year, sources) == (AGENCY, 2022, {"agency": "opening", "report_year": "opening"})


def test_agency_from_the_portal_then_the_signature() -> None:
    text = "2022年度政府信息公开工作年度报告" + BODY + f"{AGENCY}\n2023年1月20日\n"
    assert found(text, publisher="婺城区政务公开办公室")[0] == "婺城区政务公开办公室"
    assert found(text, publisher="Administrator")[0] == AGENCY  # a Word file's author is no agency
    assert found(text)[4]["agency"] == "signature"


def test_signature_dates_in_numerals_and_over_lines() -> None:
    base = f"{AGENCY}2022年政府信息公开工作年度报告" + BODY
    assert found(base + f"{AGENCY}\n二〇二三年一月二十日\n")[2] == date(2023, 1, 20)
    assert found(base + f"{AGENCY}\n2023年1月\n20日\n- 5 -\n")[2] == date(2023, 1, 20)
    assert found(base + f"{AGENCY}\n二〇二三年一月\n二十日\n")[2] == date(2023, 1, 20)
    assert found(base + f"{AGENCY} 二〇一六年二月二十九日\n")[2] == date(2016, 2, 29)


def test_a_month_alone_is_recorded_as_a_month() -> None:
    _, _, day, month, sources = found(f"{AGENCY}2018年政府信息公开工作年度报告" + BODY + f"{AGENCY}\n二〇一九年一月\n")
    assert (day, month) == (None, "2019-01")
    assert sources == {
        "agency": "title_block",
        "report_year": "title_block",
        "published_month": "signature",
        "note": "published_date null: the signature gives year and month only",
    }


def test_fill_date_and_unit_under_a_statistics_table() -> None:
    text = (
        "2015年政府信息公开工作年度报告"
        + BODY
        + "统计指标\t统计数\n填报单位：婺城区人民政府办公室\t填报日期：2016年1月20日\n"
    )
    agency, year, day, month, sources = found(text)
    assert (agency, year, day, month) == ("婺城区人民政府办公室", 2015, date(2016, 1, 20), "2016-01")
    assert (sources["agency"], sources["published_date"]) == ("fill_unit", "fill_date")


def test_page_metadata_date_wins_over_the_signature() -> None:
    text = f"{AGENCY}2022年政府信息公开工作年度报告" + BODY + "2023年1月20日\n"
    assert found(text, published="2023-02-01")[2] == date(2023, 2, 1)


# ---------------------------------------------------------------- the samples' named variations

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
NAMED = sorted({d["variation"] for d in MANIFEST["documents"]} - {"base"})
# which source each title-block, opening and signature variation must be read from
SOURCE_OF = {
    "title_two_lines": ("agency", "title_block"),
    "title_three_lines": ("agency", "title_block"),
    "title_year_first": ("agency", "title_block"),
    "title_spaced": ("agency", "title_block"),
    "agency_in_opening": ("agency", "opening"),
    "agency_in_signature": ("agency", "signature"),
    "date_chinese_numerals": ("published_date", "signature"),
    "date_split": ("published_date", "signature"),
    "date_month_only": ("published_month", "signature"),
    "legacy_fill_date": ("published_date", "fill_date"),
    "signature_before_annex": ("published_date", "signature"),
}


def samples_of(variation: str) -> list[str]:
    return [d["document"] for d in MANIFEST["documents"] if d["variation"] == variation]


def expected_of(document: str) -> dict:
    return json.loads((SAMPLES / f"{document.rsplit('.', 1)[0]}.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def report() -> EvalReport:
    return score_corpus(SAMPLES)


@pytest.mark.parametrize("variation", NAMED)
def test_every_variation_gets_agency_year_and_date_right(report: EvalReport, variation: str) -> None:
    t = report.by_variation()[variation]
    assert (t.agency_ok, t.report_year_ok, t.published_date_ok) == (t.meta_checked,) * 3, variation


@pytest.mark.parametrize("variation", sorted(SOURCE_OF))
def test_each_variation_is_read_from_its_source(variation: str) -> None:
    field, source = SOURCE_OF[variation]
    assert len(samples_of(variation)) >= 3
    for name in samples_of(variation):
        document = process_document(InputDoc.from_path(SAMPLES / name)).document
        assert json.loads(document["meta_sources"])[field] == source, name
        assert document["agency"] == expected_of(name)["agency"], name


def test_month_only_samples_have_a_month_and_no_day() -> None:
    for name in samples_of("date_month_only"):
        e = expected_of(name)
        assert e["published_date"] is None and len(e["published_month"]) == 7, name
        document = process_document(InputDoc.from_path(SAMPLES / name)).document
        assert (document["published_date"], document["published_month"]) == (None, e["published_month"]), name


def test_the_samples_print_what_their_variation_says() -> None:
    captures = {d["document"] for d in MANIFEST["documents"] if "format_text" in d["variations"]}
    for name in captures & set(samples_of("title_spaced")):  # pdftotext -layout drops the spaces
        agency, text = expected_of(name)["agency"], (SAMPLES / name).read_text(encoding="utf-8")
        assert " ".join(agency) in text or "\u3000".join(agency) in text, name
    for name in [n for n in samples_of("legacy_fill_date") if not n.endswith(".pdf")]:
        text = (SAMPLES / name).read_text(encoding="utf-8")
        assert "填报日期" in text and "填报单位" not in text, name
    for name in captures & set(samples_of("date_split")):
        day = date.fromisoformat(expected_of(name)["published_date"])
        lines = [ln.strip() for ln in (SAMPLES / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert lines[-1] in (f"{day.day}日", prose.small_number_cn(day.day) + "日"), name


def test_the_fill_lines_under_a_statistics_table_are_no_rows() -> None:
    from govreports.transform.reference import reference
    from govreports.transform.runtogether import facts_from_text

    table = "统计指标 单位 统计数\n（一）召开政府信息公开工作会议或专题会议数 次 3\n"
    footer = "单位负责人：王明 审核人：李华 填报人：张强\n联系电话：0457-4784051 填报日期：2015 年 1 月 14 日\n"
    facts = facts_from_text(table + footer, "legacy_stats", reference())
    assert [(f.key, f.value) for f in facts] == [("legacy.meetings", 3.0)]


def test_a_site_name_as_page_title_names_no_agency() -> None:
    text = f"{AGENCY}2022年政府信息公开工作年度报告" + BODY
    agency, year, _, _, sources = found(text, title="婺城区人民政府门户网站")
    assert (agency, year, sources["agency"]) == (AGENCY, 2022, "title_block")


def test_a_lake_written_before_the_new_columns_still_reads(tmp_path: Path) -> None:
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govreports.load.lake import DOCUMENTS_SCHEMA, lake_dir, read_table
    from govreports.load.warehouse import lake_view_sql

    older = pa.schema([f for f in DOCUMENTS_SCHEMA if f.name not in ("published_month", "meta_sources")])
    part = lake_dir(tmp_path) / "documents"
    part.mkdir(parents=True)
    row = {"doc_id": "a", "agency": "某局", "report_year": 2020}
    pq.write_table(pa.Table.from_pylist([row], schema=older), part / "report_year-2020-part-a.parquet")
    rows = duckdb.sql(lake_view_sql(tmp_path, "documents", DOCUMENTS_SCHEMA)).fetchall()
    names = DOCUMENTS_SCHEMA.names
    assert [
        (r[names.index("doc_id")], r[names.index("published_month")], r[names.index("report_year")]) for r in rows
    ] == [("a", None, 2020)]
    row = {"doc_id": "b", "published_month": "2021-01", "report_year": 2020}
    pq.write_table(pa.Table.from_pylist([row], schema=DOCUMENTS_SCHEMA), part / "report_year-2020-part-b.parquet")
    table = read_table(tmp_path, "documents").sort_by("doc_id")
    assert table.column("published_month").to_pylist() == [None, "2021-01"]


def test_a_signature_above_the_annex_table() -> None:
    rows = "".join(f"（{i}）某项指标 件 {i}\n" for i in range(1, 15))
    text = f"{AGENCY}2015年政府信息公开工作年度报告" + BODY + f"{AGENCY}\n二〇一六年一月二十日\n附表：统计表\n{rows}"
    _, _, day, _, sources = found(text)
    assert (day, sources["published_date"]) == (date(2016, 1, 20), "signature")
    assert found(text.replace("附表：统计表", "统计表"))[2] is None  # no annex heading: the table's lines end the text


def test_titles_of_documents_that_are_not_reports() -> None:
    from govreports.transform.detect import agency_of

    assert agency_of("兴隆县财政局政府网站信息公开工作整改情况说明", "") == "兴隆县财政局"
    assert agency_of("石门县人民政府政府网站信息公开工作整改情况说明", "") == "石门县人民政府"
    text = "桐溪县人力资源和社会保障局关于印发2019年政务公开工作要\n点的通知\n各乡镇人民政府：\n现将要点印发给你们。\n"
    f = detect(Extracted(format="pdf", text=text))
    assert (f.doc_type, f.title, f.agency) == (
        "other",
        "桐溪县人力资源和社会保障局关于印发2019年政务公开工作要点的通知",
        "桐溪县人力资源和社会保障局",
    )
    text = "首页>政务公开>政府信息公开年报\n兴隆县财政局政府网站信息公开工作整改情况说明\n现将整改情况说明如下。\n"
    assert detect(Extracted(format="text", text=text)).agency == "兴隆县财政局"
