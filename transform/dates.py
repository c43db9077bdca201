"""Dates as reports print them: 2024-01-17, 2024年1月17日, 二〇二四年一月十七日, and year + month only.

A date printed with year and month only (`二〇一九年一月`, `填报日期:2018年12月`) is a
PrintedDate with no day: it gives a month, never a day padded to the 1st.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "o": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
CN_YEAR = "[〇○零OoＯ一二三四五六七八九]{4}"
CN_SMALL = "[一二三四五六七八九十]{1,3}"
# 元月 is January in dates
CN_FULL = re.compile(rf"({CN_YEAR})年(元|{CN_SMALL})月({CN_SMALL})日")
CN_MONTH = re.compile(rf"({CN_YEAR})年(元|{CN_SMALL})月(?![一二三四五六七八九十\d])")
ISO_FULL = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?")
ISO_MONTH = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月(?!\s*\d)")


@dataclass(frozen=True)
class PrintedDate:
    year: int
    month: int
    day: int | None = None  # None: the source prints year and month only

    @property
    def date(self) -> date | None:
        return date(self.year, self.month, self.day) if self.day else None

    @property
    def month_text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def cn_number(text: str) -> int:
    """一 … 三十一 (and 元 for the first month)."""
    if text == "元":
        return 1
    bad = -100  # an impossible numeral (十十) makes an impossible date, rejected by checked()
    if "十" not in text:
        return CN_DIGITS.get(text, bad)
    tens, _, ones = text.partition("十")
    return (CN_DIGITS.get(tens, bad) if tens else 1) * 10 + (CN_DIGITS.get(ones, bad) if ones else 0)


def cn_year(text: str) -> int:
    return int("".join(str(CN_DIGITS[c]) for c in text))


def checked(year: int, month: int, day: int | None) -> PrintedDate | None:
    """The date if it exists on the calendar (2016-02-29 does, 2019-02-29 does not)."""
    try:
        date(year, month, 1 if day is None else day)
    except ValueError:
        return None
    return PrintedDate(year, month, day)


def full_date(text: str) -> PrintedDate | None:
    """The first complete date (year, month and day) in the text."""
    m = ISO_FULL.search(text)
    if m:
        return checked(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = CN_FULL.search(text)
    if m:
        return checked(cn_year(m.group(1)), cn_number(m.group(2)), cn_number(m.group(3)))
    return None


def month_date(text: str) -> PrintedDate | None:
    """The first year-and-month date (no day printed) in the text."""
    m = ISO_MONTH.search(text)
    if m:
        return checked(int(m.group(1)), int(m.group(2)), None)
    m = CN_MONTH.search(text)
    if m:
        return checked(cn_year(m.group(1)), cn_number(m.group(2)), None)
    return None


def printed_date(text: str) -> PrintedDate | None:
    """A complete date if the text prints one, else a year-and-month date."""
    return full_date(text) or month_date(text)


def parse_date(text: str) -> date | None:
    """A complete date, or None (a month alone is no date)."""
    found = full_date(text)
    return found.date if found else None
