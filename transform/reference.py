"""The layout mapping tables (data/reference/*.csv) and identities, loaded once.

All layout knowledge lives in those files: which rows and columns each template
prints, their labels and the aliases seen in real documents. Code reads them here
and nowhere else.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from functools import cache

from govreports.data import REFERENCE_DIR

TEMPLATES = ("gov_2021", "gov_2019", "legacy_stats", "narrative")
S3_COLUMNS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
    "total",
)


@dataclass(frozen=True)
class RowSpec:
    template: str
    section: str  # s2 | s3 | legacy
    block: str  # art20_1 ... for s2; variant name for local legacy rows
    row_key: str
    key: str  # unified key without column: s2.art20_1.regulations, s3.new_received, legacy.req_received
    label: str
    order: int
    derived: bool  # group header / computed subtotal: printed without values
    unit: str
    parent: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class ColumnSpec:
    template: str
    section: str
    block: str
    column_key: str
    label: str
    group: str
    order: int
    unit: str
    value_kind: str  # count | signed | decimal | amount
    aliases: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Identity:
    id: str
    level: str  # official | structural | heuristic
    templates: tuple[str, ...]
    lhs: tuple[str, ...]
    op: str
    rhs: tuple[str, ...]
    for_each: tuple[str, ...] = ("",)


@dataclass
class Reference:
    rows: list[RowSpec]
    columns: list[ColumnSpec]
    identities: list[Identity]
    derived: list[dict] = field(default_factory=list)

    def rows_for(self, template: str, section: str, block: str | None = None) -> list[RowSpec]:
        return [
            r
            for r in self.rows
            if r.template == template and r.section == section and (block is None or r.block == block)
        ]

    def columns_for(self, template: str, section: str, block: str | None = None) -> list[ColumnSpec]:
        return [
            c
            for c in self.columns
            if c.template == template and c.section == section and (block is None or c.block == block)
        ]

    def blocks(self, template: str) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            if r.template == template and r.section == "s2":
                seen.setdefault(r.block)
        return list(seen)

    def known_keys(self) -> set[str]:
        """Every full unified key (with its column) any template can produce."""
        keys: set[str] = set()
        for r in self.rows:
            if r.section == "legacy":
                keys.add(r.key)
            elif r.section == "s3":
                keys.update(f"{r.key}.{c}" for c in S3_COLUMNS)
            else:
                keys.update(f"{r.key}.{c.column_key}" for c in self.columns_for(r.template, "s2", r.block))
        keys.update(f"s4.{c.column_key}" for c in self.columns if c.section == "s4")
        keys.discard("")
        return keys


def _read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _aliases() -> dict[tuple[str, str, str], list[str]]:
    """(template, kind, key) -> extra labels; template '*' applies to all."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for a in _read_csv("aliases.csv"):
        out.setdefault((a["template"], a["kind"], a["key"]), []).append(a["alias"])
    return out


def _extra_rows() -> list[dict[str, str]]:
    """Rows seen in real documents but absent from the spec (local legacy variants)."""
    return _read_csv("extra_rows.csv")


@dataclass(frozen=True)
class DocKind:
    """A kind of document that is not an annual report (data/reference/doc_kinds.csv)."""

    kind: str
    test: str  # 'title': pattern searched in the title; 'header_years': years side by side in a table header
    pattern: str
    over_report_title: bool  # applies even when the title names a report ('…年度报告编制工作的通知')
    reason: str


DOC_KIND_TESTS = ("title", "header_years")


@cache
def doc_kinds() -> tuple[DocKind, ...]:
    """In file order: the first kind that matches decides. A test the detector does not know is
    an error here, not a rule that silently never matches."""
    kinds = tuple(
        DocKind(r["kind"], r["test"], r["pattern"], r["over_report_title"] == "yes", r["reason"])
        for r in _read_csv("doc_kinds.csv")
    )
    unknown = sorted({k.test for k in kinds} - set(DOC_KIND_TESTS))
    if unknown:
        raise ValueError(f"doc_kinds.csv: unknown test {unknown}; known: {DOC_KIND_TESTS}")
    return kinds


@cache
def detection_rules() -> dict:
    """Words that identify documents, layouts and table headers (data/reference/detection.json)."""
    return json.loads((REFERENCE_DIR / "detection.json").read_text(encoding="utf-8"))


@cache
def reference() -> Reference:
    aliases = _aliases()

    def alias_for(template: str, kind: str, key: str) -> tuple[str, ...]:
        return tuple(aliases.get((template, kind, key), []) + aliases.get(("*", kind, key), []))

    rows = [
        RowSpec(
            template=r["template"],
            section=r["section"],
            block=r["block"],
            row_key=r["row_key"],
            key=r["key"],
            label=r["label"],
            order=int(r["order"]),
            derived=r["derived"] == "True",
            unit=r["unit"],
            parent=r["parent"],
            aliases=alias_for(r["template"], "row", r["key"] or r["row_key"]),
        )
        for r in _read_csv("layout_rows.csv") + _extra_rows()
    ]
    columns = [
        ColumnSpec(
            template=c["template"],
            section=c["section"],
            block=c["block"],
            column_key=c["column_key"],
            label=c["label"],
            group=c["group"],
            order=int(c["order"]),
            unit=c["unit"],
            value_kind=c["value_kind"],
            aliases=alias_for(c["template"], "column", c["column_key"]),
        )
        for c in _read_csv("layout_columns.csv")
    ]
    spec = json.loads((REFERENCE_DIR / "identities.json").read_text(encoding="utf-8"))
    identities = [
        Identity(
            id=i["id"],
            level=i["level"],
            templates=tuple(i["templates"]),
            lhs=tuple(i["lhs"]),
            op=i["op"],
            rhs=tuple(i["rhs"]),
            for_each=tuple(spec["for_each"][i["for_each"]]) if "for_each" in i else ("",),
        )
        for i in spec["identities"]
    ]
    return Reference(rows=rows, columns=columns, identities=identities, derived=spec["derived"])
