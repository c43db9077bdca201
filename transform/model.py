"""What transform produces for one document: its row, its facts and its checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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

    def flag(self, *names: str) -> Fact:
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
