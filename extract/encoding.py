"""Decode bytes of HTML or text whose encoding is not declared reliably (UTF-8, GBK, GB18030…)."""

from __future__ import annotations

import codecs
import re
import threading

from charset_normalizer import from_bytes

from govreports.extract.limits import limit

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# GBK and GB2312 pages routinely contain GB18030-only characters; GB18030 is their superset.
SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030"}


def decode(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding). UTF-8 is tried first, then the declared charset, then detection."""
    text, encoding, _ = decode_counted(raw)
    return text, encoding


def decode_counted(raw: bytes) -> tuple[str, str, int]:
    """(text, encoding, bytes replaced). A candidate charset that decodes all but a tiny share
    of the bytes (limits.json decode_max_replaced_share) wins with U+FFFD in their place: one
    bad byte must not send a UTF-8 page to a wrong charset."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return _replacing(raw[3:], "utf-8")
    candidates = ["utf-8"]
    declared = META_CHARSET.search(raw[:4096])
    if declared:
        candidates.append(SUPERSETS.get(name := declared.group(1).decode("ascii").lower(), name))
    tolerated = max(1, int(len(raw) * limit("decode_max_replaced_share")))
    for name in candidates:
        try:
            text, encoding, replaced = _replacing(raw, name)
        except LookupError:
            continue
        if replaced <= tolerated:
            return text, encoding, replaced
    best = from_bytes(raw).best()
    if best is not None and best.encoding:
        return _replacing(raw, SUPERSETS.get(best.encoding.lower(), best.encoding.lower()))
    return _replacing(raw, "gb18030")


_counter = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counter.replaced += exc.end - exc.start
    return "\ufffd", exc.end


codecs.register_error("govreports-count", _count_and_replace)


def _replacing(raw: bytes, encoding: str) -> tuple[str, str, int]:
    """Decode with U+FFFD for each undecodable byte, and count the bytes replaced."""
    _counter.replaced = 0
    text = raw.decode(encoding, errors="govreports-count")
    return text, encoding, _counter.replaced
