"""Extraction stage: a source file (PDF, Markdown or HTML) becomes a PolicyDocument.

Readers (``readers/``) differ only in how they turn a source into a RawDocument of
reader-neutral blocks (``blocks.py``); the shared assembler (``assemble/``) turns that
into the typed contract.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import sha256_file
from ..model.policy import PolicyDocument, Source, SourceFormat
from ..settings import BUDGET_ENV, SETTINGS, Budgets
from ..version import EXTRACTOR_VERSION
from .assemble import assemble
from .blocks import RawDocument
from .readers.html import read_html
from .readers.markdown import read_markdown
from .readers.pdf import LIBRARY_LOGGERS, PageProgress, read_pdf

__all__ = [
    "LIBRARY_LOGGERS",
    "Budgets",
    "PageProgress",
    "detect_format",
    "extract_file",
    "read_raw",
    "resolve_budgets",
]

_MARKDOWN_SUFFIXES = {".md", ".markdown", ".txt"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}

# what a file named .pdf really is, by its first bytes (the PDF reader would only say
# "no /Root object")
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"PK\x03\x04", "a ZIP archive (a Word or Excel file is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def resolve_budgets(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Budgets:
    """The budgets of one extraction: defaults, then environment variables, then overrides.

    ``overrides`` maps a budget's name (``max_seconds``, ...) to a value; None keeps the
    environment's or the default. A malformed environment value is an error naming it.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Budgets):
        raw = env.get(BUDGET_ENV[f.name])
        if raw:
            try:
                values[f.name] = float(raw) if f.type in ("float", float) else int(raw)
            except ValueError as err:
                raise InputError(BUDGET_ENV[f.name], f"not a number: {raw!r}") from err
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    budgets = dataclasses.replace(SETTINGS.budgets, **values)
    for name, value in dataclasses.asdict(budgets).items():
        if not value > 0:
            raise InputError(name, f"a budget must be positive, not {value}")
    return budgets


def _real_type(head: bytes) -> str | None:
    """What a file that is not a PDF is, by its magic bytes (None: unknown binary)."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    lowered = head.lstrip()[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<"):
        return "an XML or HTML document"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as err:
            if err.start < len(head) - 4:  # a multi-byte character cut at the end is fine
                return None
        return "a text file"
    return None


def detect_format(path: Path, head: bytes) -> SourceFormat:
    """Decide the reader from the content first, the suffix second."""
    stripped = head.lstrip()
    if stripped.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        kind = _real_type(head)
        raise InputError(path, f"{kind}, not a PDF" if kind else "not a PDF (no %PDF header)")
    if b"\x00" in head:
        raise InputError(path, "binary data, not a PDF, Markdown or HTML document")
    lowered = stripped[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or suffix in _HTML_SUFFIXES:
        return "html"
    if suffix in _MARKDOWN_SUFFIXES or not suffix:
        return "markdown"
    raise InputError(path, f"unsupported file type '{suffix}' (expected .pdf, .md, .txt, .html)")


def read_raw(
    path: Path,
    *,
    budgets: Budgets | None = None,
    jobs: int = 1,
    progress: PageProgress | None = None,
) -> tuple[RawDocument, str]:
    """Read a source into the reader-neutral form; returns it with the source sha256.

    ``budgets`` bound a PDF's extraction (default: :func:`resolve_budgets`), ``jobs``
    spreads its pages over processes (same output for any value), ``progress`` is
    called with (pages done, pages) after each page.
    """
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
        budgets = budgets if budgets is not None else resolve_budgets()
        raw = read_pdf(path, budgets, jobs=jobs, progress=progress)
    elif fmt == "html":
        raw = read_html(path)
    else:
        raw = read_markdown(path)
    return raw, sha256_file(path)


def extract_file(
    path: str | Path,
    *,
    budgets: Budgets | None = None,
    jobs: int = 1,
    progress: PageProgress | None = None,
) -> PolicyDocument:
    """Extract one source file into a validated PolicyDocument (see :func:`read_raw`)."""
    p = Path(path)
    raw, digest = read_raw(p, budgets=budgets, jobs=jobs, progress=progress)
    source = Source(
        path=p.name,
        sha256=digest,
        format=raw.format,
        pages=raw.pages,
        extractor_version=EXTRACTOR_VERSION,
    )
    return assemble(raw, source)
