"""The `yoy` view: consecutive report years of one agency side by side, exact against hand-computed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.load.dictionary import data_dictionary
from tests.conftest import SAMPLES, SHARED_CORPUS, expected_files, load_expected
from tests.validation_fixtures import fact, load, query, result

HONGZE = "洪泽区人民政府"
DICTIONARY = data_dictionary()
COLUMNS = "year, measure, key_prev, key, value_prev, value, change, relative_change, template_changed, comparison"


def series() -> list:
    """洪泽区: 2018 legacy table, 2019 and 2020 in the 2019 format, 2021 (under its longer name) in the
    2021 format, no 2022, 2023. A county bureau's 2021 report has no 2020 to compare with."""

    def report(year: int, template: str, values: dict[str, float], agency: str = HONGZE):
        facts = [fact(k, v) for k, v in values.items()]
        return result(f"hz{year}{agency}", facts, report_year=year, template=template, agency=agency)

    return [
        report(2018, "legacy_stats", {"legacy.req_received": 40, "legacy.reply_granted": 10, "legacy.active_total": 9}),
        report(
            2019,
            "gov_2019",
            {
                "s3.new_received.total": 50,
                "s3.r_granted.total": 12,
                "s2.art20_5.admin_license.decisions_this_year": 7,
                "s2.art20_1.regulations.issued_this_year": 3,
                "s2.art20_1.regulations.total_published_cumulative": 30,
            },
        ),
        report(
            2020,
            "gov_2019",
            {
                "s3.new_received.total": 60,
                "s3.r_granted.total": 0,
                "s2.art20_5.admin_license.decisions_this_year": 8,
                "s2.art20_1.regulations.issued_this_year": 4,
                "s2.art20_1.regulations.total_published_cumulative": 34,
            },
        ),
        report(
            2021,
            "gov_2021",
            {
                "s3.new_received.total": 45,
                "s3.r_granted.total": 6,
                "s2.art20_5.admin_license.decisions_this_year": 8,
                "s2.art20_1.regulations.issued_this_year": 2,
                "s2.art20_1.regulations.in_force": 20,
            },
            agency="淮安市洪泽区人民政府",
        ),
        report(2023, "gov_2021", {"s3.new_received.total": 10}),
        report(2021, "gov_2021", {"s3.new_received.total": 7}, agency="沭阳县发展和改革局"),
    ]


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("yoy")
    load(series(), out)
    return out


def test_yoy_rows_are_exact_across_both_template_changes(lake: Path):
    got = query(lake, f"SELECT {COLUMNS} FROM yoy WHERE agency_key = '{HONGZE}' ORDER BY year, measure")
    issued = "s2.art20_1.regulations.issued_this_year"
    cumulative = "s2.art20_1.regulations.total_published_cumulative"
    decisions = "s2.art20_5.admin_license.decisions_this_year"
    received, granted = "s3.new_received.total", "s3.r_granted.total"
    assert got == [
        # 2018 → 2019: the pre-2019 rows against their counterparts; legacy.active_total has none
        (2019, received, "legacy.req_received", received, 40.0, 50.0, 10.0, 10 / 40, True, "approximate"),
        (2019, granted, "legacy.reply_granted", granted, 10.0, 12.0, 2.0, 2 / 10, True, "approximate"),
        # 2019 → 2020: same template, every key compared
        (2020, issued, issued, issued, 3.0, 4.0, 1.0, 1 / 3, False, "same_template"),
        (2020, cumulative, cumulative, cumulative, 30.0, 34.0, 4.0, 4 / 30, False, "same_template"),
        (2020, decisions, decisions, decisions, 7.0, 8.0, 1.0, 1 / 7, False, "same_template"),
        (2020, received, received, received, 50.0, 60.0, 10.0, 10 / 50, False, "same_template"),
        (2020, granted, granted, granted, 12.0, 0.0, -12.0, -1.0, False, "same_template"),
        # 2020 → 2021: the spec's relation of each key; only_2019 / only_2021 keys are not compared
        (2021, issued, issued, issued, 4.0, 2.0, -2.0, -0.5, True, "approximate"),
        (2021, decisions, decisions, decisions, 8.0, 8.0, 0.0, 0.0, True, "renamed"),
        (2021, received, received, received, 60.0, 45.0, -15.0, -15 / 60, True, "equivalent"),
        (2021, granted, granted, granted, 0.0, 6.0, 6.0, None, True, "equivalent"),  # no relative change from 0
    ]


