"""The sample corpus: which reports to generate (the variation matrix) and writing them.

Each document is OUT/NAME.<ext> beside OUT/NAME.expected.json (the shared corpus
format); OUT/manifest.json gives each document's named `variation` (its MATRIX row's)
and the tags it carries (`variations`). Same seed and count → the same bytes for HTML
and text (PDF bytes carry LibreOffice timestamps). A MATRIX row is one variation: a
layout (kind), a rendering (format + style options) and, under "variation", a name
from pipelines/generate/variations.py or a tag the renderers look at.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from govreports.pipelines.generate import (
    meta_variations,  # noqa: F401 - registers its variations
    non_reports,  # noqa: F401 - registers its variations
    table_variations,  # noqa: F401 - registers its variations
)
from govreports.pipelines.generate.compose import EXTENSIONS, Plan, Report, compose
from govreports.pipelines.generate.layout import Printing
from govreports.pipelines.generate.render_html import render_html
from govreports.pipelines.generate.render_office import render_docx, render_xlsx
from govreports.pipelines.generate.render_pdf import render_layout_texts, render_pdfs
from govreports.pipelines.generate.render_text import render_text
from govreports.pipelines.generate.variations import BASE
from govreports.pipelines.progress import ProgressCallback, Steps, no_progress

DEFAULT_SEED = 20240601
FORMATS = ("html", "pdf", "text", "docx", "xlsx", "pdf_layout")
BYTE_RENDERERS = {"html": render_html, "text": render_text, "docx": render_docx, "xlsx": render_xlsx}
BATCH_RENDERERS = {"pdf": render_pdfs, "pdf_layout": render_layout_texts}  # one soffice call for all
P = Printing
NO_META = {"with_meta": False}  # a text capture or HTML fragment without the portal's metadata

# (variation, kind, format, Plan options) of the title-block, opening and signature variations
META_ROWS: list[tuple[str, str, str, dict]] = [
    ("title_two_lines", "gov_2021", "pdf", {}),
    ("title_two_lines", "gov_2019", "text", NO_META),
    ("title_two_lines", "legacy_stats", "html", NO_META),
    ("title_three_lines", "gov_2021", "pdf_layout", {}),
    ("title_three_lines", "gov_2021", "docx", {}),
    ("title_three_lines", "narrative", "pdf", {}),
    ("title_year_first", "gov_2021", "pdf", {}),
    ("title_year_first", "gov_2019", "pdf_layout", {}),
    ("title_year_first", "gov_2021", "html", NO_META),
    ("title_spaced", "gov_2021", "pdf", {}),
    ("title_spaced", "legacy_stats", "pdf_layout", {}),
    ("title_spaced", "gov_2019", "text", NO_META),
    ("agency_in_opening", "gov_2021", "pdf", {}),
    ("agency_in_opening", "gov_2019", "html", NO_META),
    ("agency_in_opening", "legacy_stats", "text", NO_META),
    ("agency_in_signature", "gov_2021", "pdf_layout", {}),
    ("agency_in_signature", "gov_2021", "text", NO_META),
    ("agency_in_signature", "narrative", "html", NO_META),
    ("date_chinese_numerals", "gov_2021", "pdf", {}),
    ("date_chinese_numerals", "legacy_stats", "text", NO_META),
    ("date_chinese_numerals", "gov_2019", "docx", {}),
    ("date_month_only", "gov_2021", "pdf", {}),
    ("date_month_only", "legacy_stats", "html", NO_META),
    ("date_month_only", "narrative", "text", NO_META),
    ("date_split", "gov_2021", "pdf", {}),
    ("date_split", "gov_2019", "pdf_layout", {}),
    ("date_split", "gov_2021", "text", NO_META),
    ("legacy_fill_date", "legacy_stats", "pdf", {}),
    ("legacy_fill_date", "legacy_stats", "text", {**NO_META, "text_style": "pipe"}),
    ("legacy_fill_date", "legacy_stats", "html", {**NO_META, "printing": P(legacy_layout="putian")}),
]

NON_REPORT_ROWS: list[tuple[str, str]] = [
    ("not_report_notice", "html"),
    ("not_report_notice", "pdf"),
    ("not_report_comparison", "html"),
    ("not_report_comparison", "text"),
    ("not_report_comparison", "pdf"),
    ("not_report_self_inspection", "pdf"),
    ("not_report_self_inspection", "text"),
    ("not_report_work_plan", "html"),
    ("not_report_work_plan", "text"),
]
ANNEX_ROWS: list[tuple[str, str, str, dict]] = [
    ("signature_before_annex", "legacy_stats", "pdf", {}),
    ("signature_before_annex", "legacy_stats", "text", NO_META),
    ("signature_before_annex", "legacy_stats", "html", {**NO_META, "printing": P(legacy_layout="dingxi")}),
]

# (kind, format, Plan options). Every variation of issue 3 appears at least twice.
MATRIX: list[tuple[str, str, dict]] = [
    ("gov_2021", "html", {}),
    ("gov_2021", "html", {"encoding": "gbk"}),
    ("gov_2021", "html", {"printing": P(blank_style="mixed")}),
    ("gov_2021", "html", {"printing": P(notes=True)}),
    ("gov_2021", "html", {"printing": P(other_single=True)}),
    ("gov_2021", "html", {"inconsistency": "S4_GROUP_TOTALS"}),
    ("gov_2021", "html", {"html_style": "plain"}),
    ("gov_2021", "html", {"encoding": "gbk", "printing": P(blank_style="dash")}),
    ("gov_2021", "html", {"html_style": "plain", "printing": P(blank_style="blank")}),
    ("gov_2021", "html", {"html_style": "plain", "printing": P(other_single=True, blank_style="dash")}),
    ("gov_2021", "pdf", {}),
    ("gov_2021", "pdf", {"repeat_headers": False}),
    ("gov_2021", "pdf", {"printing": P(other_single=True)}),
    (
        "gov_2021",
        "pdf",
        {"printing": P(other_single=True), "repeat_headers": False, "inconsistency": "S4_GROUP_TOTALS"},
    ),
    ("gov_2021", "pdf", {"printing": P(notes=True, blank_style="blank")}),
    ("gov_2021", "pdf", {"printing": P(blank_style="dash"), "repeat_headers": False}),
    ("gov_2021", "text", {"text_style": "tab"}),
    ("gov_2021", "text", {"text_style": "tab", "printing": P(blank_style="dash")}),
    ("gov_2021", "text", {"text_style": "pipe"}),
    ("gov_2021", "text", {"text_style": "pipe", "with_meta": False, "printing": P(other_single=True)}),
    ("gov_2021", "text", {"text_style": "runtogether"}),
    ("gov_2021", "text", {"text_style": "runtogether", "with_meta": False}),
    ("gov_2021", "text", {"text_style": "runtogether", "printing": P(other_single=True)}),
    ("gov_2019", "html", {"variations": ["negative_change"]}),
    ("gov_2019", "html", {"printing": P(procurement_unit="万元", hubei=True)}),
    ("gov_2019", "html", {"encoding": "gbk"}),
    ("gov_2019", "html", {"html_style": "plain", "printing": P(blank_style="mixed")}),
    ("gov_2019", "html", {"inconsistency": "S3_COLUMN_TOTAL"}),
    ("gov_2019", "html", {"html_style": "plain", "printing": P(hubei=True, notes=True)}),
    ("gov_2019", "pdf", {}),
    ("gov_2019", "pdf", {"printing": P(procurement_unit="万元", hubei=True), "repeat_headers": False}),
    ("gov_2019", "pdf", {"printing": P(notes=True), "variations": ["negative_change"]}),
    ("gov_2019", "pdf", {"inconsistency": "S3_COLUMN_TOTAL", "repeat_headers": False}),
    ("gov_2019", "text", {"text_style": "tab", "printing": P(procurement_unit="万元")}),
    ("gov_2019", "text", {"text_style": "pipe", "printing": P(hubei=True)}),
    ("gov_2019", "text", {"text_style": "runtogether"}),
    ("gov_2019", "text", {"text_style": "runtogether", "printing": P(procurement_unit="万元")}),
    ("legacy_stats", "html", {}),
    ("legacy_stats", "html", {"encoding": "gbk", "printing": P(blank_style="blank")}),
    ("legacy_stats", "html", {"html_style": "plain", "inconsistency": "L_STAFF"}),
    ("legacy_stats", "pdf", {}),
    ("legacy_stats", "pdf", {"printing": P(blank_style="dash"), "repeat_headers": False}),
    ("legacy_stats", "text", {"text_style": "pipe", "printing": P(blank_style="blank")}),
    ("legacy_stats", "text", {"text_style": "pipe", "inconsistency": "L_STAFF"}),
    ("legacy_stats", "text", {"text_style": "tab"}),
    ("legacy_stats", "html", {"printing": P(legacy_layout="putian")}),
    ("legacy_stats", "html", {"html_style": "plain", "printing": P(legacy_layout="putian")}),
    ("legacy_stats", "pdf", {"printing": P(legacy_layout="putian")}),
    ("legacy_stats", "text", {"text_style": "tab", "printing": P(legacy_layout="putian")}),
    ("legacy_stats", "text", {"text_style": "pipe", "with_meta": False, "printing": P(legacy_layout="putian")}),
    ("legacy_stats", "html", {"printing": P(legacy_layout="dingxi")}),
    ("legacy_stats", "html", {"encoding": "gbk", "html_style": "plain", "printing": P(legacy_layout="dingxi")}),
    ("legacy_stats", "pdf", {"printing": P(legacy_layout="dingxi")}),
    ("legacy_stats", "text", {"text_style": "tab", "printing": P(legacy_layout="dingxi")}),
    ("narrative", "html", {}),
    ("narrative", "text", {}),
    ("narrative", "text", {"with_meta": False}),
    ("narrative", "pdf", {}),
    ("other", "html", {}),
    ("other", "text", {}),
    ("other", "pdf", {}),
    ("gov_2021", "html", {"encoding": "gbk", "html_style": "plain", "printing": P(notes=True)}),
    ("gov_2021", "pdf", {"printing": P(blank_style="mixed")}),
    # Word and Excel attachments
    ("gov_2021", "docx", {}),
    ("gov_2021", "docx", {"printing": P(blank_style="dash", notes=True)}),
    ("gov_2019", "docx", {"printing": P(procurement_unit="万元", hubei=True)}),
    ("legacy_stats", "docx", {"printing": P(blank_style="blank")}),
    ("gov_2021", "xlsx", {"printing": P(blank_style="mixed")}),
    ("gov_2019", "xlsx", {}),
    ("legacy_stats", "xlsx", {"printing": P(legacy_layout="putian")}),
    # Text copied from a PDF: `pdftotext -layout` of the generated PDF, cells aligned by spaces
    ("gov_2021", "pdf_layout", {"variation": "pdftotext_layout"}),
    ("gov_2021", "pdf_layout", {"variation": "pdftotext_layout", "printing": P(blank_style="mixed", notes=True)}),
    (
        "gov_2021",
        "pdf_layout",
        {"variation": "pdftotext_layout", "repeat_headers": False, "inconsistency": "S4_GROUP_TOTALS"},
    ),  # fmt: skip
    ("gov_2019", "pdf_layout", {"variation": "pdftotext_layout", "printing": P(blank_style="dash")}),
    ("gov_2019", "pdf_layout", {"variation": "pdftotext_layout", "printing": P(procurement_unit="万元", hubei=True)}),
    ("legacy_stats", "pdf_layout", {"variation": "pdftotext_layout"}),
    (
        "legacy_stats",
        "pdf_layout",
        {"variation": "pdftotext_layout", "printing": P(legacy_layout="putian")},
    ),  # fmt: skip
    (
        "legacy_stats",
        "pdf_layout",
        {"variation": "pdftotext_layout", "printing": P(legacy_layout="dingxi", blank_style="blank")},
    ),
    # Crawler text: cells separated by single spaces, some spaces lost ('20 0 0 0 02' is seven cells)
    ("gov_2021", "text", {"variation": "crawler_spaces", "text_style": "crawler"}),
    ("gov_2021", "text", {"variation": "crawler_spaces", "text_style": "crawler", "with_meta": False}),
    ("gov_2019", "text", {"variation": "crawler_spaces", "text_style": "crawler"}),
    ("legacy_stats", "text", {"variation": "crawler_spaces", "text_style": "crawler"}),
    # HTML saved without the portal page around it (no head, no metadata block)
    ("gov_2021", "html", {"variation": "html_fragment", "with_meta": False}),
    ("gov_2019", "html", {"variation": "html_fragment", "with_meta": False, "html_style": "plain"}),
    ("legacy_stats", "html", {"variation": "html_fragment", "with_meta": False}),
    # 2019 Word tables whose section 二 label colspan changes from row to row
    ("gov_2019", "html", {"variation": "s2_shifting_colspans", "printing": P(shifting_spans=True)}),
    ("gov_2019", "pdf", {"variation": "s2_shifting_colspans", "printing": P(shifting_spans=True)}),
    (
        "gov_2019",
        "html",
        {
            "variation": "s2_shifting_colspans",
            "html_style": "plain",
            "printing": P(shifting_spans=True, procurement_unit="万元"),
        },
    ),  # fmt: skip
    # Amounts in 元 where the spec's unit is 万元: unit in each cell ('809100元') or in the header ('采购总金额（元）')
    ("gov_2021", "html", {"variation": "amount_yuan_cell", "printing": P(fees_unit="元")}),
    ("gov_2019", "text", {"variation": "amount_yuan_cell", "text_style": "tab"}),
    ("legacy_stats", "html", {"variation": "amount_yuan_cell", "printing": P(fees_unit="元")}),
    ("gov_2021", "text", {"variation": "amount_yuan_cell", "text_style": "runtogether", "printing": P(fees_unit="元")}),
    ("gov_2019", "html", {"variation": "amount_yuan_header", "printing": P(yuan_in="header")}),
    ("gov_2021", "docx", {"variation": "amount_yuan_header", "printing": P(fees_unit="元", yuan_in="header")}),
    ("gov_2019", "xlsx", {"variation": "amount_yuan_header", "printing": P(yuan_in="header")}),
    (
        "legacy_stats",
        "text",
        {"variation": "amount_yuan_header", "text_style": "tab", "printing": P(fees_unit="元", yuan_in="header")},
    ),  # fmt: skip
    (
        "gov_2019",
        "text",
        {"variation": "amount_yuan_header", "text_style": "runtogether", "printing": P(yuan_in="header")},
    ),
    # Title blocks, openings and signatures (meta_variations.py): where agency, year and date are printed
    *[(kind, fmt, {"variation": variation, **options}) for variation, kind, fmt, options in META_ROWS],
    # Amounts in 元 through a PDF and its pdftotext -layout text
    ("gov_2019", "pdf_layout", {"variation": "amount_yuan_header", "printing": P(yuan_in="header")}),
    ("gov_2021", "pdf", {"variation": "amount_yuan_header", "printing": P(fees_unit="元", yuan_in="header")}),
    ("gov_2021", "pdf_layout", {"variation": "amount_yuan_cell", "printing": P(fees_unit="元")}),
    (
        "legacy_stats",
        "pdf_layout",
        {"variation": "amount_yuan_header", "printing": P(fees_unit="元", yuan_in="header")},
    ),  # fmt: skip
    # Amounts in 万元 printed with no unit at all (the 2019 template prints none): the spec unit is assumed
    ("gov_2019", "html", {"variation": "amount_no_unit", "printing": P(procurement_unit="万元", unit_printed=False)}),
    ("gov_2021", "text", {"variation": "amount_no_unit", "text_style": "tab", "printing": P(unit_printed=False)}),
    ("gov_2019", "docx", {"variation": "amount_no_unit", "printing": P(procurement_unit="万元", unit_printed=False)}),
    # The signature printed before the 附表 that ends the report
    *[(kind, fmt, {"variation": variation, **options}) for variation, kind, fmt, options in ANNEX_ROWS],
    # Documents about the reports, filed among them (non_reports.py): other, no facts
    *[("other", fmt, {"variation": variation}) for variation, fmt in NON_REPORT_ROWS],
    # Section 四 with its 总计 cells left empty, the parts filled in (table_variations.py)
    ("gov_2021", "html", {"variation": "s4_totals_blank"}),
    ("gov_2019", "pdf", {"variation": "s4_totals_blank", "printing": P(blank_style="dash")}),
    ("gov_2021", "docx", {"variation": "s4_totals_blank"}),
]
FIRST_YEAR = {
    "gov_2021": (2021, 4),
    "gov_2019": (2019, 2),
    "legacy_stats": (2014, 5),
    "narrative": (2010, 9),
    "other": (2019, 5),
}


def report_year(kind: str, printing: Printing, i: int) -> int:
    if printing.hubei:
        return 2020  # the Hubei row appears in the 2020 reports
    if kind == "legacy_stats" and printing.legacy_layout != "national":
        return 2008 + i % 6  # local tables predate the national one
    first, span = FIRST_YEAR[kind]
    return first + i % span


def plans(count: int | None = None) -> list[Plan]:
    count = len(MATRIX) if count is None else count
    out = []
    for i in range(count):
        kind, fmt, options = MATRIX[i % len(MATRIX)]
        printing = options.get("printing", Printing())
        year = report_year(kind, printing, i)
        name = f"gen{i:03d}_{kind}_{year}"
        fields = {k: v for k, v in options.items() if k != "variation"}
        plan = Plan(name=name, fmt=fmt, kind=kind, year=year, **{**fields, "printing": replace(printing)})
        plan.variation = options.get("variation", BASE)
        named = [plan.variation] if plan.variation != BASE else []
        plan.variations = variations_of(plan) + list(options.get("variations", [])) + named
        out.append(plan)
    return out


def variations_of(plan: Plan) -> list[str]:
    """Machine-readable tags of what a plan exercises (the manifest and the coverage test use them)."""
    p = plan.printing
    tags = [plan.kind if plan.kind != "legacy_stats" else f"legacy_{p.legacy_layout}", f"format_{plan.fmt}"]
    tags += ["gbk"] if plan.encoding == "gbk" else []
    tags += [f"html_{plan.html_style}"] if plan.fmt == "html" else []
    tags += [f"text_{plan.text_style}"] if plan.fmt == "text" else []
    if plan.fmt == "pdf" and plan.kind not in ("narrative", "other"):
        tags.append("pdf_split_repeated_header" if plan.repeat_headers else "pdf_split_no_repeated_header")
    tags += ["other_single_row"] if p.other_single else []
    tags += ["hubei_row"] if p.hubei else []
    tags += [f"procurement_{'yuan' if p.procurement_unit == '元' else 'wan'}"] if plan.kind == "gov_2019" else []
    tags += ["fees_yuan"] if p.fees_unit == "元" and plan.kind in ("gov_2021", "legacy_stats") else []
    tags += [f"zero_as_{p.blank_style}"] if p.blank_style else []
    tags += ["notes_in_cells"] if p.notes else []
    tags += [f"inconsistent_{plan.inconsistency}"] if plan.inconsistency else []
    return tags


def expected_json(report: Report) -> str:
    return json.dumps(report.expected, ensure_ascii=False, indent=1) + "\n"


def generate_corpus(
    out_dir: Path,
    seed: int = DEFAULT_SEED,
    count: int | None = None,
    formats: tuple[str, ...] = FORMATS,
    progress: ProgressCallback = no_progress,
) -> list[Report]:
    """Write the corpus into out_dir; returns the reports written (those of `formats`).
    `progress` hears of each document rendered (of a LibreOffice batch as the batch ends)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports = [compose(plan, seed) for plan in plans(count) if plan.fmt in formats]
    tally = Steps("generate", len(reports), progress).start()
    for r in reports:
        if r.plan.fmt in BYTE_RENDERERS:
            (out_dir / f"{r.plan.name}.{EXTENSIONS[r.plan.fmt]}").write_bytes(BYTE_RENDERERS[r.plan.fmt](r))
            tally.advance()
    for fmt, batch in BATCH_RENDERERS.items():
        chosen = [r for r in reports if r.plan.fmt == fmt]
        batch(chosen, out_dir)
        if chosen:
            tally.advance(len(chosen))
    for r in reports:
        (out_dir / f"{r.plan.name}.expected.json").write_text(expected_json(r), encoding="utf-8")
    if set(formats) == set(FORMATS):
        write_manifest(out_dir, reports, seed)
    return reports


def write_manifest(out_dir: Path, reports: list[Report], seed: int) -> None:
    manifest = {
        "generator": "govreports.pipelines.generate (govreports generate)",
        "seed": seed,
        "count": len(reports),
        "documents": [
            {
                "document": r.expected["document"],
                "template": r.expected["template"],
                "variation": r.plan.variation,
                "variations": r.plan.variations,
            }
            for r in reports
        ],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
