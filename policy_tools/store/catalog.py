"""The catalog ``<store>/.catalog.sqlite``: derived data about the revision files.

SQLite (standard library ``sqlite3``, WAL mode), so adding a revision is one indexed
row, whatever the size of the store. It is derived data: ``store rebuild-index``
recreates it from the revision files, and a missing, unreadable or older-format catalog
is rebuilt on the next ingest. Writers hold the store lock (``lock.py``) and a write
transaction; readers see a consistent snapshot without the lock.

Tables:

- ``revisions``: one row per readable revision file: keys (policy, effective date),
  policy number and name as printed, review type, source file name, source sha256,
  format, pages, extractor and schema version, coverage (``doc.coverage.ratio``), ingest
  time, and the revision file's size, mtime and sha256 as written (a changed file is
  noticed by its stat) plus the path it was ingested from (``store check --repair``
  re-extracts a damaged revision from it);
- ``damaged``: revision files that do not read as this version's policy JSON, with the
  cause and what is known of their source;
- ``pending``: the journal: a write is recorded before the revision file is written
  and cleared with its row, so a crash in between is found by the next ingest;
- ``memo``: per source sha256, the outcome of sources that were extracted but not
  stored (a deterministic failure, a refusal), so re-ingesting them costs a hash.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..history import review_type
from ..model.catalog import Catalog, CatalogPolicy, CatalogRevision
from ..model.policy import PolicyDocument

CATALOG_NAME = ".catalog.sqlite"
CATALOG_FORMAT = 1  # PRAGMA user_version; another value is rebuilt
LEGACY_INDEX = "index.json"  # the JSON catalog of earlier versions (read once, removed)
BUSY_MS = 60_000  # a writer waits this long for another one's transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    policy TEXT NOT NULL, effective_date TEXT NOT NULL, number TEXT, name TEXT,
    review_type TEXT, source TEXT NOT NULL, sha256 TEXT NOT NULL, format TEXT NOT NULL,
    pages INTEGER NOT NULL, extractor_version TEXT NOT NULL, schema_version TEXT NOT NULL,
    coverage REAL, ingested_at TEXT NOT NULL, file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL, file_sha256 TEXT NOT NULL, source_path TEXT,
    PRIMARY KEY (policy, effective_date)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS revisions_sha256 ON revisions (sha256);
CREATE INDEX IF NOT EXISTS revisions_number ON revisions (number);
CREATE INDEX IF NOT EXISTS revisions_policy_nocase ON revisions (policy COLLATE NOCASE);
CREATE TABLE IF NOT EXISTS damaged (
    policy TEXT NOT NULL, effective_date TEXT NOT NULL, problem TEXT NOT NULL,
    sha256 TEXT, source TEXT, source_path TEXT, file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL, PRIMARY KEY (policy, effective_date)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending (
    policy TEXT NOT NULL, effective_date TEXT NOT NULL,
    PRIMARY KEY (policy, effective_date)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS memo (
    sha256 TEXT PRIMARY KEY, extractor_version TEXT NOT NULL, entry TEXT NOT NULL
) WITHOUT ROWID;
"""


def iso_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RevisionRow:
    """One row of ``revisions`` (column order)."""

    policy: str
    effective_date: str
    number: str | None
    name: str | None
    review_type: str | None
    source: str
    sha256: str
    format: str
    pages: int
    extractor_version: str
    schema_version: str
    coverage: float | None
    ingested_at: str
    file_size: int
    file_mtime_ns: int
    file_sha256: str
    source_path: str | None = None

    def same_file(self, st: os.stat_result) -> bool:
        return (self.file_size, self.file_mtime_ns) == (st.st_size, st.st_mtime_ns)

    def describes(self, other: RevisionRow) -> bool:
        """Same revision content (ingest time and source path aside)."""
        skip = {"ingested_at", "source_path"}
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self)
            if f.name not in skip
        )


@dataclass
class Damage:
    """One row of ``damaged``: a revision file that does not read."""

    policy: str
    effective_date: str
    problem: str
    sha256: str | None
    source: str | None
    source_path: str | None
    file_size: int
    file_mtime_ns: int

    def same_file(self, st: os.stat_result) -> bool:
        return (self.file_size, self.file_mtime_ns) == (st.st_size, st.st_mtime_ns)


