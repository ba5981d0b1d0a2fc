"""Ingest: extract, validate and store every policy file of a batch."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import ConflictError, InputError, PolicyToolsError, StoreError
from ..io import sha256_file
from ..model.policy import PolicyDocument
from ..text import squash
from ..version import EXTRACTOR_VERSION
from .catalog import CatalogDB, RevisionRow, legacy_times, open_catalog
from .extraction import extract_file
from .keys import policy_key, storage_key
from .layout import resolve_store, revision_path
from .lock import store_lock
from .pool import run_pool
from .sync import REBUILT, Mode, Problem, heal, reconcile, sync_folder
from .write import write_revision

# Folders are searched for these; a file named on the command line is always tried.
INGEST_SUFFIXES = frozenset({".pdf", ".md", ".txt", ".html", ".htm"})
# ... except project paperwork that lives next to policies (MANIFEST.tsv, README.md, ...).
_PAPERWORK = re.compile(r"^(readme|license|licence|changelog|manifest|copying|notice)\b", re.I)
# causes that say nothing about the input bytes: such a failure is never remembered
_TRANSIENT = (MemoryError, TimeoutError, InterruptedError, OSError)

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
    # what the store's upkeep found (temp files removed, files added back, damage)
    store_problems: list[Problem] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def damaged(self) -> list[Problem]:
        """Store problems left for the user (damaged revision files)."""
        return [p for p in self.store_problems if p.action is None]

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") or self.report_errors or self.damaged else 0


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


# (document, error, whether the error is a deterministic property of the bytes)
Extracted = tuple[PolicyDocument | None, str | None, bool]


def _transient(err: BaseException) -> bool:
    """Is a failure caused by something other than the bytes (memory, time, I/O)?"""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, _TRANSIENT) or not getattr(seen, "deterministic", True):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _extract_job(path: str) -> Extracted:
    """Worker: extract one file; never raises (a bad file must not stop the batch)."""
    try:
        return extract_file(Path(path)), None, False
    except MemoryError:
        msg = f"{path}: ran out of memory while extracting it (not remembered; try again)"
        return None, msg, False
    except PolicyToolsError as err:
        return None, str(err), not _transient(err)
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
    # largest files first, so one big file does not run alone at the end of the batch
    order = sorted(range(len(paths)), key=lambda i: (-_size(paths[i]), i))
    for i, result, died in run_pool([str(p) for p in paths], order, jobs, _extract_job):
        if died is None:
            yield i, result
        else:  # the worker process holding this file died; the others carry on
            msg = (
                f"{paths[i]}: the extraction worker reading this file was {died}; "
                "not remembered, the next ingest tries it again"
            )
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


def _number_clash(db: CatalogDB, key: str, doc: PolicyDocument) -> str | None:
    """Another printed number that ``policy_key`` maps to ``key`` (a hash collision)."""
    printed = squash(doc.policy.number)
    if not printed or policy_key(printed)[0] != key:
        return None  # filed by another rule (a name, a policy series)
    for row in db.rows(key):
        other = squash(row.number)
        if other and other != printed and policy_key(other)[0] == key:
            return (
                f"policy numbers '{printed}' ({doc.source.path}) and '{other}' (stored from "
                f"{row.source}) share the store key {key}; not stored"
            )
    return None


def _cause(err: PolicyToolsError, source: Path) -> str:
    return err.cause if isinstance(err, InputError) else str(err).removeprefix(f"{source}: ")


def _decide(
    db: CatalogDB, where: tuple[str, str], doc: PolicyDocument, replace: bool, notes: list[str]
) -> Status | str:
    """What storing ``doc`` at ``where`` means: a status, or the message of a refusal."""
    row, damage = db.row(*where), db.damage(*where)
    sha, ref = doc.source.sha256, f"{where[0]}@{where[1]}"
    source = Path(doc.source.path)
    if row is not None:
        if row.sha256 == sha:
            if row.extractor_version == doc.source.extractor_version:
                return "unchanged"
            notes.append(
                f"extractor upgraded: {row.extractor_version} -> "
                f"{doc.source.extractor_version}, re-extracted"
            )
            return "replaced"
        if not replace:
            return _conflict_message(ref, row.source, row.sha256, source, sha)
        notes.append(f"replaced the revision from {row.source}")
        return "replaced"
    if damage is None:
        return "added"
    if damage.sha256 == sha:
        notes.append(
            f"the stored revision file did not read ({damage.problem}); "
            "re-extracted from these bytes"
        )
        return "replaced"
    if not replace:
        return _conflict_message(ref, damage.source, damage.sha256, source, sha)
    notes.append(f"replaced a damaged revision file ({damage.problem})")
    return "replaced"


class _Batch:
    """One ingest run: per-file outcomes in input order, progress, pre-checks."""

    def __init__(
        self, store: Path, db: CatalogDB, files: list[Path], total: int, progress: Progress | None
    ) -> None:
        self.store, self.db, self.files, self.total = store, db, files, total
        self.progress = progress
        self.results: dict[int, FileResult] = {}
        self.changed: list[tuple[str, str]] = []
        self.problems: list[Problem] = []

    def finish(self, pos: int, res: FileResult) -> None:
        self.results[pos] = res
        if res.ref and res.status in ("added", "replaced"):
            policy, _, date = res.ref.partition("@")
            self.changed.append((policy, date))
        if self.progress is not None:
            self.progress(len(self.results), self.total, res)

    def sync(self, policy: str) -> None:
        """Bring one policy folder's catalog rows in step (the caller holds the lock)."""
        with self.db.write():
            self.problems += sync_folder(self.db, self.store, policy, Mode())

    def intact(self, row: RevisionRow) -> bool:
        """Is the file of ``row`` still the one catalogued (re-read when it changed)?"""
        path = revision_path(self.store, row.policy, row.effective_date)
        try:
            if row.same_file(path.stat()):
                return True
        except OSError:
            pass
        with store_lock(self.store):
            self.sync(row.policy)
        now = self.db.row(row.policy, row.effective_date)
        return now is not None and now.sha256 == row.sha256

    def precheck(self, pos: int, sha: str, replace: bool) -> bool:
        """Settle ``pos`` without extraction when its bytes are known; True if settled."""
        path = self.files[pos]
        for row in self.db.by_sha(sha):
            if row.extractor_version == EXTRACTOR_VERSION and self.intact(row):
                ref = f"{row.policy}@{row.effective_date}"
                self.finish(pos, FileResult(str(path), "unchanged", ref))
                return True
        seen = self.db.memo(sha)
        if replace or seen is None or seen[0] != EXTRACTOR_VERSION:
            return False
        entry = seen[1]
        if entry.get("outcome") == "failed":
            msg = f"{path}: {entry.get('cause')} (known outcome for these bytes; not re-extracted)"
            self.finish(pos, FileResult(str(path), "failed", message=msg))
            return True
        where = (str(entry.get("policy")), str(entry.get("effective_date")))
        held = self.db.row(*where)
        if held is not None and held.sha256 != sha:
            ref = f"{where[0]}@{where[1]}"
            msg = _conflict_message(ref, held.source, held.sha256, path, sha)
            self.finish(pos, FileResult(str(path), "failed", ref, msg))
            return True
        return False

    def hash_and_precheck(self, replace: bool) -> tuple[list[int], dict[int, str], dict[str, int]]:
        """Hash every file and settle the known ones; (positions to extract, shas, first
        position of each sha)."""
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
            if sha not in first_of and not self.precheck(pos, sha, replace):
                todo.append(pos)
            first_of.setdefault(sha, pos)
        return todo, shas, first_of

    def remember(self, sha: str, entry: dict[str, str] | None) -> None:
        with self.db.write():
            self.db.remember(sha, EXTRACTOR_VERSION, entry)

    def store_one(self, source: Path, doc: PolicyDocument, replace: bool) -> FileResult:
        """Write one extracted revision under the store lock."""
        display, sha = str(source), doc.source.sha256
        try:
            key, date, notes = storage_key(doc, source)
        except StoreError as err:
            with store_lock(self.store):
                self.remember(sha, {"outcome": "failed", "cause": _cause(err, source)})
            return FileResult(display, "failed", message=str(err))
        ref = f"{key}@{date}"
        with store_lock(self.store):
            self.sync(key)
            clash = _number_clash(self.db, key, doc)
            decided = clash or _decide(self.db, (key, date), doc, replace, notes)
            if decided not in STATUSES:
                if not clash:
                    self.remember(
                        sha, {"outcome": "refused", "policy": key, "effective_date": date}
                    )
                return FileResult(display, "failed", ref, str(decided))
            if decided != "unchanged":
                write_revision(self.db, self.store, (key, date), doc, str(source.resolve()))
                self.remember(sha, None)
        return FileResult(display, decided, ref, "; ".join(notes))

    def settle(self, pos: int, outcome: Extracted, sha: str, replace: bool) -> None:
        """Store one extraction outcome (or remember a deterministic failure)."""
        path = self.files[pos]
        doc, problem, deterministic = outcome
        if doc is None:
            if deterministic and problem:
                with store_lock(self.store):
                    cause = problem.removeprefix(f"{path}: ")
                    self.remember(sha, {"outcome": "failed", "cause": cause})
            self.finish(pos, FileResult(str(path), "failed", message=problem or "failed"))
            return
        try:
            res = self.store_one(path, doc, replace)
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


