"""The pandas frames one validation run checks: documents, facts, checks and the per-section wide tables.

A pandas datasource cannot compare columns across rows, so whatever an expectation
needs is computed here as a plain column: the value kind of each fact (from the
layout mapping tables), the fractional part of each value, the operator of each
identity. The residual of each identity instance is already a column of `checks`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from govreports.transform.reference import reference

SECTIONS = ("s2", "s3", "s4", "legacy")
FIRST_REPORT_YEAR = 2007  # the 2007 条例 (in force 2008) introduced the annual report
# Usual report years of each template; a document outside them is flagged, not rejected.
TEMPLATE_YEARS: dict[str, tuple[int, int | None]] = {
    "legacy_stats": (FIRST_REPORT_YEAR, 2018),
    "gov_2019": (2019, 2020),
    "gov_2021": (2021, None),
    "narrative": (FIRST_REPORT_YEAR, None),
}
# legacy rows carry their unit; these units make a row an amount rather than a count
AMOUNT_UNITS = {"万元", "元"}
UNKNOWN_KIND = "unknown"


@cache
def value_kinds() -> dict[str, str]:
    """Full unified key -> value kind (count | signed | decimal | amount), from the mapping tables."""
    ref = reference()
    kinds: dict[str, str] = {}
    for r in ref.rows:
        if not r.key:
            continue
        if r.section == "legacy":
            kinds[r.key] = "amount" if r.unit.strip() in AMOUNT_UNITS else "count"
        elif r.section == "s3":
            for c in ref.columns_for(r.template, "s3"):
                kinds[f"{r.key}.{c.column_key}"] = c.value_kind
        elif r.section == "s2":
            for c in ref.columns_for(r.template, "s2", r.block):
                kinds[f"{r.key}.{c.column_key}"] = c.value_kind
    for c in ref.columns:
        if c.section == "s4":
            kinds[f"s4.{c.column_key}"] = c.value_kind
    # derived subtotals (s3.r_denied.* ...) are sums of counts
    for d in ref.derived:
        for c in ref.columns_for("gov_2021", "s3"):
            kinds.setdefault(d["key"].replace("{c}", c.column_key), "count")
    return kinds


def template_year_deviation(template: str | None, year: int | None) -> str | None:
    """Why a template is unusual for the report year, or None when it is usual (or unknown)."""
    if template not in TEMPLATE_YEARS or year is None:
        return None
    first, last = TEMPLATE_YEARS[template]
    if year < first or (last is not None and year > last):
        span = f"{first}–{last}" if last else f"{first} onward"
        return f"{template} is used for report years {span}, not {year}"
    return None


def kind_of(key: str | None) -> str:
    return value_kinds().get(key, UNKNOWN_KIND) if isinstance(key, str) else UNKNOWN_KIND


def enrich_documents(documents: pd.DataFrame) -> pd.DataFrame:
    out = documents.copy()
    published = pd.to_datetime(out["published_date"], errors="coerce")
    out["published_year"] = published.dt.year.astype("Int64")
    return out


def enrich_facts(facts: pd.DataFrame) -> pd.DataFrame:
    out = facts.copy()
    out["value"] = out["value"].astype("float64")
    out["value_kind"] = out["key"].map(value_kinds()).fillna(UNKNOWN_KIND).astype(object)
    out["fraction"] = (out["value"] - out["value"].round()).abs()
    return out


@cache
def identity_ops() -> dict[str, str]:
    return {i.id: i.op for i in reference().identities}


def enrich_checks(checks: pd.DataFrame) -> pd.DataFrame:
    out = checks.copy()
    out["op"] = out["identity"].map(identity_ops()).astype(object)
    return out


def sections_of(keys: pd.Series) -> pd.Series:
    # a few hundred distinct keys over millions of rows: split each distinct key once
    return keys.map({k: k.split(".", 1)[0] for k in keys.dropna().unique()})


def wide_table(facts: pd.DataFrame, section: str, sections: pd.Series | None = None) -> pd.DataFrame:
    """One row per document, one float column per key of that section, plus the row checks."""
    sections = sections_of(facts["key"]) if sections is None else sections
    part = facts[sections == section]
    if part.empty:
        return pd.DataFrame({"doc_id": pd.Series([], dtype=object)})
    wide = part.groupby(["doc_id", "key"], sort=True)["value"].first().unstack("key")
    wide.columns.name = None
    return add_row_checks(wide.reset_index())


ROW_CHECKS = ("non_numeric", "negative", "fractional")


def key_columns(wide: pd.DataFrame) -> list[str]:
    return [c for c in wide.columns if c != "doc_id" and not c.startswith("_")]


def _keys_where(mask: pd.DataFrame) -> pd.Series:
    names = mask.columns.to_numpy()
    flags = mask.to_numpy(dtype=bool)
    any_set = flags.any(axis=1)
    return pd.Series(
        [",".join(names[row]) if hit else "" for row, hit in zip(flags, any_set, strict=True)],
        index=mask.index,
        dtype=object,
    )


def add_row_checks(wide: pd.DataFrame) -> pd.DataFrame:
    """Per row, the keys whose cell is not a number, a negative count/amount, or a fractional count.

    One expectation per wide table then checks each of these (`_n_negative == 0` ...),
    instead of one expectation per key column: GX costs tens of milliseconds per
    expectation and section 三 alone has ~180 keys.
    """
    out = wide.copy()
    keys = key_columns(out)
    values = out[keys]
    numbers = values.apply(pd.to_numeric, errors="coerce").astype("float64")
    kinds = pd.Series([kind_of(k) for k in keys], index=keys, dtype=object)
    unsigned = kinds.isin(["count", "amount", "decimal"]).to_numpy()
    integral = kinds.isin(["count", "signed"]).to_numpy()
    masks = {
        "non_numeric": values.notna() & numbers.isna(),
        "negative": (numbers < 0) & unsigned,
        "fractional": ((numbers - numbers.round()).abs() > 0) & integral,
    }
    for name in ROW_CHECKS:
        out[f"_{name}_keys"] = _keys_where(masks[name])
        out[f"_n_{name}"] = masks[name].sum(axis=1).astype("int64")
    return out


# Shown first for every failing row (Data Docs, the summary page): which document, and what to run.
LABEL_COLUMNS = ("document", "explain")
EXPLAIN_PREFIX = 12  # doc_id characters `govreports explain` needs (it takes a unique prefix)


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value is not pd.NA


def document_name(agency, report_year, file_name) -> str:
    """How a person finds a document: agency, report year and file, 'unknown' where the pipeline has none."""
    year = f"{int(report_year)}年" if _known(report_year) else "year unknown"
    return " ".join([agency if _known(agency) and agency else "agency unknown", year, str(file_name)])


def document_names(documents: pd.DataFrame) -> dict[str, str]:
    """doc_id -> document_name, from a frame with doc_id, agency, report_year and file_name."""
    return {
        r.doc_id: document_name(r.agency, r.report_year, r.file_name)
        for r in documents[["doc_id", "agency", "report_year", "file_name"]].itertuples()
        if isinstance(r.doc_id, str)
    }


def explain_command(doc_id: str, out_dir: Path | None = None) -> str:
    out = f" --out {Path(out_dir).resolve()}" if out_dir is not None else ""
    return f"govreports explain {doc_id[:EXPLAIN_PREFIX]}{out}"


def add_labels(frame: pd.DataFrame, names: dict[str, str], out_dir: Path | None = None) -> pd.DataFrame:
    """The frame with `document` and `explain` columns (null where the row has no doc_id)."""
    if "doc_id" not in frame.columns:
        return frame
    ids = frame["doc_id"]
    distinct = [d for d in ids.dropna().unique() if isinstance(d, str)]
    missing = "document {} not in the warehouse"
    # a few hundred documents over millions of facts: each label is built once, and stored as a
    # category (one string per document) so GX's copies of the frame stay cheap
    labels = {
        "document": {d: names.get(d, missing.format(d[:EXPLAIN_PREFIX])) for d in distinct},
        "explain": {d: explain_command(d, out_dir) for d in distinct},
    }
    return frame.assign(**{c: ids.map(labels[c]).astype("category") for c in LABEL_COLUMNS})


def build_frames(
    documents: pd.DataFrame, facts: pd.DataFrame, checks: pd.DataFrame, out_dir: Path | None = None
) -> dict[str, pd.DataFrame]:
    """Every frame a run validates, keyed by suite name, each row labelled with its document."""
    facts = enrich_facts(facts)
    frames = {
        "documents": enrich_documents(documents),
        "facts": facts,
        "checks": enrich_checks(checks),
    }
    sections = sections_of(facts["key"])
    for section in SECTIONS:
        frames[f"wide_{section}"] = wide_table(facts, section, sections)
    names = document_names(documents)
    return {suite: add_labels(frame, names, out_dir) for suite, frame in frames.items()}


def read_run_tables(out_dir: Path, doc_ids: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The run's rows of documents, facts and checks, read from DIR/warehouse.duckdb."""
    from govreports.load.warehouse import connect

    ids = _id_frame(doc_ids)
    con = connect(Path(out_dir))
    try:
        con.register("run_ids", ids)
        tables = tuple(
            con.execute(f"SELECT * FROM {t} WHERE doc_id IN (SELECT doc_id FROM run_ids)").df()
            for t in ("documents", "facts", "checks")
        )
    finally:
        con.close()
    return tables


