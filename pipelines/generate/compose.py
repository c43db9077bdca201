"""One planned report → a format-neutral Doc (title, prose, tables) and its expected.json.

The expected values are read off the printed cells; the identities the printed
values break are computed, not declared, so a deliberate inconsistency is recorded
exactly as the source shows it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from govreports.pipelines.generate import prose
from govreports.pipelines.generate import variations as named_variations
from govreports.pipelines.generate.layout import (
    Cell,
    Doc,
    Para,
    Printing,
    Table,
    legacy_rows,
    legacy_table,
    s2_table,
    s3_table,
    s4_table,
)
from govreports.pipelines.generate.split import ambiguous_positions, ambiguous_spaced, group_totals, total_is_sum
from govreports.pipelines.generate.values import failing_identities, gov_values, legacy_values
from govreports.transform.reference import reference
from govreports.transform.units import PRECISION, amount_keys, units

RUN_RULES = {"s3": total_is_sum, "s4": group_totals}
EXTENSIONS = {"html": "html", "pdf": "pdf", "text": "txt", "docx": "docx", "xlsx": "xlsx", "pdf_layout": "txt"}
GOV_HEADINGS = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


@dataclass
class Plan:
    name: str
    fmt: str  # a key of EXTENSIONS (pdf_layout: pdftotext -layout text of the PDF)
    kind: str  # gov_2021 | gov_2019 | legacy_stats | narrative | other
    year: int
    printing: Printing = field(default_factory=Printing)
    inconsistency: str | None = None  # S4_GROUP_TOTALS | S3_COLUMN_TOTAL | L_STAFF
    html_style: str = "word"  # word | plain
    encoding: str = "utf-8"  # utf-8 | gbk
    text_style: str = "tab"  # tab | pipe | runtogether
    repeat_headers: bool = True  # PDF: table header rows repeated on each page
    with_meta: bool = True  # text captures: the portal's metadata lines were captured; HTML: the whole page
    variations: list[str] = field(default_factory=list)
    variation: str = named_variations.BASE  # the MATRIX row's named variation (manifest.json)

    @property
    def template(self) -> str | None:
        return None if self.kind == "other" else self.kind


@dataclass
class Report:
    plan: Plan
    doc: Doc
    meta: dict  # title, agency, published, signed, index_no
    expected: dict


# ---------------------------------------------------------------- values


def draw_values(plan: Plan, rng: random.Random) -> dict:
    p = plan.printing
    if plan.kind in ("gov_2021", "gov_2019"):
        values = gov_values(rng, plan.kind, other_single=p.other_single, hubei=p.hubei)
    else:
        values = legacy_values(rng, [r.key for r in legacy_rows(p.legacy_layout) if r.key])
    if "negative_change" in plan.variations:
        key = "s2.art20_6.admin_penalty.items_change"
        values[key] = -min(values["s2.art20_6.admin_penalty.items_prev_year"], rng.randint(2, 9))
    if p.procurement_unit == "万元" and "s2.art20_9.gov_central_procurement.procurement_amount" in values:
        key = "s2.art20_9.gov_central_procurement.procurement_amount"
        values[key] = round(values[key] / 10000, 2)
    if p.fees_unit == "元":  # fees and budgets drawn in 万元, printed in 元
        for key in fee_keys() & set(values):
            values[key] = round(values[key] * 10000, 2)
    return break_identity(values, plan.inconsistency, rng)


def fee_keys() -> set[str]:
    """Amount keys drawn in 万元 (all but procurement, which values.py draws in 元)."""
    amounts = amount_keys(reference())
    return {k for k, a in amounts.items() if a.spec_unit == "万元" and not k.endswith(".procurement_amount")}


def in_spec_unit(cell: Cell) -> float:
    """The number a cell prints, in its key's spec unit (809100 printed in 元 → 80.91 万元)."""
    if not cell.unit or cell.value is None:
        return cell.value
    spec = amount_keys(reference())[cell.key].spec_unit
    return round(cell.value * units()[cell.unit].yuan / units()[spec].yuan, PRECISION)


def break_identity(values: dict, which: str | None, rng: random.Random) -> dict:
    """The source's own totals do not add up: one printed total is off, as in real reports."""
    if which == "S4_GROUP_TOTALS":
        values["s4.review_upheld"] += rng.randint(2, 9)  # parts printed, 总计 left at its old value
    elif which == "S3_COLUMN_TOTAL":
        values["s3.r_granted.total"] += 1
    elif which == "L_STAFF":
        values["legacy.staff_part_time"] = max(1, values["legacy.staff_part_time"])
        values["legacy.staff_total"] = values["legacy.staff_full_time"]
    return values


# ---------------------------------------------------------------- tables


def tables_for(plan: Plan, values: dict, rng: random.Random) -> dict[str, Table]:
    p = plan.printing
    if plan.kind in ("gov_2021", "gov_2019"):
        return {
            "s2": s2_table(plan.kind, values, rng, p),
            "s3": s3_table(plan.kind, values, rng, p),
            "s4": s4_table(plan.kind, values, rng, p),
        }
    if plan.kind == "legacy_stats":
        return {"legacy": legacy_table(legacy_rows(p.legacy_layout), values, plan.year, rng, p)}
    return {}