def revision_row(
    doc: PolicyDocument,
    where: tuple[str, str],
    st: os.stat_result,
    file_sha256: str,
    ingested_at: str,
    source_path: str | None = None,
) -> RevisionRow:
    """The catalog row of ``doc`` stored at ``where`` = (policy key, effective date)."""
    cov = doc.coverage
    return RevisionRow(
        policy=where[0],
        effective_date=where[1],
        number=doc.policy.number,
        name=doc.policy.name,
        review_type=review_type(doc),
        source=doc.source.path,
        sha256=doc.source.sha256,
        format=doc.source.format,
        pages=doc.source.pages,
        extractor_version=doc.source.extractor_version,
        schema_version=doc.schema_version,
        coverage=round(cov.ratio, 4) if cov.body_words else None,
        ingested_at=ingested_at,
        file_size=st.st_size,
        file_mtime_ns=st.st_mtime_ns,
        file_sha256=file_sha256,
        source_path=source_path,
    )


_COLUMNS = ", ".join(f.name for f in fields(RevisionRow))
_DAMAGE_COLUMNS = ", ".join(f.name for f in fields(Damage))


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class CatalogDB:
    """A connection to one store's catalog (or an in-memory one derived from it)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn, self.path = conn, path

    # -- opening --------------------------------------------------------------------
    @classmethod
    def connect(cls, path: Path | None) -> CatalogDB:
        conn = sqlite3.connect(
            str(path) if path else ":memory:", timeout=BUSY_MS / 1000, isolation_level=None
        )
        db = cls(conn, path)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            if path is not None:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a killed process loses nothing
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, CATALOG_FORMAT):
                raise sqlite3.DatabaseError(f"catalog format {version}, expected {CATALOG_FORMAT}")
            if version == 0:  # a new file: create the tables
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version = {CATALOG_FORMAT}")
            conn.execute("SELECT count(*) FROM revisions").fetchone()  # reads it, or raises
        except BaseException:
            conn.close()
            raise
        return db

    @classmethod
    def memory(cls) -> CatalogDB:
        return cls.connect(None)

    def close(self) -> None:
        self.conn.close()

    def copy_to_memory(self) -> CatalogDB:
        """An in-memory copy (what ``store check`` works on: nothing is written)."""
        mem = CatalogDB.memory()
        self.conn.backup(mem.conn)
        return mem

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- revisions ------------------------------------------------------------------
    def put(self, row: RevisionRow) -> None:
        """Insert or replace a row; the file is no longer damaged nor pending."""
        where = (row.policy, row.effective_date)
        self.conn.execute(
            f"INSERT OR REPLACE INTO revisions ({_COLUMNS}) VALUES ({_marks(len(fields(row)))})",
            astuple(row),
        )
        self.conn.execute("DELETE FROM damaged WHERE policy = ? AND effective_date = ?", where)
        self.conn.execute("DELETE FROM pending WHERE policy = ? AND effective_date = ?", where)

    def drop(self, policy: str, date: str) -> None:
        for table in ("revisions", "damaged", "pending"):
            self.conn.execute(
                f"DELETE FROM {table} WHERE policy = ? AND effective_date = ?", (policy, date)
            )

    def _rows(self, where: str = "", args: Sequence[Any] = ()) -> list[RevisionRow]:
        sql = f"SELECT {_COLUMNS} FROM revisions {where} ORDER BY policy, effective_date"
        return [RevisionRow(*r) for r in self.conn.execute(sql, args)]

    def row(self, policy: str, date: str) -> RevisionRow | None:
        found = self._rows("WHERE policy = ? AND effective_date = ?", (policy, date))
        return found[0] if found else None

    def rows(self, policy: str | None = None) -> list[RevisionRow]:
        return self._rows("WHERE policy = ?", (policy,)) if policy else self._rows()

    def by_sha(self, sha: str) -> list[RevisionRow]:
        return self._rows("WHERE sha256 = ?", (sha,))

    def find_policies(self, name: str) -> list[str]:
        """Keys whose key (any case) or printed policy number is ``name`` (indexed)."""
        sql = (
            "SELECT DISTINCT policy FROM revisions WHERE policy = ? COLLATE NOCASE "
            "UNION SELECT DISTINCT policy FROM revisions WHERE number = ?"
        )
        return sorted(r[0] for r in self.conn.execute(sql, (name, name)))

    def policies(self) -> list[str]:
        sql = "SELECT DISTINCT policy FROM revisions UNION SELECT DISTINCT policy FROM damaged"
        return sorted(r[0] for r in self.conn.execute(sql))

    # -- damaged files and the journal ------------------------------------------------
    def put_damage(self, d: Damage) -> None:
        self.drop(d.policy, d.effective_date)
        self.conn.execute(
            f"INSERT INTO damaged ({_DAMAGE_COLUMNS}) VALUES ({_marks(len(fields(d)))})",
            astuple(d),
        )

    def damages(self, policy: str | None = None) -> list[Damage]:
        sql = f"SELECT {_DAMAGE_COLUMNS} FROM damaged"
        cur = (
            self.conn.execute(sql + " WHERE policy = ?", (policy,))
            if policy
            else (self.conn.execute(sql + " ORDER BY policy, effective_date"))
        )
        return [Damage(*r) for r in cur]

    def damage(self, policy: str, date: str) -> Damage | None:
        return next((d for d in self.damages(policy) if d.effective_date == date), None)

    def begin(self, policy: str, date: str) -> None:
        """Journal a write of ``policy/date`` (committed before the file is written)."""
        self.conn.execute("INSERT OR REPLACE INTO pending VALUES (?, ?)", (policy, date))

    def pending(self) -> list[tuple[str, str]]:
        return [(str(p), str(d)) for p, d in self.conn.execute("SELECT * FROM pending")]

    def settle_pending(self, policy: str) -> None:
        self.conn.execute("DELETE FROM pending WHERE policy = ?", (policy,))

    # -- memo ---------------------------------------------------------------------------
    def memo(self, sha: str) -> tuple[str, dict[str, Any]] | None:
        """(extractor version, entry) remembered for a source sha256."""
        found = self.conn.execute(
            "SELECT extractor_version, entry FROM memo WHERE sha256 = ?", (sha,)
        ).fetchone()
        return (str(found[0]), json.loads(found[1])) if found else None

    def remember(self, sha: str, version: str, entry: dict[str, Any] | None) -> None:
        """Record (or with ``None`` forget) what happened to the source ``sha``."""
        if entry is None:
            self.conn.execute("DELETE FROM memo WHERE sha256 = ?", (sha,))
        else:
            self.conn.execute(
                "INSERT OR REPLACE INTO memo VALUES (?, ?, ?)",
                (sha, version, json.dumps(entry, sort_keys=True)),
            )

    def clear_revisions(self) -> None:
        """Forget every revision row (a rebuild reads them again; the memo stays)."""
        for table in ("revisions", "damaged", "pending"):
            self.conn.execute(f"DELETE FROM {table}")


def remove_catalog(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def open_catalog(store: Path) -> tuple[CatalogDB, str | None]:
    """Open the catalog of ``store``, creating it; (catalog, why it is new or None).

    A catalog that is not an SQLite database, is damaged or has another format is
    removed and created again (it is derived data); the caller then rebuilds it.
    """
    path = store / CATALOG_NAME
    if not path.exists():
        return _connect_or_fail(path), "created"
    try:
        return CatalogDB.connect(path), None
    except sqlite3.DatabaseError as err:
        remove_catalog(path)
        return _connect_or_fail(path), f"the catalog was unreadable ({err})"


def _connect_or_fail(path: Path) -> CatalogDB:
    try:
        return CatalogDB.connect(path)
    except (sqlite3.Error, OSError) as err:
        raise StoreError(f"cannot create the catalog {path} ({err})") from err


def existing_catalog(store: Path) -> CatalogDB | None:
    """The catalog for reading when it exists and reads, else None (derive in memory)."""
    path = store / CATALOG_NAME
    if not path.is_file():
        return None
    try:
        return CatalogDB.connect(path)
    except (sqlite3.Error, OSError):
        return None


def legacy_times(store: Path) -> dict[tuple[str, str, str], tuple[str, str | None]]:
    """Ingest times from an earlier version's ``index.json``, keyed (policy, date, sha256)."""
    try:
        data = json.loads((store / LEGACY_INDEX).read_text(encoding="utf-8"))
        policies = data["policies"].items()
        return {
            (str(key), str(r["effective_date"]), str(r["sha256"])): (str(r["ingested_at"]), None)
            for key, info in policies
            for r in info["revisions"]
            if r.get("ingested_at")
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def to_catalog(store: Path, rows: list[RevisionRow], problems: list[str]) -> Catalog:
    """The typed catalog (policies sorted by key, revisions oldest first)."""
    by_key: dict[str, list[CatalogRevision]] = {}
    for r in rows:
        by_key.setdefault(r.policy, []).append(CatalogRevision(**r.__dict__))
    policies = [
        CatalogPolicy(key=key, name=revs[-1].name, number=revs[-1].number, revisions=revs)
        for key, revs in sorted(by_key.items())
    ]
    return Catalog(store=str(store), policies=policies, problems=problems)
