"""The data dictionary: every unified key, its label per template, unit and cross-template relation.

Built from the layout mapping tables (data/reference/layout_*.csv, extra_rows.csv)
and the spec's version mapping (data/reference/relations.csv). It is written to
docs/data_dictionary.md (`govreports dict --write-docs`), attached to the Parquet
files as key-value metadata (dictionary_metadata) and read by the `series` view,
which lines measures up across templates by the `measure` and `series_relation`
columns.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pandas as pd
import typer

from govreports.data import checkout_root
from govreports.transform.reference import REFERENCE_DIR, ColumnSpec, RowSpec, reference
from govreports.transform.units import amount_keys

DOCS_PATH = (checkout_root() or Path.cwd()) / "docs" / "data_dictionary.md"  # a checkout's docs/
TEMPLATE_LABEL_COLUMNS = {"gov_2019": "label_gov_2019", "gov_2021": "label_gov_2021", "legacy_stats": "label_legacy"}
COLUMNS = [
    "key",
    "section",
    "label_gov_2019",
    "label_gov_2021",
    "label_legacy",
    "unit",
    "value_kind",
    "relation",
    "measure",
    "series_relation",
    "templates",
    "description",
]
# When a row and a column relation meet (s2/s3 keys), the one earlier here wins: it is the stronger caveat.
RELATION_STRENGTH = [
    "variant_only",
    "only_legacy",
    "only_2019",
    "only_2021",
    "derived",
    "equivalent_via_derivation",
    "approximate",
    "renamed",
    "equivalent",
]
RELATION_MEANING = {
    "equivalent": "same label and meaning in every template that prints it",
    "renamed": "same measure, label changed between templates",
    "approximate": "comparable but not the same measure (counting rules or categories differ)",
    "equivalent_via_derivation": "2019 prints one row; 2021 prints its parts and the pipeline derives the sum",
    "derived": "a subtotal the templates do not print; computed by the pipeline (method=derived)",
    "only_2019": "printed by the 2019 format only",
    "only_2021": "printed by the 2021 format only",
    "only_legacy": "printed by the pre-2019 statistics table only",
    "variant_only": "printed by a local variant only (a province's or a city's own table)",
}
VALUE_SEMANTICS = {
    "blank": "a cell printed empty is stored as 0 with flag `blank`; '—' or '/' as 0 with flag `dash` "
    "(the spec allows 0 or null; 0 keeps the identities evaluable)",
    "null": "value is null when the cell is absent in this template, unreadable or ambiguous; "
    "`flags` and `reason` say which",
    "derived": "method `derived`: a subtotal computed from printed parts (s3.r_denied, s3.r_unable, s3.r_rejected, "
    "and s3.r_other for the 2021 format); never printed in the source",
    "units": "counts in 件/条/次/人 are integers; amounts (s2.art20_8 fee_amount_wan_yuan, s2.art20_9 "
    "procurement_amount, legacy fee and budget rows) are normalised to 万元 (legacy.fee_waiver_amount_yuan: 元) "
    "whatever unit the source prints; facts.unit keeps the printed unit, flag unit_assumed when none was printed",
    "measure": "the key a value lines up with across templates in the `series` view; series_relation says how "
    "comparable it is (approximate values must not be compared as equal)",
}
RAW_KEY = "legacy.raw.<label>"


@cache
def relation_entries() -> dict[str, dict[str, str]]:
    with (REFERENCE_DIR / "relations.csv").open(encoding="utf-8") as fh:
        return {r["unified_key"]: r for r in csv.DictReader(fh)}


def _expand_braces(pattern: str) -> list[str]:
    """'s2.art20_{5,6}.*.x' -> ['s2.art20_5.*.x', 's2.art20_6.*.x']."""
    match = re.search(r"\{([^}]*)\}", pattern)
    if not match:
        return [pattern]
    return [
        p
        for option in match.group(1).split(",")
        for p in _expand_braces(pattern[: match.start()] + option + pattern[match.end() :])
    ]


@cache
def _entries_by_pattern() -> dict[str, dict[str, str]]:
    return {p: e for key, e in relation_entries().items() for p in _expand_braces(key)}


def _entry(pattern: str) -> dict[str, str] | None:
    return _entries_by_pattern().get(pattern)


def key_entries(key: str) -> list[dict[str, str]]:
    """The spec mapping entries that speak about a full key: exact, row part and column part."""
    parts = key.split(".")
    candidates = [key]
    if parts[0] == "s2" and len(parts) == 4:
        candidates += [".".join(parts[:3]), f"{parts[0]}.{parts[1]}.*.{parts[3]}"]
    elif parts[0] == "s3" and len(parts) == 3:
        candidates += [".".join(parts[:2]), f"s3.*.{parts[2]}"]
    return [e for e in (_entry(c) for c in candidates) if e]


def combined_relation(entries: list[dict[str, str]], default: str) -> str:
    relations = [e["relation"] for e in entries if e["relation"] in RELATION_STRENGTH]
    if not relations:
        return default
    return min(relations, key=RELATION_STRENGTH.index)


def _s2_label(row: RowSpec, col: ColumnSpec) -> str:
    return f"{row.label} / {col.label}"


def _printed_labels() -> dict[str, dict[str, tuple[str, str, str]]]:
    """key -> template -> (label, unit, value_kind) for every key a template prints."""
    ref = reference()
    out: dict[str, dict[str, tuple[str, str, str]]] = {}

    amounts = amount_keys(ref)

    def put(key: str, template: str, label: str, unit: str, kind: str) -> None:
        unit = amounts[key].spec_unit if key in amounts else unit  # the unit the value is stored in
        out.setdefault(key, {}).setdefault(template, (label, unit, kind))

    for row in ref.rows:
        if row.section == "legacy" and row.key:
            kind = "decimal" if "万元" in row.unit else "count"
            label = row.label if not row.block else f"{row.label} ({row.block})"
            put(row.key, row.template, label, row.unit, kind)
        elif row.section == "s3" and row.row_key != "results":
            for col in ref.columns_for(row.template, "s3"):
                put(f"{row.key}.{col.column_key}", row.template, f"{row.label} / {col.label}", "件", col.value_kind)
        elif row.section == "s2":
            for col in ref.columns_for(row.template, "s2", row.block):
                put(f"{row.key}.{col.column_key}", row.template, _s2_label(row, col), col.unit, col.value_kind)
    for col in ref.columns:
        if col.section == "s4":
            put(f"s4.{col.column_key}", col.template, f"{col.group} / {col.label}", col.unit, col.value_kind)
    return out


def _legacy_counterparts() -> dict[str, str]:
    """legacy key -> the full key it lines up with (approximately) in the 2019/2021 formats."""
    return {k: e["counterpart"] for k, e in relation_entries().items() if k.startswith("legacy.") and e["counterpart"]}


def _description(key: str, relation: str, entries: list[dict[str, str]], measure: str) -> str:
    parts = [RELATION_MEANING.get(relation, relation)]
    if measure != key:
        parts.append(f"lines up with {measure} (approximate)")
    notes = [e["note"] for e in entries if e.get("note")]
    parts += notes
    if key.startswith("s3.") and key.split(".")[1] in {"r_denied", "r_unable", "r_rejected"}:
        parts.append("derived subtotal of its numbered parts")
    return "; ".join(dict.fromkeys(parts))


def dictionary_records() -> list[dict[str, str]]:
    printed = _printed_labels()
    counterparts = _legacy_counterparts()
    reverse: dict[str, list[str]] = {}
    for legacy_key, target in counterparts.items():
        reverse.setdefault(target, []).append(legacy_key)
    records = []
    for key in sorted(printed, key=_sort_key):
        by_template = printed[key]
        entries = key_entries(key)
        default = "variant_only" if key.startswith("legacy.") else "equivalent"
        relation = combined_relation(entries, default)
        measure = counterparts.get(key, key)
        label, unit, kind = next(iter(by_template.values()))
        labels = {col: by_template[t][0] if t in by_template else "" for t, col in TEMPLATE_LABEL_COLUMNS.items()}
        if key in reverse and not labels["label_legacy"]:
            labels["label_legacy"] = "≈ " + " / ".join(printed[k]["legacy_stats"][0] for k in reverse[key])
        records.append(
            {
                "key": key,
                "section": key.split(".")[0],
                **labels,
                "unit": unit,
                "value_kind": kind,
                "relation": relation,
                "measure": measure,
                "series_relation": "approximate" if measure != key else relation,
                "templates": ",".join(t for t in TEMPLATE_LABEL_COLUMNS if t in by_template),
                "description": _description(key, relation, entries, measure),
            }
        )
    records.append(
        {
            "key": RAW_KEY,
            "section": "legacy",
            "label_gov_2019": "",
            "label_gov_2021": "",
            "label_legacy": "(any row label not in the spec)",
            "unit": "万元 when a money unit is printed, else as printed",
            "value_kind": "count",
            "relation": "variant_only",
            "measure": RAW_KEY,
            "series_relation": "variant_only",
            "templates": "legacy_stats",
            "description": "a row of a local table the spec does not know, kept with its printed label "
            "(facts.flags contains unknown_row, facts.known is false); a row printed in money (元, 万元, …) is an "
            "amount, stored in 万元 with facts.unit keeping the printed unit (data/reference/amounts.csv)",
        }
    )
    return records


def _sort_key(key: str) -> tuple:
    order = {"s2": 0, "s3": 1, "s4": 2, "legacy": 3}
    parts = key.split(".")
    col_rank = _column_orders().get(parts[-1], 0) if parts[0] in ("s2", "s3") else 0
    return (order.get(parts[0], 9), _row_order(key), col_rank, key)


@cache
def _column_orders() -> dict[str, int]:
    orders: dict[str, int] = {}
    for col in reference().columns:
        orders[col.column_key] = min(orders.get(col.column_key, col.order), col.order)
    return orders


@cache
def _row_orders() -> dict[str, int]:
    orders: dict[str, int] = {}
    for i, row in enumerate(reference().rows):
        if row.key:
            orders.setdefault(row.key, i)
    for i, col in enumerate(reference().columns):
        if col.section == "s4":
            orders.setdefault(f"s4.{col.column_key}", i)
    return orders


def _row_order(key: str) -> int:
    parts = key.split(".")
    for n in (len(parts), len(parts) - 1):
        found = _row_orders().get(".".join(parts[:n]))
        if found is not None:
            return found
    return 10_000


@cache
def _dictionary_cached() -> pd.DataFrame:
    return pd.DataFrame.from_records(dictionary_records(), columns=COLUMNS)


def data_dictionary() -> pd.DataFrame:
    """One row per unified key (plus the legacy.raw.<label> pattern); a fresh copy each call."""
    return _dictionary_cached().copy()


def lookup(pattern: str) -> pd.DataFrame:
    """Keys equal to the pattern, under it (prefix + '.'), or matching it as a glob (`s3.*.total`)."""
    frame = data_dictionary()
    keys = frame["key"]
    if any(ch in pattern for ch in "*?["):
        mask = keys.str.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."))
    else:
        mask = (keys == pattern) | keys.str.startswith(pattern + ".")
    return frame[mask]


# ---- outputs -------------------------------------------------------------------------------------------


def dictionary_metadata() -> dict[bytes, bytes]:
    """Parquet key-value metadata: the dictionary as compact JSON, plus the value semantics."""
    frame = data_dictionary()
    fields = ["label_gov_2019", "label_gov_2021", "label_legacy", "unit", "relation", "measure"]
    compact = {row["key"]: [row[f] for f in fields] for row in frame.to_dict("records")}
    return {
        b"govreports.dictionary.fields": json.dumps(fields).encode(),
        b"govreports.dictionary": json.dumps(compact, ensure_ascii=False, separators=(",", ":")).encode(),
        b"govreports.value_semantics": json.dumps(VALUE_SEMANTICS, ensure_ascii=False).encode(),
    }


def _md_cell(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


SECTION_TITLES = {
    "s2": "二、主动公开政府信息情况 (s2)",
    "s3": "三、收到和处理政府信息公开申请情况 (s3)",
    "s4": "四、政府信息公开行政复议、行政诉讼情况 (s4)",
    "legacy": "政府信息公开情况统计表, pre-2019 (legacy)",
}


def render_markdown(frame: pd.DataFrame | None = None) -> str:
    frame = data_dictionary() if frame is None else frame
    lines = [
        "# Data dictionary",
        "",
        "Generated from `data/reference/layout_rows.csv`, `layout_columns.csv`, `extra_rows.csv` and",
        "`relations.csv` (the spec's version mapping) by `govreports dict --write-docs`. Do not edit by hand;",
        "`tests/test_dictionary.py` fails when this file is out of date. The same table is in every Parquet",
        "file's key-value metadata (`govreports.dictionary`) and `govreports dict KEY` prints one entry.",
        "",
        "## What the values mean",
        "",
    ]
    lines += [f"- **{name}**: {text}" for name, text in VALUE_SEMANTICS.items()]
    lines += ["", "## Relations", "", "| relation | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in RELATION_MEANING.items()]
    header = "| key | gov_2019 label | gov_2021 label | legacy label | unit | kind | relation | measure (series) |"
    for section, title in SECTION_TITLES.items():
        part = frame[frame["section"] == section]
        lines += ["", f"## {title}", "", f"{len(part)} keys.", "", header, "|---|---|---|---|---|---|---|---|"]
        for row in part.to_dict("records"):
            measure = "" if row["measure"] == row["key"] else f"`{row['measure']}` ({row['series_relation']})"
            cells = [
                f"`{row['key']}`",
                row["label_gov_2019"],
                row["label_gov_2021"],
                row["label_legacy"],
                row["unit"],
                row["value_kind"],
                row["relation"],
                measure,
            ]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_docs(path: Path = DOCS_PATH) -> Path:
    path.write_text(render_markdown(), encoding="utf-8")
    return path


def register(app: typer.Typer) -> None:
    @app.command(name="dict")
    def show_dictionary(
        key: str = typer.Argument(None, help="A key, a key prefix (s3.new_received) or a glob (s3.*.total)."),
        write_docs_: bool = typer.Option(False, "--write-docs", help=f"Regenerate {DOCS_PATH} (in a checkout)."),
    ) -> None:
        """Show the data dictionary: labels per template, unit and cross-template relation of each key."""
        from rich.console import Console
        from rich.table import Table

        console = Console()
        if write_docs_:
            console.print(f"wrote {write_docs()}")
            return
        frame = data_dictionary() if key is None else lookup(key)
        if frame.empty:
            console.print(f"[red]no key matches {key!r}[/red] (try a prefix such as s3.new_received)")
            raise typer.Exit(1)
        if len(frame) == 1:
            for name, value in frame.iloc[0].items():
                console.print(f"[bold]{name}[/bold]: {value}")
            return
        table = Table("key", "gov_2019", "gov_2021", "legacy", "unit", "relation", "measure")
        for row in frame.to_dict("records"):
            table.add_row(
                row["key"],
                row["label_gov_2019"],
                row["label_gov_2021"],
                row["label_legacy"],
                row["unit"],
                row["relation"],
                row["measure"],
            )
        console.print(table)
