"""Plausibility flags (data/reference/plausibility.csv): each rule fires on a constructed series and stays
silent on a consistent one; flags show in validation, the run summary and `explain`, and change no value."""

from __future__ import annotations

import random
import re
from pathlib import Path

from govreports.expectations.explain import explain_text
from govreports.expectations.frames import load_frames
from govreports.expectations.plausibility import plausibility_counts, plausibility_rules
from govreports.expectations.validate import validate_frames
from govreports.pipelines.generate.values import gov_values
from tests.validation_fixtures import doc_id, fact, load, query, result

AGENCY = "洪泽区人民政府"
YEARS = (2021, 2022, 2023, 2024)
GROWTH = 1.2  # 20% a year: far from any threshold
FLAGS = "SELECT rule, year_prev, year, key, value_prev, value FROM plausibility ORDER BY rule, year, key"


def consistent_series(seed: int = 15) -> dict[int, dict[str, float]]:
    """One generated 2021-format report grown 20% a year; each 上年结转 is last year's 结转下年度."""
    base = gov_values(random.Random(seed), "gov_2021")
    series = {}
    for k, year in enumerate(YEARS):
        values = {key: float(round(v * GROWTH**k)) for key, v in base.items()}
        for key, v in base.items():
            if key.startswith("s3.carried_to_next."):
                values[key.replace("carried_to_next", "carried_over_from_prev")] = float(round(v * GROWTH ** (k - 1)))
        series[year] = values
    return series


def name(year: int) -> str:
    return f"hz{year}.html"


def build(series: dict[int, dict[str, float]], out: Path) -> Path:
    results = [
        result(name(year), [fact(k, v) for k, v in values.items()], report_year=year, agency=AGENCY)
        for year, values in series.items()
    ]
    load(results, out)
    return out


def test_the_rules_are_data():
    assert [(r.rule, r.kind, r.severity, r.ratio, r.min_count) for r in plausibility_rules()] == [
        ("P_JUMP", "ratio", "warning", 5.0, 30.0),
        ("P_MISSING_YEAR", "missing", "info", None, None),
        ("X_CARRY_OVER", "carry_over", "warning", None, None),
    ]


def test_no_flag_on_the_consistent_generated_series(tmp_path: Path):
    out = build(consistent_series(), tmp_path)
    assert query(out, "SELECT count(*) FROM yoy") == [(600,)]  # 200 keys × 3 pairs: everything compared
    assert query(out, "SELECT count(*) FROM x_carry_over WHERE passed") == [(21,)]  # 7 columns × 3 pairs
    assert query(out, FLAGS) == []


def test_p_jump_fires_beyond_5x_with_30_on_one_side(tmp_path: Path):
    series = consistent_series()
    key, small, edge = "s3.new_received.total", "s4.review_total", "s2.art20_1.regulations.in_force"
    for year, values in zip(YEARS, ([40, 5, 30], [40, 29, 30], [250, 29, 150], [48, 5, 30]), strict=True):
        series[year] |= {key: values[0], small: values[1], edge: values[2]}
    out = build(series, tmp_path)
    # 40 → 250 (6.25×) and 250 → 48 (5.2×) fire; 5 → 29 (< 30 on both sides) and 30 → 150 (exactly 5×) do not
    assert query(out, FLAGS) == [
        ("P_JUMP", 2022, 2023, key, 40.0, 250.0),
        ("P_JUMP", 2023, 2024, key, 250.0, 48.0),
    ]
    assert query(out, "SELECT detail FROM plausibility ORDER BY year") == [
        ("2022 40 → 2023 250 (same_template)",),
        ("2023 250 → 2024 48 (same_template)",),
    ]
    # a flag never changes a value
    assert query(out, f"SELECT value FROM facts WHERE key = '{key}' ORDER BY report_year") == [
        (40.0,),
        (40.0,),
        (250.0,),
        (48.0,),
    ]


def test_p_missing_year_fires_on_a_gap_and_not_after_the_lake_s_last_year(tmp_path: Path):
    series = consistent_series()
    del series[2022]
    out = build(series, tmp_path)
    other = result("other2023.html", [fact("s3.new_received.total", 3)], report_year=2023, agency="沭阳县发展和改革局")
    load([other], out)
    # 洪泽区 2021 and no 2022; 沭阳 2023 and no 2024; 洪泽区 2024 is the lake's last year, nothing after it is missing
    rows = "SELECT rule, agency_key, year_prev, year, doc_id_prev, doc_id, detail FROM plausibility ORDER BY year"
    assert query(out, rows) == [
        ("P_MISSING_YEAR", AGENCY, 2021, 2022, doc_id(name(2021)), None, "reported 2021, no report for 2022"),
        (
            "P_MISSING_YEAR",
            "沭阳县发展和改革局",
            2023,
            2024,
            doc_id("other2023.html"),
            None,
            "reported 2023, no report for 2024",
        ),
    ]


def test_x_carry_over_is_reused_as_a_flag(tmp_path: Path):
    series = consistent_series()
    carried = series[2022]["s3.carried_to_next.total"]
    series[2023]["s3.carried_over_from_prev.total"] = carried + 1
    out = build(series, tmp_path)
    assert query(out, FLAGS) == [
        ("X_CARRY_OVER", 2022, 2023, "s3.carried_over_from_prev.total", carried, carried + 1),
    ]


