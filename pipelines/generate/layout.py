"""Values → the printed tables of a report, format-neutral, plus what each cell means.

A Table is a grid of Cells with rowspan/colspan as the official templates print it.
Value cells carry their unified key and the number printed (None when printed
blank or '—'), so the expected file is read off the very cells that get rendered.
Labels and order come from transform.reference; the header grids are built from the
columns' `group` paths.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from govreports.transform.reference import S3_COLUMNS, RowSpec, reference

CHINESE_DIGITS = "零一二三四五六七八九十"
S3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
S2_ROW_HEADER = "信息内容"
BLANK_TEXTS = ("", "—", "/", "-")


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    head: bool = False
    key: str | None = None  # value cells only
    value: float | None = None  # the number printed; None when blank or '—'
    kind: str = "count"  # count | signed | decimal | amount (how a run-together reader may read it)
    glued: bool = False  # crawler text: printed with no space after the value cell before it
    unit: str | None = None  # money unit the number is printed in when not the key's spec unit ('元')
    unfilled: bool = False  # a total left blank though its parts are not 0: expected null, not 0


@dataclass
class Table:
    section: str  # s2 | s3 | s4 | legacy
    rows: list[list[Cell]]
    header_rows: int = 1
    widths: list[float] = field(default_factory=list)  # % of the page per grid column, as Word sets them


@dataclass
class Para:
    text: str
    style: str = "body"  # title | heading | body | sign


@dataclass
class Printing:
    """How one report prints its tables: the variations seen in real reports."""

    blank_style: str | None = None  # None | 'blank' | 'dash' | 'mixed': zeros printed empty or '—'
    notes: bool = False  # '22（其中修订16件）' in section 二 counts
    other_single: bool = False  # 2021 report printing （六）其他处理 as one row
    hubei: bool = False  # 2019 format with 其他主动公开文件
    procurement_unit: str = "元"  # 元 | 万元
    fees_unit: str = "万元"  # 万元 | 元: the 2021 fee column and the legacy fee and budget rows
    yuan_in: str = "cell"  # cell | header: where an amount in 元 prints its unit ('809100元' or '采购总金额（元）')
    unit_printed: bool = True  # False: section 二 amounts in 万元 with no unit anywhere (the template prints none)
    legacy_layout: str = "national"  # national | putian | dingxi
    shifting_spans: bool = False  # section 二: the label's colspan changes from row to row (2019 Word tables)


@dataclass
class Doc:
    """A format-neutral report: paragraphs and tables in reading order."""

    title: str
    agency: str
    blocks: list[Para | Table] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def value_cells(self) -> list[Cell]:
        return [c for t in self.tables() for row in t.rows for c in row if c.key]


# ---------------------------------------------------------------- printing numbers


def number_text(value: float, kind: str) -> str:
    if kind in ("decimal", "amount") and value != int(value):
        return f"{value:.2f}".rstrip("0").rstrip(".") if kind == "amount" else f"{value:.2f}"
    return str(int(value))


def value_cell(key: str, value: float, kind: str, rng: random.Random, printing: Printing) -> Cell:
    """A value cell; zeros may print blank or '—' as agencies do."""
    if value == 0 and printing.blank_style and rng.random() < 0.35:
        style = printing.blank_style if printing.blank_style != "mixed" else rng.choice(("blank", "dash"))
        return Cell("" if style == "blank" else rng.choice(("—", "—", "/")), key=key, value=None, kind=kind)
    return Cell(number_text(value, kind), key=key, value=value, kind=kind)


def with_note(cell: Cell, rng: random.Random) -> Cell:
    """'22（其中修订16件）': the count stays the fact, the rest is a note."""
    if cell.value and cell.value >= 2:
        part = rng.randint(1, int(cell.value) - 1)
        cell.text = f"{cell.text}（其中{rng.choice(('修订', '新制定', '废止后重新发布'))}{part}件）"
    return cell


def chinese_number(n: int) -> str:
    return CHINESE_DIGITS[n] if n <= 10 else "十" + CHINESE_DIGITS[n - 10]


# ---------------------------------------------------------------- header grids


def header_grid(paths: list[list[str]]) -> list[list[Cell]]:
    """Multi-level column headers: equal prefixes merge (colspan), short paths span down (rowspan)."""
    depth = max(len(p) for p in paths)
    grid: list[list[Cell]] = [[] for _ in range(depth)]
    for level in range(depth):
        i = 0
        while i < len(paths):
            path = paths[i]
            if len(path) <= level:
                i += 1
                continue
            j = i + 1
            while j < len(paths) and len(paths[j]) > level and paths[j][: level + 1] == path[: level + 1]:
                j += 1
            leaf = level == len(path) - 1
            grid[level].append(Cell(path[level], colspan=j - i, rowspan=depth - level if leaf else 1, head=True))
            i = j
    return grid


def column_paths(template: str, section: str, block: str | None = None) -> list[list[str]]:
    cols = sorted(reference().columns_for(template, section, block), key=lambda c: c.order)
    return [[*(c.group.split(" / ") if c.group else []), c.label] for c in cols]


# ---------------------------------------------------------------- section 二


def s2_table(template: str, values: dict, rng: random.Random, printing: Printing) -> Table:
    ref = reference()
    rows: list[list[Cell]] = []
    for block in ref.blocks(template):
        block_rows = [r for r in ref.rows_for(template, "s2", block) if any(k.startswith(f"{r.key}.") for k in values)]
        if not block_rows:
            continue
        cols = sorted(ref.columns_for(template, "s2", block), key=lambda c: c.order)
        spans = [1] * len(cols)
        spans[-1] = 4 - len(cols)  # the block is a 4-column grid: the last column takes the rest
        rows.append([Cell(f"第二十条第（{chinese_number(int(block.split('_')[1]))}）项", colspan=4, head=True)])
        rows.append(
            [Cell(S2_ROW_HEADER, head=True)]
            + [
                Cell(s2_column_label(c.column_key, c.label, printing), colspan=s, head=True)
                for c, s in zip(cols, spans, strict=True)
            ]
        )
        for r in block_rows:
            cells = [Cell(r.label)]
            row_spans = list(spans)
            if printing.shifting_spans and row_spans[-1] > 1:
                widen = len(rows) % row_spans[-1]  # the label takes columns from the last value, row by row
                cells[0].colspan += widen
                row_spans[-1] -= widen
            for c, s in zip(cols, row_spans, strict=True):
                key = f"{r.key}.{c.column_key}"
                cell = value_cell(key, values[key], c.value_kind, rng, printing)
                cell.unit = yuan_unit(c.column_key, printing)
                if cell.unit and printing.yuan_in == "cell" and cell.value is not None:  # '0元' too
                    cell.text += cell.unit
                if printing.notes and c.column_key == "issued_this_year":
                    cell = with_note(cell, rng)
                cell.colspan = s
                cells.append(cell)
            rows.append(cells)
    return Table("s2", rows, header_rows=0, widths=[34, 22, 22, 22])


YUAN_COLUMNS = {"procurement_amount": "procurement_unit", "fee_amount_wan_yuan": "fees_unit"}  # column → Printing field


def yuan_unit(column_key: str, printing: Printing) -> str | None:
    """'元' when this amount column is printed in 元 rather than the spec's 万元."""
    field_name = YUAN_COLUMNS.get(column_key)
    return "元" if field_name and getattr(printing, field_name) == "元" else None


