"""The version store: ingest, catalog, listing and viewing of policy revisions.

Layout (``extracted/`` by default, ``--store DIR`` or ``$POLICY_TOOLS_STORE``)::

    <store>/<policy-key>/<effective-date>.json   one revision (io.dumps of a PolicyDocument)
    <store>/index.json                           the catalog (derived data)
    <store>/.lock                                flock(2) guard for every store write
    <store>/.sources/<sha256>.pdf                source PDFs kept by ``--keep-sources``

The revision files are the truth; ``index.json`` is derived from them and can be
recreated with :func:`rebuild_index`. The catalog lists, per policy, its revisions
(oldest first) with effective date, review type (the newest policy-history row),
source file name, source sha256, format, pages, extractor version and ingest time.

Ingest time: recorded when a revision is written, and the revision file's mtime is set
to that instant, so a rebuild keeps the time from the old catalog when it describes the
same source bytes, else takes the file mtime (equal to the ingest time unless the file
was copied or checked out without its mtime, e.g. by ``git clone``).

Ingest (``policy-tools ingest PATH...``): a file named on the command line is always
tried; folders are searched recursively for ``.pdf .md .txt .html .htm`` files, skipping
hidden files and folders and paperwork (README, LICENSE, CHANGELOG, MANIFEST.tsv, ...).
Bytes already in the catalog are ``unchanged`` without extraction (sha256 look-up; a new
extractor version re-extracts them). A different source for a stored policy + effective
date is refused (``failed``, stored file untouched) unless ``--replace``. Sources that were
extracted but could not be stored (refused, or e.g. undatable) are remembered by sha256
in ``<store>/.ingest-cache.json`` so re-ingesting them costs a hash, not an extraction;
``--replace`` or a new extractor version bypasses that memo. Extraction runs outside the
lock (``--jobs N`` processes); each store write holds the lock.

Policy key: the policy number as printed (characters outside ``A-Z a-z 0-9 . _ -``
become ``-``). A document without a number (e.g. the TennCare PDL criteria) is filed
under a slug of its policy name, failing that of its file name with dates removed, so
later revisions of the same document land next to each other; the summary says so.
Effective date: ``policy.effective_date``; when absent, in this order, the last review
date, an ISO date in the file name (``..._2025-05-01.pdf``) or the newest policy-history
approval date, each said in the summary; a document with none of them cannot be placed
in the history and fails.
"""

from __future__ import annotations

from .catalog import INDEX_NAME, build_index, catalog, read_index, rebuild_index
from .ingest import INGEST_SUFFIXES, FileResult, IngestResult, collect_sources, ingest_paths
from .keys import storage_key
from .lock import store_lock
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

__all__ = [
    "DATE_RE",
    "INDEX_NAME",
    "INGEST_SUFFIXES",
    "SOURCES_DIR",
    "STORE_ENV",
    "FileResult",
    "IngestResult",
    "Ref",
    "build_index",
    "catalog",
    "collect_sources",
    "find_source",
    "ingest_paths",
    "keep_source",
    "list_policies",
    "list_revisions",
    "load_revision",
    "read_index",
    "read_revision_file",
    "rebuild_index",
    "resolve_ref",
    "resolve_store",
    "revision_path",
    "storage_key",
    "store_lock",
]
