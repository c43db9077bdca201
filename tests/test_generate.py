"""The generated sample corpus: deterministic, true to what it prints, covering every variation."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from lxml import html as lxml_html

from govreports.pipelines.generate.corpus import DEFAULT_SEED, generate_corpus
from govreports.pipelines.generate.split import ambiguous_positions, readings, total_is_sum
from govreports.pipelines.generate.values import failing_identities
from govreports.transform.document import process_document
from govreports.transform.model import InputDoc
from govreports.transform.reference import S3_COLUMNS

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
MANIFEST = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


def expected_of(document: str) -> dict:
    stem = document.rsplit(".", 1)[0]
    return json.loads((SAMPLES / f"{stem}.expected.json").read_text(encoding="utf-8"))


def documents_with(tag: str) -> list[str]:
    return [d["document"] for d in MANIFEST["documents"] if tag in d["variations"]]


# ---------------------------------------------------------------- determinism


def test_everything_but_pdf_regenerates_byte_identical(tmp_path: Path) -> None:
    formats = ("html", "text", "docx", "xlsx")
    reports = generate_corpus(tmp_path, seed=MANIFEST["seed"], count=MANIFEST["count"], formats=formats)
    made_by_soffice = {"format_pdf", "format_pdf_layout"}  # PDF bytes differ from machine to machine
    assert len(reports) == sum(1 for d in MANIFEST["documents"] if not made_by_soffice & set(d["variations"]))
    for r in reports:
        name = r.expected["document"]
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
        exp = f"{r.plan.name}.expected.json"
        assert (tmp_path / exp).read_bytes() == (SAMPLES / exp).read_bytes(), exp


def pdf_text(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pdfs_regenerate_and_read_to_their_expected_values(tmp_path: Path) -> None:
    # Not the same text: where a header cell wraps depends on the CJK fonts LibreOffice finds on the machine.
    reports = generate_corpus(tmp_path, seed=MANIFEST["seed"], count=MANIFEST["count"], formats=("pdf",))
    assert len(reports) == len(list(SAMPLES.glob("*.pdf")))
    for r in reports:
        name = r.expected["document"]
        exp = f"{r.plan.name}.expected.json"
        assert (tmp_path / exp).read_bytes() == (SAMPLES / exp).read_bytes(), exp
        values = process_document(InputDoc.from_path(tmp_path / name)).values()
        assert {k: values.get(k) for k in r.expected["facts"]} == r.expected["facts"], name


def test_the_default_seed_made_the_samples() -> None:
    assert MANIFEST["seed"] == DEFAULT_SEED


# ---------------------------------------------------------------- coverage


def test_corpus_size_and_every_variation_at_least_twice() -> None:
    docs = MANIFEST["documents"]
    assert len(docs) >= 60
    tags = Counter(v for d in docs for v in d["variations"])
    required = [
        "gov_2021", "gov_2019", "legacy_national", "legacy_putian", "legacy_dingxi", "narrative", "other",
        "format_html", "format_pdf", "format_text", "html_word", "html_plain", "gbk",
        "text_tab", "text_pipe", "text_runtogether", "pdf_split_repeated_header", "pdf_split_no_repeated_header",
        "other_single_row", "hubei_row", "procurement_yuan", "procurement_wan", "zero_as_blank", "zero_as_dash",
        "notes_in_cells", "negative_change", "inconsistent_S4_GROUP_TOTALS", "inconsistent_S3_COLUMN_TOTAL",
        "inconsistent_L_STAFF",
        "not_report_notice", "not_report_comparison", "not_report_self_inspection", "not_report_work_plan",
    ]  # fmt: skip
    assert {t: tags[t] for t in required if tags[t] < 2} == {}
    for d in docs:
        assert (SAMPLES / d["document"]).is_file(), d["document"]


def test_variations_show_in_the_ground_truth() -> None:
    """The tags are not just labels: the expected files carry what they promise."""
    for doc in documents_with("negative_change"):
        assert any(k.endswith("items_change") and v < 0 for k, v in expected_of(doc)["facts"].items()), doc
    for doc in documents_with("other_single_row"):
        facts = expected_of(doc)["facts"]
        assert "s3.r_other.total" in facts and not any(k.startswith("s3.r_other_") for k in facts), doc
    for doc in documents_with("hubei_row"):
        assert "s2.art20_1.other_active_docs.issued_this_year" in expected_of(doc)["facts"], doc
    for doc in documents_with("zero_as_blank") + documents_with("zero_as_dash"):
        assert expected_of(doc)["blank_cells"], doc
    for doc in documents_with("text_runtogether"):
        assert expected_of(doc)["ambiguous_cells"], doc
    for tag in ("inconsistent_S4_GROUP_TOTALS", "inconsistent_S3_COLUMN_TOTAL", "inconsistent_L_STAFF"):
        for doc in documents_with(tag):
            assert tag.removeprefix("inconsistent_") in expected_of(doc)["expected_failing_identities"], doc
    others = [expected_of(d["document"]) for d in MANIFEST["documents"] if "other" in d["variations"]]
    assert all(e["doc_type"] == "other" and e["template"] is None and not e["facts"] for e in others)
    narratives = [expected_of(d) for d in documents_with("narrative")]
    assert all(not e["facts"] and e["narrative_facts"] for e in narratives)


def test_identities_hold_unless_the_source_breaks_them_on_purpose() -> None:
    for d in MANIFEST["documents"]:
        e = expected_of(d["document"])
        if e["template"] not in ("gov_2021", "gov_2019", "legacy_stats"):
            continue
        # 总计 cells left empty under filled-in parts: expected null, printed as an empty cell (0)
        unfilled = e["ambiguous_cells"] if "s4_totals_blank" in d["variations"] else []
        printed = {**e["facts"], **dict.fromkeys(e["blank_cells"] + unfilled, 0)}
        broken = failing_identities(printed, e["template"])
        assert broken == e["expected_failing_identities"], d["document"]
        planned = [v.removeprefix("inconsistent_") for v in d["variations"] if v.startswith("inconsistent_")]
        planned += ["S4_GROUP_TOTALS"] if unfilled else []
        assert set(planned) <= set(broken) and (broken == [] or planned), d["document"]


def test_values_are_realistic() -> None:
    values = [v for d in MANIFEST["documents"] for v in expected_of(d["document"])["facts"].values()]
    nonzero = [v for v in values if v != 0]
    assert 0.2 < len(nonzero) / len(values) < 0.9  # not nearly all zero, not all busy
    counts = sorted(v for v in nonzero if float(v).is_integer() and v > 0)
    assert counts[len(counts) // 2] < 50  # mostly small counts …
    assert counts[-1] > 1000  # … some large


# ---------------------------------------------------------------- printed = expected


def cell_texts(row) -> list[str]:
    return ["".join(td.itertext()).replace("\xa0", " ").strip() for td in row.findall("td")]


@pytest.mark.parametrize("tag", ["html_word", "html_plain"])
def test_html_rows_print_the_expected_values(tag: str) -> None:
    doc = documents_with(tag)[0]
    expected = expected_of(doc)
    raw = (SAMPLES / doc).read_bytes()
    tree = lxml_html.fromstring(raw.decode("gbk" if "gbk" in expected["source_format"] else "utf-8"))
    rows = [cell_texts(tr) for tr in tree.iter("tr")]
    total = next(r for r in rows if r and r[0] == "（七）总计")
    assert [float(x) for x in total[1:]] == [expected["facts"][f"s3.r_total.{c}"] for c in S3_COLUMNS]


def test_gbk_pages_are_gbk() -> None:
    pages = documents_with("gbk")
    assert len(pages) >= 2
    for doc in pages:
        raw = (SAMPLES / doc).read_bytes()
        assert b"charset=gbk" in raw or b'charset="gbk"' in raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert expected_of(doc)["agency"] in raw.decode("gbk")


def page_count_with(path: Path, words: tuple[str, ...]) -> tuple[int, int]:
    texts = pdf_text(path)
    return len(texts), sum(any(w in t for w in words) for t in texts)


def test_pdf_tables_split_across_pages_with_and_without_repeated_headers() -> None:
    header_words = ("申请人情况", "统计指标", "指标名称")
    for doc in documents_with("pdf_split_repeated_header"):
        pages, with_header = page_count_with(SAMPLES / doc, header_words)
        assert pages >= 3 and with_header >= 2, doc
    for doc in documents_with("pdf_split_no_repeated_header"):
        pages, with_header = page_count_with(SAMPLES / doc, header_words)
        assert pages >= 3 and with_header == 1, doc


# ---------------------------------------------------------------- run-together rows


def test_run_together_readings() -> None:
    assert readings("000", ["count"] * 3) == [(0, 0, 0)]
    assert readings("05", ["count"] * 2) == [(0, 5)]  # no leading zeros
    assert readings("39-8181", ["count", "signed", "count"]) == [(39, -8, 181), (39, -81, 81), (39, -818, 1)]
    assert ambiguous_positions("898989", ["count"] * 3) == [0, 1, 2]
    # seven s3 cells whose last is the sum of the six before it: only 2|1|0|0|0|0|3
    assert ambiguous_positions("2100003", ["count"] * 7, total_is_sum) == []
    assert readings("13575394432.52", ["count", "amount"])[0] == (1, 3575394432.52)


# ---------------------------------------------------------------- named variations


def test_a_variation_row_edits_the_document_and_its_expected(monkeypatch: pytest.MonkeyPatch) -> None:
    from govreports.pipelines.generate import variations
    from govreports.pipelines.generate.compose import Plan, compose
    from govreports.pipelines.generate.layout import Para

    def two_line_title(report, rng) -> None:
        report.doc.blocks[0:1] = [Para("清江县人民政府", "title"), Para("政府信息公开工作年度报告", "title")]

    def no_date(report, rng) -> None:
        report.expected["published_date"] = None

    monkeypatch.setitem(variations.VARIATIONS, "t", variations.Variation("t", "test", two_line_title, no_date))
    plain = compose(Plan(name="x", fmt="text", kind="gov_2021", year=2022), 1)
    varied = compose(Plan(name="x", fmt="text", kind="gov_2021", year=2022, variations=["t"]), 1)
    assert varied.doc.blocks[1].text == "政府信息公开工作年度报告" != plain.doc.blocks[1].text
    assert varied.expected["published_date"] is None and plain.expected["published_date"]
    assert varied.expected["facts"] == plain.expected["facts"]
