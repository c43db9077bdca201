"""`govreports eval DIR`: score the pipeline against every *.expected.json under DIR.

Scoring follows ../shared/corpus/README.md: `facts` must match (numbers with a small
tolerance for decimals); `blank_cells` accept 0, null or absent; `ambiguous_cells`
must get no value; `narrative_facts` are a stretch goal scored on their own; derived
facts are never false positives; a false positive is a non-null fact for a key the
expected file lists nowhere. A folder's manifest.json (the generator writes one) names
each document's variations; accuracy is reported per variation as well as per format
and template (a document counts in every variation it carries). Documents are processed in-process with
transform.document.process_document: no Prefect, no warehouse.

Also here: `govreports generate OUT`, which writes the generated sample corpus.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from govreports.extract import FORMAT_OF_SUFFIX
from govreports.pipelines.progress import QUIET_HELP, ProgressCallback, Steps, no_progress, reporting
from govreports.transform.document import process_document
from govreports.transform.model import DocumentResult, Fact, InputDoc
from govreports.transform.reference import reference
from govreports.transform.units import is_unit_factor

COUNTED_LEVELS = ("official", "structural")
META_FIELDS = ("doc_type", "template", "report_year", "agency", "published_date")


@dataclass
class Tally:
    """Counts that add up across documents."""

    documents: int = 0
    expected: int = 0
    exact: int = 0
    wrong: int = 0
    unit_factor_off: int = 0  # wrong by exactly a unit factor (元 read as 万元 …): counted in `wrong` too
    missing: int = 0
    nonzero_expected: int = 0
    nonzero_exact: int = 0
    blank_expected: int = 0
    blank_ok: int = 0
    ambiguous_expected: int = 0
    ambiguous_valued: int = 0
    false_positive: int = 0
    narrative_expected: int = 0
    narrative_exact: int = 0
    meta_checked: int = 0
    doc_type_ok: int = 0
    template_ok: int = 0
    report_year_ok: int = 0
    agency_ok: int = 0
    published_date_ok: int = 0
    identities_expected: int = 0
    identities_caught: int = 0
    identities_missed: int = 0
    identities_false_alarm: int = 0
    errors: int = 0

    def add(self, other: Tally) -> Tally:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def accuracy(self) -> float:
        return self.exact / self.expected if self.expected else 1.0

    @property
    def nonzero_accuracy(self) -> float:
        return self.nonzero_exact / self.nonzero_expected if self.nonzero_expected else 1.0


@dataclass
class DocScore:
    document: str
    folder: str
    format: str
    template: str | None
    tally: Tally
    wrong_keys: list[str] = field(default_factory=list)
    missing_keys: list[str] = field(default_factory=list)
    false_positive_keys: list[str] = field(default_factory=list)
    ambiguous_valued_keys: list[str] = field(default_factory=list)
    meta_wrong: dict[str, list] = field(default_factory=dict)  # field -> [expected, got]
    identities_caught: list[str] = field(default_factory=list)
    identities_missed: list[str] = field(default_factory=list)
    identities_false_alarm: list[str] = field(default_factory=list)
    error: str | None = None
    variations: list[str] = field(default_factory=list)  # from the folder's manifest.json


@dataclass
class EvalReport:
    root: str
    docs: list[DocScore] = field(default_factory=list)

    def total(self) -> Tally:
        return sum_tallies(d.tally for d in self.docs)

    def by(self, attr: str) -> dict[str, Tally]:
        groups: dict[str, Tally] = {}
        for d in self.docs:
            groups.setdefault(str(getattr(d, attr) or "-"), Tally()).add(d.tally)
        return dict(sorted(groups.items()))

    def by_variation(self) -> dict[str, Tally]:
        groups: dict[str, Tally] = {}
        for d in self.docs:
            for name in d.variations:
                groups.setdefault(name, Tally()).add(d.tally)
        return dict(sorted(groups.items()))

    @property
    def accuracy(self) -> float:
        return self.total().accuracy

    def to_json(self) -> dict:
        def tally_json(t: Tally) -> dict:
            return {**asdict(t), "accuracy": t.accuracy, "nonzero_accuracy": t.nonzero_accuracy}

        return {
            "root": self.root,
            "total": tally_json(self.total()),
            "by_format": {k: tally_json(v) for k, v in self.by("format").items()},
            "by_template": {k: tally_json(v) for k, v in self.by("template").items()},
            "by_folder": {k: tally_json(v) for k, v in self.by("folder").items()},
            "by_variation": {k: tally_json(v) for k, v in self.by_variation().items()},
            "documents": [{**asdict(d), "tally": tally_json(d.tally)} for d in self.docs],
        }


def sum_tallies(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for t in tallies:
        total.add(t)
    return total


# ---------------------------------------------------------------- scoring one document


def same_number(got: float, want: float) -> bool:
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)


def facts_by_key(facts: list[Fact]) -> dict[str, Fact]:
    """One fact per key: a table reading wins over prose, a value over a null."""
    out: dict[str, Fact] = {}
    for f in facts:
        held = out.get(f.key)
        if held is None or (held.value is None and f.value is not None) or held.method == "narrative":
            out[f.key] = f
    return out


def counted_identity(identity: str, level: str | None = None) -> bool:
    """Official and structural identities, and the L_* ones of the legacy tables."""
    levels = {i.id: i.level for i in reference().identities}
    return identity.startswith("L_") or levels.get(identity, level) in COUNTED_LEVELS


def normalised(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        return "".join(value.split())
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value


def score_meta(expected: dict, document: dict, tally: Tally, score: DocScore) -> None:
    tally.meta_checked = 1
    for name in META_FIELDS:
        want, got = normalised(expected.get(name)), normalised(document.get(name))
        if name == "report_year" and got is not None:
            got = int(got)
        if want == got:
            setattr(tally, f"{name}_ok", 1)
        else:
            score.meta_wrong[name] = [want, got]
    # a date printed with year and month only: published_date is null, the month must still be right
    if "published_month" in expected and expected["published_month"] != document.get("published_month"):
        tally.published_date_ok = 0
        score.meta_wrong["published_month"] = [expected["published_month"], document.get("published_month")]


def score_facts(expected: dict, got: dict[str, Fact], tally: Tally, score: DocScore) -> None:
    for key, want in expected.get("facts", {}).items():
        tally.expected += 1
        tally.nonzero_expected += want != 0
        fact = got.get(key)
        if fact is None or fact.value is None:
            tally.missing += 1
            score.missing_keys.append(key)
        elif same_number(fact.value, want):
            tally.exact += 1
            tally.nonzero_exact += want != 0
        else:
            tally.wrong += 1
            tally.unit_factor_off += is_unit_factor(fact.value, want)
            score.wrong_keys.append(key)
    for key in expected.get("blank_cells", []):
        tally.blank_expected += 1
        fact = got.get(key)
        tally.blank_ok += fact is None or fact.value is None or fact.value == 0
    for key in expected.get("ambiguous_cells", []) or []:
        tally.ambiguous_expected += 1
        fact = got.get(key)
        if fact is not None and fact.value is not None:
            tally.ambiguous_valued += 1
            score.ambiguous_valued_keys.append(key)
    for key, want in (expected.get("narrative_facts") or {}).items():
        tally.narrative_expected += 1
        fact = got.get(key)
        tally.narrative_exact += fact is not None and fact.value is not None and same_number(fact.value, want)


def score_false_positives(expected: dict, got: dict[str, Fact], tally: Tally, score: DocScore) -> None:
    listed = set(expected.get("facts", {})) | set(expected.get("blank_cells", []))
    listed |= set(expected.get("ambiguous_cells", []) or []) | set(expected.get("narrative_facts") or {})
    for key, fact in got.items():
        if fact.value is not None and fact.method != "derived" and key not in listed:
            tally.false_positive += 1
            score.false_positive_keys.append(key)


def score_identities(expected: dict, result: DocumentResult, tally: Tally, score: DocScore) -> None:
    want = {i for i in expected.get("expected_failing_identities", []) if counted_identity(i)}
    failed = {c.identity for c in result.checks if c.passed is False and counted_identity(c.identity, c.level)}
    score.identities_caught = sorted(want & failed)
    score.identities_missed = sorted(want - failed)
    score.identities_false_alarm = sorted(failed - want)
    tally.identities_expected = len(want)
    tally.identities_caught = len(score.identities_caught)
    tally.identities_missed = len(score.identities_missed)
    tally.identities_false_alarm = len(score.identities_false_alarm)


def score_document(expected: dict, result: DocumentResult, folder: str = "") -> DocScore:
    """Compare one pipeline result with its expected.json."""
    doc = result.document
    fmt = doc.get("format") or FORMAT_OF_SUFFIX.get(Path(expected["document"]).suffix.lower(), "unknown")
    score = DocScore(expected["document"], folder, fmt, expected.get("template"), Tally(documents=1))
    got = facts_by_key(result.facts)
    score_meta(expected, doc, score.tally, score)
    score_facts(expected, got, score.tally, score)
    score_false_positives(expected, got, score.tally, score)
    score_identities(expected, result, score.tally, score)
    if doc.get("error"):
        score.error = str(doc["error"])
        score.tally.errors = 1
    return score


# ---------------------------------------------------------------- the corpus


def expected_files(root: Path) -> list[Path]:
    return sorted(Path(root).rglob("*.expected.json"))


def run_document(path: Path) -> DocumentResult:
    """process_document never raises by contract; a crash still scores (everything missing)."""
    try:
        return process_document(InputDoc.from_path(path))
    except Exception as exc:  # noqa: BLE001 - a crashing parser must not stop the evaluation
        return DocumentResult(document={"format": None, "error": f"{type(exc).__name__}: {exc}"})


def manifest_variations(folder: Path, cache: dict[Path, dict[str, list[str]]]) -> dict[str, list[str]]:
    """document name → its variation tags, from folder/manifest.json (empty without one)."""
    if folder not in cache:
        path = folder / "manifest.json"
        docs = json.loads(path.read_text(encoding="utf-8")).get("documents", []) if path.exists() else []
        cache[folder] = {d["document"]: list(dict.fromkeys(d.get("variations", []))) for d in docs}
    return cache[folder]


def score_corpus(root: Path, progress: ProgressCallback = no_progress) -> EvalReport:
    """Score every document under root that has an expected.json (its `document` field names the file)."""
    root = Path(root)
    report = EvalReport(root=str(root))
    manifests: dict[Path, dict[str, list[str]]] = {}
    files = expected_files(root)
    steps = Steps("eval", len(files), progress).start()
    for exp_path in files:
        expected = json.loads(exp_path.read_text(encoding="utf-8"))
        doc_path = exp_path.parent / expected["document"]
        folder = str(exp_path.parent.relative_to(root)) if exp_path.parent != root else "."
        if not doc_path.exists():
            result = DocumentResult(document={"format": None, "error": f"document not found: {doc_path.name}"})
        else:
            result = run_document(doc_path)
        score = score_document(expected, result, folder)
        score.variations = manifest_variations(exp_path.parent, manifests).get(expected["document"], [])
        report.docs.append(score)
        steps.advance(failed=int(bool(result.document.get("error"))))
    return report


# ---------------------------------------------------------------- printing


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.2f}% ({n}/{d})" if d else "-"


def tally_table(title: str, groups: dict[str, Tally]) -> Table:
    t = Table(title=title)
    for col in (
        "",
        "docs",
        "cells exact",
        "non-zero exact",
        "wrong",
        "unit off",
        "missing",
        "false pos.",
        "blank ok",
        "ambig. valued",
    ):
        t.add_column(col, justify="left" if not col else "right")
    for name, g in groups.items():
        t.add_row(
            name,
            str(g.documents),
            pct(g.exact, g.expected),
            pct(g.nonzero_exact, g.nonzero_expected),
            str(g.wrong),
            str(g.unit_factor_off),
            str(g.missing),
            str(g.false_positive),
            pct(g.blank_ok, g.blank_expected),
            f"{g.ambiguous_valued}/{g.ambiguous_expected}",
        )
    return t


def meta_table(groups: dict[str, Tally], title: str = "Document fields and identities") -> Table:
    t = Table(title=title)
    for col in ("", "doc_type", "template", "year", "agency", "date", "identities caught", "missed", "false alarms"):
        t.add_column(col, justify="left" if not col else "right")
    for name, g in groups.items():
        t.add_row(
            name,
            pct(g.doc_type_ok, g.meta_checked),
            pct(g.template_ok, g.meta_checked),
            pct(g.report_year_ok, g.meta_checked),
            pct(g.agency_ok, g.meta_checked),
            pct(g.published_date_ok, g.meta_checked),
            f"{g.identities_caught}/{g.identities_expected}",
            str(g.identities_missed),
            str(g.identities_false_alarm),
        )
    return t


def print_report(report: EvalReport, console: Console, worst: int = 10) -> None:
    total = report.total()
    console.print(tally_table("Cells by format", {**report.by("format"), "ALL": total}))
    console.print(tally_table("Cells by template", report.by("template")))
    if len(report.by("folder")) > 1:
        console.print(tally_table("Cells by folder", report.by("folder")))
    variations = report.by_variation()
    if variations:
        console.print(tally_table("Cells by variation", variations))
    console.print(meta_table({**report.by("format"), "ALL": total}))
    if variations:
        console.print(meta_table(variations, "Document fields and identities by variation"))
    console.print(
        f"narrative facts (stretch goal): {pct(total.narrative_exact, total.narrative_expected)}; "
        f"documents with an error: {total.errors}; values off by a unit factor: {total.unit_factor_off}"
    )
    bad = sorted(
        (d for d in report.docs if d.tally.accuracy < 1 or d.meta_wrong or d.tally.false_positive), key=worst_first
    )
    for d in bad[:worst]:
        console.print(
            f"[yellow]{d.folder}/{d.document}[/yellow]: {pct(d.tally.exact, d.tally.expected)}"
            f" wrong {d.wrong_keys[:3]} missing {d.missing_keys[:3]} false pos. {d.false_positive_keys[:3]}"
            f" fields {d.meta_wrong or '-'}{' error: ' + d.error if d.error else ''}"
        )
    console.print(f"[bold]accuracy: {pct(total.exact, total.expected)}[/bold] over {total.documents} documents")


def worst_first(d: DocScore) -> tuple[float, str]:
    return (d.tally.accuracy, d.document)


def threshold(value: float) -> float:
    """--min-accuracy takes 0.999 or 99.9."""
    return value / 100 if value > 1 else value


# ---------------------------------------------------------------- commands


def register(app: typer.Typer) -> None:
    @app.command(name="eval")
    def eval_command(
        directory: Path = typer.Argument(..., exists=True, file_okay=False, help="Folder with *.expected.json files."),
        min_accuracy: float = typer.Option(0.0, "--min-accuracy", help="Exit 1 below this (0.999 or 99.9)."),
        json_out: Path | None = typer.Option(None, "--json", help="Also write the full report as JSON here."),
        worst: int = typer.Option(10, help="How many imperfect documents to list."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    ) -> None:
        """Score the pipeline against every *.expected.json under DIRECTORY."""
        console = Console()
        if not console.is_terminal:
            console = Console(width=150)  # logs and CI: do not squeeze the tables to 80 columns
        with reporting(quiet) as shown:
            report = score_corpus(directory, shown)
        if not report.docs:
            console.print(f"[red]error:[/red] no *.expected.json under {directory}")
            raise typer.Exit(2)
        print_report(report, console, worst)
        if json_out:
            json_out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        if report.accuracy < threshold(min_accuracy):
            console.print(f"[red]below the threshold {threshold(min_accuracy):.4f}[/red]")
            raise typer.Exit(1)

    @app.command(name="generate")
    def generate_command(
        out: Path = typer.Argument(..., help="Folder to write NAME.<ext> + NAME.expected.json into."),
        seed: int | None = typer.Option(None, help="Random seed (default: the one data/samples was made with)."),
        count: int | None = typer.Option(None, help="Number of documents (default: the full variation matrix)."),
        formats: str = typer.Option(
            "html,pdf,text,docx,xlsx,pdf_layout",
            help="Comma-separated formats to write (pdf needs LibreOffice, pdf_layout also pdftotext).",
        ),
        quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    ) -> None:
        """Generate the deterministic sample corpus (realistic reports with their ground truth)."""
        from govreports.pipelines.generate.corpus import DEFAULT_SEED, generate_corpus

        chosen = tuple(f.strip() for f in formats.split(",") if f.strip())
        with reporting(quiet) as shown:
            seed = DEFAULT_SEED if seed is None else seed
            reports = generate_corpus(out, seed=seed, count=count, formats=chosen, progress=shown)
        typer.echo(f"wrote {len(reports)} documents with their expected.json to {out}")
