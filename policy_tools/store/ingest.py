"""Ingest: extract, validate and store every policy file of a batch."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ConflictError, InputError, PolicyToolsError, StoreError
from ..extract import extract_file
from ..io import atomic_write_text, dumps, sha256_file
from ..model.policy import PolicyDocument
from ..version import EXTRACTOR_VERSION
from .catalog import (
    catalog_entry,
    ensure_index,
    iso_time,
    put_entry,
    read_index,
    write_index,
)
from .keys import storage_key
from .lock import store_lock
from .refs import read_revision_file, resolve_store, revision_path

CACHE_NAME = ".ingest-cache.json"
# Folders are searched for these; a file named on the command line is always tried.
INGEST_SUFFIXES = frozenset({".pdf", ".md", ".txt", ".html", ".htm"})
# ... except project paperwork that lives next to policies (MANIFEST.tsv, README.md, ...).
_PAPERWORK = re.compile(r"^(readme|license|licence|changelog|manifest|copying|notice)\b", re.I)

Status = Literal["added", "unchanged", "replaced", "failed"]
STATUSES: tuple[Status, ...] = ("added", "unchanged", "replaced", "failed")


# --------------------------------------------------------------------------- ingest


@dataclass
class FileResult:
    source: str
    status: Status
    ref: str | None = None
    message: str = ""


Progress = Callable[[int, int, FileResult], None]  # (done, total, the file just settled)


@dataclass
class IngestResult:
    store: Path
    files: list[FileResult] = field(default_factory=list)
    # revisions this batch added or replaced, as (policy key, effective date)
    changed: list[tuple[str, str]] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    report_notes: list[str] = field(default_factory=list)
    report_errors: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") or self.report_errors else 0


def collect_sources(paths: Sequence[Path]) -> tuple[list[Path], list[FileResult]]:
    """Files to ingest (folders searched recursively, sorted) and failures for bad paths.

    Inside folders only ``.pdf .md .txt .html .htm`` files are taken; hidden files and
    folders and paperwork (README, LICENSE, CHANGELOG, MANIFEST, ...) are skipped.
    Each file is taken once even when named twice.
    """
    files: list[Path] = []
    failed: list[FileResult] = []
    seen: set[Path] = set()

    def take(p: Path) -> None:
        real = p.resolve()
        if real not in seen:
            seen.add(real)
            files.append(p)

    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                rel = p.relative_to(path).parts
                if (
                    p.is_file()
                    and p.suffix.lower() in INGEST_SUFFIXES
                    and not any(part.startswith(".") for part in rel)
                    and not _PAPERWORK.match(p.name)
                ):
                    take(p)
        elif path.is_file():
            take(path)
        else:
            failed.append(
                FileResult(str(path), "failed", message=f"{path}: no such file or folder")
            )
    return files, failed


Extracted = tuple[PolicyDocument | None, str | None, bool]


def _extract_job(path: str) -> Extracted:
    """Worker: extract one file; never raises (a bad file must not stop the batch).

    Returns (document, error, whether the error is a deterministic property of the bytes).
    """
    try:
        return extract_file(Path(path)), None, False
    except PolicyToolsError as err:
        return None, str(err), True
    except Exception as err:  # an extractor bug on one file is that file's failure
        return None, f"{path}: extraction failed ({type(err).__name__}: {err})", False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _extract_all(paths: list[Path], jobs: int) -> Iterator[tuple[int, Extracted]]:
    """Yield (position, extraction outcome) as extractions finish."""
    if jobs <= 1 or len(paths) <= 1:
        for i, p in enumerate(paths):
            yield i, _extract_job(str(p))
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with cf.ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=ctx) as pool:
        # largest files first, so one big file does not run alone at the end of the batch
        order = sorted(range(len(paths)), key=lambda i: (-_size(paths[i]), i))
        futures = {pool.submit(_extract_job, str(paths[i])): i for i in order}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                yield i, fut.result()
            except Exception as err:  # the worker process died (e.g. killed for memory)
                msg = f"{paths[i]}: extraction worker failed ({type(err).__name__}: {err})"
                yield i, (None, msg, False)


def _conflict_message(
    ref: str, stored: str | None, stored_sha: str | None, source: Path, sha: str
) -> str:
    was = f"{stored} (sha256 {stored_sha[:12]})" if stored and stored_sha else "a damaged file"
    return str(
        ConflictError(
            f"{ref} is already stored from {was}; {source.name} (sha256 {sha[:12]}) claims "
            "the same policy number and effective date; stored revision kept "
            "(use --replace to overwrite)"
        )
    )


# The memo <store>/.ingest-cache.json remembers, per source sha256 and extractor version,
# the outcome of sources that were extracted but not stored: a deterministic failure
# (e.g. no effective date) or a refusal (conflict with a stored revision). Re-ingesting
# the same bytes then costs a hash instead of an extraction. --replace bypasses it.


def _read_memo(store: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((store / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a cache: missing or damaged means empty
    return data.get("sources", {}) if isinstance(data, dict) else {}


def _remember(store: Path, sha: str, entry: dict[str, Any] | None) -> None:
    """Record (or with ``None`` forget) the memo entry of ``sha`` (caller holds the lock)."""
    memo = _read_memo(store)
    if entry is None and sha not in memo:
        return
    if entry is None:
        del memo[sha]
    else:
        memo[sha] = {"extractor_version": EXTRACTOR_VERSION, **entry}
    atomic_write_text(store / CACHE_NAME, dumps({"format": 1, "sources": memo}))


def _store_one(store: Path, source: Path, doc: PolicyDocument, replace: bool) -> FileResult:
    """Write one extracted revision under the store lock."""
    display, sha = str(source), doc.source.sha256
    try:
        key, date, notes = storage_key(doc, source)
    except StoreError as err:
        with store_lock(store):
            _remember(store, sha, {"outcome": "failed", "cause": _cause(err, source)})
        return FileResult(display, "failed", message=str(err))
    ref = f"{key}@{date}"
    target = revision_path(store, key, date)
    with store_lock(store):
        status: Status = "added"
        if target.exists():
            try:
                old: PolicyDocument | None = read_revision_file(target)
            except InputError:
                old = None
            stale = old is None and _stored_sha(target) == sha
            if old is not None and old.source.sha256 == sha:
                if old.source.extractor_version == doc.source.extractor_version:
                    return FileResult(display, "unchanged", ref, "; ".join(notes))
                notes.append(
                    f"extractor upgraded: {old.source.extractor_version} -> "
                    f"{doc.source.extractor_version}, re-extracted"
                )
            elif stale:
                notes.append(
                    "the stored revision of these bytes no longer reads as this version's "
                    "schema (extractor upgraded), re-extracted"
                )
            elif not replace:
                _remember(store, sha, {"outcome": "refused", "policy": key, "effective_date": date})
                msg = _conflict_message(
                    ref,
                    old.source.path if old else None,
                    old.source.sha256 if old else None,
                    source,
                    sha,
                )
                return FileResult(display, "failed", ref, msg)
            else:
                notes.append(
                    f"replaced the revision from {old.source.path if old else 'a damaged file'}"
                )
            status = "replaced"
        index = read_index(store)
        now = time.time()
        atomic_write_text(target, dumps(doc))
        os.utime(target, (int(now), int(now)))
        put_entry(index, key, catalog_entry(doc, date, iso_time(now)))
        write_index(store, index)
        _remember(store, sha, None)
    return FileResult(display, status, ref, "; ".join(notes))


def _stored_sha(path: Path) -> str | None:
    """``source.sha256`` of a stored revision read leniently (an older schema, or damage
    elsewhere in the file, still names the bytes it came from)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sha = data["source"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) else None