# Cross-document views (expectations/cross_doc.py) touching the chunk's documents (chunk_ids). A row
# naming two documents of the run (this year's and last year's report) belongs to the chunk of its
# doc_id, so a run validated in chunks checks it once.
_OWN_DOC = "doc_id IN (SELECT doc_id FROM chunk_ids)"
_NOT_IN_RUN = "NOT coalesce(doc_id IN (SELECT doc_id FROM run_ids), false)"
CROSS_DOC_FRAMES = {
    "x_carry_over": f"SELECT * FROM x_carry_over WHERE {_OWN_DOC} "
    f"OR (prev_doc_id IN (SELECT doc_id FROM chunk_ids) AND {_NOT_IN_RUN})",
    "report_deadlines": f"SELECT * FROM report_deadlines WHERE {_OWN_DOC}",
    "plausibility": f"SELECT * FROM plausibility WHERE {_OWN_DOC} "
    f"OR (doc_id_prev IN (SELECT doc_id FROM chunk_ids) AND {_NOT_IN_RUN})",
}


def _id_frame(doc_ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": pd.Series(sorted(set(doc_ids)), dtype=object)})


def read_cross_doc(out_dir: Path, doc_ids: list[str], run_ids: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The cross-document frames of a chunk `doc_ids` of the run `run_ids` (default: the chunk is
    the run), labelled (their rows may name documents of earlier runs)."""
    from govreports.load.warehouse import connect

    ids = _id_frame(doc_ids)
    con = connect(Path(out_dir))
    try:
        con.register("chunk_ids", ids)
        con.register("run_ids", ids if run_ids is None else _id_frame(run_ids))
        frames = {name: con.execute(sql).df() for name, sql in CROSS_DOC_FRAMES.items()}
        named = pd.concat([f["doc_id"] for f in frames.values()] + [ids["doc_id"]]).dropna().unique()
        con.register("named_ids", pd.DataFrame({"doc_id": pd.Series(named, dtype=object)}))
        documents = con.execute(
            "SELECT doc_id, agency, report_year, file_name FROM documents "
            "WHERE doc_id IN (SELECT doc_id FROM named_ids)"
        ).df()
    finally:
        con.close()
    names = document_names(documents)
    return {name: add_labels(frame, names, out_dir) for name, frame in frames.items()}


def load_frames(out_dir: Path, doc_ids: list[str], run_ids: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every frame of the documents `doc_ids`, one chunk of the run `run_ids` (default: the chunk is the run)."""
    return build_frames(*read_run_tables(out_dir, doc_ids), out_dir=out_dir) | read_cross_doc(out_dir, doc_ids, run_ids)


def empty_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Typed empty documents/facts/checks frames (tests and the bench start from these)."""
    from govreports.load.lake import SCHEMAS

    con = duckdb.connect()
    try:
        return tuple(con.from_arrow(SCHEMAS[t].empty_table()).df() for t in ("documents", "facts", "checks"))
    finally:
        con.close()
