"""The version store: ingest, catalog, listing and viewing of policy revisions.

Layout (``extracted/`` by default, ``--store DIR`` or ``$POLICY_TOOLS_STORE``)::

    <store>/<policy-key>/<effective-date>.json   one revision (io.dumps of a PolicyDocument)
    <store>/.catalog.sqlite                      the catalog (derived data, SQLite, WAL)
    <store>/.lock                                flock(2) guard for every store write
    <store>/.sources/<sha256>.pdf                source PDFs kept by ``--keep-sources``

The revision files are the truth (readable, diffable, kept in git); the catalog is
derived from them (``catalog.py``): one row per revision with its keys, sha256, review
type, coverage and ingest time, indexed for ``versions``, references and the sha256
pre-check of ingest, so adding a revision costs the same in a store of 10,000 as in an
empty one. ``store rebuild-index`` recreates it from the files; it is rebuilt by itself
when missing or unreadable. The JSON catalog ``index.json`` of earlier versions is read
once for its ingest times and removed (``versions --json`` is the export).

Upkeep (``sync.py``): every ingest removes leftover temp files of interrupted writes,
adds back revision files a crash left out of the catalog (a journal says where to
look) and names damaged revision files with the fix; ``store check`` verifies the whole
store and ``store check --repair`` fixes what can be fixed (``maintain.py``).

Ingest time: recorded when a revision is written, and the revision file's mtime is set
to that instant, so a rebuild keeps the time from the old catalog when it describes the
same source bytes, else takes the file mtime (equal to the ingest time unless the file
was copied or checked out without its mtime, e.g. by ``git clone``).

Ingest (``policy-tools ingest PATH...``): a file named on the command line is always
tried; folders are searched recursively for ``.pdf .md .txt .html .htm`` files, skipping
hidden files and folders and paperwork (README, LICENSE, CHANGELOG, MANIFEST.tsv, ...).
Bytes already in the catalog are ``unchanged`` without extraction (sha256 look-up; a new
extractor version re-extracts them). A different source for a stored policy + effective
date is refused (``failed``, stored file untouched) unless ``--replace``; a damaged
revision file is rewritten from the bytes it came from, or with ``--replace``. Sources
that were extracted but could not be stored (refused, or e.g. undatable) are remembered
by sha256 (the catalog's ``memo``) so re-ingesting them costs a hash, not an
extraction; failures that say nothing about the bytes (memory, a time budget, a killed
worker) are never remembered. ``--replace`` or a new extractor version bypasses that
memo. Extraction runs outside the lock (``--jobs N`` processes, ``pool.py``: a worker
that dies fails only the file it held); each store write holds the lock.

Policy key (``keys.py``): the policy number as printed when it is folder-safe
(``A-Z a-z 0-9 . _ -``), else its folder-safe form plus ``~`` and a short hash of the
number, so two printed numbers never share a folder. A document without a number (e.g.
the TennCare PDL criteria) is filed under a slug of its policy name, failing that of its
file name with dates removed, so later revisions of the same document land next to each
other; the summary says so. Effective date: ``policy.effective_date``; when absent, in
this order, the last review date, an ISO date in the file name (``..._2025-05-01.pdf``)
or the newest policy-history approval date, each said in the summary; a document with
none of them cannot be placed in the history and fails.
"""

from __future__ import annotations

from .catalog import CATALOG_NAME
from .ingest import INGEST_SUFFIXES, FileResult, IngestResult, collect_sources, ingest_paths
from .keys import policy_key, storage_key
from .layout import require_store
from .lock import store_lock
from .maintain import StoreReport, check_store, read_catalog, rebuild_catalog, repair_store
from .refs import (
    DATE_RE,
    STORE_ENV,
    Ref,
    list_policies,
    list_revisions,
    load_revision,
    read_revision_file,
    resolve_ref,
    resolve_store,
    revision_path,
)
from .sources import SOURCES_DIR, find_source, keep_source
from .sync import Problem

__all__ = [
    "CATALOG_NAME",
    "DATE_RE",
    "INGEST_SUFFIXES",
    "SOURCES_DIR",
    "STORE_ENV",
    "FileResult",
    "IngestResult",
    "Problem",
    "Ref",
    "StoreReport",
    "check_store",
    "collect_sources",
    "find_source",
    "ingest_paths",
    "keep_source",
    "list_policies",
    "list_revisions",
    "load_revision",
    "policy_key",
    "read_catalog",
    "read_revision_file",
    "rebuild_catalog",
    "repair_store",
    "require_store",
    "resolve_ref",
    "resolve_store",
    "revision_path",
    "storage_key",
    "store_lock",
]
