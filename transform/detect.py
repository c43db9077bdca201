"""Document facts: is it an annual report, which layout, agency, year, dates, 索引号.

The words that decide are data (data/reference/detection.json); the functions here
only look for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from govreports.extract.model import Extracted
from govreports.transform.dates import parse_date  # noqa: F401 - tests and callers import it from here
from govreports.transform.reference import DocKind, doc_kinds
from govreports.transform.reference import detection_rules as rules

YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年度?")
INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：|]?\s*\|?\s*([A-Za-z0-9][A-Za-z0-9\-/_.]{5,})")
REPORT_PERIOD = re.compile(r"统计期限.{0,4}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
TITLE_STOP = re.compile(r"位置|>|›|首页|。|，|,")
AGENCY_LINE = re.compile(r"[\u4e00-\u9fff（）()]{2,30}(政府|局|委员会|办公室|区|县|市|旗|院|会|厅|部|署|中心|委|办)")
AGENCY_NAME = re.compile(r"[\u4e00-\u9fff（）()·]{2,40}")
# what follows the agency in a title: '2023年政府信息公开…', '2022—2023年…', '关于…', '政府网站信息公开工作整改情况说明'
AGENCY_TAIL = re.compile(
    r"(关于)?(?:(?:19|20)\d{2}\s*年?度?\s*(?:[—–\-－~至到与和、]\s*(?:19|20)\d{2}\s*年度?)?)?"
    r"(?:政府网站|门户网站|网站)?(政府信息公开|政务信息公开|信息公开|政务公开).*$"
)


@dataclass
class DocumentFacts:
    doc_type: str
    template: str | None
    agency: str | None
    report_year: int | None
    published_date: date | None
    index_no: str | None
    title: str | None
    published_month: str | None = None  # 'YYYY-MM', also when the source prints no day
    meta_sources: str | None = None  # JSON: which source gave each field (transform/metadata.py)
    doc_type_reason: str | None = None  # why it is or is not an annual report (doc_kinds.csv)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_title(ex: Extracted) -> str | None:
    """The page's title metadata (a file's own Title property only when it names the report),
    else the report title printed at the top (joined across the lines it is set on), else
    the first short line naming a kind of document (with the line above when the title wrapped)."""
    from govreports.transform.metadata import Reading  # metadata builds on this module's helpers

    reading = Reading(ex)
    title = reading.page_title or reading.title_block or reading.kind_title
    return title or (reading.lines[0] if reading.lines else None)


def title_cell(line: str) -> str:
    """A line without spaces; for a '|' row, its last non-empty cell."""
    cells = [c for c in line.split("|") if c.strip()]
    return squeeze(cells[-1] if cells else line)


def is_report_title(title: str) -> bool:
    """A report's title names the report and who made it or which year ('政府信息公开年报'
    alone is the name of a portal column, not of a report)."""
    t = squeeze(title)
    named = bool(YEAR_IN_TITLE.search(t)) or bool(agency_of(t, ""))
    return named and any(re.search(p, t) for p in rules()["report_title"])


REPORT_BY_TITLE = "the title names an annual report"
REPORT_BY_TEXT = "a report phrase near the top and the report's sections in the text"
NOT_A_REPORT = "no annual-report title, and the text lacks a report phrase or the report's sections"


def header_years(ex: Extracted, pattern: str) -> bool:
    """A table whose header row (one of its first three) sets two different years side by side."""
    cell = re.compile(pattern)
    for table in ex.tables:
        for row in table.rows[:3]:
            years = {squeeze(c) for c in row if c and cell.fullmatch(squeeze(c))}
            if len({y[:4] for y in years}) >= 2:
                return True
    return False


def kind_matches(kind: DocKind, ex: Extracted, title: str | None) -> bool:
    if kind.test == "title":
        return bool(title) and re.search(kind.pattern, squeeze(title)) is not None
    return header_years(ex, kind.pattern)  # the only other test doc_kinds() admits


def classify(ex: Extracted, title: str | None) -> tuple[str, str]:
    """(doc_type, why). The kinds of documents that are not reports (doc_kinds.csv) are
    tried in order; some apply even over a title naming a report (a notice about
    compiling the reports names them too). Else by the title; with no telling title, by
    a report phrase near the top and the report's sections."""
    named = bool(title) and is_report_title(title)
    for kind in doc_kinds():
        if (kind.over_report_title or not named) and kind_matches(kind, ex, title):
            return "other", kind.reason
    if named:
        return "annual_report", REPORT_BY_TITLE
    text = squeeze(ex.text)
    names_report = any(re.search(p, text[:3000]) for p in rules()["report_title"])
    has_sections = any(s in text for s in rules()["report_sections"])
    return ("annual_report", REPORT_BY_TEXT) if names_report and has_sections else ("other", NOT_A_REPORT)