@contextmanager
def open_store(store: Path) -> Iterator[tuple[CatalogDB, list[Problem]]]:
    """The store's catalog, caught up first: rebuilt when new or unreadable, else
    healed (interrupted writes, damaged files); yields it with what was found."""
    with store_lock(store):
        db, why = open_catalog(store)
        try:
            if why is None:
                problems = heal(db, store)
            else:
                mode = Mode(fresh=True, legacy=legacy_times(store))
                problems = reconcile(db, store, mode)
                if why != "created":
                    fixed = Problem(db.path or store, why, REBUILT, done=True)
                    problems.insert(0, fixed)
        except BaseException:
            db.close()
            raise
    try:
        yield db, [p for p in problems if not p.quiet]
    finally:
        db.close()


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
    with open_store(store) as (db, problems):
        batch = _Batch(store, db, files, len(files) + len(missing), progress)
        batch.problems = problems
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
        damaged = {revision_path(store, d.policy, d.effective_date) for d in db.damages()}
    results = [batch.results[i] for i in sorted(batch.results)]
    found = _unique(batch.problems, damaged)
    return IngestResult(store, results, batch.changed, store_problems=found)


def _unique(problems: list[Problem], damaged: set[Path]) -> list[Problem]:
    """One line per file and finding (a damaged file is seen by every sync of its folder),
    damage that this batch repaired left out (its file's line says so)."""
    seen: set[tuple[Path, str]] = set()
    out: list[Problem] = []
    for p in problems:
        if p.quiet or (p.path, p.what) in seen or (p.action is None and p.path not in damaged):
            continue
        seen.add((p.path, p.what))
        out.append(p)
    return out