def run_together_ambiguity(tables: dict[str, Table]) -> dict[str, list[str]]:
    """Per section, the keys a run-together capture leaves ambiguous."""
    out: dict[str, list[str]] = {}
    for section, table in tables.items():
        for row in table.rows:
            cells = [c for c in row if c.key]
            if not cells:
                continue
            run = "".join(c.text.removesuffix("元") for c in cells)  # a printed unit is not a digit
            positions = ambiguous_positions(run, [c.kind for c in cells], RUN_RULES.get(section))
            out.setdefault(section, []).extend(cells[i].key for i in positions)
    return out


CRAWLER_DROP = 0.3  # crawler text: share of the spaces between two value cells that are lost


def glue(tables: dict[str, Table], rng: random.Random) -> None:
    """Crawler text: drop some of the single spaces between a row's value cells."""
    for table in tables.values():
        for row in table.rows:
            cells = [c for c in row if c.key]
            for c in cells[1:]:
                c.glued = rng.random() < CRAWLER_DROP


def crawler_ambiguity(tables: dict[str, Table]) -> dict[str, list[str]]:
    """Per section, the keys a crawler capture (single spaces, some dropped) leaves ambiguous."""
    out: dict[str, list[str]] = {}
    for section, table in tables.items():
        for row in table.rows:
            cells = [c for c in row if c.key]
            if not cells:
                continue
            tokens: list[str] = []
            for c in cells:
                text = c.text.removesuffix("元")
                if c.glued and tokens:
                    tokens[-1] += text
                else:
                    tokens.append(text)
            positions = ambiguous_spaced(tokens, [c.kind for c in cells], RUN_RULES.get(section))
            out.setdefault(section, []).extend(cells[i].key for i in positions)
    return out


def values_and_tables(plan: Plan, rng: random.Random) -> tuple[dict, dict[str, Table], list[str]]:
    """Draw values; a run-together or crawler capture redraws until sections 三 and 四 split one way only."""
    for _ in range(200):
        values = draw_values(plan, rng)
        tables = tables_for(plan, values, rng)
        if plan.fmt != "text" or plan.text_style not in ("runtogether", "crawler"):
            return values, tables, []
        if plan.text_style == "crawler":
            glue(tables, rng)
            ambiguous = crawler_ambiguity(tables)
        else:
            ambiguous = run_together_ambiguity(tables)
        if not ambiguous.get("s3") and not ambiguous.get("s4"):
            return values, tables, ambiguous.get("s2", [])
    raise RuntimeError(f"{plan.name}: no values whose run-together rows split one way")


# ---------------------------------------------------------------- the document


def compose(plan: Plan, seed: int) -> Report:
    rng = random.Random(f"{seed}:{plan.name}")
    agency = prose.agency_name(rng, hubei=plan.printing.hubei)
    published = publication_date(rng, plan.year)
    signed = published - timedelta(days=rng.randint(0, 6))
    title = prose.title(rng, agency, plan.year, plan.kind)
    meta = {
        "title": title,
        "agency": agency,
        "published": published,
        "signed": signed,
        "index_no": prose.index_no(rng, published),
    }
    values, tables, ambiguous = (
        values_and_tables(plan, rng) if plan.kind not in ("narrative", "other") else ({}, {}, [])
    )
    doc = Doc(title=title, agency=agency)
    doc.blocks.append(Para(title, "title"))
    narrative: dict[str, float] = {}
    if plan.kind in ("gov_2021", "gov_2019"):
        doc.blocks += gov_body(rng, plan, agency, values, tables)
    elif plan.kind == "legacy_stats":
        doc.blocks += legacy_body(rng, plan, agency, tables["legacy"])
    elif plan.kind == "narrative":
        paras, narrative = prose.narrative_body(rng, agency, plan.year)
        doc.blocks += paras
    else:
        doc.blocks += prose.other_body(rng, agency, plan.year)
    doc.blocks += [Para(agency, "sign"), Para(prose.chinese_date(signed, rng), "sign")]
    report = Report(plan=plan, doc=doc, meta=meta, expected={})
    named_variations.apply("doc", report, rng)
    report.expected = expected_of(plan, report.doc, report.meta, ambiguous, narrative)
    named_variations.apply("expected", report, rng)
    return report


def publication_date(rng: random.Random, year: int) -> date:
    return date(year + 1, 1, 10) + timedelta(days=rng.randint(0, 75))


def gov_body(rng: random.Random, plan: Plan, agency: str, values: dict, tables: dict[str, Table]) -> list:
    blocks: list[Para | Table] = [Para(prose.intro(rng, agency, plan.year, plan.kind))]
    blocks.append(Para(GOV_HEADINGS[0], "heading"))
    blocks += [Para(t) for t in prose.overview(rng, agency, plan.year, values)]
    for heading, section in zip(GOV_HEADINGS[1:4], ("s2", "s3", "s4"), strict=True):
        blocks += [Para(heading, "heading"), tables[section]]
    blocks.append(Para(GOV_HEADINGS[4], "heading"))
    blocks += [Para(t) for t in prose.problems(rng, plan.year)]
    blocks += [Para(GOV_HEADINGS[5], "heading"), Para(prose.other_matters(rng, plan.year, values))]
    return blocks


