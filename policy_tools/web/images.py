"""Page images of source PDFs, rendered with PDFium and cached in the store.

``<store>/.pages/<sha256>/<page>-<scale>.png`` holds one rendered page;
``<store>/.pages/<sha256>/pages.json`` the size of every page in PDF points (what the
highlight boxes are drawn over). Both are written atomically, named by the digest of
the PDF's bytes, so they never go stale; a store that cannot be written to still gets
its images, only uncached. PDFium is not thread-safe: one lock serialises every call.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from ..errors import InputError
from ..io import atomic_write_bytes, dumps
from ..settings import SETTINGS
from ..store.sources import is_sha256

__all__ = ["PAGES_DIR", "PageSize", "page_png", "page_sizes", "pages_folder"]

PAGES_DIR = ".pages"
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageSize:
    width: float  # PDF points, as rendered (crop box, rotation applied)
    height: float


def pages_folder(store: Path, sha256: str) -> Path:
    if not is_sha256(sha256):
        raise ValueError(f"not a sha256 digest: {sha256!r}")
    return store / PAGES_DIR / sha256


def _open(pdf: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError) as err:
        raise InputError(pdf, f"PDFium cannot open it ({err})") from err


def _store_quietly(path: Path, data: bytes) -> None:
    """Cache ``data``; a read-only store only means no cache."""
    with contextlib.suppress(OSError):
        atomic_write_bytes(path, data)


def page_sizes(store: Path, sha256: str, pdf: Path) -> list[PageSize]:
    """The size of every page of ``pdf`` (whose digest is ``sha256``), cached."""
    cached = pages_folder(store, sha256) / "pages.json"
    try:
        data = json.loads(cached.read_text(encoding="utf-8"))
        return [PageSize(float(w), float(h)) for w, h in data["pages"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with _PDFIUM:
        doc = _open(pdf)
        try:
            sizes = [PageSize(*doc[i].get_size()) for i in range(len(doc))]
        finally:
            doc.close()
    payload = {"pages": [[round(s.width, 3), round(s.height, 3)] for s in sizes]}
    _store_quietly(cached, dumps(payload).encode("utf-8"))
    return sizes


def _scale_for(size: PageSize, scale: float) -> float:
    """``scale``, reduced so that the image stays within ``max_page_pixels``."""
    pixels = size.width * size.height * scale * scale
    limit = SETTINGS.web.max_page_pixels
    return scale if pixels <= limit else math.sqrt(limit / (size.width * size.height))


def page_png(store: Path, sha256: str, pdf: Path, page: int, scale: float) -> bytes:
    """PNG of 1-based ``page`` of ``pdf`` at ``scale`` (pixels per point), cached."""
    cached = pages_folder(store, sha256) / f"{page}-{scale:g}.png"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    with _PDFIUM:
        doc = _open(pdf)
        try:
            if not 1 <= page <= len(doc):
                raise InputError(pdf, f"has no page {page} (pages 1-{len(doc)})")
            pg = doc[page - 1]
            size = PageSize(*pg.get_size())
            image = pg.render(scale=_scale_for(size, scale)).to_pil()
        finally:
            doc.close()
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=SETTINGS.web.png_level)
    data = buf.getvalue()
    _store_quietly(cached, data)
    return data
