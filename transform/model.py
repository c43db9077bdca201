"""What transform produces for one document: its row, its facts and its checks."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

VOCABULARY_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "vocabulary.csv"


@dataclass(frozen=True)
class Term:
    """One allowed value of facts.flags or facts.method (data/reference/vocabulary.csv)."""

    column: str
    value: str
    doubtful: bool
    meaning: str


@cache
def vocabulary() -> tuple[Term, ...]:
    with VOCABULARY_CSV.open(encoding="utf-8") as fh:
        return tuple(Term(r["column"], r["value"], r["doubtful"] == "yes", r["meaning"]) for r in csv.DictReader(fh))


@cache
def allowed(column: str) -> frozenset[str]:
    """The values of one column (flags | method) the pipeline may emit; Data Docs check against the same list."""
    return frozenset(t.value for t in vocabulary() if t.column == column)


def _check_terms(column: str, values: list[str] | tuple[str, ...]) -> None:
    unknown = [v for v in values if v not in allowed(column)]
    if unknown:
        # a new flag or method must be documented before it is emitted, or every run's Data Docs fail
        raise ValueError(f"{column} {unknown} not in {VOCABULARY_CSV.name}: add them there first")


@dataclass(frozen=True)
class InputDoc:
    """A raw file to ingest. `source` is the path or URL as given; `file_name` the name to record."""

    path: Path
    source: str
    file_name: str

    @classmethod
    def from_path(cls, path: Path) -> InputDoc:
        return cls(path=path, source=str(path), file_name=path.name)


@dataclass
class Fact:
    key: str
    value: float | None
    method: str = "table"
    page: int | None = None
    table_index: int | None = None
    row_index: int | None = None
    col_index: int | None = None
    raw_label: str | None = None
    raw_text: str | None = None
    unit: str | None = None
    note: str | None = None
    flags: list[str] = field(default_factory=list)
    reason: str | None = None

    def __post_init__(self) -> None:
        _check_terms("method", (self.method,))
        _check_terms("flags", self.flags)

    def flag(self, *names: str) -> Fact:
        _check_terms("flags", names)
        for n in names:
            if n not in self.flags:
                self.flags.append(n)
        return self


@dataclass
class Check:
    identity: str
    level: str
    scope: str
    passed: bool | None
    lhs: float | None
    rhs: float | None
    keys: list[str]
    detail: str

    @property
    def residual(self) -> float | None:
        if self.lhs is None or self.rhs is None:
            return None
        return round(self.lhs - self.rhs, 6)


@dataclass
class DocumentResult:
    document: dict
    facts: list[Fact] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return self.document["doc_id"]

    def values(self) -> dict[str, float | None]:
        return {f.key: f.value for f in self.facts}
