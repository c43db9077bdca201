"""govreports eval: scoring rules on tiny hand-made pairs, the command, and the real corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.pipelines import evaluate
from govreports.pipelines.cli import app
from govreports.pipelines.evaluate import score_corpus, score_document
from govreports.transform.model import Check, DocumentResult, Fact

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "data" / "samples"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"

EXPECTED = {
    "document": "r.html",
    "doc_type": "annual_report",
    "agency": "清江县人民政府",
    "report_year": 2023,
    "published_date": "2024-01-26",
    "template": "gov_2021",
    "facts": {"s3.new_received.total": 12, "s3.r_granted.total": 0,
              "s2.art20_8.admin_fees.fee_amount_wan_yuan": 7730.28, "s4.review_total": 3, "s4.review_upheld": 3},
    "blank_cells": ["s4.lit_direct_total", "s4.lit_direct_upheld"],
    "ambiguous_cells": ["s2.art20_1.normative_docs.in_force"],
    "narrative_facts": {"legacy.active_total": 93},
    "expected_failing_identities": ["S4_GROUP_TOTALS", "L_STAFF"],
}  # fmt: skip


def result(facts: list[Fact], checks: list[Check] | None = None, **document) -> DocumentResult:
    doc = {"format": "html", "doc_type": "annual_report", "agency": "清江县人民政府", "report_year": 2023,
           "published_date": "2024-01-26", "template": "gov_2021", "error": None, **document}  # fmt: skip
    return DocumentResult(document=doc, facts=facts, checks=checks or [])


def check(identity: str, level: str, passed: bool | None) -> Check:
    return Check(identity, level, "", passed, 1.0, 0.0, [], "")


def test_cells_exact_wrong_missing_and_false_positives() -> None:
    facts = [
        Fact("s3.new_received.total", 12.0),
        Fact("s3.r_granted.total", 0.0),
        Fact("s2.art20_8.admin_fees.fee_amount_wan_yuan", 7730.2800000001),  # decimals: small tolerance
        Fact("s4.review_total", 4.0),  # wrong
        # s4.review_upheld: missing
        Fact("s4.lit_direct_total", 0.0, flags=["blank"]),  # blank: 0 accepted
        Fact("s4.lit_direct_upheld", 2.0),  # blank given 2: not ok
        Fact("s2.art20_1.normative_docs.in_force", 89.0),  # ambiguous given a value
        Fact("legacy.active_total", 93.0, method="narrative"),
        Fact("s3.r_denied.total", 5.0, method="derived"),  # derived: never a false positive
        Fact("s3.carried_to_next.total", 1.0),  # listed nowhere: false positive
        Fact("s3.r_partial.total", None, flags=["unreadable"]),  # null: not a false positive
    ]
    score = score_document(EXPECTED, result(facts))
    t = score.tally
    assert (t.expected, t.exact, t.wrong, t.missing) == (5, 3, 1, 1)
    assert (t.nonzero_expected, t.nonzero_exact) == (4, 2)
    assert (t.blank_expected, t.blank_ok) == (2, 1)
    assert (t.ambiguous_expected, t.ambiguous_valued) == (1, 1)
    assert (t.narrative_expected, t.narrative_exact) == (1, 1)
    assert t.false_positive == 1
    assert score.false_positive_keys == ["s3.carried_to_next.total"]
    assert score.wrong_keys == ["s4.review_total"]
    assert score.missing_keys == ["s4.review_upheld"]
    assert t.accuracy == pytest.approx(3 / 5)
    assert t.nonzero_accuracy == pytest.approx(2 / 4)


def test_table_value_wins_over_prose_for_the_same_key() -> None:
    facts = [Fact("s3.new_received.total", 11.0, method="narrative"), Fact("s3.new_received.total", 12.0)]
    assert score_document(EXPECTED, result(facts)).tally.exact == 1


def test_document_fields() -> None:
    score = score_document(EXPECTED, result([], agency="清江县 人民政府", report_year=2022, template="gov_2019"))
    t = score.tally
    assert (t.doc_type_ok, t.agency_ok, t.published_date_ok) == (1, 1, 1)  # white space in the agency is ignored
    assert (t.report_year_ok, t.template_ok) == (0, 0)
    assert score.meta_wrong == {"template": ["gov_2021", "gov_2019"], "report_year": [2023, 2022]}


def test_identities_caught_missed_and_false_alarms() -> None:
    checks = [
        check("S4_GROUP_TOTALS", "structural", False),  # caught
        check("S4_GROUP_TOTALS", "structural", False),  # a second instance counts once
        check("L_STAFF", "heuristic", True),  # expected failing, passed: missed
        check("S3_BALANCE", "official", False),  # false alarm
        check("H2019_PUBLISHED_LE_TOTAL", "heuristic", False),  # heuristic, not counted
        check("S3_COLUMN_TOTAL", "structural", None),  # not evaluable
    ]
    score = score_document(EXPECTED, result([], checks))
    assert score.identities_caught == ["S4_GROUP_TOTALS"]
    assert score.identities_missed == ["L_STAFF"]
    assert score.identities_false_alarm == ["S3_BALANCE"]
    t = score.tally
    assert (t.identities_expected, t.identities_caught, t.identities_missed, t.identities_false_alarm) == (2, 1, 1, 1)


def write_expected(folder: Path, name: str, facts: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("placeholder", encoding="utf-8")
    exp = {
        **EXPECTED,
        "document": name,
        "facts": facts,
        "blank_cells": [],
        "ambiguous_cells": [],
        "narrative_facts": {},
    }
    (folder / f"{name}.expected.json").write_text(json.dumps(exp, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def tiny_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two documents in two folders; the 'pipeline' reads one value right and one wrong."""
    write_expected(tmp_path / "a", "one.html", {"s3.new_received.total": 12, "s3.r_total.total": 5})
    write_expected(tmp_path / "b", "two.txt", {"s3.new_received.total": 7})
    answers = {
        "one.html": {"s3.new_received.total": 12.0, "s3.r_total.total": 6.0},
        "two.txt": {"s3.new_received.total": 7.0},
    }

    def fake_process(doc):
        fmt = "html" if doc.path.suffix == ".html" else "text"
        return result([Fact(k, v) for k, v in answers[doc.path.name].items()], format=fmt)

    monkeypatch.setattr(evaluate, "process_document", fake_process)
    (tmp_path / "b" / "orphan.expected.json").write_text(json.dumps({**EXPECTED, "document": "gone.pdf"}), "utf-8")
    return tmp_path