def test_yoy_compares_consecutive_years_of_one_agency_only(lake: Path):
    # 2023 has no 2022; 沭阳's 2021 has no 2020 (洪泽区's 2020 is another agency)
    assert query(lake, "SELECT DISTINCT agency_key, year_prev, year FROM yoy ORDER BY year") == [
        (HONGZE, 2018, 2019),
        (HONGZE, 2019, 2020),
        (HONGZE, 2020, 2021),
    ]
    templates = query(lake, "SELECT DISTINCT year, template_prev, template FROM yoy ORDER BY year")
    assert templates == [
        (2019, "legacy_stats", "gov_2019"),
        (2020, "gov_2019", "gov_2019"),
        (2021, "gov_2019", "gov_2021"),
    ]


def test_yoy_is_empty_on_an_empty_lake(tmp_path: Path):
    load([], tmp_path)
    assert query(tmp_path, "SELECT count(*) FROM yoy") == [(0,)]
    assert query(tmp_path, "SELECT count(*) FROM plausibility") == [(0,)]


# ---- through real ingestion: the generated samples plus ../shared/corpus (when present) -----------------

# the same body under two printed names (the corpus's hzq PDFs); agency_names gives both one key
AGENCY_KEY = {"淮安市洪泽区人民政府": "洪泽区人民政府"}


Pair = tuple[str, int]  # (agency_key, year)


def ground_truth_reports(roots: list[Path]) -> dict[Pair, tuple[str, dict[str, float]]]:
    """(agency, year) -> (template, facts) of every annual report with table facts."""
    reports: dict[Pair, tuple[str, dict[str, float]]] = {}
    for root in roots:
        for path in expected_files(root):
            exp = load_expected(path)
            if exp["doc_type"] == "annual_report" and exp["report_year"] and exp["facts"]:
                agency = AGENCY_KEY.get(exp["agency"], exp["agency"])
                reports.setdefault((agency, exp["report_year"]), (exp["template"], exp["facts"]))
    return reports


def expected_comparison(template_prev: str, template: str, key_prev: str, key: str) -> str:
    """By hand from the spec's mapping: the dictionary's relation of the key across a template change."""
    if template_prev == template:
        return "same_template"
    if key_prev != key:
        return "approximate"
    return dict(zip(DICTIONARY["key"], DICTIONARY["relation"], strict=True))[key]


def ground_truth_pairs(roots: list[Path]) -> dict[Pair, dict[str, tuple]]:
    """(agency, year) -> measure -> (key_prev, key, last year's value, this year's, comparison)
    for the measures both expected files list (lined up by the dictionary's measure)."""
    measure = dict(zip(DICTIONARY["key"], DICTIONARY["measure"], strict=True))
    reports = ground_truth_reports(roots)
    pairs = {}
    for (agency, year), (template, facts) in reports.items():
        if (agency, year - 1) not in reports:
            continue
        template_prev, prev = reports[(agency, year - 1)]
        prev_by_measure = {measure[k]: k for k in prev if k in measure}
        pairs[(agency, year)] = {
            measure[k]: (
                prev_by_measure[measure[k]],
                k,
                prev[prev_by_measure[measure[k]]],
                v,
                expected_comparison(template_prev, template, prev_by_measure[measure[k]], k),
            )
            for k, v in facts.items()
            if k in measure and measure[k] in prev_by_measure
        }
    return pairs


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    from govreports.pipelines.ingest import discover, ingest

    roots = [SAMPLES] + ([SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [])
    out = tmp_path_factory.mktemp("yoy_ingested")
    ingest(discover(roots), out)
    return out, roots


def test_yoy_on_samples_and_corpus_matches_the_ground_truth(ingested):
    out, roots = ingested
    want = ground_truth_pairs(roots)
    assert {("金川区市场监督管理局", 2020), ("兴隆县教育局", 2021)} <= set(want)  # 2021: across the template change
    if SHARED_CORPUS.is_dir():
        assert {("平潭综合实验区", 2022), (HONGZE, 2024)} <= set(want)
    got: dict[Pair, dict[str, tuple]] = {}
    for agency, year, measure, key_prev, key, prev, value, change, comparison in query(
        out, "SELECT agency_key, year, measure, key_prev, key, value_prev, value, change, comparison FROM yoy"
    ):
        got.setdefault((agency, year), {})[measure] = (key_prev, key, prev, value, comparison)
        assert change == (None if prev is None or value is None else value - prev)
    assert set(got) == set(want)
    for pair, values in want.items():
        assert {m: got[pair][m] for m in values} == values, pair
    across = want[("兴隆县教育局", 2021)]
    assert len(across) > 150
    assert across["s2.art20_5.admin_license.decisions_this_year"][4] == "renamed"
    assert across["s3.new_received.total"][4] == "equivalent"