def s2_column_label(column_key: str, label: str, printing: Printing) -> str:
    if column_key in YUAN_COLUMNS and not printing.unit_printed:
        return label.split("（")[0]
    if column_key == "procurement_amount" and printing.procurement_unit == "万元":
        return f"{label}（万元）"
    if yuan_unit(column_key, printing) and printing.yuan_in == "header":
        return (
            f"{label.split('（')[0]}（元）"
            if column_key == "procurement_amount"
            else f"{label.split('（')[0]}（单位：元）"
        )
    if column_key == "fee_amount_wan_yuan" and printing.fees_unit == "元":
        return label.split("（")[0]  # the unit is printed in each cell
    if column_key == "items_change" and printing.hubei:
        return f"{label}（减用负值表示）"
    return label


# ---------------------------------------------------------------- section 三


def label_level(label: str) -> int:
    """0 for '一、…', 1 for '（一）…', 2 for '1.…': the printed numbering gives the nesting."""
    if re.match(r"^[一二三四五六七八九十]+、", label):
        return 0
    if re.match(r"^（[一二三四五六七八九十]+）", label):
        return 1
    return 2


def s3_printed_rows(template: str, other_single: bool) -> list[RowSpec]:
    rows = reference().rows_for(template, "s3")
    if other_single:
        rows = [r for r in rows if not r.row_key.startswith("r_other_")]
        return [r if r.row_key != "r_other" else RowSpec(**{**r.__dict__, "derived": False}) for r in rows]
    return rows


def s3_label_cells(rows: list[RowSpec]) -> list[list[Cell]]:
    """The 3-column label area of each printed row, group labels merged over their children."""
    out: list[list[Cell]] = []
    open_groups: list[tuple[int, Cell]] = []  # (level, cell) whose rowspan grows with each child
    pending: list[Cell] = []  # group cells printed in their first child's row
    for r in rows:
        level = label_level(r.label)
        open_groups = [(lv, c) for lv, c in open_groups if lv < level]
        if r.derived:
            cell = Cell(r.label, rowspan=0)
            open_groups.append((level, cell))
            pending.append(cell)
            continue
        for _, c in open_groups:
            c.rowspan += 1
        out.append([*pending, Cell(r.label, colspan=3 - len(open_groups))])
        pending = []
    return out