def _jump_lake(out: Path) -> Path:
    series = consistent_series()
    series[2023]["s3.new_received.total"] = 40 * series[2022]["s3.new_received.total"] + 30
    return build(series, out)


def test_flags_are_validated_counted_and_explained(tmp_path: Path):
    out = _jump_lake(tmp_path)
    ids = [doc_id(name(y)) for y in YEARS]
    failures = validate_frames(load_frames(out, ids)).failures
    plausible = [(f.rule, f.severity, len(f.rows)) for f in failures if f.rule.startswith("plausible:")]
    assert plausible == [("plausible:P_JUMP", "warning", 2)]
    assert plausibility_counts(out, ids) == {"P_JUMP": 2}
    assert plausibility_counts(out, [doc_id(name(2021))]) == {}
    text = explain_text(out, doc_id(name(2023)))
    totals = query(out, "SELECT value FROM facts WHERE key = 's3.new_received.total' ORDER BY report_year")
    before, jumped, after = (v for (v,) in totals[1:])
    assert "plausibility: 2 flag(s) (findings about the source; no value was changed)" in text
    assert f"  P_JUMP [warning] s3.new_received.total: 2022 {before:g} → 2023 {jumped:g} (same_template)" in text
    assert f"  P_JUMP [warning] s3.new_received.total: 2023 {jumped:g} → 2024 {after:g} (same_template)" in text


def test_no_plausibility_failure_in_validation_of_the_consistent_series(tmp_path: Path):
    out = build(consistent_series(), tmp_path)
    failures = validate_frames(load_frames(out, [doc_id(name(y)) for y in YEARS])).failures
    assert [f.rule for f in failures if f.rule.startswith("plausible:") or "CARRY" in f.rule] == []


def test_flags_show_in_the_validation_report_and_quarantine_nothing(tmp_path: Path):
    from govreports.expectations.validate import summary_page, validate_run

    out = _jump_lake(tmp_path)
    # 沭阳 reports 2023 only: its P_MISSING_YEAR flag (2024) has no doc_id
    other = result("other2023.html", [fact("s3.new_received.total", 3)], report_year=2023, agency="沭阳县发展和改革局")
    load([other], out)
    ids = [doc_id(name(y)) for y in YEARS] + [doc_id("other2023.html")]
    index = validate_run(out, ids)
    page = summary_page(index).read_text(encoding="utf-8")
    assert "<code>plausibility</code> · <code>plausible:P_JUMP</code>" in page
    assert "<code>plausibility</code> · <code>plausible:P_MISSING_YEAR</code>" in page
    assert query(out, "SELECT count(*) FROM quarantine") == [(0,)]


def _chunked_validation(out: Path, ids: list[str], chunk: int, monkeypatch) -> tuple[list[int], str, list]:
    """Validate `ids` `chunk` documents at a time: the chunk sizes read, the summary page's lines
    (without its time, nor where each findings rule stands against its tolerance: the gate is per
    chunk; sorted, as a chunk's failing rows come after the previous chunk's), the quarantine rows
    (without their time)."""
    from govreports.expectations import validate
    from govreports.expectations.quarantine import read_quarantine

    sizes: list[int] = []
    read = validate.load_frames
    monkeypatch.setattr(
        validate, "load_frames", lambda o, chunk_ids, *a: sizes.append(len(chunk_ids)) or read(o, chunk_ids, *a)
    )
    monkeypatch.setenv("GOVREPORTS_VALIDATE_CHUNK_DOCUMENTS", str(chunk))
    page = validate.summary_page(validate.validate_run(out, ids)).read_text(encoding="utf-8")
    page = re.sub(r"; \d+ of \d+ \([\d.]+%\), [^<]*", "", page)
    lines = sorted(line.replace(str(out.resolve()), "OUT") for line in page.splitlines() if " UTC: " not in line)
    rows = read_quarantine(out).drop_columns(["validated_at"]).to_pylist()
    return sizes, "\n".join(lines), sorted(rows, key=repr)


def test_validation_in_chunks_finds_what_one_pass_finds(tmp_path: Path, monkeypatch):
    """Memory is bounded by the chunk; a carry-over or plausibility row whose two reports fall in
    different chunks is still checked once, and the critical rows reach the quarantine the same."""
    lakes = []
    for folder in ("whole", "chunks"):
        out = _jump_lake(tmp_path / folder)
        load([result("neg2023.html", [fact("s4.lit_direct_upheld", -2, raw="-2", flags=["negative"])])], out)
        lakes.append(out)
    ids = [doc_id(name(y)) for y in YEARS] + [doc_id("neg2023.html")]
    sizes, whole_page, whole_rows = _chunked_validation(lakes[0], ids, 200, monkeypatch)
    assert sizes == [5]
    sizes, page, rows = _chunked_validation(lakes[1], ids, 2, monkeypatch)
    assert sizes == [2, 2, 1]
    assert page == whole_page
    assert rows == whole_rows and len(rows) == 1
    assert "<code>x_carry_over</code></td><td class='n'>21</td>" in page  # 7 columns × 3 pairs, once each
    assert "<code>plausibility</code> · <code>plausible:P_JUMP</code>" in page
