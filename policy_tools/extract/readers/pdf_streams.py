"""What is read off a PDF's bytes before PDFium parses it: a cut-off file, the fonts'
descents as their descriptors print them, and streams that
inflate beyond the stream budget (a "flate bomb" would otherwise be decompressed whole
into memory by the parser). Image streams are left alone: reading text never decodes
them.

Every ``stream`` keyword of the file starts a candidate; its bytes are fed to zlib in
chunks with a bounded output buffer, so a 1 GiB bomb costs the budget's worth of
inflation and no more memory than one chunk. Bytes that are not a zlib stream (images,
encrypted or uncompressed streams) end the candidate at once.
"""

from __future__ import annotations

import mmap
import re
import zlib
from pathlib import Path
from typing import Any

from pdfminer.fontmetrics import FONT_METRICS
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import LIT, PSLiteral

__all__ = ["base_font", "font_descents", "has_eof_marker", "largest_stream"]

_FONT_DESCRIPTOR = LIT("FontDescriptor")
_SUBSET = re.compile(r"^[A-Z]{6}\+")

_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_DICT_WINDOW = 1024  # bytes before ``stream`` searched for the stream's dictionary
_CHUNK = 1 << 16
_TAIL = 2048  # the %%EOF marker sits in the last bytes (writers add a little padding)


def has_eof_marker(path: Path) -> bool:
    """Does the file end with ``%%EOF`` (a truncated download does not)?"""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - _TAIL))
        return b"%%EOF" in fh.read()


def _inflated_size(data: mmap.mmap, start: int, limit: int) -> int:
    """Bytes the zlib stream at ``start`` inflates to, counting stops past ``limit``."""
    inflater = zlib.decompressobj()
    total = 0
    pos = start
    try:
        while pos < len(data) and not inflater.eof:
            chunk = data[pos : pos + _CHUNK]
            pos += len(chunk)
            out = inflater.decompress(chunk, _CHUNK)
            total += len(out)
            while inflater.unconsumed_tail and not inflater.eof and total <= limit:
                out = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                total += len(out)
            if total > limit:
                return total
    except zlib.error:
        return total
    return total


def _is_image(data: mmap.mmap, at: int) -> bool:
    """Is the stream starting at ``at`` an image XObject (its dictionary says so)?"""
    window = data[max(0, at - _DICT_WINDOW) : at]
    own = window[window.rfind(b" obj") + 1 :] if b" obj" in window else window
    return bool(_IMAGE.search(own))


def largest_stream(path: Path, limit: int) -> tuple[int, int]:
    """(size, byte offset) of the stream that inflates most; stops at the first over ``limit``."""
    best = (0, 0)
    with open(path, "rb") as fh:
        try:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return best
        with data:
            for m in _STREAM.finditer(data):
                if _is_image(data, m.start()):
                    continue  # images are never decoded to read the text
                size = _inflated_size(data, m.end(), limit)
                if size > best[0]:
                    best = (size, m.start())
                if size > limit:
                    break
    return best


def base_font(name: str) -> str:
    """A font name without its subset tag ("ABCDEF+Arial-BoldMT" -> "Arial-BoldMT")."""
    return _SUBSET.sub("", name)


def _descent(descriptor: dict[str, Any]) -> float:
    value = resolve1(descriptor.get("Descent", 0))
    number = float(value) if isinstance(value, (int, float)) else 0.0
    return -abs(number) / 1000.0  # a positive Descent is a writer's mistake (pdfminer)


def font_descents(path: Path) -> dict[str, float] | None:
    """Each font's descent (per unit of size) as its FontDescriptor prints it.

    PDFium replaces a descriptor's zero Ascent/Descent with glyph metrics; pdfminer, and
    with it every box the layout rules were tuned on, takes the printed value. Fonts
    without a descriptor take the standard-14 metrics (or 0). None when the file's
    objects cannot be read this way (PDFium's own metrics are used then).
    """
    found: dict[str, set[float]] = {}
    try:
        with open(path, "rb") as fh:
            doc = PDFDocument(PDFParser(fh))
            for xref in doc.xrefs:
                for objid in xref.get_objids():
                    try:
                        obj = doc.getobj(objid)
                    except Exception:  # a damaged object is not a font descriptor
                        continue
                    if isinstance(obj, dict) and obj.get("Type") is _FONT_DESCRIPTOR:
                        name = resolve1(obj.get("FontName"))
                        if isinstance(name, PSLiteral):
                            key = base_font(str(name.name))
                            found.setdefault(key, set()).add(_descent(obj))
    except Exception:  # pdfminer raises many unrelated types on odd files
        return None
    out = {
        name: -abs(float(metrics[0].get("Descent", 0))) / 1000.0  # type: ignore[arg-type]
        for name, metrics in FONT_METRICS.items()
    }
    out.update({name: values.pop() for name, values in found.items() if len(values) == 1})
    for name, values in found.items():
        if len(values) > 1:
            out.pop(name, None)  # subsets that disagree: PDFium's metrics decide
    return out