def s3_table(template: str, values: dict, rng: random.Random, printing: Printing) -> Table:
    rows = s3_printed_rows(template, printing.other_single)
    header = header_grid(column_paths(template, "s3"))
    header[0].insert(0, Cell(S3_NOTE, rowspan=len(header), colspan=3, head=True))
    body = []
    printed = [r for r in rows if not r.derived]
    for r, labels in zip(printed, s3_label_cells(rows), strict=True):
        cells = [value_cell(f"{r.key}.{c}", values[f"{r.key}.{c}"], "count", rng, printing) for c in S3_COLUMNS]
        body.append(labels + cells)
    return Table("s3", header + body, header_rows=len(header), widths=[7, 11, 27] + [55 / 7] * 7)


# ---------------------------------------------------------------- section 四


def s4_table(template: str, values: dict, rng: random.Random, printing: Printing) -> Table:
    cols = sorted(reference().columns_for(template, "s4"), key=lambda c: c.order)
    header = header_grid(column_paths(template, "s4"))
    row = [value_cell(f"s4.{c.column_key}", values[f"s4.{c.column_key}"], "count", rng, printing) for c in cols]
    return Table("s4", [*header, row], header_rows=len(header), widths=[100 / 15] * 15)


# ---------------------------------------------------------------- legacy tables

# A local table of the putian kind prints these rows (labels looked up in the variant blocks).
PUTIAN_ROWS = (
    "active_total", "active_via_website", "active_via_gazette", "req_received", "req_in_person", "req_fax",
    "req_email", "req_online", "req_letter", "req_other_form", "replies", "reply_granted", "reply_partial",
    "reply_refused", "review_total", "lit_total", "appeals_total",
)  # fmt: skip
LEGACY_HEADERS = {
    "national": ("统计指标", "单位", "统计数"),
    "putian": ("指标名称", "计量单位", "{year}年度", "历年累计"),
    "dingxi": ("指标名称", "计量单位", "代码", "本年累计"),
}


LEGACY_WIDTHS = {"national": [60, 15, 25], "putian": [52, 12, 18, 18], "dingxi": [52, 12, 12, 24]}


def legacy_rows(layout: str) -> list[RowSpec]:
    ref = reference()
    legacy = [r for r in ref.rows if r.template == "legacy_stats" and r.section == "legacy"]
    if layout == "national":
        return sorted((r for r in legacy if r.block == ""), key=lambda r: r.order)
    if layout == "dingxi":
        return sorted((r for r in legacy if r.block == "dingxi_2008"), key=lambda r: r.order)
    preference = {"putian_2009": 0, "dingxi_2008": 1, "": 2}
    by_key: dict[str, RowSpec] = {}
    for r in sorted((r for r in legacy if r.block in preference), key=lambda r: preference[r.block]):
        by_key.setdefault(r.row_key, r)
    return [by_key[k] for k in PUTIAN_ROWS]


def unit_of(row: RowSpec) -> str:
    """The row's unit; variant rows whose unit the spec could not see borrow it from another table."""
    if "UNCONFIRMED" not in row.unit:
        return row.unit
    same = [r.unit for r in reference().rows if r.key == row.key and "UNCONFIRMED" not in r.unit]
    return same[0] if same else "件"


def legacy_table(rows: list[RowSpec], values: dict, year: int, rng: random.Random, printing: Printing) -> Table:
    layout = printing.legacy_layout
    header = [Cell(h.format(year=year), head=True) for h in LEGACY_HEADERS[layout]]
    body = []
    for n, r in enumerate(rows, start=1):
        if r.derived or not r.key:
            body.append([Cell(r.label), Cell("—"), Cell("—")])
            continue
        kind = "decimal" if unit_of(r) == "万元" else "count"
        cell = value_cell(r.key, values[r.key], kind, rng, printing)
        unit = unit_of(r)
        if unit == "万元" and printing.fees_unit == "元":  # values were drawn ×10000 (compose.draw_values)
            unit = cell.unit = "元"
            cell.text += unit if printing.yuan_in == "cell" and cell.value is not None else ""
        if layout == "putian":
            history = values[r.key] * rng.randint(3, 6) + rng.randint(0, 50)
            body.append([Cell(r.label), Cell(unit), cell, Cell(number_text(history, kind))])
        elif layout == "dingxi":
            body.append([Cell(r.label), Cell(unit), Cell(f"{n:02d}"), cell])
        else:
            body.append([Cell(r.label), Cell(unit), cell])
    return Table("legacy", [header, *body], header_rows=1, widths=LEGACY_WIDTHS[layout])
