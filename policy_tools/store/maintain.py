"""Reading the catalog, ``store check [--repair]`` and ``store rebuild-index``.

- Reading (``versions``): the catalog brought in step with the files first (the whole
  store, or the one policy asked for); a store without a catalog, or one this process
  cannot lock (read-only), is read into an in-memory catalog and nothing is written.
- ``store check`` verifies every revision file (it reads as this version's policy JSON,
  its recorded source sha256 is a SHA-256 digest, and it agrees with its catalog row),
  the catalog's own integrity, leftover temp files and interrupted writes. It works on
  an in-memory copy of the catalog, so it writes nothing; ``--repair`` applies the same
  fixes to the store and re-extracts a damaged revision from the source it was ingested
  from when that file still has the recorded bytes.
- ``store rebuild-index`` reads every revision file again into the catalog (ingest
  times and source paths kept).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PolicyToolsError, StoreError
from ..io import sha256_file
from ..model.catalog import Catalog
from .catalog import (
    CATALOG_NAME,
    CatalogDB,
    Damage,
    existing_catalog,
    legacy_times,
    open_catalog,
    remove_catalog,
    to_catalog,
)
from .extraction import extract_file
from .keys import storage_key
from .layout import require_store, resolve_store, revision_path
from .lock import store_lock
from .sync import REBUILT, Mode, Problem, reconcile, sync_folder
from .write import write_revision


@dataclass
class StoreReport:
    """What a check, repair or rebuild found."""

    store: Path
    catalog: Path
    policies: int = 0
    revisions: int = 0
    problems: list[Problem] = field(default_factory=list)
    repair: bool = False

    @property
    def exit_code(self) -> int:
        """0 when the store is clean, 1 when anything was found (fixed or not)."""
        return 1 if self.problems else 0


def _counts(report: StoreReport, db: CatalogDB) -> StoreReport:
    rows = db.rows()
    report.policies, report.revisions = len({r.policy for r in rows}), len(rows)
    return report


def _read(db: CatalogDB, store: Path, policy: str | None, mode: Mode) -> list[Problem]:
    if policy is None:
        return reconcile(db, store, mode)
    with db.write():
        return sync_folder(db, store, policy, mode)


def _read_locked(db: CatalogDB, store: Path, policy: str | None) -> tuple[CatalogDB, list[Problem]]:
    """Sync the on-disk catalog under the lock; a store that cannot be locked (read-only)
    is read into an in-memory copy instead, and nothing is written."""
    try:
        with store_lock(store):
            return db, _read(db, store, policy, Mode())
    except StoreError:
        copy = db.copy_to_memory()
        db.close()
        return copy, _read(copy, store, policy, Mode(files=False))


def read_catalog(store_dir: Path | str | None, policy: str | None = None) -> Catalog:
    """The catalog in step with the files (of one policy, or of the whole store)."""
    store = require_store(resolve_store(store_dir))
    db = existing_catalog(store)
    if db is None:  # no catalog yet: derive one in memory, write nothing
        db = CatalogDB.memory()
        problems = _read(db, store, policy, Mode(files=False, fresh=True))
    else:
        db, problems = _read_locked(db, store, policy)
    try:
        lines = [p.line() for p in problems if not p.quiet]
        return to_catalog(store, db.rows(policy), lines)
    finally:
        db.close()


def _integrity(db: CatalogDB) -> list[Problem]:
    try:
        result = [str(r[0]) for r in db.conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as err:
        result = [str(err)]
    if result == ["ok"]:
        return []
    found = [line for r in result for line in r.splitlines() if line and "***" not in line]
    what = f"SQLite integrity check failed ({'; '.join(found[:3])})"
    return [Problem(db.path or Path(CATALOG_NAME), what, REBUILT)]


def _interrupted(db: CatalogDB, store: Path) -> list[Problem]:
    return [
        Problem(revision_path(store, p, d), "interrupted write (journal)", "folder re-read")
        for p, d in db.pending()
    ]


def check_store(store_dir: Path | str | None) -> StoreReport:
    """``store check``: every problem of the store, nothing written."""
    store = require_store(resolve_store(store_dir))
    report = StoreReport(store, store / CATALOG_NAME)
    disk = existing_catalog(store)
    if disk is None:  # derived data not built yet (or unreadable): verify the files alone
        if report.catalog.exists():
            what = "the catalog is not a readable SQLite database"
            report.problems.append(Problem(report.catalog, what, REBUILT))
        mem = CatalogDB.memory()
        reconcile(mem, store, Mode(files=False, fresh=True))
    else:
        try:
            report.problems += _integrity(disk) + _interrupted(disk, store)
            mem = disk.copy_to_memory()
        finally:
            disk.close()
    report.problems += reconcile(mem, store, Mode(files=False, verify=True))
    return _counts(report, mem)


def _reextract(db: CatalogDB, store: Path, d: Damage) -> str | None:
    """Rewrite a damaged revision from its recorded source; the action done, or None."""
    source = Path(d.source_path) if d.source_path else None
    if source is None or not source.is_file() or not d.sha256 or sha256_file(source) != d.sha256:
        return None
    try:
        doc = extract_file(source)
        if storage_key(doc, source)[:2] != (d.policy, d.effective_date):
            return None
    except PolicyToolsError:
        return None
    write_revision(db, store, (d.policy, d.effective_date), doc, str(source))
    return f"re-extracted from {source}"


def _repair_damaged(db: CatalogDB, store: Path, problems: list[Problem]) -> None:
    for d in db.damages():
        path = revision_path(store, d.policy, d.effective_date)
        action = _reextract(db, store, d)
        for p in problems:
            if p.path == path and p.action is None and action:
                p.action, p.done = action, True
        if action and not any(p.path == path for p in problems):
            problems.append(Problem(path, "damaged revision file", action, done=True))


def _open_sound(store: Path, report: StoreReport) -> tuple[CatalogDB, bool]:
    """The catalog, created again when it does not read or fails its integrity check;
    with whether it is new (to be read from the files whole)."""
    db, why = open_catalog(store)
    bad = _integrity(db)
    if bad:
        db.close()
        remove_catalog(report.catalog)
        db, why = open_catalog(store)[0], bad[0].what
    if why is not None and why != "created":
        report.problems.append(Problem(report.catalog, why, REBUILT, done=True))
    return db, why is not None


def repair_store(store_dir: Path | str | None) -> StoreReport:
    """``store check --repair``: the problems of the store, each fixed where it can be."""
    store = require_store(resolve_store(store_dir))
    report = StoreReport(store, store / CATALOG_NAME, repair=True)
    with store_lock(store):
        db, fresh = _open_sound(store, report)
        try:
            report.problems += _interrupted(db, store)
            mode = Mode(verify=True, fresh=fresh, legacy=legacy_times(store))
            report.problems += reconcile(db, store, mode)
            _repair_damaged(db, store, report.problems)
            for p in report.problems:
                p.done = p.done or p.action is not None
            return _counts(report, db)
        finally:
            db.close()


def rebuild_catalog(store_dir: Path | str | None) -> StoreReport:
    """``store rebuild-index``: every revision file read again into the catalog."""
    store = require_store(resolve_store(store_dir))
    report = StoreReport(store, store / CATALOG_NAME)
    with store_lock(store):
        db = open_catalog(store)[0]
        try:
            mode = Mode(verify=True, fresh=True, legacy=legacy_times(store))
            found = reconcile(db, store, mode)
            report.problems = [p for p in found if not p.quiet and not p.done]
            return _counts(report, db)
        finally:
            db.close()
