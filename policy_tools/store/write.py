"""Writing one revision: the journaled sequence every store write follows.

1. the write is journaled (``pending`` row committed);
2. the revision file is written atomically (temp file + rename), its mtime set to the
   ingest time;
3. its catalog row is committed, clearing the journal entry.

A process killed before 3 leaves a journal entry (and maybe a temp file); the next
ingest re-reads that policy's folder (``sync.heal``), so the catalog catches up with
whatever file is there. The caller holds the store lock.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..io import atomic_write_text, dumps, sha256_bytes
from ..model.policy import PolicyDocument
from .catalog import CatalogDB, RevisionRow, iso_time, revision_row
from .layout import revision_path


def write_revision(
    db: CatalogDB,
    store: Path,
    where: tuple[str, str],
    doc: PolicyDocument,
    source_path: str | None,
) -> RevisionRow:
    """Write ``doc`` as the revision ``where`` = (policy key, effective date)."""
    target = revision_path(store, *where)
    now = int(time.time())
    with db.write():
        db.begin(*where)
    text = dumps(doc)
    atomic_write_text(target, text)
    os.utime(target, (now, now))
    row = revision_row(
        doc, where, target.stat(), sha256_bytes(text.encode("utf-8")), iso_time(now), source_path
    )
    with db.write():
        db.put(row)
    return row
