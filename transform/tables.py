"""Raw table grids → unified facts, driven by the mapping tables.

All tables of a document are read as one stream of rows, so tables split across
pages (with or without a repeated header) need no special case: a block title or
a header sets the state, data rows are mapped under it. Section 三 rows are
aligned to the template's row sequence as a whole (see align.py), which keeps
OCR-garbled labels usable as long as the rows come in template order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from govreports.extract.model import RawTable
from govreports.transform.align import ObservedRow, align_rows
from govreports.transform.cells import CellValue, parse_cell
from govreports.transform.geometry import center, centers_from_cells, centers_from_rows, cluster, place
from govreports.transform.labels import best_similarity, norm, similarity
from govreports.transform.model import Fact
from govreports.transform.reference import S3_COLUMNS, ColumnSpec, Reference, RowSpec, detection_rules
from govreports.transform.units import is_money, money_units, unit_in_text


def headers(kind: str) -> list[str]:
    return detection_rules()["table_headers"][kind]


# Header words of legacy tables, shared with the text reader (runtogether.py).
LEGACY_HEADER_WORDS = tuple(headers("legacy"))
LEGACY_VALUE_HEADERS = tuple(headers("legacy_value"))
LEGACY_SKIP_HEADERS = tuple(headers("legacy_skip"))

BLOCK_TITLE = re.compile(r"第二十条第\(([一二三四五六七八九十]+)\)项")
CN_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
UNIT_CELLS = {"条", "件", "次", "篇", "个", "人", "人次", *money_units(), "项", "单位", "计量单位"}
UNSPLIT = re.compile(r"^(?P<label>.*?[^\d\s.,])\s+(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)$")
MIN_ROW_MATCH = 0.6
# A row label opens with its item number ('四、', '（六）', '2.'); a label without one that starts a
# page, with no value printed, is the tail of the row the page break cut (see is_row_tail).
ITEM_MARKER = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[)）]|\d+[、.．])")


@dataclass
class Row:
    table_index: int
    row_index: int
    page: int | None
    cells: list[str | None]
    spans: list[tuple[int, int]] | None = None  # layout text: the column span of each cell

    def texts(self) -> list[str]:
        return [c for c in self.cells if c]


@dataclass
class SplitRow:
    labels: list[str]  # label cells, left to right (units removed)
    values: list[tuple[int, str]]  # (column index, cell text) after the last label
    unit: str | None = None

    @property
    def label(self) -> str:
        """The most specific label: the last non-empty label cell."""
        return self.labels[-1] if self.labels else ""

    @property
    def full_label(self) -> str:
        distinct: list[str] = []
        for lab in self.labels:
            if lab not in distinct:
                distinct.append(lab)
        return " ".join(distinct)


def split_row(cells: list[str | None]) -> SplitRow:
    """Label cells, then value cells. Covered (None) slots are skipped."""
    last_label = -1
    for i, c in enumerate(cells):
        if c and parse_cell(c) is None:
            last_label = i
    labels, unit = [], None
    for c in cells[: last_label + 1]:
        if not c:
            continue
        if c in UNIT_CELLS:
            unit = c
        elif not labels or c != labels[-1]:  # a rowspan copy repeats its group label once
            labels.append(c)
    values = [(i, c) for i, c in enumerate(cells) if i > last_label and c is not None]
    # A row printed unsplit: '行政处罚 8' with nothing (or only blanks) after it.
    if labels and all(not v for _, v in values):
        m = UNSPLIT.match(labels[-1])
        if m:
            labels[-1] = m.group("label")
            values = [(last_label, m.group("num")), *values]
    return SplitRow(labels=labels, values=values, unit=unit)


def value_spans(row: Row) -> list[tuple[int, int]]:
    """Layout text: the column spans of a row's printed value cells."""
    if not row.spans:
        return []
    return [row.spans[i] for i, t in split_row(row.cells).values if t and i < len(row.spans)]


