"""Hostile inputs built byte by byte (no files from outside the repo): minimal PDFs with an
Encrypt dictionary or a stream that inflates far past its size."""

from __future__ import annotations

import zlib


def pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF of the given object bodies (1 0 obj … n 0 obj), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


def one_page(content: bytes, filters: bytes = b"", trailer_extra: bytes = b"", extra: list[bytes] = ()) -> bytes:
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream(content, filters),
            *extra,
        ],
        trailer_extra,
    )


def encrypted_pdf() -> bytes:
    """Standard security handler, revision 2, with a user password: the O and U entries match
    no empty password, so no reader can open it without one."""
    encrypt = b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -4 >>"
    return one_page(
        b"", trailer_extra=b"/Encrypt 5 0 R /ID [<" + b"01" * 16 + b"> <" + b"01" * 16 + b">] ", extra=[encrypt]
    )


def bomb_pdf(inflated_mb: int) -> bytes:
    """A one-page PDF whose content stream is `inflated_mb` MB of spaces deflated (~1000:1)."""
    z = zlib.compressobj(9)
    block = b" " * (1 << 20)
    data = b"".join(z.compress(block) for _ in range(inflated_mb)) + z.flush()
    return one_page(data, b"/Filter /FlateDecode ")
