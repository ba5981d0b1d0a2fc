"""Versions: of the package, and of the extractor, which moves with the extraction code.

``EXTRACTOR_VERSION`` is derived from the extraction code itself: the package version
plus a digest of every source file that decides what an extraction contains (the
readers and assembler in ``extract/``, the payer vocabulary in ``vocab/``, the tunables,
the text normalisers and the policy model). Any change to them gives a new extractor
version, so ``ingest`` re-extracts revisions stored by an older extractor and says
``replaced (extractor upgraded)``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["EXTRACTOR_VERSION", "__version__", "extractor_sources", "extractor_version"]

__version__ = "0.2.0"

_PACKAGE = Path(__file__).parent
# what decides the content of an extraction (folders are searched for *.py)
EXTRACTOR_INPUTS = ("extract", "vocab", "settings.py", "text.py", "model/policy.py")


def extractor_sources(root: Path = _PACKAGE) -> list[Path]:
    """The source files the extractor version is derived from, in a stable order."""
    files: list[Path] = []
    for name in EXTRACTOR_INPUTS:
        path = root / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def extractor_version(root: Path = _PACKAGE) -> str:
    """``<package version>+<12 hex digits>`` of the extraction sources' bytes."""
    digest = hashlib.sha256()
    for path in extractor_sources(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
        digest.update(b"\0")
    return f"{__version__}+{digest.hexdigest()[:12]}"


EXTRACTOR_VERSION = extractor_version()
