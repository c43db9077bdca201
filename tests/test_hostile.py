"""Hostile inputs (issue 10, items 7–15): every one is built here in tmp_path, mixed with good
sample files, and ingested in ONE run. Each bad file's recorded status and error are asserted
word for word, and the good files come out exactly as in a clean run of them alone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from govreports.extract.html import extract_html
from govreports.extract.model import RejectedInput
from govreports.load.lake import read_table
from govreports.pipelines.ingest import RunSummary, discover_all, ingest
from govreports.transform.align import ObservedRow, align, align_rows, sequences
from govreports.transform.reference import reference
from tests.hostile_files import bomb_pdf, encrypted_pdf

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
GOOD = ("gen000_gov_2021_2021.html", "gen010_gov_2021_2023.pdf", "gen063_gov_2021_2024.docx")
NUMBERS_HTML = """<html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="某某县财政局2023年政府信息公开工作年度报告"></head><body>
<p>二、主动公开政府信息情况</p><table>
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>
<tr><td>规章</td><td>99999999999999999999</td><td>1e9</td><td>\u22125</td></tr>
<tr><td>行政规范性文件</td><td>NaN</td><td>0x10</td><td>inf</td></tr></table></body></html>"""


def big_s3_table(html: bytes, rows: int) -> bytes:
    """The page with `rows` more rows in its section-三 table, right after （一）予以公开."""
    at = html.index("（一）予以公开".encode())
    at = html.index(b"</tr>", at) + len(b"</tr>")
    row = "<tr><td>（一）予以公开</td>".encode() + b"<td>1</td>" * 6 + b"<td>6</td></tr>\n"
    return html[:at] + row * rows + html[at:]


def copy_good(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in GOOD:
        shutil.copy(SAMPLES / name, folder / name)


def facts_by_source(out: Path) -> dict[str, list[tuple]]:
    """Each document's facts as sorted rows (without the doc_id), keyed by file name."""
    docs = read_table(out, "documents").to_pylist()
    names = {d["doc_id"]: d["file_name"] for d in docs}
    by: dict[str, list[tuple]] = {}
    for f in read_table(out, "facts").to_pylist():
        row = tuple(sorted((k, str(v)) for k, v in f.items() if k not in ("doc_id", "ingested_at")))
        by.setdefault(names[f["doc_id"]], []).append(row)
    return {k: sorted(v) for k, v in by.items()}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunSummary]:
    root = tmp_path_factory.mktemp("hostile")
    clean = root / "clean"
    copy_good(clean)
    ingest(discover_all([clean]), root / "clean_out")

    bad = root / "in"
    copy_good(bad)
    html = (SAMPLES / GOOD[0]).read_bytes()
    cut = html.index(b"</title>")
    (bad / "one_bad_byte.html").write_bytes(html[:cut] + b"\xff" + html[cut:])  # item 8
    body = html.index(b"<body")
    body = html.index(b">", body) + 1
    (bad / "deep_300.html").write_bytes(html[:body] + b"<font>" * 300 + html[body:])  # item 9
    (bad / "deep_3000.html").write_bytes(html[:body] + b"<font size=2>" * 3000 + html[body:] + b" ")
    (bad / "big_table.html").write_bytes(big_s3_table(html, 200_000))  # item 13
    (bad / "folder.pdf").mkdir()  # item 7: a path that cannot be read as a file
    (bad / "pdf_named.html").write_bytes((SAMPLES / GOOD[1]).read_bytes() + b"\n")  # item 10
    (bad / "docx_named.pdf").write_bytes((SAMPLES / GOOD[2]).read_bytes() + b"\0")
    (bad / "zip_named.pdf").write_bytes(b"PK\x03\x04" + b"\0" * 200)
    (bad / "encrypted.pdf").write_bytes(encrypted_pdf())  # item 11
    (bad / "bomb.pdf").write_bytes(bomb_pdf(300))  # item 15: 300 MB from ~300 KB
    (bad / "numbers.html").write_text(NUMBERS_HTML, encoding="utf-8")  # item 14
    (bad / "dangling.pdf").symlink_to(bad / "gone.pdf")  # item 12
    (bad / "self.html").symlink_to(bad / "self.html")
    (bad / "sub").mkdir()
    (bad / "sub" / "up").symlink_to(bad)
    out = root / "out"
    summary = ingest(discover_all([bad]), out)
    return out, summary


def documents(out: Path) -> dict[str, dict]:
    return {d["file_name"]: d for d in read_table(out, "documents").to_pylist()}


