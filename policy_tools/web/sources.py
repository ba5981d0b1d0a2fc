"""Finding the source PDF of a stored revision (the store itself keeps only JSON).

In order: the copy kept in the store by sha256 (``<store>/.sources/<sha256>.pdf``,
written by ``ingest --keep-sources`` and by the upload), then a PDF of the same file
name in one of the ``--sources`` folders whose bytes have that sha256. The file name
comes from the revision JSON, so it is never joined to a folder: the folders are listed
and their file names compared. A miss is looked for again after
``SETTINGS.web.sources_rescan`` seconds (a PDF copied there meanwhile is found).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..io import sha256_file
from ..settings import SETTINGS
from ..store import find_source

__all__ = ["SourceFinder"]

FileId = tuple[str, int, int]


class SourceFinder:
    def __init__(self, store: Path, folders: Sequence[Path] = ()) -> None:
        self.store = store
        self.folders = [Path(f) for f in folders]
        self._names: dict[str, list[Path]] = {}
        self._listed_at = float("-inf")  # never listed
        self._hashes: dict[FileId, str] = {}
        self._lock = threading.Lock()

    def _relist(self) -> None:
        """Index the PDFs of the folders by file name (hidden files and folders skipped)."""
        names: dict[str, list[Path]] = {}
        for folder in self.folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder).parts
                if path.suffix.lower() == ".pdf" and not any(p.startswith(".") for p in rel):
                    names.setdefault(path.name, []).append(path)
        self._names, self._listed_at = names, time.monotonic()

    def _sha(self, path: Path) -> str | None:
        try:
            st = path.stat()
        except OSError:
            return None
        fid = (str(path), st.st_size, st.st_mtime_ns)
        if fid not in self._hashes:
            try:
                self._hashes[fid] = sha256_file(path)
            except OSError:
                return None
        return self._hashes[fid]

    def _in_folders(self, sha256: str, name: str) -> Path | None:
        for path in self._names.get(name, []):
            if self._sha(path) == sha256:
                return path
        return None

    def find(self, sha256: str, name: str) -> Path | None:
        """The PDF whose bytes have ``sha256`` (``name``: its file name when stored)."""
        kept = find_source(self.store, sha256)
        if kept is not None or not self.folders:
            return kept
        with self._lock:
            found = self._in_folders(sha256, name)
            stale = time.monotonic() - self._listed_at > SETTINGS.web.sources_rescan
            if found is None and stale:
                self._relist()
                found = self._in_folders(sha256, name)
            return found
