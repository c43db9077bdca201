"""Document facts: is it an annual report, which layout, agency, year, dates, 索引号.

The words that decide are data (data/reference/detection.json); the functions here
only look for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from govreports.extract.model import Extracted
from govreports.transform.reference import detection_rules as rules

YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年度?")
CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
CN_DATE = re.compile(r"([〇○零O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
ISO_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：|]?\s*\|?\s*([A-Za-z0-9][A-Za-z0-9\-/_.]{5,})")
REPORT_PERIOD = re.compile(r"统计期限.{0,4}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
TITLE_STOP = re.compile(r"位置|>|›|首页|。|，|,")
AGENCY_LINE = re.compile(r"[\u4e00-\u9fff（）()]{2,30}(政府|局|委员会|办公室|区|县|市|旗|院|会|厅|部|署|中心|委|办)")
AGENCY_NAME = re.compile(r"[\u4e00-\u9fff（）()·]{2,40}")
AGENCY_TAIL = re.compile(r"(关于)?(?:(?:19|20)\d{2}\s*年度?)?(政府信息公开|政务信息公开|信息公开|政务公开).*$")



@dataclass
class DocumentFacts:
    doc_type: str
    template: str | None
    agency: str | None
    report_year: int | None
    published_date: date | None
    index_no: str | None
    title: str | None


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_title(ex: Extracted) -> str | None:
    """The page's title metadata (a file's own Title property only when it names the report),
    else the first line that names a report (joined with the line above when the agency is
    printed on a line of its own, as on PDF covers)."""
    if ex.meta.get("title"):
        return ex.meta["title"]
    if ex.meta.get("file_title") and is_report_title(ex.meta["file_title"]):
        return ex.meta["file_title"]
    lines = [title_cell(ln) for ln in ex.text.split("\n") if ln.strip()][:40]
    # a title is short and is not a sentence (no 。 or ，)
    candidates = [(i, s) for i, s in enumerate(lines) if len(s) <= 80 and not TITLE_STOP.search(s)]
    for pattern in (*rules()["report_title"], rules()["document_kind"]):
        for i, s in candidates:
            if not re.search(pattern, s):
                continue
            if re.match(r"^(?:19|20)\d{2}年", s) and i > 0 and AGENCY_LINE.fullmatch(lines[i - 1]):
                return lines[i - 1] + s  # PDF covers print the agency on a line of its own
            return s
    return lines[0] if lines else None


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


def classify(ex: Extracted, title: str | None) -> str:
    """By the title; with no telling title, by a report phrase near the top and report sections."""
    text = squeeze(ex.text)
    if title and is_report_title(title):
        return "annual_report"
    if title and any(w in title for w in rules()["not_report_title"]):
        return "other"
    names_report = any(re.search(p, text[:3000]) for p in rules()["report_title"])
    has_sections = any(s in text for s in rules()["report_sections"])
    return "annual_report" if names_report and has_sections else "other"


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


def parse_date(text: str) -> date | None:
    m = ISO_DATE.search(text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = CN_DATE.search(text)
    if m:
        year = int("".join(str(CN_DIGITS[c]) for c in m.group(1)))
        try:
            return date(year, cn_number(m.group(2)), cn_number(m.group(3)))
        except ValueError:
            return None
    return None


def cn_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_DIGITS[text[1]]
    if text.endswith("十"):
        return CN_DIGITS[text[0]] * 10
    if "十" in text:
        return CN_DIGITS[text[0]] * 10 + CN_DIGITS[text[2]]
    return CN_DIGITS[text[0]]


def published_date_of(ex: Extracted) -> date | None:
    """Page metadata first, then a labelled date near the top, then the signature date at the end."""
    if ex.meta.get("published"):
        found = parse_date(ex.meta["published"])
        if found:
            return found
    head = ex.text[:3000]
    for label in rules()["page_date_labels"]:
        for m in re.finditer(re.escape(label) + r"\s*[:：|]?\s*\|?\s*", head):
            found = parse_date(head[m.end() : m.end() + 24])
            if found and re.match(r"\s*(?:19|20)\d{2}", head[m.end() : m.end() + 6]):
                return found
    tail_lines = [ln.strip() for ln in ex.text.strip().split("\n") if ln.strip()][-12:]
    for line in reversed(tail_lines):
        s = squeeze(line)
        if len(s) <= 40 and (found := signature_date(s)):
            return found
    return None


def signature_date(line: str) -> date | None:
    m = ISO_DATE.search(line)
    if m and "年" in line and line.endswith("日"):
        return parse_date(line[m.start() :])
    m = CN_DATE.search(line)
    return parse_date(m.group(0)) if m else None


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
    title = find_title(ex)
    doc_type = classify(ex, title)
    year = report_year_of(title, ex.text) if doc_type == "annual_report" else None
    return DocumentFacts(
        doc_type=doc_type,
        template=detect_template(ex, year) if doc_type == "annual_report" else None,
        agency=agency_of(title, ex.text),
        report_year=year,
        published_date=published_date_of(ex),
        index_no=index_no_of(ex),
        title=title,
    )
