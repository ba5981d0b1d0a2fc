"""A tiny PDF writer for hostile test files (not a test module).

Hostile files need bytes no well-behaved library writes: a MediaBox of ``[0 0 abc]``,
a page tree 3,000 levels deep, a content stream that inflates to 1 GiB. Each file is
built here from plain objects with a correct cross-reference table; nothing binary is
committed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


@dataclass
class PdfBuilder:
    """Objects are numbered in the order they are added (1, 2, ...)."""

    objects: list[bytes] = field(default_factory=list)

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def set(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def stream(self, data: bytes, extra: bytes = b"", deflate: bool = False) -> int:
        if deflate:
            data = zlib.compress(data, 9)
            extra += b" /Filter /FlateDecode"
        head = b"<< /Length %d%s >>\nstream\n" % (len(data), extra)
        return self.add(head + data + b"\nendstream")

    def raw_stream(self, data: bytes, extra: bytes) -> int:
        """A stream whose bytes are given already encoded (``extra`` names the filter)."""
        head = b"<< /Length %d%s >>\nstream\n" % (len(data), extra)
        return self.add(head + data + b"\nendstream")

    def write(self, path: Path, root: int) -> Path:
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(self.objects) + 1, root)
        out += b"startxref\n%d\n%%%%EOF\n" % xref
        path.write_bytes(bytes(out))
        return path


def text_ops(
    lines: Iterable[str], size: float = 11, top: float = 740, leading: float = 14
) -> bytes:
    """Content-stream operators printing ``lines`` in Helvetica, one under the other.

    Characters beyond Latin-1 are written as the one-byte codes of :data:`MAPPED` (the
    ToUnicode map of :func:`mapped_font` gives them their code points back)."""
    out = [b"BT /F1 %g Tf %g TL 72 %g Td" % (size, leading, top)]
    for line in lines:
        raw = bytes(MAPPED.get(ch, ord(ch)) for ch in line)
        escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        out.append(b"(" + escaped + b") Tj T*")
    out.append(b"ET")
    return b"\n".join(out)


# code points a test prints that Latin-1 cannot hold, and the code each is written as
MAPPED = {"\u202e": 0x01, "\u2066": 0x02}


def mapped_font(pdf: PdfBuilder) -> int:
    """Helvetica with a ToUnicode map: every byte is its own code point, but for MAPPED."""
    pairs = [(code, ord(ch)) for ch, code in MAPPED.items()]
    pairs += [(b, b) for b in range(0x03, 0x100)]
    body = b"\n".join(b"<%02X> <%04X>" % pair for pair in pairs)
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Test def 1 begincodespacerange <00> <FF> endcodespacerange\n"
        b"%d beginbfchar\n%s\nendbfchar endcmap CMapName currentdict /CMap defineresource pop "
        b"end end" % (len(pairs), body)
    )
    to_unicode = pdf.stream(cmap)
    return pdf.add(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode %d 0 R >>" % to_unicode
    )


def simple_pdf(
    path: Path,
    pages: Iterable[bytes],
    media_box: bytes = b"[0 0 612 792]",
    deflate: bool = False,
) -> Path:
    """A PDF of one page per content stream, all in Helvetica."""
    pdf = PdfBuilder()
    catalog = pdf.reserve()
    tree = pdf.reserve()
    font = mapped_font(pdf)
    kids = []
    for content in pages:
        stream = pdf.stream(content, deflate=deflate)
        kids.append(
            pdf.add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (tree, media_box, stream, font)
            )
        )
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    pdf.set(tree, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids)))
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return pdf.write(path, catalog)


def deep_tree_pdf(path: Path, depth: int) -> Path:
    """One page at the bottom of a page tree ``depth`` levels deep."""
    pdf = PdfBuilder()
    catalog = pdf.reserve()
    font = pdf.add(HELVETICA)
    stream = pdf.stream(text_ops(["Policy Number: DEEP-1", "A page very deep down."]))
    nodes = [pdf.reserve() for _ in range(depth)]
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (nodes[-1], stream, font)
    )
    for level, node in enumerate(nodes):
        child = nodes[level + 1] if level + 1 < depth else page
        parent = b" /Parent %d 0 R" % nodes[level - 1] if level else b""
        pdf.set(node, b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (child, parent))
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % nodes[0])
    return pdf.write(path, catalog)


def _deflate_chunks(chunk: bytes, times: int) -> Iterator[bytes]:
    squeeze = zlib.compressobj(9)
    for _ in range(times):
        yield squeeze.compress(chunk)
    yield squeeze.flush()


def bomb_pdf(path: Path, inflated_mib: int, filler: bytes = b" " * (1 << 20)) -> Path:
    """A one-page PDF whose content stream inflates to ``inflated_mib`` MiB."""
    data = b"".join(_deflate_chunks(filler, inflated_mib * (1 << 20) // len(filler)))
    pdf = PdfBuilder()
    catalog = pdf.reserve()
    tree = pdf.reserve()
    stream = pdf.raw_stream(data, b" /Filter /FlateDecode")
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R >>"
        % (tree, stream)
    )
    pdf.set(tree, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return pdf.write(path, catalog)


def unmapped_bullets_pdf(path: Path, items: list[str]) -> Path:
    """A list whose bullets are glyphs of a font without any Unicode map.

    The bullet font is a Type3 font whose glyphs are named ``g127`` (a filled square, the
    bullet) and ``g128`` (an ornament): no ToUnicode, no standard glyph names, which is
    how pdfminer comes to print "(cid:127)". Each item is "<bullet> text"; a lone ornament
    ends the page.
    """
    pdf = PdfBuilder()
    catalog = pdf.reserve()
    tree = pdf.reserve()
    text_font = pdf.add(HELVETICA)
    square = pdf.stream(b"600 0 100 100 500 500 d1 100 100 400 400 re f")
    ornament = pdf.stream(b"600 0 50 50 550 550 d1 50 50 m 550 300 l 50 550 l f")
    symbol = pdf.add(
        b"<< /Type /Font /Subtype /Type3 /FontBBox [0 0 600 600] "
        b"/FontMatrix [0.001 0 0 0.001 0 0] /CharProcs << /g127 %d 0 R /g128 %d 0 R >> "
        b"/Encoding << /Type /Encoding /Differences [127 /g127 /g128] >> "
        b"/FirstChar 127 /LastChar 128 /Widths [600 600] /Resources << >> >>" % (square, ornament)
    )
    ops = [b"BT /F1 14 Tf 72 740 Td (Initial Approval Criteria) Tj ET"]
    for n, item in enumerate(items):
        y = 710 - 18 * n
        ops.append(b"BT /F2 11 Tf 72 %d Td <7F> Tj ET" % y)
        ops.append(b"BT /F1 11 Tf 90 %d Td (%s) Tj ET" % (y, item.encode("latin-1")))
    ops.append(b"BT /F2 11 Tf 72 %d Td <80> Tj ET" % (700 - 18 * len(items)))
    stream = pdf.stream(b"\n".join(ops))
    page = pdf.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>" % (tree, stream, text_font, symbol)
    )
    pdf.set(tree, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.set(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % tree)
    return pdf.write(path, catalog)
