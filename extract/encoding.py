"""Decode bytes of HTML or text whose encoding is not declared reliably (UTF-8, GBK, GB18030…)."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# GBK and GB2312 pages routinely contain GB18030-only characters; GB18030 is their superset.
SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


def decode(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 is tried first, then the declared charset, then detection."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = META_CHARSET.search(raw[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = SUPERSETS.get(name, name)
        try:
            return raw.decode(name), name
        except (UnicodeDecodeError, LookupError):
            pass
    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        enc = SUPERSETS.get(best.encoding.lower(), best.encoding.lower())
        return raw.decode(enc, errors="replace"), enc
    return raw.decode("gb18030", errors="replace"), "gb18030"