def _cause(err: PolicyToolsError, source: Path) -> str:
    return err.cause if isinstance(err, InputError) else str(err).removeprefix(f"{source}: ")


class _Batch:
    """One ingest run: per-file outcomes in input order, progress, pre-checks."""

    def __init__(
        self, store: Path, files: list[Path], total: int, progress: Progress | None
    ) -> None:
        self.store, self.files, self.total, self.progress = store, files, total, progress
        self.results: dict[int, FileResult] = {}
        self.known: dict[str, tuple[str, dict[str, Any]]] = {}  # sha256 -> catalog entry
        self.changed: list[tuple[str, str]] = []

    def finish(self, pos: int, res: FileResult) -> None:
        self.results[pos] = res
        if res.ref and res.status in ("added", "replaced"):
            policy, _, date = res.ref.partition("@")
            self.changed.append((policy, date))
        if self.progress is not None:
            self.progress(len(self.results), self.total, res)

    def precheck(
        self,
        pos: int,
        sha: str,
        replace: bool,
        index: dict[str, Any],
        memo: dict[str, dict[str, Any]],
    ) -> bool:
        """Settle ``pos`` without extraction when its bytes are known; True if settled."""
        path, store = self.files[pos], self.store
        hit = self.known.get(sha)
        if hit is not None:
            policy, rev = hit
            date = rev["effective_date"]
            if (
                rev.get("extractor_version") == EXTRACTOR_VERSION
                and revision_path(store, policy, date).exists()
            ):
                self.finish(pos, FileResult(str(path), "unchanged", f"{policy}@{date}"))
                return True
        seen = memo.get(sha)
        if replace or not seen or seen.get("extractor_version") != EXTRACTOR_VERSION:
            return False
        if seen.get("outcome") == "failed":
            msg = f"{path}: {seen.get('cause')} (known outcome for these bytes; not re-extracted)"
            self.finish(pos, FileResult(str(path), "failed", message=msg))
            return True
        policy, date = str(seen.get("policy")), str(seen.get("effective_date"))
        for rev in index["policies"].get(policy, {}).get("revisions", []):
            if rev["effective_date"] == date and rev["sha256"] != sha:
                ref = f"{policy}@{date}"
                msg = _conflict_message(ref, rev["source"], rev["sha256"], path, sha)
                self.finish(pos, FileResult(str(path), "failed", ref, msg))
                return True
        return False

    def hash_and_precheck(self, replace: bool) -> tuple[list[int], dict[int, str], dict[str, int]]:
        """Hash every file and settle the known ones; (positions to extract, shas, first
        position of each sha)."""
        index, memo = ensure_index(self.store), _read_memo(self.store)
        self.known = {
            rev["sha256"]: (policy, rev)
            for policy, info in index["policies"].items()
            for rev in info["revisions"]
        }
        todo: list[int] = []
        first_of: dict[str, int] = {}
        shas: dict[int, str] = {}
        for pos, path in enumerate(self.files):
            try:
                sha = shas[pos] = sha256_file(path)
            except OSError as err:
                msg = f"{path}: cannot read ({err})"
                self.finish(pos, FileResult(str(path), "failed", message=msg))
                continue
            if sha not in first_of and not self.precheck(pos, sha, replace, index, memo):
                todo.append(pos)
            first_of.setdefault(sha, pos)
        return todo, shas, first_of

    def settle(self, pos: int, outcome: Extracted, sha: str, replace: bool) -> None:
        """Store one extraction outcome (or remember a deterministic failure)."""
        path = self.files[pos]
        doc, problem, deterministic = outcome
        if doc is None:
            if deterministic and problem:
                with store_lock(self.store):
                    cause = problem.removeprefix(f"{path}: ")
                    _remember(self.store, sha, {"outcome": "failed", "cause": cause})
            self.finish(pos, FileResult(str(path), "failed", message=problem or "failed"))
            return
        try:
            res = _store_one(self.store, path, doc, replace)
        except (OSError, PolicyToolsError) as exc:
            res = FileResult(str(path), "failed", message=f"{path}: {exc}")
        self.finish(pos, res)

    def copies(self, shas: dict[int, str], first_of: dict[str, int]) -> None:
        """Later copies of the same bytes within the batch share the first one's outcome."""
        for pos, path in enumerate(self.files):
            if pos in self.results or pos not in shas:
                continue
            first = self.results[first_of[shas[pos]]]
            note = f"same bytes as {first.source}"
            if first.status == "failed":
                self.finish(pos, FileResult(str(path), "failed", message=note))
            else:
                self.finish(pos, FileResult(str(path), "unchanged", first.ref, note))


def ingest_paths(
    paths: Sequence[Path],
    *,
    store_dir: Path | str | None = None,
    jobs: int = 1,
    replace: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Extract, validate and store every policy file in ``paths`` (files or folders).

    Same bytes as a stored revision: ``unchanged``, decided by sha256 before extraction.
    A different source for a stored policy number + effective date: ``failed`` with both
    sources named, unless ``replace``. One bad file never stops the batch. ``progress``
    is called as each file is settled.
    """
    store = resolve_store(store_dir)
    files, missing = collect_sources(paths)
    batch = _Batch(store, files, len(files) + len(missing), progress)
    for j, res in enumerate(missing, start=len(files)):
        batch.finish(j, res)
    todo, shas, first_of = batch.hash_and_precheck(replace)
    ready: dict[int, Extracted] = {}
    next_k = 0
    for k, outcome in _extract_all([files[p] for p in todo], jobs):
        ready[k] = outcome
        while next_k in ready:  # store in input order: deterministic outcomes
            pos = todo[next_k]
            batch.settle(pos, ready.pop(next_k), shas[pos], replace)
            next_k += 1
    batch.copies(shas, first_of)
    results = [batch.results[i] for i in sorted(batch.results)]
    return IngestResult(store, results, batch.changed)
