"""Make matplotlib draw Chinese: register a CJK font and select it.

The pip package noto-cjk-sans-otc (a dev dependency) ships Noto Sans CJK; a
system font (Debian fonts-noto-cjk, WenQuanYi) works as well.
"""

from __future__ import annotations

import matplotlib
from matplotlib import font_manager

# Simplified Chinese faces first: the JP face of the same collection draws some hanzi differently.
CANDIDATES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
)


def _register_pip_font() -> None:
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return
    font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))


def use_cjk_font() -> str:
    """Select the first CJK font available and return its name; raise if there is none."""
    _register_pip_font()
    available = {f.name for f in font_manager.fontManager.ttflist}
    for name in CANDIDATES:
        if name in available:
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
            matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts lack U+2212
            return name
    raise RuntimeError("no CJK font found: pip install noto-cjk-sans-otc (or apt-get install fonts-noto-cjk)")
