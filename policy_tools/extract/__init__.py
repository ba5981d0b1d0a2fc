"""Extraction stage: a source file (PDF, Markdown or HTML) becomes a PolicyDocument.

Readers differ only in how they turn a source into a RawDocument; ``assemble``
turns that into the typed contract.
"""

from __future__ import annotations

from pathlib import Path

from .. import EXTRACTOR_VERSION
from ..errors import InputError
from ..io import sha256_file
from ..models import PolicyDocument, Source, SourceFormat
from .assemble import assemble
from .blocks import RawDocument

__all__ = ["detect_format", "extract_file", "read_raw"]

_MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}


def detect_format(path: Path, head: bytes) -> SourceFormat:
    """Decide the reader from the content first, the suffix second."""
    stripped = head.lstrip()
    if stripped.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"  # the PDF reader reports what is wrong with it
    if b"\x00" in head:
        raise InputError(path, "binary data, not a PDF, Markdown or HTML document")
    lowered = stripped[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or suffix in _HTML_SUFFIXES:
        return "html"
    if suffix in _MARKDOWN_SUFFIXES or not suffix:
        return "markdown"
    raise InputError(path, f"unsupported file type '{suffix}' (expected .pdf, .md, .txt, .html)")


def read_raw(path: Path) -> tuple[RawDocument, str]:
    """Read a source into the reader-neutral form; returns it with the source sha256."""
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, not a file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from err
    if not head:
        raise InputError(path, "empty file (0 bytes)")
    fmt = detect_format(path, head)
    if fmt == "pdf":
        from .pdf import read_pdf

        raw = read_pdf(path)
    elif fmt == "html":
        from .html import read_html

        raw = read_html(path)
    else:
        from .markdown import read_markdown

        raw = read_markdown(path)
    return raw, sha256_file(path)


def extract_file(path: str | Path) -> PolicyDocument:
    """Extract one source file into a validated PolicyDocument."""
    p = Path(path)
    raw, digest = read_raw(p)
    source = Source(
        path=p.name,
        sha256=digest,
        format=raw.format,
        pages=raw.pages,
        extractor_version=EXTRACTOR_VERSION,
    )
    return assemble(raw, source)