EXPECTED = {
    # file name: (status, format, error)
    "folder.pdf": ("failed", "pdf", "cannot read file: Is a directory"),
    "one_bad_byte.html": ("ok", "html", "1 undecodable bytes replaced with U+FFFD (decoded as utf-8)"),
    "pdf_named.html": ("ok", "pdf", "format mismatch: named .html, content is pdf"),
    "docx_named.pdf": ("ok", "docx", "format mismatch: named .pdf, content is docx"),
    "zip_named.pdf": ("failed", "pdf", "format mismatch: named .pdf, content is a ZIP archive but not DOCX or XLSX"),
    "encrypted.pdf": ("failed", "pdf", "encrypted PDF (user password required)"),
    "bomb.pdf": ("failed", "pdf", "decompressed size over limit: a stream inflates past 256 MB"),
    "numbers.html": ("ok", "html", None),
    "deep_300.html": ("ok", "html", None),
    "deep_3000.html": (
        "ok",
        "html",
        "HTML nested 2048+ levels deep: inline formatting tags removed to read it whole",
    ),
    "big_table.html": ("failed", "html", "a table has 200028 rows, over the limit of 20000 (max_table_rows)"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_input_gets_its_row_and_error(hostile_run, name: str) -> None:
    out, _ = hostile_run
    doc = documents(out)[name]
    assert (doc["status"], doc["format"], doc["error"]) == EXPECTED[name]


def test_good_files_are_ingested_exactly(hostile_run) -> None:
    out, summary = hostile_run
    clean = facts_by_source(out.parent / "clean_out")
    got = facts_by_source(out)
    assert set(clean) == set(GOOD)
    for name in GOOD:
        assert got[name] == clean[name], name
        assert len(clean[name]) > 50
    assert {d: documents(out)[d]["status"] for d in GOOD} == dict.fromkeys(GOOD, "ok")


def test_repaired_inputs_give_the_same_facts_as_their_clean_twin(hostile_run) -> None:
    out, _ = hostile_run
    got = facts_by_source(out)
    assert got["one_bad_byte.html"] == got[GOOD[0]]  # the bad byte sat in the title, not a value
    assert got["pdf_named.html"] == got[GOOD[1]]
    assert got["docx_named.pdf"] == got[GOOD[2]]
    assert got["deep_300.html"] == got["deep_3000.html"] == got[GOOD[0]]  # nothing after the nesting lost


def test_odd_and_out_of_range_numbers_are_null_with_a_reason(hostile_run) -> None:
    out, _ = hostile_run
    doc_id = documents(out)["numbers.html"]["doc_id"]
    facts = {f["key"]: f for f in read_table(out, "facts").to_pylist() if f["doc_id"] == doc_id}
    got = {k.split(".", 2)[2]: (f["value"], f["reason"]) for k, f in facts.items() if k.startswith("s2.art20_1.")}
    count = "(a count of documents / requests / cases; a billion is beyond any agency)"
    assert got == {
        "regulations.issued_this_year": (None, f"1e+20 is outside the plausible range -1e+09..1e+09 {count}"),
        "regulations.repealed_this_year": (None, "not a plain decimal number: '1e9'"),
        "regulations.in_force": (-5.0, None),  # U+2212 is a minus sign
        "normative_docs.issued_this_year": (None, "not a plain decimal number: 'NaN'"),
        "normative_docs.repealed_this_year": (None, "not a plain decimal number: '0x10'"),
        "normative_docs.in_force": (None, "not a plain decimal number: 'inf'"),
    }
    assert "out_of_range" in facts["s2.art20_1.regulations.issued_this_year"]["flags"]


def test_paths_that_cannot_be_read_are_listed_in_the_summary(hostile_run) -> None:
    out, summary = hostile_run
    bad = out.parent / "in"
    assert sorted(summary.skipped_paths) == sorted(
        [
            (str(bad / "dangling.pdf"), "dangling symlink (No such file or directory)"),
            (str(bad / "self.html"), "symlink loop"),
            (str(bad / "sub" / "up"), "symlink loop"),
        ]
    )
    assert summary.inputs == len(GOOD) + len(EXPECTED)
    assert summary.written == summary.inputs  # every input has its row, the run went on


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_file_without_read_permission_is_a_failed_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    copy_good(folder)
    locked = folder / "locked.html"
    locked.write_bytes((SAMPLES / GOOD[0]).read_bytes() + b" ")
    locked.chmod(0)
    ingest(discover_all([folder]), tmp_path / "out")
    doc = documents(tmp_path / "out")["locked.html"]
    assert (doc["status"], doc["error"]) == ("failed", "cannot read file: Permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists a chmod 000 folder")
def test_an_unlistable_folder_is_listed_in_the_summary(tmp_path: Path) -> None:
    locked = tmp_path / "in" / "locked"
    locked.mkdir(parents=True)
    locked.chmod(0)
    try:
        assert discover_all([tmp_path / "in"]).skipped == [(str(locked), "folder cannot be listed (Permission denied)")]
    finally:
        locked.chmod(0o755)


def test_html_nested_past_the_parser_depth_is_refused_not_cut() -> None:
    page = "<html><body>" + "<div>" * 3000 + "<p>deep</p></body></html>"
    with pytest.raises(RejectedInput, match=r"^HTML nested 2048\+ levels deep: the parser would cut the content$"):
        extract_html(page.encode())


def test_the_aligner_is_iterative_and_bounded() -> None:
    ref = reference()
    expected = sequences(ref, "gov_2021")[0]
    labels = [spec.labels[0] for spec in expected]
    rows = [ObservedRow(labels[i % len(labels)], labels[i % len(labels)], None, None) for i in range(2001)]
    total, pairs = align(rows[:1500], expected)  # the recursive version hit RecursionError here
    assert [j for _, j, _ in pairs] == list(range(len(expected)))  # one pass through the template
    observed = [i for i, _, _ in pairs]
    assert observed == sorted(set(observed))  # in order; every pass fits equally well
    assert all(rows[i].label == labels[j] for i, j, _ in pairs)
    assert len(align_rows(rows[:2000], ref, "gov_2021")) == len(expected)
    with pytest.raises(RejectedInput, match=r"^section 三 table has 2001 rows, over the limit of 2000"):
        align_rows(rows[:2001], ref, "gov_2021")
