"""Decode an HTTP body's Content-Encoding layers with the size cap enforced while decoding.

httpx inflates each received chunk in one call, so a 5 KB `Content-Encoding: gzip, gzip`
response becomes gigabytes in memory before any cap is checked. Here every layer inflates
at most `PIECE` bytes per call and counts what it has produced, so memory stays within
the cap plus one piece per layer, and the body is refused as soon as any layer passes the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

PIECE = 1 << 16  # most bytes one layer inflates per call
# What we ask for and can decode with a bound; a server sending anything else is refused.
ACCEPT_ENCODING = "gzip, deflate"
IDENTITY = {"identity", ""}
GZIP_MAGIC = b"\x1f\x8b"  # bytes after a gzip member that do not start another are ignored, as httpx does


class BodyTooLarge(Exception):
    """A layer produced more than the cap."""


class BadContentEncoding(Exception):
    """An encoding we cannot decode, or a body that is not valid in its encoding."""


def _inflater(encoding: str) -> zlib._Decompress:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    return zlib.decompressobj()  # deflate: the zlib format (raw deflate is tried on the first error)


class Layer:
    """One Content-Encoding layer: compressed pieces in, inflated pieces of at most PIECE bytes out."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding, self.cap = encoding, cap
        self.produced = 0
        self.d = _inflater(encoding)
        self.started = False  # any output yet (a raw-deflate retry is only safe before)

    def feed(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for data in pieces:
            yield from self._inflate(data)

    def flush(self) -> Iterator[bytes]:
        out = self.d.flush()
        if out:
            yield self._count(out)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self.d.decompress(data, PIECE)
            except zlib.error as exc:
                if self.encoding == "deflate" and not self.started:
                    self.d, self.started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise BadContentEncoding(f"body is not valid {self.encoding}: {exc}") from exc
            self.started = True
            if out:
                yield self._count(out)
            data = self.d.unconsumed_tail
            if not data and len(out) == PIECE:
                data = b""  # output was cut at PIECE: drain what zlib still holds, one piece at a time
                while len(out) == PIECE:
                    out = self.d.decompress(b"", PIECE)
                    if out:
                        yield self._count(out)
            if self.d.eof and self.d.unused_data.startswith(GZIP_MAGIC) and self.encoding in ("gzip", "x-gzip"):
                data = self.d.unused_data  # another gzip member follows (RFC 1952 allows several)
                self.d = _inflater(self.encoding)

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.cap:
            raise BodyTooLarge(self.encoding)
        return out


class BoundedDecoder:
    """All layers of a Content-Encoding header, undone in reverse order of application."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        names = [e.strip().lower() for e in (content_encoding or "").split(",")]
        names = [n for n in names if n not in IDENTITY]
        unknown = [n for n in names if n not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise BadContentEncoding(f"unsupported Content-Encoding: {', '.join(unknown)}")
        self.names = names
        self.layers = [Layer(n, cap) for n in reversed(names)]

    def decode(self, raw: bytes) -> Iterator[bytes]:
        return self._through([raw], 0)

    def finish(self) -> Iterator[bytes]:
        for i, layer in enumerate(self.layers):
            yield from self._through(layer.flush(), i + 1)

    def _through(self, pieces: Iterable[bytes], start: int) -> Iterator[bytes]:
        for layer in self.layers[start:]:
            pieces = layer.feed(pieces)
        yield from pieces
