"""Extraction stage: a source file (PDF, Markdown or HTML) becomes a PolicyDocument.

Readers (``readers/``) differ only in how they turn a source into a RawDocument of
reader-neutral blocks (``blocks.py``); the shared assembler (``assemble/``) turns that
into the typed contract.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..io import sha256_file
from ..model.policy import PolicyDocument, Source, SourceFormat
from ..version import EXTRACTOR_VERSION
from .assemble import assemble
from .blocks import RawDocument
from .readers.html import read_html
from .readers.markdown import read_markdown
from .readers.pdf import read_pdf

__all__ = ["detect_format", "extract_file", "read_raw"]

_MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_READERS = {"pdf": read_pdf, "html": read_html, "markdown": read_markdown}


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
    raw = _READERS[detect_format(path, head)](path)
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
