"""One printed cell → a value with flags, a note and a unit. Never guesses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

DASHES = {"—", "——", "-", "--", "－", "─", "/", "／", "\\", "无", "–", "———"}
NUMBER = re.compile(r"^(?P<num>[-+]?\d[\d,]*(?:\.\d+)?)(?P<rest>.*)$")
UNITS = ("万元", "元", "件", "个", "项", "条", "次", "人次", "人", "篇")
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