def test_score_corpus_groups_by_format_and_folder(tiny_corpus: Path) -> None:
    report = score_corpus(tiny_corpus)
    assert [d.document for d in report.docs] == ["one.html", "gone.pdf", "two.txt"]
    by_format = report.by("format")
    assert (by_format["html"].exact, by_format["html"].wrong) == (1, 1)
    assert (by_format["text"].exact, by_format["text"].expected) == (1, 1)
    assert by_format["pdf"].missing == 5 and by_format["pdf"].errors == 1  # the missing file scores as missing
    assert report.by("folder")["b"].documents == 2
    assert report.total().exact == 2
    assert report.accuracy == pytest.approx(2 / 8)


def test_eval_command_threshold_and_json(tiny_corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "report.json"
    below = runner.invoke(app, ["eval", str(tiny_corpus), "--min-accuracy", "0.5", "--json", str(out)])
    assert below.exit_code == 1, below.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["total"]["exact"] == 2 and data["total"]["expected"] == 8
    assert set(data["by_format"]) == {"html", "pdf", "text"}
    above = runner.invoke(app, ["eval", str(tiny_corpus), "--min-accuracy", "20"])  # 20 % read as a percentage
    assert above.exit_code == 0, above.output


def test_accuracy_per_variation_from_the_manifest(tiny_corpus: Path, tmp_path: Path) -> None:
    manifest = {"documents": [{"document": "two.txt", "variation": "crawler", "variations": ["text", "crawler"]}]}
    (tiny_corpus / "b" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = score_corpus(tiny_corpus)
    by_variation = report.by_variation()
    assert set(by_variation) == {"text", "crawler"}  # one.html has no manifest: in no variation
    assert (by_variation["crawler"].documents, by_variation["crawler"].exact) == (1, 1)
    out = tmp_path / "report.json"
    run = CliRunner().invoke(app, ["eval", str(tiny_corpus), "--json", str(out)])
    assert "Cells by variation" in run.output, run.output
    assert json.loads(out.read_text(encoding="utf-8"))["by_variation"]["crawler"]["expected"] == 1


def test_the_samples_name_their_variation() -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    assert all(d["variation"] for d in manifest["documents"])
    report = score_corpus(SAMPLES)
    assert "format_html" in report.by_variation()


def test_eval_command_without_expected_files(tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["eval", str(tmp_path)]).exit_code == 2


# ---------------------------------------------------------------- the real pipeline


def test_generated_corpus_accuracy() -> None:
    report = score_corpus(SAMPLES)
    assert report.total().documents >= 60
    assert report.accuracy >= 0.999
    assert report.total().ambiguous_valued == 0


def test_generated_corpus_is_scored_in_full() -> None:
    report = score_corpus(SAMPLES)
    expected_docs = len(list(SAMPLES.glob("*.expected.json")))
    assert report.total().documents == expected_docs >= 60
    assert report.total().errors == 0
    assert set(report.by("format")) == {"html", "pdf", "text", "docx", "xlsx"}
    assert set(report.by("template")) == {"gov_2021", "gov_2019", "legacy_stats", "narrative", "-"}


@pytest.mark.corpus
def test_shared_corpus() -> None:
    if not SHARED_CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent (fresh clone)")
    report = score_corpus(SHARED_CORPUS)
    expected_docs = len(list(SHARED_CORPUS.rglob("*.expected.json")))
    assert report.total().documents == expected_docs
    assert {d.folder for d in report.docs} == {"html", "real", "seeds", "text"}
    json.dumps(report.to_json(), ensure_ascii=False)  # the --json output is serialisable
