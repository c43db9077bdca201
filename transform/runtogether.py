"""Table rows found only in running text (cells flattened, digits run together).

Crawler captures of report pages often flatten the statistics tables into one
line: '规章000行政规范性文件693665第二十条第（五）项…'. This module reads those
rows back:

1. The text is cut, line by line, into (label, run) segments: a run is the value
   text after a label, digits with optional single spaces (a space IS a cell
   boundary). An enumerator glued to the run ('…00000002.其他…') goes back to
   the next label; digits before 年/月/日 are part of a label ('2012年度').
2. Headers found in the labels (block titles, the section 三/四 column headers,
   the legacy 指标名称 header) say which table a run belongs to; each run then
   becomes a RowPlan: its unified keys and column kinds, all from the mapping
   tables (transform.reference).
3. transform.digits enumerates the admissible splits of each run (column count,
   no leading zeros, sign and decimal rules) and prunes them with the row's own
   sum identities (S3_COLUMN_TOTAL, S4_GROUP_TOTALS).
4. Rows left with several splits are resolved jointly with the cross-row
   identities (S3_BALANCE, S3_RESULT_TOTAL per column). Only official and
   structural identities are used: heuristic ones may fail in a correct source.
5. A cell gets a value only when every remaining reading agrees on it; otherwise
   it is a null fact flagged `ambiguous` with the admissible splits in `reason`.

Lines that extract/text.py already turned into table rows (tab or pipe
separated) are skipped, and a label and its run must share a line, so pages
whose cells sit on separate lines (HTML text, most PDFs) give nothing here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from govreports.extract.text import split_cells
from govreports.transform.align import ObservedRow, align_rows
from govreports.transform.digits import (
    DASH,
    STEP_BUDGET,
    TOLERANCE,
    SumRule,
    cell_value,
    count_splits,
    enumerate_splits,
    groups_of,
    normalise_run,
    show,
)
from govreports.transform.labels import best_similarity, norm, similarity
from govreports.transform.model import Fact
from govreports.transform.reference import S3_COLUMNS, Reference, RowSpec, detection_rules
from govreports.transform.tables import (
    BLOCK_TITLE,
    CN_NUMBERS,
    MIN_ROW_MATCH,
    UNIT_CELLS,
    best_legacy_row,
)
from govreports.transform.units import is_money, money_units, unit_in_text

VALUE_TOKEN = r"-?\d+(?:\.\d+)?|[—－–─]+"
VALUE_RUN = re.compile(rf"(?:{VALUE_TOKEN})(?:[ \u00a0\u3000]*(?:{VALUE_TOKEN}))*")
ENUM_MARKS = ".、．"
DATE_AFTER = re.compile(r"^\s*[年月日]")  # '2015 年 3 月': dates are prose, not cells
CLOSERS = ")）]】」"
OPENERS = "(（[【「"
MAX_PARENTHETICAL = 40  # an opener further back than this was never closed (a typo), not a parenthetical
CJK = re.compile(r"[\u4e00-\u9fff]")
ENUMERATOR = re.compile(r"[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、|\d+[.、．](?!\d)")
PRINTED_UNIT = re.compile(rf"^\s*({'|'.join(map(re.escape, money_units()))})")  # '809100元': the unit after a run
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
UNIT_SUFFIXES = tuple(sorted((u for u in UNIT_CELLS if u not in ("单位", "计量单位")), key=len, reverse=True))
LEGACY_UNIT_HEADERS = tuple(u for u in UNIT_CELLS if "单位" in u)

HEADER_MIN_COLUMNS = 3  # a section 三/四 header names at least three column labels in one segment
S2_SUFFIX_MATCH = 0.8
MAX_PROSE_LABEL = 30  # an unknown legacy row label longer than this is prose: the table has ended
EXAMPLES = 12  # admissible splits listed in a reason
JOINT_BUDGET = 50_000  # assignments tried when resolving rows jointly
DOCUMENT_STEP_BUDGET = 100_000  # split-search steps per document (real rows need < 1000): garbage cannot stall a batch
RESOLVING_LEVELS = ("official", "structural")


@dataclass(frozen=True)
class LegacyHeader:
    """Legacy header words (data/reference/detection.json) as patterns: the header, then its columns."""

    header: re.Pattern[str]
    column: re.Pattern[str]
    roles: dict[str, str]  # column word -> value | skip | code | unit
    priority: tuple[str, ...]  # value words, best first


@cache
def legacy_header() -> LegacyHeader:
    words = detection_rules()["table_headers"]
    roles = {w: "unit" for w in LEGACY_UNIT_HEADERS}
    roles.update({w: "code" for w in words["legacy_code"]})
    roles.update({w: "skip" for w in words["legacy_skip"]})
    roles.update({w: "value" for w in words["legacy_value"]})
    column = "|".join(map(re.escape, sorted(roles, key=len, reverse=True)))
    start = "|".join(map(re.escape, words["legacy"]))
    # '指标名称 计量单位 2012年度 历年累计': the header word, then column words (a year may precede one)
    header = re.compile(rf"(?:{start})(?:\s*(?:\d{{4}})?\s*(?:{column}))+")
    return LegacyHeader(header, re.compile(column), roles, tuple(words["legacy_value"]))


def is_footer(label: str) -> bool:
    """A statistics form's footer line (填报人, 联系电话, 填报日期): the table has ended."""
    return norm(label).startswith(tuple(detection_rules()["table_headers"]["legacy_footer"]))


