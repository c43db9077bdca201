"""Generate the layout mapping tables in data/reference/ from the spec's templates.json.

The CSVs are committed; this script re-creates them so they can be checked
against the spec (tests/test_reference.py does that when ../shared is present).
Document-observed additions (local rows, typos, old labels) live in aliases.csv,
which is maintained by hand and never overwritten here.

    python -m govreports.transform.spec_import ../shared/spec/templates.json
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from govreports.transform.reference import REFERENCE_DIR

ROW_FIELDS = ["template", "section", "block", "row_key", "key", "label", "order", "derived", "unit", "parent"]
COLUMN_FIELDS = ["template", "section", "block", "column_key", "label", "group", "order", "unit", "value_kind"]

# Spec template ids -> the three ids the pipeline reports; variants fold into legacy_stats.
TEMPLATE_IDS = {
    "gov_2021": "gov_2021",
    "gov_2019": "gov_2019",
    "legacy_stats_national": "legacy_stats",
    "legacy_variant_dingxi_2008": "legacy_stats",
    "legacy_variant_putian_2009": "legacy_stats",
}


def value_kind(column_key: str, unit: str) -> str:
    if column_key == "items_change":
        return "signed"
    if column_key == "procurement_amount":
        return "amount"
    if "万元" in (unit or ""):
        return "decimal"
    return "count"


def section_of(table_id: str) -> tuple[str, str]:
    if table_id.startswith("s2_"):
        return "s2", table_id[3:]
    return table_id[:2], ""


def gov_rows_and_columns(template: str, spec: dict) -> tuple[list[dict], list[dict]]:
    rows, columns = [], []
    for table in spec["tables"]:
        section, block = section_of(table["id"])
        if section != "s4":
            for order, row in enumerate(table["rows"]):
                rows.append(
                    {
                        "template": template,
                        "section": section,
                        "block": block,
                        "row_key": row["key"],
                        "key": row["unified_key"],
                        "label": row["label"],
                        "order": order,
                        "derived": bool(row.get("derived")),
                        "unit": row.get("unit", ""),
                        "parent": row.get("parent") or "",
                    }
                )
        for order, col in enumerate(table.get("columns") or []):
            key = col.get("unified_key") or col["key"]
            if section == "s4":
                key = key.split(".", 1)[1]
            columns.append(
                {
                    "template": template,
                    "section": section,
                    "block": block,
                    "column_key": key,
                    "label": col["label"],
                    "group": col.get("group", ""),
                    "order": order,
                    "unit": col.get("unit", ""),
                    "value_kind": value_kind(key, col.get("unit", "")),
                }
            )
    return rows, columns


def legacy_rows(spec_templates: dict) -> list[dict]:
    rows: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for spec_id in ("legacy_stats_national", "legacy_variant_dingxi_2008", "legacy_variant_putian_2009"):
        for order, row in enumerate(spec_templates[spec_id]["rows"]):
            key = row.get("unified_key")
            if (key, row["label"]) in seen:
                continue
            seen.add((key, row["label"]))
            rows.append(
                {
                    "template": "legacy_stats",
                    "section": "legacy",
                    "block": "" if spec_id == "legacy_stats_national" else spec_id.removeprefix("legacy_variant_"),
                    "row_key": row["key"],
                    "key": key or "",
                    "label": row["label"],
                    "order": order,
                    "derived": key is None,  # block headers carry no value
                    "unit": row.get("unit", ""),
                    "parent": row.get("parent") or "",
                }
            )
    return rows


def build(spec: dict) -> tuple[list[dict], list[dict]]:
    rows, columns = [], []
    for spec_id in ("gov_2021", "gov_2019"):
        r, c = gov_rows_and_columns(TEMPLATE_IDS[spec_id], spec["templates"][spec_id])
        rows += r
        columns += c
    rows += legacy_rows(spec["templates"])
    return rows, columns


def write_csv(path: Path, fields: list[str], records: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    rows, columns = build(spec)
    write_csv(REFERENCE_DIR / "layout_rows.csv", ROW_FIELDS, rows)
    write_csv(REFERENCE_DIR / "layout_columns.csv", COLUMN_FIELDS, columns)
    print(f"wrote {len(rows)} rows, {len(columns)} columns to {REFERENCE_DIR}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/templates.json")