def fit_values(values: list[tuple[int, str]], n: int) -> list[tuple[int, str]] | None:
    """Exactly n value cells, dropping blank padding at the edges when there are too many."""
    vals = list(values)
    while len(vals) > n and vals and not vals[-1][1]:
        vals.pop()
    while len(vals) > n and vals and not vals[0][1]:
        vals.pop(0)
    return vals if len(vals) == n else None


def by_positions(cells: list[str | None], positions: dict[int, str]) -> dict[str, tuple[int, str]] | None:
    out = {}
    for col, key in positions.items():
        if col >= len(cells) or cells[col] is None or parse_cell(cells[col]) is None:
            return None
        out[key] = (col, cells[col])
    return out


@dataclass
class TableMapper:
    template: str
    ref: Reference
    facts: list[Fact] = field(default_factory=list)
    mode: str | None = None
    block: str | None = None
    s2_positions: dict[int, ColumnSpec] = field(default_factory=dict)
    s2_centers: list[tuple[ColumnSpec, float]] = field(default_factory=list)  # layout text: header columns
    s2_units: dict[str, str | None] = field(default_factory=dict)  # column key → money unit its header prints
    s2_header: dict[str, str] = field(default_factory=dict)  # layout text: header label per column, wraps joined
    s3_positions: dict[int, str] = field(default_factory=dict)
    s3_rows: list[ObservedRow] = field(default_factory=list)
    s3_fragments: list[tuple[str, tuple[int, int], int | None]] = field(default_factory=list)  # layout header
    legacy_value_col: int | None = None
    legacy_centers: dict[int | None, list[float]] = field(default_factory=dict)  # layout text: header, per page
    legacy_full: dict[int | None, list[list[tuple[int, int]]]] = field(default_factory=dict)  # full rows, per page
    legacy_width: int = 0  # header cells of the legacy table
    s2_page: int | None = None
    legacy_parent: str = ""
    s4_done: bool = False
    s4_fragments: list[tuple[str, tuple[int, int], int | None]] = field(default_factory=list)  # layout header

    # -- reference lookups -------------------------------------------------------------
    def block_titles(self) -> dict[int, str]:
        """第二十条第（N）项 number → block key, from the mapping tables."""
        return {int(b.removeprefix("art20_")): b for b in self.ref.blocks(self.template)}

    def s2_columns(self) -> list[ColumnSpec]:
        return self.ref.columns_for(self.template, "s2", self.block)

    def s2_rows(self) -> list[RowSpec]:
        return self.ref.rows_for(self.template, "s2", self.block)

    # -- the stream --------------------------------------------------------------------
    def feed(self, tables: list[RawTable]) -> list[Fact]:
        for t_index, table in enumerate(tables):
            for r_index, cells in enumerate(table.rows):
                row_no = table.line_numbers[r_index] if table.line_numbers else r_index
                spans = table.spans[r_index] if table.spans else None
                self.feed_row(Row(t_index, row_no, table.page_of(r_index), cells, spans))
        self.flush_s3()
        return self.facts

    def feed_row(self, row: Row) -> None:
        texts = row.texts()
        if not texts:
            return
        joined = norm("".join(texts))
        title = BLOCK_TITLE.search(joined)
        if title and self.template != "legacy_stats":
            self.start_block(title.group(1))
            return
        if self.is_legacy_header(texts):
            self.start_legacy(row)
            return
        if self.is_s3_header(texts):
            self.start_s3(row)
            return
        if self.is_s4_header(texts):
            self.flush_s3()
            if self.mode != "s4":
                self.s4_fragments = []
            self.mode = "s4"
            self.s4_header_cells(row)
            return
        handler = {"s2": self.s2_row, "s3": self.s3_row, "s4": self.s4_row, "legacy": self.legacy_row}
        if self.mode in handler:
            handler[self.mode](row)
        elif self.template == "legacy_stats":
            self.legacy_row(row)

    # -- section 二 -------------------------------------------------------------------
    def start_block(self, numeral: str) -> None:
        self.flush_s3()
        number = sum(CN_NUMBERS.get(ch, 0) for ch in numeral) if numeral != "十" else 10
        self.block = self.block_titles().get(number)
        self.mode = "s2" if self.block else None
        self.s2_positions = {}
        self.s2_centers = []
        self.s2_units = {}
        self.s2_header = {}

    def s2_row(self, row: Row) -> None:
        columns = self.s2_columns()
        header = {
            i: col for i, c in enumerate(row.cells) if c for col in columns if best_similarity(c, col.labels) >= 0.8
        }
        if header or any(norm(c) == "信息内容" for c in row.texts()):
            if header:
                self.s2_positions = header
                self.s2_header = {col.column_key: row.cells[i] or "" for i, col in header.items()}
                self.s2_units = {key: unit_in_text(text) for key, text in self.s2_header.items()}
                if row.spans:
                    self.s2_page = row.page
                    self.s2_centers = sorted(((col, center(row.spans[i])) for i, col in header.items()),
                                             key=lambda p: p[1])  # fmt: skip
            return
        split = split_row(row.cells)
        if not split.values and self.s2_header_wrap(row):
            return
        spec, score = best_row(split, self.s2_rows())
        if spec is None or score < MIN_ROW_MATCH or not split.values:
            return
        self.s2_header = {}  # the first data row: the header has ended
        assigned = self.assign_s2(row, split, columns)
        for col, (ci, text) in assigned.items():
            unit = self.s2_units.get(col.column_key)
            self.emit(f"{spec.key}.{col.column_key}", text, row, ci, split, method="table", header_unit=unit)

    def assign_s2(self, row: Row, split: SplitRow, columns: list[ColumnSpec]) -> dict[ColumnSpec, tuple[int, str]]:
        if self.s2_positions:
            placed = {
                col: (i, row.cells[i])
                for i, col in self.s2_positions.items()
                if i < len(row.cells) and row.cells[i] is not None and parse_cell(row.cells[i]) is not None
            }
            # Positions win only when they account for every printed number in the row
            # (an unsplit '行政处罚 8' has its number in the label cell, not under the header).
            printed = sorted(v for _, v in split.values if v)
            if len(placed) == len(columns) and sorted(v for _, v in placed.values() if v) == printed:
                return placed
        fitted = fit_values(split.values, len(columns))
        if fitted is None:
            return self.s2_by_geometry(row, split, columns)
        return dict(zip(columns, fitted, strict=True))

    def s2_header_wrap(self, row: Row) -> bool:
        """Layout text: a header label wrapped over lines ('采购总金额（' / '元）'); join each piece to its column."""
        if not self.s2_header or not row.spans or row.page != self.s2_page or not self.s2_centers:
            return False
        where = place(row.spans, [c for _, c in self.s2_centers])
        if where is None:
            return False
        for w, text in zip(where, row.cells, strict=True):
            key = self.s2_centers[w][0].column_key
            self.s2_header[key] = self.s2_header.get(key, "") + (text or "")
            self.s2_units[key] = unit_in_text(self.s2_header[key])
        return True

    def s2_by_geometry(self, row: Row, split: SplitRow, columns: list[ColumnSpec]) -> dict:
        """Layout text: each number under its header column; a column with no number was printed blank."""
        if not row.spans or len(self.s2_centers) != len(columns) or row.page != self.s2_page:
            return {}
        values = [(i, t) for i, t in split.values if t]
        where = place([row.spans[i] for i, _ in values], [c for _, c in self.s2_centers])
        if where is None:
            return {}
        placed = {self.s2_centers[w][0]: v for w, v in zip(where, values, strict=True)}
        return {col: placed.get(col, (-1, "")) for col, _ in self.s2_centers}

    # -- section 三 -------------------------------------------------------------------
    def is_s3_header(self, texts: list[str]) -> bool:
        return (
            self.template in ("gov_2021", "gov_2019")
            and any(w in norm(t) for t in texts for w in headers("s3"))
            and not any(parse_cell(t) is not None and parse_cell(t).value for t in texts)
        )

    def start_s3(self, row: Row) -> None:
        if self.mode != "s3":
            self.flush_s3()
            self.mode = "s3"
        labels = {norm(lab): col.column_key for col in self.ref.columns_for(self.template, "s3") for lab in col.labels}
        for i, c in enumerate(row.cells):
            if c and norm(c) in labels:
                self.s3_positions[i] = labels[norm(c)]
        self.s3_header_cells(row)

    def s3_header_cells(self, row: Row) -> None:
        """Layout text: the header's label fragments ('自然' / '人') with their columns, until the page's first row."""
        if row.spans and not any(obs.source.page == row.page for obs in self.s3_rows):
            self.s3_fragments += [(norm(c), sp, row.page) for c, sp in zip(row.cells, row.spans, strict=True) if c]

    def s3_header_centers(self, page: int | None) -> list[float] | None:
        """Column centres from the header of a page: fragments of the leaf labels, exactly one cluster each."""
        leaves = [norm(lab) for col in self.ref.columns_for(self.template, "s3") for lab in col.labels]
        centers = [center(sp) for text, sp, p in self.s3_fragments if p == page and any(text in lf for lf in leaves)]
        clusters = cluster(centers)
        return clusters if len(clusters) == len(S3_COLUMNS) else None

    def s3_row(self, row: Row) -> None:
        split = split_row(row.cells)
        if self.is_row_tail(row, split):
            last = self.s3_rows[-1]
            last.label, last.full_label = last.label + split.label, f"{last.full_label} {split.full_label}"
            return
        values = fit_values(split.values, len(S3_COLUMNS))
        if values is None and self.s3_positions:
            placed = by_positions(row.cells, self.s3_positions)
            values = [placed[k] for k in S3_COLUMNS] if placed and len(placed) == len(S3_COLUMNS) else None
        if values is None:
            if any(v for _, v in split.values):
                self.s3_rows.append(ObservedRow(split.label, split.full_label, None, row))
            else:
                self.s3_header_cells(row)
            return
        self.s3_rows.append(ObservedRow(split.label, split.full_label, values, row))

    def is_row_tail(self, row: Row, split: SplitRow) -> bool:
        """A PDF row cut by a page break goes on at the top of the next page as label text over empty
        cells ('取信息', '理 | 费用、…公开申请'): it is the previous row's label, not a row printed blank."""
        if not self.s3_rows or self.s3_rows[-1].source.page == row.page or not split.labels:
            return False
        printed = any(text for _, text in split.values)
        return not printed and not any(ITEM_MARKER.match(label) for label in split.labels)

    def place_s3_by_geometry(self) -> None:
        """Layout text: rows missing blank cells take their columns from the page's complete rows."""
        by_page: dict[int | None, list[ObservedRow]] = {}
        for obs in self.s3_rows:
            if obs.source.spans:
                by_page.setdefault(obs.source.page, []).append(obs)
        n = len(S3_COLUMNS)
        for page, rows in by_page.items():
            columns = (
                centers_from_rows([[r.source.spans[i] for i, _ in r.values] for r in rows if r.values is not None], n)
                or centers_from_cells([value_spans(r.source) for r in rows], n)
                or self.s3_header_centers(page)
            )
            for obs in rows:
                if obs.values is not None or columns is None:
                    continue
                values = [(i, t) for i, t in split_row(obs.source.cells).values if t]
                where = place([obs.source.spans[i] for i, _ in values], columns)
                if where is not None:
                    placed = dict(zip(where, values, strict=True))
                    obs.values = [placed.get(k, (-1, "")) for k in range(n)]

    def flush_s3(self) -> None:
        if not self.s3_rows:
            return
        self.place_s3_by_geometry()
        observed, self.s3_rows, self.s3_fragments = self.s3_rows, [], []
        for obs, spec, score in align_rows(observed, self.ref, self.template):
            row: Row = obs.source
            split = SplitRow(labels=[obs.label], values=[])
            garbled = score < 0.5
            if obs.values is None:
                for col in S3_COLUMNS:
                    self.facts.append(
                        Fact(
                            f"{spec.key}.{col}",
                            None,
                            method="table",
                            page=row.page,
                            table_index=row.table_index,
                            row_index=row.row_index,
                            raw_label=obs.full_label,
                            flags=["unreadable"],
                            reason="row has the wrong number of value cells",
                        )
                    )
                continue
            for col, (ci, text) in zip(S3_COLUMNS, obs.values, strict=True):
                fact = self.emit(f"{spec.key}.{col}", text, row, ci, split, method="ocr_order" if garbled else "table")
                fact.raw_label = obs.full_label
                if garbled:
                    fact.flag("garbled_label")

    # -- section 四 -------------------------------------------------------------------
    def is_s4_header(self, texts: list[str]) -> bool:
        return (
            self.template in ("gov_2021", "gov_2019")
            and sum(any(w in norm(t) for t in texts) for w in headers("s4")) >= 2
        )

    def s4_row(self, row: Row) -> None:
        columns = self.ref.columns_for(self.template, "s4")
        split = split_row(row.cells)
        if self.s4_done or sum(1 for _, v in split.values if v) < len(columns) // 2:
            self.s4_header_cells(row)
            return
        values = fit_values(split.values, len(columns)) or self.s4_by_geometry(row, split, columns)
        if values is None:
            return
        for col, (ci, text) in zip(columns, values, strict=True):
            self.emit(f"s4.{col.column_key}", text, row, ci, split, method="table")
        self.s4_done = True

    def s4_header_cells(self, row: Row) -> None:
        """Layout text: keep the header's leaf-label fragments ('结果', '维持', '总计') with their columns."""
        if row.spans:
            self.s4_fragments += [(norm(c), sp, row.page) for c, sp in zip(row.cells, row.spans, strict=True) if c]

    def s4_by_geometry(self, row: Row, split: SplitRow, columns: list[ColumnSpec]) -> list | None:
        """Layout text with blank cells: each number under the leaf header column it sits below."""
        if not row.spans:
            return None
        leaves = [lab for col in columns for lab in col.labels]
        groups = [g for col in columns for g in (col.group or "").split(" / ") if g]
        centers = sorted(
            center(sp)
            for text, sp, page in self.s4_fragments
            if page == row.page and any(text in leaf for leaf in leaves) and not any(text in g for g in groups)
        )
        clusters = cluster(centers)
        if len(clusters) != len(columns):
            return None
        values = [(i, t) for i, t in split.values if t]
        where = place([row.spans[i] for i, _ in values], clusters)
        if where is None:
            return None
        placed = dict(zip(where, values, strict=True))
        return [placed.get(k, (-1, "")) for k in range(len(columns))]

    # -- legacy statistics tables -----------------------------------------------------
    def is_legacy_header(self, texts: list[str]) -> bool:
        return any(norm(t) in headers("legacy") for t in texts)

    def start_legacy(self, row: Row) -> None:
        """Find this year's value column: by header word priority, never a cumulative or code column."""
        self.mode = "legacy"
        self.legacy_value_col = None
        names = {i: norm(c or "") for i, c in enumerate(row.cells)}
        self.legacy_centers = {row.page: [center(sp) for sp in row.spans]} if row.spans else {}
        self.legacy_full = {}
        self.legacy_width = len(row.cells)
        usable = {
            i: n
            for i, n in names.items()
            if n and not any(s in n for s in headers("legacy_skip") + headers("legacy_code"))
        }
        for word in headers("legacy_value"):
            found = [i for i, n in usable.items() if word in n]
            if found:
                self.legacy_value_col = found[0]
                return

    def legacy_row(self, row: Row) -> None:
        split = split_row(row.cells)
        if not split.labels:
            return
        candidates = self.ref.rows_for("legacy_stats", "legacy")
        spec, score = best_legacy_row(split.label, candidates, self.legacy_parent, self.assigned_keys())
        if spec is None or score < MIN_ROW_MATCH:
            if split.values and any(v for _, v in split.values):
                col, text = self.legacy_value(row, split)
                self.emit(f"legacy.raw.{norm(split.label)}", text, row, col, split, method="table").flag("unknown_row")
            return
        if not spec.key or spec.derived:
            self.legacy_parent = spec.label
            return
        if not spec.block and not spec.label.startswith(("其中", "1", "2", "3", "4", "5", "6", "7", "8")):
            self.legacy_parent = spec.label
        if not split.values:
            return
        ci, text = self.legacy_value(row, split)
        self.emit(spec.key, text, row, ci, split, method="table")

    def legacy_value(self, row: Row, split: SplitRow) -> tuple[int, str]:
        col = self.legacy_value_col
        if row.spans and col is not None:
            if len(row.cells) == self.legacy_width:  # a row printing every cell shows where the columns are
                self.legacy_full.setdefault(row.page, []).append(row.spans)
            return self.legacy_value_by_geometry(row, split, col)
        if col is not None and col < len(row.cells) and parse_cell(row.cells[col]) is not None:
            return col, row.cells[col]
        return split.values[0]

    def legacy_value_by_geometry(self, row: Row, split: SplitRow, col: int) -> tuple[int, str]:
        """Layout text: the number under the year's column, never one under 累计; none there → blank."""
        full = self.legacy_full.get(row.page)
        columns = centers_from_rows(full, self.legacy_width) if full else self.legacy_centers.get(row.page)
        values = [(i, t) for i, t in split.values if t and row.spans and i < len(row.spans)]
        if columns is None:
            return -1, "unplaced"  # no header or full row on this page yet: the column is not known
        where = place([row.spans[i] for i, _ in values], columns)
        if where is None:
            return -1, "unplaced"  # not clearly under one column: unreadable, not a guess
        return next((v for w, v in zip(where, values, strict=True) if w == col), (-1, ""))

    def assigned_keys(self) -> set[str]:
        return {f.key for f in self.facts}

    # -- output -------------------------------------------------------------------------
    def emit(
        self, key: str, text: str, row: Row, col: int, split: SplitRow, method: str, header_unit: str | None = None
    ) -> Fact:
        cell = parse_cell(text) or CellValue(None, ["unreadable"], reason=f"not a number: {text!r}")
        fact = Fact(
            key=key,
            value=cell.value,
            method=method,
            page=row.page,
            table_index=row.table_index,
            row_index=row.row_index,
            col_index=col,
            raw_label=split.full_label,
            raw_text=text,
            unit=printed_unit(cell, split, header_unit),
            note=cell.note,
            flags=list(cell.flags),
            reason=cell.reason,
        )
        self.facts.append(fact)
        return fact


def printed_unit(cell: CellValue, split: SplitRow, header_unit: str | None) -> str | None:
    """The unit printed nearest the value: in the cell, the row's unit cell or label, else the column header."""
    if cell.unit:
        return cell.unit
    row_unit = split.unit if is_money(split.unit) else unit_in_text(split.full_label)
    return row_unit or header_unit


def best_row(split: SplitRow, rows: list[RowSpec]) -> tuple[RowSpec | None, float]:
    best, best_score = None, 0.0
    for spec in rows:
        score = max(best_similarity(split.label, spec.labels), 0.8 * best_similarity(split.full_label, spec.labels))
        if score > best_score:
            best, best_score = spec, score
    return best, best_score


def best_legacy_row(label: str, rows: list[RowSpec], parent: str, taken: set[str]) -> tuple[RowSpec | None, float]:
    """Best label match; under a block header, prefer the rows of that block (复议/诉讼 share labels)."""
    best, best_score = None, 0.0
    for spec in rows:
        score = best_similarity(label, spec.labels)
        if parent and spec.label != parent and similarity(spec.parent, parent) > 0.8:
            score += 0.05
        if spec.key and spec.key in taken:
            score -= 0.2
        if score > best_score:
            best, best_score = spec, score
    return best, best_score
