"""Guard against PDF decompression bombs: inflate every Flate stream chunk by chunk, counting
and discarding the output, before PDFium is given the file. A stream or a document that
inflates past its limit (limits.json, env GOVREPORTS_MAX_INFLATED_MB and
GOVREPORTS_MAX_INFLATED_STREAM_MB) is refused, with memory bounded by one chunk."""

from __future__ import annotations

import re
import zlib

from govreports.extract.limits import limit
from govreports.extract.model import RejectedInput

STREAM = re.compile(rb"stream\r?\n")
IN_CHUNK = 1 << 16
OUT_CHUNK = 1 << 20
MB = 1 << 20


def inflated_size(raw: bytes, start: int, cap: int) -> int:
    """Bytes the zlib stream at raw[start:] inflates to, counting stops just past `cap`; 0 when
    no zlib stream starts there (an image, an uncompressed stream)."""
    d = zlib.decompressobj()
    total = 0
    pos = start
    try:
        while pos < len(raw) and not d.eof and total <= cap:
            out = d.decompress(raw[pos : pos + IN_CHUNK], OUT_CHUNK)
            pos += IN_CHUNK
            total += len(out)
            while d.unconsumed_tail and total <= cap:
                total += len(d.decompress(d.unconsumed_tail, OUT_CHUNK))
    except zlib.error:
        return total
    return total


def check_inflated(raw: bytes) -> int:
    """Raise RejectedInput when one stream or all together inflate past the limits; else the total."""
    per_stream = int(limit("max_inflated_stream_mb") * MB)
    per_document = int(limit("max_inflated_mb") * MB)
    total = 0
    for m in STREAM.finditer(raw):
        size = inflated_size(raw, m.end(), min(per_stream, per_document - total))
        total += size
        if size > per_stream:
            raise RejectedInput(f"decompressed size over limit: a stream inflates past {per_stream // MB} MB")
        if total > per_document:
            raise RejectedInput(f"decompressed size over limit: streams inflate past {per_document // MB} MB")
    return total
