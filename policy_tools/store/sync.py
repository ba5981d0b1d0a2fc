"""Keeping the catalog in step with the revision files (the files are the truth).

One routine, :func:`sync_folder`, compares a policy folder with its catalog rows: it
removes leftover temp files of interrupted writes, adds revision files the catalog
lacks, drops rows whose file is gone, re-reads files whose size or mtime changed, and
records files that do not read as damaged (named, with the fix). It runs

- on every ingest (:func:`heal`, and before each store write) for the folders of
  interrupted writes (the journal), of known damaged files and of every policy the
  batch stores into: the cost follows what changed, not the size of the store;
- over the whole store (:func:`reconcile`) for ``versions``, ``store check`` (on an
  in-memory copy: it reports, ``--repair`` applies) and ``store rebuild-index``, and
  whenever the catalog is new (a fresh clone, a deleted or damaged catalog).

The caller holds the store lock (a check on a copy excepted).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .catalog import LEGACY_INDEX, CatalogDB, Damage, RevisionRow, iso_time, revision_row
from .layout import (
    is_revision_name,
    is_temp_name,
    policy_folders,
    read_revision_bytes,
    revision_path,
)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
REBUILT = "rebuilt from the revision files"
LEGACY_MEMO = ".ingest-cache.json"  # the JSON memo of earlier versions (now in the catalog)


@dataclass
class Problem:
    """One thing wrong in a store: the file, what is wrong, and what fixes it."""

    path: Path
    what: str
    action: str | None = None  # what catalog maintenance does about it, if anything
    fix: str = ""  # what the user must do when there is no action
    done: bool = False  # the action was carried out
    quiet: bool = False  # routine catch-up (a file re-read): not worth a line on ingest

    def line(self, *, check: bool = False) -> str:
        head = f"{self.path}: {self.what}"
        if self.action is None:
            return f"{head}; fix: {self.fix}" if self.fix else head
        return f"{head}; {'--repair: ' if check else ''}{self.action}"


@dataclass
class Mode:
    """How a sync treats what it finds."""

    files: bool = True  # remove leftover temp files (False: only report them)
    verify: bool = False  # re-read every file, not only those whose size or mtime changed
    fresh: bool = False  # the catalog is built from nothing: a new row is no problem
    # (policy, date, source sha256) -> (ingest time, source path) of a catalog rebuilt
    legacy: dict[tuple[str, str, str], tuple[str, str | None]] = field(default_factory=dict)


def damage_fix(d: Damage, path: Path) -> str:
    """What to do about a damaged revision file, naming its source when known."""
    sha = f" (sha256 {d.sha256[:12]})" if d.sha256 else ""
    if d.source_path and Path(d.source_path).is_file():
        return (
            f"`policy-tools ingest {d.source_path}` rewrites it from the bytes it came "
            f"from{sha} (so does `policy-tools store check --repair`), or remove the file"
        )
    if d.source:
        return f"re-ingest its source {d.source}{sha} (`policy-tools ingest FILE`) or remove it"
    return f"restore it (e.g. `git checkout -- {path}`), or remove it and re-ingest its source"


def damaged_problem(store: Path, d: Damage) -> Problem:
    path = revision_path(store, d.policy, d.effective_date)
    return Problem(path, f"damaged revision file ({d.problem})", fix=damage_fix(d, path))


def raw_source(path: Path) -> tuple[str | None, str | None]:
    """``source.sha256`` and ``source.path`` of a file read leniently (an older schema, or
    damage elsewhere in the file, still names the bytes it came from)."""
    try:
        src = json.loads(path.read_bytes())["source"]
        sha, name = src.get("sha256"), src.get("path")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, None
    return (sha if isinstance(sha, str) else None, name if isinstance(name, str) else None)


def _damage(
    where: tuple[str, str], path: Path, st: os.stat_result, cause: str, row: RevisionRow | None
) -> Damage:
    sha, name = raw_source(path)
    return Damage(
        policy=where[0],
        effective_date=where[1],
        problem=cause,
        sha256=sha if sha and SHA256_RE.match(sha) else (row.sha256 if row else None),
        source=name or (row.source if row else None),
        source_path=row.source_path if row else None,
        file_size=st.st_size,
        file_mtime_ns=st.st_mtime_ns,
    )


def _read_row(
    path: Path, where: tuple[str, str], st: os.stat_result, old: RevisionRow | None, mode: Mode
) -> RevisionRow:
    """The row a readable revision file gives (raises InputError when it does not read)."""
    doc, digest = read_revision_bytes(path)
    sha = doc.source.sha256
    if not SHA256_RE.match(sha):
        raise InputError(path, f"its source.sha256 '{sha[:70]}' is not a SHA-256 digest")
    if old is not None and old.sha256 == sha:
        ingested, source_path = old.ingested_at, old.source_path
    else:
        ingested, source_path = mode.legacy.get((*where, sha), (iso_time(st.st_mtime), None))
    return revision_row(doc, where, st, digest, ingested, source_path)


def _compare(old: RevisionRow | None, new: RevisionRow, path: Path, mode: Mode) -> list[Problem]:
    if old is None:
        if mode.fresh:
            return []
        return [Problem(path, "revision file missing from the catalog", "added to the catalog")]
    if old.describes(new):
        return []
    if old.file_sha256 == new.file_sha256:  # touched, same bytes: the row catches up
        return []
    what = "revision file changed since it was catalogued"
    if (old.file_size, old.file_mtime_ns) == (new.file_size, new.file_mtime_ns):
        what += " (same size and time: changed on disk?)"
    return [Problem(path, what, "row re-read from the file", quiet=True)]


def sync_file(
    db: CatalogDB,
    store: Path,
    where: tuple[str, str],
    mode: Mode,
    known: tuple[RevisionRow | None, Damage | None],
) -> list[Problem]:
    """Bring the catalog in step with one revision file (``known``: its row, its damage)."""
    old, damage = known
    path = revision_path(store, *where)
    st = path.stat()
    if not mode.verify:
        if old is not None and old.same_file(st):
            return []
        if damage is not None and damage.same_file(st):
            return [damaged_problem(store, damage)]
    try:
        new = _read_row(path, where, st, old, mode)
    except InputError as err:
        found = _damage(where, path, st, err.cause, old)
        db.put_damage(found)
        return [damaged_problem(store, found)]
    problems = _compare(old, new, path, mode)
    if old is None or not old.describes(new) or damage is not None:
        db.put(new)
    for p in problems:
        p.done = True
    return problems


def _remove_temp(path: Path, mode: Mode) -> Problem:
    problem = Problem(path, "leftover temp file of an interrupted write", "removed")
    if mode.files:
        path.unlink(missing_ok=True)
        problem.done = True
    return problem


def sync_folder(
    db: CatalogDB,
    store: Path,
    policy: str,
    mode: Mode,
    known: tuple[dict[str, RevisionRow], dict[str, Damage]] | None = None,
) -> list[Problem]:
    """Bring the catalog in step with one policy folder (in the caller's transaction)."""
    rows, damages = known or (
        {r.effective_date: r for r in db.rows(policy)},
        {d.effective_date: d for d in db.damages(policy)},
    )
    folder = store / policy
    problems: list[Problem] = []
    seen: set[str] = set()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else []:
        if is_temp_name(entry.name):
            problems.append(_remove_temp(Path(entry.path), mode))
        elif is_revision_name(entry.name) and entry.is_file():
            date = entry.name.removesuffix(".json")
            known_file = (rows.get(date), damages.get(date))
            try:
                problems += sync_file(db, store, (policy, date), mode, known_file)
            except FileNotFoundError:  # removed while we looked: gone, like the others
                continue
            seen.add(date)
    for date in sorted((set(rows) | set(damages)) - seen):
        if date in rows:
            path = revision_path(store, policy, date)
            problems.append(
                Problem(path, "in the catalog but the file is gone", "row removed", done=True)
            )
        db.drop(policy, date)
    db.settle_pending(policy)
    return problems


def heal(db: CatalogDB, store: Path) -> list[Problem]:
    """The per-ingest catch-up: folders of interrupted writes and of damaged files."""
    folders = {p for p, _ in db.pending()} | {d.policy for d in db.damages()}
    problems: list[Problem] = []
    with db.write():
        for policy in sorted(folders):
            problems += sync_folder(db, store, policy, Mode())
    return problems


def _root_leftovers(store: Path, mode: Mode) -> list[Problem]:
    """Temp files in the store folder itself, and the JSON files of earlier versions."""
    problems: list[Problem] = []
    for entry in sorted(os.scandir(store), key=lambda e: e.name):
        if is_temp_name(entry.name) and entry.is_file():
            problems.append(_remove_temp(Path(entry.path), mode))
    for name in (LEGACY_INDEX, LEGACY_MEMO):
        legacy = store / name
        if legacy.is_file() and mode.files:
            legacy.unlink()  # replaced by the SQLite catalog (its ingest times were read)
    return problems


def reconcile(db: CatalogDB, store: Path, mode: Mode) -> list[Problem]:
    """Bring the whole catalog in step with the store (one transaction). With
    ``mode.fresh`` the rows are first forgotten and read again from every file (their
    ingest times and source paths kept), which is what ``store rebuild-index`` does."""
    rows: dict[str, dict[str, RevisionRow]] = {}
    for r in db.rows():
        rows.setdefault(r.policy, {})[r.effective_date] = r
    damages: dict[str, dict[str, Damage]] = {}
    for d in db.damages():
        damages.setdefault(d.policy, {})[d.effective_date] = d
    problems = _root_leftovers(store, mode) if store.is_dir() else []
    with db.write():
        if mode.fresh:
            for r in db.rows():
                mode.legacy.setdefault(
                    (r.policy, r.effective_date, r.sha256), (r.ingested_at, r.source_path)
                )
            db.clear_revisions()
            rows, damages = {}, {}
        for policy in sorted(set(policy_folders(store)) | set(rows) | set(damages)):
            known = (rows.get(policy, {}), damages.get(policy, {}))
            problems += sync_folder(db, store, policy, mode, known)
    return problems
