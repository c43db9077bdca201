"""Reports as scans: image-only PDFs of the generated PDFs, upright, turned or skewed.

What a scanner makes of a printed report: each page rendered to a grayscale image (no
text layer), optionally turned by quarter turns (a page fed sideways or upside down)
and skewed by a few degrees (a page fed at a slant).
"""

from __future__ import annotations

import io

# (variation, quarter turn in degrees, skew in degrees): the scan renderings of the samples
SCAN_STYLES = {
    "scan_upright": (0, 0.0),
    "scan_rotated_90": (90, 0.0),
    "scan_rotated_180": (180, 0.0),
    "scan_rotated_270": (270, 0.0),
    "scan_skewed": (0, 2.5),
}


def scan_of(raw: bytes, dpi: int = 150, pages: list[int] | None = None, turn: int = 0, skew: float = 0.0) -> bytes:
    """An image-only PDF of a PDF's pages (0-based `pages`, default all), turned and skewed."""
    import pypdfium2
    from PIL import Image

    pdf = pypdfium2.PdfDocument(raw)
    try:
        images = [pdf[i].render(scale=dpi / 72).to_pil().convert("L") for i in pages or range(len(pdf))]
    finally:
        pdf.close()
    if skew:
        images = [im.rotate(skew, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255) for im in images]
    if turn:
        images = [im.rotate(turn, expand=True) for im in images]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def render_scan(raw_pdf: bytes, style: str, dpi: int = 150) -> bytes:
    turn, skew = SCAN_STYLES[style]
    return scan_of(raw_pdf, dpi=dpi, turn=turn, skew=skew)