def detect_template(ex: Extracted, report_year: int | None) -> str:
    text = squeeze(ex.text) + "".join(squeeze(c or "") for t in ex.tables for r in t.rows for c in r)
    for template, markers in rules()["template_markers"].items():
        if sum(m in text for m in markers) >= (2 if template == "legacy_stats" else 1):
            return template
    if any(m in text for m in rules()["s3_markers"]):
        return "gov_2021" if (report_year or 0) >= 2021 else "gov_2019"
    return "narrative"


def report_year_of(title: str | None, text: str) -> int | None:
    for source in (title or "", squeeze(text[:3000])):
        m = YEAR_IN_TITLE.search(source)
        if m:
            return int(m.group(1))
    m = REPORT_PERIOD.search(squeeze(text))
    return int(m.group(1)) if m else None


def agency_of(title: str | None, text: str) -> str | None:
    if not title:
        return None
    t = squeeze(title)
    t = re.sub(r"^(?:19|20)\d{2}\s*年度?", "", t)  # '2018年加格达奇区政府信息公开…'
    name = AGENCY_TAIL.sub("", t).rstrip("-_ ").split("关于")[0]
    if not AGENCY_NAME.fullmatch(name):
        return None  # nothing, or not a name (a garbled or foreign title)
    # A bare region name ('加格达奇区' of '…区政府信息公开…'): the body names the government in full.
    suffix = rules()["agency_suffix_for_region"]
    if re.search(r"(区|县|市|旗|州|省)$", name) and (name + suffix) in squeeze(text):
        return name + suffix
    return name


def published_date_of(ex: Extracted) -> date | None:
    """The published date the metadata resolver finds (transform/metadata.py), None when only a month is printed."""
    from govreports.transform.metadata import resolve

    return resolve(ex, None, False).published_date


def index_no_of(ex: Extracted) -> str | None:
    m = INDEX_NO.search(ex.text[:5000].replace("\t", " "))
    if m:
        return m.group(1)
    for table in ex.tables[:3]:
        for row in table.rows:
            cells = [c for c in row if c]
            for a, b in zip(cells, cells[1:], strict=False):
                if squeeze(a).rstrip(":：") == "索引号" and re.match(r"[A-Za-z0-9]", b):
                    return b.strip()
    return None


def detect(ex: Extracted) -> DocumentFacts:
    from govreports.transform.metadata import resolve

    title = find_title(ex)
    doc_type, doc_type_reason = classify(ex, title)
    is_report = doc_type == "annual_report"
    meta = resolve(ex, title, is_report)
    return DocumentFacts(
        doc_type=doc_type,
        doc_type_reason=doc_type_reason,
        template=detect_template(ex, meta.report_year) if is_report else None,
        agency=meta.agency,
        report_year=meta.report_year,
        published_date=meta.published_date,
        index_no=index_no_of(ex),
        title=title,
        published_month=meta.published_month,
        meta_sources=meta.sources_json(),
    )
