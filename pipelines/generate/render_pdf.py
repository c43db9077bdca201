"""Word-style documents → PDF with LibreOffice headless, all documents in ONE soffice call.

soffice takes seconds to start, so the documents are written as Word-exported HTML
into one folder and converted together. A private profile folder keeps this run
apart from any other soffice on the machine.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from govreports.pipelines.generate.compose import Report
from govreports.pipelines.generate.render_html import render_word_document

SOFFICE_TIMEOUT_S = 600
PDFTOTEXT_TIMEOUT_S = 60


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdfs(reports: list[Report], out_dir: Path) -> list[Path]:
    """Write OUT/NAME.pdf for every report; raises when LibreOffice is missing or fails."""
    if not reports:
        return []
    exe = soffice()
    if exe is None:
        raise RuntimeError(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk"
        )
    with tempfile.TemporaryDirectory(prefix="govreports-pdf-") as tmp:
        work = Path(tmp)
        sources = []
        for r in reports:
            src = work / f"{r.plan.name}.html"
            src.write_text(render_word_document(r), encoding="utf-8")
            sources.append(src)
        cmd = [
            exe,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--norestore",
            "--infilter=HTML (StarWriter)",  # open as a Writer document, not a web page
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work / "pdf"),
            *map(str, sources),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=SOFFICE_TIMEOUT_S)
        written = []
        for r in reports:
            pdf = work / "pdf" / f"{r.plan.name}.pdf"
            if not pdf.exists():
                raise RuntimeError(f"LibreOffice wrote no PDF for {r.plan.name}")
            target = Path(out_dir) / pdf.name
            shutil.move(str(pdf), target)
            written.append(target)
        return written


def render_layout_texts(reports: list[Report], out_dir: Path) -> list[Path]:
    """OUT/NAME.txt = `pdftotext -layout` of the report's PDF: text copied from a PDF, columns by spaces."""
    if not reports:
        return []
    exe = shutil.which("pdftotext")
    if exe is None:
        raise RuntimeError("pdftotext is not installed: apt-get install poppler-utils")
    written = []
    with tempfile.TemporaryDirectory(prefix="govreports-layout-") as tmp:
        for pdf in render_pdfs(reports, Path(tmp)):
            target = Path(out_dir) / f"{pdf.stem}.txt"
            subprocess.run([exe, "-layout", "-enc", "UTF-8", str(pdf), str(target)], check=True,
                           capture_output=True, timeout=PDFTOTEXT_TIMEOUT_S)  # fmt: skip
            written.append(target)
    return written
