"""One printed cell → a value with flags, a note and a unit. Never guesses."""

from __future__ import annotations

import csv
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from govreports.transform.model import Fact
from govreports.transform.units import money_units

RANGES_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "value_ranges.csv"

DASHES = {"—", "——", "-", "--", "－", "─", "/", "／", "\\", "无", "–", "———"}
NUMBER = re.compile(r"^(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)(?P<rest>.*)$")
UNITS = (*money_units(), "件", "个", "项", "条", "次", "人次", "人", "篇")  # money first: '万元' before '元'
# Minus signs other than '-' that NFKC leaves alone (U+2212 minus, figure dash, en dash, small hyphen-minus)
FOREIGN_MINUS = re.compile(r"^[\u2212\u2012\u2013\ufe63](?=\s*\d)")
# spellings float() would accept but a printed report never means: exponents, hex, NaN, infinity
ODD_NUMBER = re.compile(r"^[-+]?(?:nan|inf(?:inity)?|0x[0-9a-f]+|\d+(?:\.\d+)?e[-+]?\d+)$", re.I)
# OCR leaves stray dots or commas in front of a number ('. 0'); they carry no meaning.
OCR_LEAD = re.compile(r"^[.,·、'`]+\s*(?=\d)")


@dataclass
class CellValue:
    value: float | None
    flags: list[str] = field(default_factory=list)
    note: str | None = None
    unit: str | None = None
    reason: str | None = None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def is_value_like(text: str | None) -> bool:
    """True for cells that belong to the value area: numbers, blanks, dashes."""
    if text is None:
        return False
    return parse_cell(text) is not None


def parse_cell(text: str | None) -> CellValue | None:
    """Parse a value cell. None means 'this is not a value cell' (a label, a header)."""
    if text is None:
        return None
    raw = _nfkc(text)
    if raw == "":
        return CellValue(0.0, ["blank"])
    if raw in DASHES or set(raw) <= set("—-－─/／"):
        return CellValue(0.0, ["dash"])
    flags: list[str] = []
    raw = FOREIGN_MINUS.sub("-", raw)
    if ODD_NUMBER.match(raw):
        return CellValue(None, ["unreadable"], reason=f"not a plain decimal number: {text!r}")
    if OCR_LEAD.match(raw):
        raw = OCR_LEAD.sub("", raw)
        flags.append("garbled_cell")
    m = NUMBER.match(raw)
    if not m:
        return None
    num, rest = m.group("num"), m.group("rest").strip()
    if num.count(",") and not re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", num):
        return CellValue(None, ["unreadable"], reason=f"digits grouped oddly: {text!r}")
    value = float(num.replace(",", ""))
    if value < 0:
        flags.append("negative")
    if not rest:
        return CellValue(value, flags)
    return _with_rest(value, rest, flags, text)


def _with_rest(value: float, rest: str, flags: list[str], text: str) -> CellValue | None:
    unit = next((u for u in UNITS if rest.startswith(u)), None)
    if unit:
        rest = rest[len(unit) :].strip()
    note = rest.strip("()（）[]【】 ")
    if not note:
        return CellValue(value, flags, unit=unit)
    if re.fullmatch(r"[\d\s.,]+", note):
        # two numbers in one cell ('0 0'): the row was printed unsplit; do not pick one
        return CellValue(None, [*flags, "unreadable"], reason=f"several numbers in one cell: {text!r}")
    if rest.startswith(("(", "（", "[", "【")) or unit:
        return CellValue(value, [*flags, "note"], note=note, unit=unit)
    return None  # a number followed by words is a label ('2023年…'), not a value


@dataclass(frozen=True)
class ValueRange:
    pattern: str
    low: float
    high: float
    why: str


@cache
def value_ranges() -> list[ValueRange]:
    """data/reference/value_ranges.csv: the plausible range of each key (first matching pattern)."""
    with RANGES_CSV.open(encoding="utf-8") as fh:
        return [ValueRange(r["pattern"], float(r["min"]), float(r["max"]), r["why"]) for r in csv.DictReader(fh)]


def range_of(key: str) -> ValueRange | None:
    return next((r for r in value_ranges() if fnmatch.fnmatchcase(key, r.pattern)), None)


def check_range(fact: Fact) -> Fact:
    """A value outside its key's plausible range becomes null with the reason; never stored as printed."""
    rng = range_of(fact.key)
    if fact.value is None or rng is None or rng.low <= fact.value <= rng.high:
        return fact
    fact.reason = f"{fact.value:g} is outside the plausible range {rng.low:g}..{rng.high:g} ({rng.why})"
    fact.value = None
    return fact.flag("out_of_range")
