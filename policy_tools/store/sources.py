"""Copies of source PDFs kept in the store, addressed by their sha256.

The revision files are JSON only; what needs the printed pages (``serve`` renders them
beside a comparison) finds a revision's PDF at ``<store>/.sources/<sha256>.pdf``.
``ingest --keep-sources`` and the web upload put it there. The name is the digest of
the bytes, so a copy is written once, checked while it is written, and never changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..io import atomic_write_bytes, read_chunks

__all__ = ["SOURCES_DIR", "find_source", "is_sha256", "keep_source", "source_copy"]

SOURCES_DIR = ".sources"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PDF_MAGIC = b"%PDF-"


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))


def source_copy(store: Path, sha256: str) -> Path:
    """Where the copy of the PDF with this digest lives (the digest is checked first)."""
    if not is_sha256(sha256):
        raise ValueError(f"not a sha256 digest: {sha256!r}")
    return store / SOURCES_DIR / f"{sha256}.pdf"


def find_source(store: Path, sha256: str) -> Path | None:
    """The kept copy of the PDF with this digest, or None."""
    if not is_sha256(sha256):
        return None
    path = source_copy(store, sha256)
    return path if path.is_file() else None


def _checked(path: Path, sha256: str) -> Iterator[bytes]:
    """The bytes of ``path``; raises InputError at the end when they are not ``sha256``."""
    digest = hashlib.sha256()
    for chunk in read_chunks(path):
        digest.update(chunk)
        yield chunk
    if digest.hexdigest() != sha256:
        raise InputError(path, "changed while it was copied (sha256 differs); copy not kept")


def keep_source(store: Path, path: Path, sha256: str) -> Path | None:
    """Keep a copy of the PDF ``path`` (whose digest is ``sha256``) in the store.

    Returns the copy, or None when ``path`` is not a PDF (only PDFs have pages to show).
    Written atomically; an existing copy is left as it is.
    """
    target = source_copy(store, sha256)
    if target.is_file():
        return target
    with open(path, "rb") as fh:
        if fh.read(len(PDF_MAGIC)) != PDF_MAGIC:
            return None
    atomic_write_bytes(target, _checked(path, sha256))
    return target
