"""One resolver for a report's agency, report_year and published date.

Each field has an ordered list of sources (data/reference/metadata.json): the page's
title, the title block printed at the top (joined across lines), the opening sentence
(`本报告由X根据…编制`, `X2022年…年度报告`), the portal's metadata (发布机构), what is
printed under a statistics table (填报单位, 填报日期) and the signature block at the end.
The first source that gives a value wins, and its name is kept (documents.meta_sources),
so an analyst can tell a title-block agency from one guessed from a signature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property

from govreports.extract.model import Extracted
from govreports.transform.dates import CN_SMALL, CN_YEAR, PrintedDate, full_date, printed_date
from govreports.transform.detect import (
    AGENCY_LINE,
    REPORT_PERIOD,
    TITLE_STOP,
    YEAR_IN_TITLE,
    agency_of,
    is_report_title,
    squeeze,
    title_cell,
)
from govreports.transform.reference import REFERENCE_DIR
from govreports.transform.reference import detection_rules as detection

LABEL = re.compile(r"[:：]")
YEAR_LINE = re.compile(r"[（(]?(?:19|20)\d{2}年度?[）)]?")
LEADING_YEAR = re.compile(r"^(?:19|20)\d{2}年度?")
PAGE_NUMBER = re.compile(r"[-—－–]*第?\d{1,3}页?(?:共\d{1,3}页)?[-—－–]*|第?\d{1,3}/\d{1,3}页?")
NAME = r"[\u4e00-\u9fff（）()·]"
LABEL_GAP = r"\s*[:：]?\s*\|?\s*"
ISO_SIGN = r"(?:19|20)\d{2}年\d{1,2}月"
SIGN_FULL = re.compile(rf"(?P<who>{NAME}*?)(?P<date>{ISO_SIGN}\d{{1,2}}日|{CN_YEAR}年(?:元|{CN_SMALL})月{CN_SMALL}日)")
SIGN_MONTH = re.compile(rf"(?P<who>{NAME}*?)(?P<date>{ISO_SIGN}|{CN_YEAR}年(?:元|{CN_SMALL})月)")
TITLE_MAX = 80  # a title line is short; a longer line is prose
WRAPPED_LINE = 15  # a title line this long may continue on the next line (a cover title holds ~20 characters)


@cache
def metadata_rules() -> dict:
    return json.loads((REFERENCE_DIR / "metadata.json").read_text(encoding="utf-8"))


@dataclass
class Resolved:
    agency: str | None = None
    report_year: int | None = None
    published: PrintedDate | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def published_date(self) -> date | None:
        return self.published.date if self.published else None

    @property
    def published_month(self) -> str | None:
        return self.published.month_text if self.published else None

    def sources_json(self) -> str | None:
        return json.dumps(self.sources, ensure_ascii=False, sort_keys=True) if self.sources else None


def is_agency(name: str | None) -> bool:
    return bool(name) and bool(AGENCY_LINE.fullmatch(name))


def title_like(line: str) -> bool:
    return 0 < len(line) <= TITLE_MAX and not TITLE_STOP.search(line) and not LABEL.search(line)


def wrapped(line: str, kind: str) -> bool:
    """A title line cut for width: long, and not itself ending the title."""
    return title_like(line) and len(line) >= WRAPPED_LINE and not re.search(kind, line)


class Reading:
    """The parts of one document the sources look at, each found once."""

    def __init__(self, ex: Extracted) -> None:
        self.ex = ex

    @cached_property
    def lines(self) -> list[str]:
        return [s for s in (title_cell(ln) for ln in self.ex.text.split("\n")) if s]

    @cached_property
    def page_title(self) -> str | None:
        """The page's title metadata, or the file's Title property when it names a report."""
        meta = self.ex.meta
        if meta.get("title"):
            return meta["title"]
        if meta.get("file_title") and is_report_title(meta["file_title"]):
            return meta["file_title"]
        return None

    @cached_property
    def report_page_title(self) -> str | None:
        """The page title when it names a report: a site name (`XX区人民政府门户网站`) or a column
        name (`政府信息公开年报`) names no agency and no year."""
        return self.page_title if self.page_title and is_report_title(self.page_title) else None

    @cached_property
    def title_span(self) -> tuple[int, int] | None:
        """[first, last] line of the printed report title, joined across lines when it is set on several."""
        most = metadata_rules()["title_block_lines"]
        lines = self.lines[:40]
        for i in range(len(lines)):
            for size in range(1, most + 1):
                window = lines[max(0, i - size + 1) : i + 1]
                if len(window) < size or not all(title_like(s) for s in window):
                    break
                if any(re.search(p, "".join(window)) for p in detection()["report_title"]):
                    return self.extend_up(i - size + 1, i, most), i
        return None

    def extend_up(self, first: int, last: int, most: int) -> int:
        """Lines above the title that carry what it lacks: the agency on a line of its own, a year line."""
        while first > 0 and last - first + 1 < most and title_like(self.lines[first - 1]):
            above, joined = self.lines[first - 1], "".join(self.lines[first : last + 1])
            year_line = YEAR_LINE.fullmatch(above) and not YEAR_IN_TITLE.search(joined)
            agency_line = is_agency(LEADING_YEAR.sub("", above)) and agency_of(joined, "") is None
            if not (year_line or agency_line):
                break
            first -= 1
        return first

    @cached_property
    def kind_title(self) -> str | None:
        """The first short line naming a kind of document (通知, 自查报告, 情况说明), joined to the
        full-width line above it when the title wrapped there ('…工作要' | '点的通知')."""
        kind, lines, most = detection()["document_kind"], self.lines[:40], metadata_rules()["title_block_lines"]
        for i, line in enumerate(lines):
            if len(line) > TITLE_MAX or TITLE_STOP.search(line) or not re.search(kind, line):
                continue
            first = i
            while first > 0 and i - first + 1 < most and wrapped(lines[first - 1], kind):
                first -= 1
            return "".join(lines[first : i + 1])
        return None

    @cached_property
    def title_block(self) -> str | None:
        if self.title_span is None:
            return None
        first, last = self.title_span
        return "".join(self.lines[first : last + 1])

    @cached_property
    def opening(self) -> str:
        """The first sentences after the title (the whole head when no title was found)."""
        start = self.title_span[1] + 1 if self.title_span else 0
        return "".join(s for s in self.lines[start:] if not LABEL.search(s[:8]))[: metadata_rules()["opening_chars"]]

    @cached_property
    def opening_match(self) -> tuple[str | None, int | None]:
        for pattern in metadata_rules()["opening_patterns"]:
            m = re.search(pattern, self.opening)
            if m and is_agency(m.group("agency")):
                year = m.groupdict().get("year")
                return m.group("agency"), int(year) if year else None
        return None, None

    @cached_property
    def regions(self) -> list[list[str]]:
        """Where a signature may stand: the last lines, then the lines before the first annex
        (附件 / 附表 printed after the signature); page numbers left out, so a date split by a
        page footer stays whole."""
        lines = [squeeze(ln) for ln in self.ex.text.strip().split("\n")]
        lines = [s for s in lines if s and not PAGE_NUMBER.fullmatch(s)]
        size = metadata_rules()["signature_lines"]
        annex = next((i for i, s in enumerate(lines) if i > 0 and re.match(metadata_rules()["annex_heading"], s)), None)
        return [lines[-size:]] + ([lines[max(0, annex - size) : annex]] if annex else [])

    @cached_property
    def signature(self) -> tuple[PrintedDate | None, str | None]:
        """The signature date (complete, else year and month; one line or two) and the name signed above it."""
        for region in self.regions:
            found = signature_in(region)
            if found is not None:
                return found
        return None, None

    def labelled_name(self, labels: list[str], head: int | None = None) -> str | None:
        text = self.ex.text[:head] if head else self.ex.text
        for label in labels:
            for m in re.finditer(re.escape(label) + LABEL_GAP + rf"({NAME}{{2,40}})", text):
                if is_agency(m.group(1)):
                    return m.group(1)
        return None

    def labelled_date(self, labels: list[str], head: int | None = None, complete: bool = False) -> PrintedDate | None:
        text = self.ex.text[:head] if head else self.ex.text
        for label in labels:
            for m in re.finditer(re.escape(label) + LABEL_GAP, text):
                after = text[m.end() : m.end() + 24]
                if not re.match(r"\s*(?:(?:19|20)\d{2}|[〇○零一二])", after):
                    continue  # the label's value is something else (时间: 10:30, a blank cell)
                found = full_date(after) if complete else printed_date(after)
                if found:
                    return found
        return None


def signature_in(lines: list[str]) -> tuple[PrintedDate | None, str | None] | None:
    """The last line (or two joined lines) that is a date, maybe after the name signed: from the end up."""
    for i in reversed(range(len(lines))):
        for pattern in (SIGN_FULL, SIGN_MONTH):
            for first in (i, i - 1):
                if first < 0:
                    continue
                m = pattern.fullmatch("".join(lines[first : i + 1]))
                if m is None:
                    continue
                who = m.group("who") or (lines[first - 1] if first > 0 else None)
                return printed_date(m.group("date")), who if is_agency(who) else None
    return None


def year_in(title: str | None) -> int | None:
    m = YEAR_IN_TITLE.search(squeeze(title or ""))
    return int(m.group(1)) if m else None


def portal_agency(r: Reading) -> str | None:
    publisher = squeeze(r.ex.meta.get("publisher") or "")
    if is_agency(publisher):
        return publisher
    return r.labelled_name(metadata_rules()["portal_labels"], head=3000)


def page_meta_date(r: Reading) -> PrintedDate | None:
    return full_date(r.ex.meta["published"]) if r.ex.meta.get("published") else None


def period_year(r: Reading) -> int | None:
    m = REPORT_PERIOD.search(squeeze(r.ex.text))
    return int(m.group(1)) if m else None


def head_year(r: Reading) -> int | None:
    m = YEAR_IN_TITLE.search(squeeze(r.ex.text[:3000]))
    return int(m.group(1)) if m else None


Source = Callable[[Reading], object]
SOURCES: dict[str, dict[str, Source]] = {
    "agency": {
        "page_title": lambda r: agency_of(r.report_page_title, r.ex.text),
        "title_block": lambda r: agency_of(r.title_block, r.ex.text),
        "opening": lambda r: r.opening_match[0],
        "portal": portal_agency,
        "fill_unit": lambda r: r.labelled_name(metadata_rules()["fill_unit_labels"]),
        "signature": lambda r: r.signature[1],
    },
    "report_year": {
        "page_title": lambda r: year_in(r.report_page_title),
        "title_block": lambda r: year_in(r.title_block),
        "period": period_year,
        "opening": lambda r: r.opening_match[1],
        "text_head": head_year,
    },
    "published_date": {
        "page_meta": page_meta_date,
        "page_label": lambda r: r.labelled_date(detection()["page_date_labels"], head=3000, complete=True),
        "signature": lambda r: r.signature[0],
        "fill_date": lambda r: r.labelled_date(metadata_rules()["fill_date_labels"]),
    },
}


def first_found(field_name: str, r: Reading) -> tuple[object, str | None]:
    for name in metadata_rules()["sources"][field_name]:
        value = SOURCES[field_name][name](r)
        if value is not None:
            return value, name
    return None, None


def resolve(ex: Extracted, title: str | None, is_report: bool) -> Resolved:
    """Agency, year (reports only) and published date, each from the first source that gives it.

    A document that is not a report keeps the agency its title (or the portal) names, and nothing else."""
    r = Reading(ex)
    out = Resolved()
    if is_report:
        out.agency, agency_source = first_found("agency", r)
        out.report_year, year_source = first_found("report_year", r)
        out.sources |= {"agency": agency_source, "report_year": year_source}
    else:  # the title's agency, else the portal's 发布机构: whoever filed the page
        out.agency, agency_source = agency_of(title, ex.text), "title"
        if out.agency is None:
            out.agency, agency_source = SOURCES["agency"]["portal"](r), "portal"
        out.sources["agency"] = agency_source if out.agency else None
    out.published, date_source = first_found("published_date", r)
    if out.published is not None:
        out.sources["published_month"] = date_source
        if out.published.day is None:
            out.sources["note"] = f"published_date null: the {date_source} gives year and month only"
        else:
            out.sources["published_date"] = date_source
    out.sources = {k: v for k, v in out.sources.items() if v}
    return out