def legacy_columns(header_text: str) -> tuple[str, ...]:
    """Role of each value column: 'value' for this year's (one column), else 'skip' or 'code'."""
    spec = legacy_header()
    words = [w for w in spec.column.findall(header_text) if spec.roles[w] != "unit"]
    values = [w for w in words if spec.roles[w] == "value"]
    best = min(values, key=spec.priority.index) if values else None
    roles = []
    for w in words:
        role = spec.roles[w]
        roles.append("value" if w == best and "value" not in roles else ("skip" if role == "value" else role))
    return tuple(roles) or ("value",)


# -- segments -------------------------------------------------------------------------


@dataclass
class Segment:
    label: str  # text since the previous run: headers, a row label, or prose
    run: str  # printed value text ('' after the last run of a line)
    line: int  # 1-based line in the document text
    after: str = ""  # a few characters after the run (a printed unit: '元')


def segments(text: str) -> list[Segment]:
    out: list[Segment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if split_cells(line) is not None:
            continue  # a tab/pipe row: extract/text.py already made it a table row
        out.extend(line_segments(line, number))
    return out


def line_segments(line: str, number: int) -> list[Segment]:
    out: list[Segment] = []
    pending, last = "", 0
    for m in VALUE_RUN.finditer(line):
        pending += line[last : m.start()]
        run, carry = split_off_label(m.group(), line[m.end() : m.end() + 4])
        if run.strip() and not inside_brackets(pending):
            out.append(Segment(pending, run.strip(), number, line[m.end() : m.end() + 4]))
            pending = carry
        else:
            pending += m.group()
        last = m.end()
    pending += line[last:]
    if pending.strip():
        out.append(Segment(pending, "", number))
    return out


def inside_brackets(label: str) -> bool:
    """'…（不同渠道和方式公开相同信息计' + '1': a number inside a label's parenthetical is label text."""
    unmatched: list[int] = []
    for i, ch in enumerate(label):
        if ch in OPENERS:
            unmatched.append(i)
        elif ch in CLOSERS and unmatched:
            unmatched.pop()
    return bool(unmatched) and len(label) - unmatched[-1] <= MAX_PARENTHETICAL


def split_off_label(run: str, after: str) -> tuple[str, str]:
    """The run's tail that belongs to the next label: an enumerator ('2.其他') or a year ('2012年度')."""
    if after[:1] in ENUM_MARKS and after[:1] and not after[1:2].isdigit() and run[-1:].isdigit():
        return run[:-1], run[-1]
    if DATE_AFTER.match(after):
        head, _, tail = run.rstrip().rpartition(" ")
        return head, tail if head else run
    return run, ""


def last_enumerated(label: str) -> str:
    """'三、本年度办理结果（一）予以公开' → '（一）予以公开': a row's label starts at its enumerator."""
    start = 0
    for m in ENUMERATOR.finditer(label):
        start = m.start()
    return label[start:].strip()


# -- the layout, from the mapping tables ------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One identity for one column/row/group: sum(lhs) op sum(rhs)."""

    id: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    op: str

    @property
    def keys(self) -> tuple[str, ...]:
        return self.lhs + self.rhs


_MEMO: dict[tuple[int, str, str], tuple[Reference, Any]] = {}
T = TypeVar("T")


def memo(ref: Reference, template: str, what: str, build: Callable[[], T]) -> T:
    """Per-reference cache (Reference is a mutable dataclass, so functools.cache cannot key on it)."""
    hit = _MEMO.get((id(ref), template, what))
    if hit and hit[0] is ref:
        return hit[1]
    value = build()
    _MEMO[(id(ref), template, what)] = (ref, value)
    return value


def instances(template: str, ref: Reference) -> tuple[Instance, ...]:
    """Identity instances that may pick a split (official and structural only)."""
    return memo(
        ref,
        template,
        "instances",
        lambda: tuple(
            Instance(
                identity.id,
                tuple(k.format(x=x) for k in identity.lhs),
                tuple(k.format(x=x) for k in identity.rhs),
                identity.op,
            )
            for identity in ref.identities
            if template in identity.templates and identity.level in RESOLVING_LEVELS
            for x in identity.for_each
        ),
    )


def row_rules(keys: tuple[str, ...], template: str, ref: Reference) -> tuple[tuple[SumRule, ...], tuple[str, ...]]:
    """The identities that live inside one row (every key they name is a cell of the row)."""

    def build() -> tuple[tuple[SumRule, ...], tuple[str, ...]]:
        index = {k: i for i, k in enumerate(keys) if k}
        rules, ids = [], []
        for inst in instances(template, ref):
            if all(k in index for k in inst.keys):
                rules.append(SumRule(tuple(index[k] for k in inst.lhs), tuple(index[k] for k in inst.rhs), inst.op))
                ids.append(inst.id)
        return tuple(rules), tuple(dict.fromkeys(ids))

    return memo(ref, template, "rules:" + ",".join(keys), build)


def column_labels(ref: Reference, template: str, section: str) -> list[tuple[str, ...]]:
    """Normalised labels per distinct column label (s4 repeats 结果维持 … per group)."""

    def build() -> list[tuple[str, ...]]:
        seen: dict[str, tuple[str, ...]] = {}
        for col in ref.columns_for(template, section):
            seen.setdefault(norm(col.label), tuple(norm(lab) for lab in col.labels))
        return list(seen.values())

    return memo(ref, template, f"columns.{section}", build)


def names_columns(normed: str, labels: list[tuple[str, ...]]) -> bool:
    return sum(any(lab and lab in normed for lab in col) for col in labels) >= HEADER_MIN_COLUMNS


def suffix_match(normed: str, rows: list[RowSpec]) -> tuple[RowSpec | None, float, str]:
    """The row whose label ends the text (a block's first label follows its header with no
    separator): the spec, the score and the printed label (normalised)."""
    best, best_score, printed = None, 0.0, ""
    for spec in rows:
        for lab in spec.labels:
            n = norm(lab)
            if not n:
                continue
            score = 1.0 if normed.endswith(n) else similarity(normed[-len(n) :], n)
            if score > best_score or (score == best_score and len(n) > len(printed)):
                best, best_score, printed = spec, score, normed[-len(n) :]
    return best, best_score, printed


# -- rows --------------------------------------------------------------------------------


@dataclass
class RowPlan:
    """One printed row: where its run goes (keys per cell; '' = a column not recorded) and its readings."""

    keys: tuple[str, ...]
    kinds: tuple[str, ...]
    run: str
    label: str
    line: int
    unit: str | None = None
    flags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    admissible: int = 0
    readings: list[tuple[str, ...]] = field(default_factory=list)
    complete: bool = True
    local_ids: tuple[str, ...] = ()  # identities used inside the row
    joint_ids: tuple[str, ...] = ()  # identities used across rows
    broken: str = ""  # why the identities could not be used
    why: str = ""  # the ambiguity reason, built once per row
    distrusted: tuple[str, ...] = ()  # identities the source breaks: their values cannot pick a split

    @property
    def direct(self) -> bool:
        """Every space-separated group is one cell: nothing was split."""
        return len(self.groups) == len(self.keys)


def plan_row(plan: RowPlan, template: str, ref: Reference, budget: int) -> int:
    """Fill the row's readings; returns the search steps spent (the document has a budget)."""
    plan.groups = groups_of(normalise_run(plan.run.translate(FULL_WIDTH_DIGITS)))
    plan.admissible = count_splits(plan.groups, plan.kinds)
    if plan.admissible == 0:
        return 0
    if budget <= 0:
        plan.complete = False
        return 0
    rules, ids = row_rules(plan.keys, template, ref)
    search = enumerate_splits(plan.groups, plan.kinds, rules, budget=min(budget, STEP_BUDGET))
    plan.readings, plan.complete = search.splits, search.complete
    plan.local_ids = ids if plan.admissible > len(search.splits) else ()
    if search.splits or not rules or not search.complete:
        return search.steps
    # The source breaks its own row identity: keep the plain readings, never force the sum.
    plain = enumerate_splits(plan.groups, plan.kinds, budget=min(budget, STEP_BUDGET))
    plan.readings, plan.complete, plan.local_ids = plain.splits, plain.complete, ()
    plan.broken = f"no admissible split satisfies {', '.join(ids)}"
    return search.steps + plain.steps


# -- joint resolution -------------------------------------------------------------------


def resolve_jointly(plans: list[RowPlan], template: str, ref: Reference) -> None:
    """Rows with several readings: keep the readings that let every cross-row identity hold."""
    open_rows = [i for i, p in enumerate(plans) if len(p.readings) > 1 and p.complete and not p.broken]
    if not open_rows:
        return
    fixed: dict[str, float] = {}
    for p in plans:
        if len(p.readings) == 1 and not p.broken:  # a row that breaks its own total vouches for nothing
            fixed.update({k: cell_value(t) for k, t in zip(p.keys, p.readings[0], strict=True) if k})
    owner = {k: i for i in open_rows for k in plans[i].keys if k}
    derived = {
        rule["key"].format(c=c): tuple(part.format(c=c) for part in rule["parts"])
        for rule in ref.derived
        for c in S3_COLUMNS
    }

    def sources(key: str) -> set[int] | None:
        """Open rows a key depends on; None when the key has no value at all."""
        if key in fixed:
            return set()
        if key in owner:
            return {owner[key]}
        if key in derived and key not in fixed:
            parts = [sources(p) for p in derived[key]]
            return None if any(s is None for s in parts) else set().union(*parts)
        return None

    usable: list[tuple[Instance, set[int]]] = []
    failing: list[Instance] = []
    for inst in instances(template, ref):
        deps = [sources(k) for k in inst.keys]
        if any(d is None for d in deps):
            continue
        rows = set().union(*deps)
        if rows:
            usable.append((inst, rows))
        elif not holds(inst, fixed, derived):
            failing.append(inst)
    # A value the source's own identities implicate (they fail among its certain rows) cannot vouch for a split.
    suspect = {k for inst in failing for k in inst.keys}
    for inst, rows in usable:
        if suspect & set(inst.keys):
            for r in rows:
                plans[r].distrusted = tuple(sorted({*plans[r].distrusted, *(f.id for f in failing)}))
    usable = [(inst, rows) for inst, rows in usable if not suspect & set(inst.keys)]
    for component in components(open_rows, [rows for _, rows in usable]):
        checks = [(inst, rows) for inst, rows in usable if rows & set(component)]
        solve_component(plans, component, checks, fixed, derived)


def value_of(key: str, values: dict[str, float], derived: dict[str, tuple[str, ...]]) -> float:
    """A printed value, or a derived subtotal (s3.r_other from its three 2021 parts)."""
    if key in values:
        return values[key]
    return sum(value_of(part, values, derived) for part in derived[key])


def holds(inst: Instance, values: dict[str, float], derived: dict[str, tuple[str, ...]]) -> bool:
    left = sum(value_of(k, values, derived) for k in inst.lhs)
    right = sum(value_of(k, values, derived) for k in inst.rhs)
    return abs(left - right) <= TOLERANCE if inst.op == "==" else left <= right + TOLERANCE


def components(nodes: list[int], edges: list[set[int]]) -> list[list[int]]:
    parent = {n: n for n in nodes}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for edge in edges:
        members = [n for n in edge if n in parent]
        for a, b in zip(members, members[1:], strict=False):
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return list(groups.values())


def solve_component(
    plans: list[RowPlan],
    rows: list[int],
    checks: list[tuple[Instance, set[int]]],
    fixed: dict[str, float],
    derived: dict[str, tuple[str, ...]],
) -> None:
    """Backtracking over the rows' readings; an identity is checked once all its rows are placed."""
    if not checks:
        return
    rows = sorted(rows, key=lambda i: len(plans[i].readings))
    position = {r: n for n, r in enumerate(rows)}
    due: dict[int, list[Instance]] = {}
    for inst, deps in checks:
        due.setdefault(max(position[d] for d in deps), []).append(inst)
    values = dict(fixed)
    chosen: list[int] = []
    survivors: list[set[int]] = [set() for _ in rows]
    steps = 0

    def place(n: int) -> bool:
        nonlocal steps
        if n == len(rows):
            for m, reading in enumerate(chosen):
                survivors[m].add(reading)
            return True
        plan = plans[rows[n]]
        for r, reading in enumerate(plan.readings):
            steps += 1
            if steps > JOINT_BUDGET:
                return False
            values.update({k: cell_value(t) for k, t in zip(plan.keys, reading, strict=True) if k})
            chosen.append(r)
            if all(holds(inst, values, derived) for inst in due.get(n, ())) and not place(n + 1):
                return False
            chosen.pop()
        return True

    ids = tuple(dict.fromkeys(inst.id for inst, _ in checks))
    if not place(0):
        for r in rows:
            plans[r].broken = f"too many combinations to check {', '.join(ids)} jointly"
        return
    if not any(survivors):
        for r in rows:
            plans[r].broken = f"no combination of readings satisfies {', '.join(ids)}"
        return
    for n, r in enumerate(rows):
        plan = plans[r]
        plan.readings = [plan.readings[i] for i in sorted(survivors[n])]
        plan.joint_ids = ids


# -- facts ------------------------------------------------------------------------------


def facts_of(plan: RowPlan) -> list[Fact]:
    out = []
    for i, key in enumerate(plan.keys):
        if not key:
            continue
        fact = Fact(
            key=key,
            value=None,
            method="text" if plan.direct else "runtogether",
            row_index=plan.line,
            col_index=i,
            raw_label=plan.label[:200],
            raw_text=plan.run,
            unit=plan.unit,
            flags=list(plan.flags),
        )
        settle(fact, plan, i)
        out.append(fact)
    return out


def settle(fact: Fact, plan: RowPlan, i: int) -> None:
    """A value when every remaining reading agrees on this cell; otherwise null with the reason."""
    k = len(plan.keys)
    if plan.admissible == 0:
        fact.flag("unreadable").reason = f"{plan.run!r} cannot be split into {k} cells (no admissible split)"
        return
    tokens = {reading[i] for reading in plan.readings}
    if len(tokens) != 1 or not plan.complete:
        plan.why = plan.why or ambiguity(plan)
        fact.flag("ambiguous").reason = plan.why
        return
    token = tokens.pop()
    fact.value = cell_value(token)
    if token == DASH:
        fact.flag("dash")
    if fact.value < 0:
        fact.flag("negative")
    if plan.direct:
        return
    used = (*plan.local_ids, *plan.joint_ids)
    if plan.admissible == 1 or not used:
        fact.flag("unique_split")
        if plan.admissible > 1:
            fact.reason = f"{plan.admissible} admissible splits of {plan.run!r}, all give this cell {token}"
        return
    fact.flag("identity_resolved")
    ids = ", ".join(dict.fromkeys(used))
    found = f"{plan.admissible} admissible splits of {plan.run!r}"
    if len(plan.readings) == 1:
        fact.reason = f"{found}; only {show(plan.readings[0])} satisfies {ids}"
    else:
        fact.reason = f"{found}; the {len(plan.readings)} that satisfy {ids} all give this cell {token}"


def ambiguity(plan: RowPlan) -> str:
    k = len(plan.keys)
    if not plan.complete and len(plan.readings) <= 1:
        return f"{plan.run!r} into {k} cells: too many splits to search"
    listed = enumerate_splits(plan.groups, plan.kinds, limit=EXAMPLES).splits
    shown = ", ".join(show(s) for s in listed) + (", …" if plan.admissible > len(listed) else "")
    text = f"{plan.run!r} into {k} cells: {plan.admissible} admissible splits: {shown}"
    used = (*plan.local_ids, *plan.joint_ids)
    if plan.broken:
        text += f"; {plan.broken}"
    elif used:
        text += f"; {len(plan.readings)} still satisfy {', '.join(dict.fromkeys(used))}"
    else:
        text += "; no identity constrains this row"
    if plan.distrusted:
        text += f" ({', '.join(plan.distrusted)} fail among the certain rows: the values they involve pick no split)"
    return text


# -- the reader ---------------------------------------------------------------------------


@dataclass
class TextReader:
    template: str
    ref: Reference
    plans: list[RowPlan] = field(default_factory=list)
    state: str | None = None
    block: str | None = None
    s3_rows: list[ObservedRow] = field(default_factory=list)
    legacy_roles: tuple[str, ...] = ("value",)
    legacy_parent: str = ""
    taken: set[str] = field(default_factory=set)
    s2_unit: str | None = None  # money unit the section 二 block's header prints ('采购总金额（元）')

    @property
    def gov(self) -> bool:
        return self.template in ("gov_2019", "gov_2021")

    def read(self, text: str) -> list[Fact]:
        for seg in segments(text):
            self.feed(seg)
        self.flush_s3()
        plans, budget = first_printings(self.plans), DOCUMENT_STEP_BUDGET
        for plan in plans:
            budget -= plan_row(plan, self.template, self.ref, budget)
        resolve_jointly(plans, self.template, self.ref)
        return [fact for plan in plans for fact in facts_of(plan)]

    def feed(self, seg: Segment) -> None:
        label = self.header(seg.label)
        if self.state == "s2":  # the block's header line ('采购总金额（元）') or the first row's label
            self.s2_unit = unit_in_text(label) or self.s2_unit
        if not seg.run:
            return
        handler = {"s2": self.s2_row, "s3": self.s3_row, "s4": self.s4_row, "legacy": self.legacy_row}
        if self.state in handler:
            handler[self.state](label, seg)

    def header(self, label: str) -> str:
        """Switch state on a header inside the label; return the label text after it."""
        normed = norm(label)
        if self.gov:
            titles = list(BLOCK_TITLE.finditer(normed))
            if titles:
                self.flush_s3()
                numeral = titles[-1].group(1)
                number = sum(CN_NUMBERS.get(ch, 0) for ch in numeral)
                self.block = f"art20_{number}" if f"art20_{number}" in self.ref.blocks(self.template) else None
                self.s2_unit = None
                self.state = "s2" if self.block else None
                return normed[titles[-1].end() :]
            if names_columns(normed, column_labels(self.ref, self.template, "s4")):
                self.flush_s3()
                self.state = "s4"
                return label
            if names_columns(normed, column_labels(self.ref, self.template, "s3")):
                self.flush_s3()
                self.state = "s3"
                return label
        elif self.template == "legacy_stats":
            m = legacy_header().header.search(label)
            if m:
                self.state = "legacy"
                self.legacy_parent = ""
                self.legacy_roles = legacy_columns(m.group())
                return label[m.end() :]
        return label

    # -- section 二 -----------------------------------------------------------------------
    def s2_row(self, label: str, seg: Segment) -> None:
        spec, score, printed_label = suffix_match(norm(label), self.ref.rows_for(self.template, "s2", self.block))
        if spec is None or score < S2_SUFFIX_MATCH:
            self.state = None  # prose or another table: section 二 has ended
            return
        columns = self.ref.columns_for(self.template, "s2", self.block)
        printed = PRINTED_UNIT.match(seg.after)
        self.plans.append(
            RowPlan(
                keys=tuple(f"{spec.key}.{c.column_key}" for c in columns),
                kinds=tuple(c.value_kind for c in columns),
                run=seg.run,
                label=printed_label,
                line=seg.line,
                unit=printed.group(1) if printed else self.s2_unit,
            )
        )

    # -- section 三 -----------------------------------------------------------------------
    def s3_row(self, label: str, seg: Segment) -> None:
        row_label = last_enumerated(label)
        specs = self.ref.rows_for(self.template, "s3")
        if max((best_similarity(row_label, s.labels) for s in specs), default=0.0) < MIN_ROW_MATCH:
            self.flush_s3()
            self.state = None
            return
        self.s3_rows.append(ObservedRow(row_label, row_label, None, seg))

    def flush_s3(self) -> None:
        observed, self.s3_rows = self.s3_rows, []
        if not observed:
            return
        for obs, spec, score in align_rows(observed, self.ref, self.template):
            if score < MIN_ROW_MATCH:
                continue
            seg: Segment = obs.source
            self.plans.append(
                RowPlan(
                    keys=tuple(f"{spec.key}.{c}" for c in S3_COLUMNS),
                    kinds=tuple(c.value_kind for c in self.ref.columns_for(self.template, "s3")),
                    run=seg.run,
                    label=obs.label,
                    line=seg.line,
                )
            )

    # -- section 四 -----------------------------------------------------------------------
    def s4_row(self, label: str, seg: Segment) -> None:
        columns = self.ref.columns_for(self.template, "s4")
        self.plans.append(
            RowPlan(
                keys=tuple(f"s4.{c.column_key}" for c in columns),
                kinds=tuple(c.value_kind for c in columns),
                run=seg.run,
                label=label.strip(),
                line=seg.line,
            )
        )
        self.state = None  # one value row

    # -- legacy statistics tables -----------------------------------------------------------
    def legacy_row(self, label: str, seg: Segment) -> None:
        text, unit = strip_unit(label.strip())
        unit = unit or unit_in_text(text)
        if not text:
            return
        candidates = self.ref.rows_for("legacy_stats", "legacy")
        spec, score = best_legacy_row(text, candidates, self.legacy_parent, self.taken)
        flags: tuple[str, ...] = ()
        known = spec is not None and score >= MIN_ROW_MATCH
        if spec is None or not known:
            if len(norm(text)) > MAX_PROSE_LABEL or is_footer(text):
                self.state = None
                return
            if not looks_like_row(text, seg.after):
                return
            key, flags = f"legacy.raw.{norm(text)}", ("unknown_row",)
        elif not spec.key or spec.derived:
            self.legacy_parent = spec.label
            return
        else:
            key = spec.key
            if not spec.block and not spec.label.startswith(("其中", *"12345678")):
                self.legacy_parent = spec.label
        self.taken.add(key)
        row_unit = unit or (spec.unit if known else "")
        kind = "decimal" if is_money(row_unit) or not known else "count"  # unknown rows: allow decimals
        self.plans.append(
            RowPlan(
                keys=tuple(key if role == "value" else "" for role in self.legacy_roles),
                kinds=tuple("code" if role == "code" else kind for role in self.legacy_roles),
                run=seg.run,
                label=text,
                line=seg.line,
                unit=unit if is_money(unit) else None,
                flags=flags,
            )
        )


def looks_like_row(label: str, after: str) -> bool:
    """An unknown legacy row needs a real label; a wrapped line ('条）', '舆情计1次）') is not one."""
    text = label.strip()
    if len(CJK.findall(text)) < 2 or text[:1] in CLOSERS or text in UNIT_CELLS:
        return False
    tail = after.lstrip()
    return not (tail[:1] in CLOSERS or tail.startswith(UNIT_SUFFIXES))


def first_printings(plans: list[RowPlan]) -> list[RowPlan]:
    """A row printed twice (a repeated table): the first printing wins, so every key has one owner."""
    seen: set[str] = set()
    out = []
    for plan in plans:
        keys = {k for k in plan.keys if k}
        if keys & seen:
            continue
        seen |= keys
        out.append(plan)
    return out


def strip_unit(label: str) -> tuple[str, str | None]:
    """'行政复议数 件' → ('行政复议数', '件'): local tables print the unit between label and values."""
    for unit in UNIT_SUFFIXES:
        if label.endswith(unit) and len(label) > len(unit):
            return label[: -len(unit)].strip(), unit
    return label, None


def facts_from_text(text: str, template: str, ref: Reference) -> list[Fact]:
    """Facts for table rows printed as running text; [] when the text has none."""
    if template not in ("gov_2019", "gov_2021", "legacy_stats") or not text:
        return []
    return TextReader(template, ref).read(text)
