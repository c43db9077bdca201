"""Label normalisation and fuzzy matching against the labels in the mapping tables."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

PUNCT = re.compile(r"[\s\u00a0\u3000\"'“”‘’「」:：;；,，。·•*\-_—]+")
ENUM_SEP = re.compile(r"(?<=[\d一二三四五六七八九十)])[、.．]")


@lru_cache(maxsize=65536)
def norm(label: str) -> str:
    """Full-width → half-width, no spaces or quotes, enumerators unified ('1、' '1．' → '1.')."""
    text = unicodedata.normalize("NFKC", label or "")
    text = PUNCT.sub("", text)
    return ENUM_SEP.sub(".", text)


@lru_cache(maxsize=262144)
def similarity(observed: str, expected: str) -> float:
    """0..1; containment of the expected label counts as a near match (notes, extra words)."""
    a, b = norm(observed), norm(expected)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    if len(b) >= 4 and b in a:
        ratio = max(ratio, 0.9)
    if len(a) >= 4 and a in b:
        ratio = max(ratio, 0.85 * len(a) / len(b) + 0.1)
    return ratio


@lru_cache(maxsize=262144)
def best_similarity(observed: str, labels: tuple[str, ...]) -> float:
    """The best similarity to any of a row's labels; cached because every row label of a document
    is scored against every row spec of its section (and the same labels recur across documents)."""
    return max((similarity(observed, lab) for lab in labels), default=0.0)


def strip_enumerator(label: str) -> str:
    """'（三）不予公开' → '不予公开'; '1.属于国家秘密' → '属于国家秘密'."""
    return re.sub(r"^(\(?[一二三四五六七八九十\d]+\)?\.?)", "", norm(label))