def legacy_body(rng: random.Random, plan: Plan, agency: str, table: Table) -> list:
    blocks: list[Para | Table] = [Para(prose.intro(rng, agency, plan.year, plan.kind))]
    for heading, paras in prose.legacy_sections(rng, agency, plan.year):
        blocks.append(Para(heading, "heading"))
        blocks += [Para(t) for t in paras]
    caption = (
        "附表：政府信息公开情况统计表"
        if plan.printing.legacy_layout == "national"
        else f"附表：{agency}{plan.year}年度政府信息公开工作情况统计表"
    )
    return [*blocks, Para(caption, "heading"), table]


# ---------------------------------------------------------------- expected.json


def expected_of(plan: Plan, doc: Doc, meta: dict, ambiguous: list[str], narrative: dict) -> dict:
    facts: dict[str, float] = {}
    blanks: list[str] = []
    unfilled = [c.key for c in doc.value_cells() if c.unfilled]
    ambiguous = ambiguous + unfilled
    for cell in doc.value_cells():
        if cell.key in ambiguous:
            continue
        if cell.value is None:
            blanks.append(cell.key)
        else:
            facts[cell.key] = as_json_number(in_spec_unit(cell))
    drawn = {**facts, **dict.fromkeys(blanks, 0)}
    failing = failing_of(plan, drawn)
    if plan.inconsistency is None and failing:
        raise AssertionError(f"{plan.name}: values break {failing} with no inconsistency planned")
    if plan.inconsistency and plan.inconsistency not in failing:
        raise AssertionError(f"{plan.name}: planned {plan.inconsistency} but it holds")
    # an unfilled total is printed empty: the identities read it as the 0 it looks like
    failing = failing_of(plan, {**drawn, **dict.fromkeys(unfilled, 0)})
    is_page = plan.fmt in ("html", "text") and plan.with_meta
    return {
        "document": f"{plan.name}.{EXTENSIONS[plan.fmt]}",
        "source_format": source_format(plan),
        "doc_type": "other" if plan.kind == "other" else "annual_report",
        "agency": meta["agency"],
        "report_year": None if plan.kind == "other" else plan.year,
        "published_date": (meta["published"] if is_page else meta["signed"]).isoformat(),
        "published_month": (meta["published"] if is_page else meta["signed"]).isoformat()[:7],
        "template": plan.template,
        "facts": facts,
        "blank_cells": blanks,
        "narrative_facts": {k: as_json_number(v) for k, v in narrative.items()},
        "ambiguous_cells": ambiguous,
        "expected_failing_identities": failing,
        "notes": notes_of(plan, doc, meta, is_page),
    }


def failing_of(plan: Plan, printed: dict[str, float]) -> list[str]:
    return failing_identities(printed, plan.kind) if plan.template in ("gov_2021", "gov_2019", "legacy_stats") else []


def as_json_number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v


def source_format(plan: Plan) -> str:
    if plan.fmt == "html":
        page = "portal page" if plan.with_meta else "fragment without the portal page"
        return f"html (generated {page}, {plan.html_style} markup, {plan.encoding})"
    if plan.fmt in ("pdf", "pdf_layout"):
        headers = "header rows repeated on each page" if plan.repeat_headers else "header rows not repeated"
        pdf = f"generated Word-style document converted by LibreOffice; {headers}"
        return f"pdf ({pdf})" if plan.fmt == "pdf" else f"txt (pdftotext -layout of a PDF: {pdf})"
    if plan.fmt == "docx":
        return "docx (generated Word attachment; merged cells)"
    if plan.fmt == "xlsx":
        return "xlsx (generated Excel attachment: title, headings and tables on one sheet)"
    return f"txt (generated text capture, cells {plan.text_style})"


def notes_of(plan: Plan, doc: Doc, meta: dict, is_page: bool) -> str:
    date_note = "published_date from the page metadata" if is_page else "published_date from the signature"
    parts = [f"Generated (pipelines/generate). Variations: {', '.join(plan.variations) or 'none'}.", date_note + "."]
    if plan.printing.procurement_unit == "万元" and plan.kind == "gov_2019":
        parts.append("采购总金额 recorded as printed, in 万元.")
    printed_yuan = [c.key for c in doc.value_cells() if c.unit]
    if printed_yuan:
        where = "each cell" if plan.printing.yuan_in == "cell" else "the column header or unit column"
        parts.append(f"Printed in 元 (unit in {where}), recorded in 万元: {', '.join(printed_yuan)}.")
    if plan.inconsistency:
        parts.append(f"SOURCE INCONSISTENCY (deliberate): {plan.inconsistency} does not hold as printed.")
    if plan.printing.legacy_layout != "national" and plan.kind == "legacy_stats":
        parts.append("Local legacy table; only the current-year value column is recorded.")
    return " ".join(parts)


def cell_of(doc: Doc, key: str) -> Cell:
    return next(c for c in doc.value_cells() if c.key == key)
