"""The version store: ingest, catalog, listing and viewing of policy revisions.

Layout (``extracted/`` by default, ``--store DIR`` or ``$POLICY_TOOLS_STORE``)::

    <store>/<policy-key>/<effective-date>.json   one revision (io.dumps of a PolicyDocument)
    <store>/index.json                           the catalog (derived data)
    <store>/.lock                                flock(2) guard for every store write

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

import concurrent.futures as cf
import fcntl
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click
from pydantic import BaseModel

from . import EXTRACTOR_VERSION, refs
from .errors import ConflictError, InputError, PolicyToolsError, StoreError
from .io import atomic_write_text, dumps, sha256_file
from .models import HistoryEntry, Leaf, Node, PolicyDocument
from .refs import (
    DATE_RE,
    list_policies,
    list_revisions,
    load_revision,
    read_revision_file,
    resolve_ref,
    resolve_store,
    revision_path,
)

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

__all__ = [
    "INGEST_SUFFIXES",
    "SECTIONS",
    "FileResult",
    "IngestResult",
    "build_index",
    "collect_sources",
    "ingest_paths",
    "load_revision",
    "read_index",
    "rebuild_index",
    "resolve_ref",
    "resolve_store",
    "show_view",
    "storage_key",
    "store_lock",
    "versions_view",
]

INDEX_NAME = "index.json"
LOCK_NAME = ".lock"
CACHE_NAME = ".ingest-cache.json"
INDEX_FORMAT = 1
# Folders are searched for these; a file named on the command line is always tried.
INGEST_SUFFIXES = frozenset({".pdf", ".md", ".txt", ".html", ".htm"})
# ... except project paperwork that lives next to policies (MANIFEST.tsv, README.md, ...).
_PAPERWORK = re.compile(r"^(readme|license|licence|changelog|manifest|copying|notice)\b", re.I)

Status = Literal["added", "unchanged", "replaced", "failed"]
STATUSES: tuple[Status, ...] = ("added", "unchanged", "replaced", "failed")
Echo = Callable[[str], None]


# --------------------------------------------------------------------------- locking


@contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``<store>/.lock`` (blocks until free)."""
    store.mkdir(parents=True, exist_ok=True)
    with open(store / LOCK_NAME, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------- catalog


def _iso_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row_dates(row: HistoryEntry) -> list[str]:
    """Dates a policy-history row prints (its own date, P&T and UM approval), ISO forms."""
    own = getattr(row, "date", None)  # optional field; may be "YYYY-MM"
    return [d for d in (own, row.pt_approval_date, row.um_approval_date) if d]


def review_type(doc: PolicyDocument) -> str | None:
    """Review type of the newest policy-history row (latest approval date; ties: last row)."""
    best: tuple[str, int] | None = None
    chosen = None
    for pos, row in enumerate(doc.history):
        dates = [d for d in _row_dates(row) if re.match(r"^\d{4}-\d{2}", d)]
        rank = (max(dates) if dates else "", pos)
        if best is None or rank >= best:
            best, chosen = rank, row
    return (chosen.review_type or None) if chosen else None


def catalog_entry(doc: PolicyDocument, date: str, ingested_at: str) -> dict[str, Any]:
    return {
        "effective_date": date,
        "review_type": review_type(doc),
        "name": doc.policy.name,
        "number": doc.policy.number,
        "source": doc.source.path,
        "sha256": doc.source.sha256,
        "format": doc.source.format,
        "pages": doc.source.pages,
        "extractor_version": doc.source.extractor_version,
        "ingested_at": ingested_at,
    }


def _empty_index() -> dict[str, Any]:
    return {"index_format": INDEX_FORMAT, "policies": {}}


def _put_entry(index: dict[str, Any], policy: str, entry: dict[str, Any]) -> None:
    """Insert or replace one revision entry, keeping revisions sorted by date."""
    policies: dict[str, Any] = index["policies"]
    revs = [
        r
        for r in policies.get(policy, {}).get("revisions", [])
        if r["effective_date"] != entry["effective_date"]
    ]
    revs.append(entry)
    revs.sort(key=lambda r: str(r["effective_date"]))
    latest = revs[-1]
    policies[policy] = {"name": latest["name"], "number": latest["number"], "revisions": revs}


def read_index(store: Path) -> dict[str, Any]:
    """The catalog, or an empty one when the store has none yet."""
    path = store / INDEX_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty_index()
    except (OSError, ValueError) as err:
        raise StoreError(
            f"{path}: unreadable catalog ({err}); run `policy-tools store rebuild-index`"
        ) from err
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        raise StoreError(
            f"{path}: not a policy-tools catalog; run `policy-tools store rebuild-index`"
        )
    return data


def _write_index(store: Path, index: dict[str, Any]) -> None:
    atomic_write_text(store / INDEX_NAME, dumps(index))


def build_index(store: Path, old: dict[str, Any] | None = None) -> dict[str, Any]:
    """Catalog derived from the revision files (ingest time from ``old`` or file mtime)."""
    old_entries = {
        (policy, r["effective_date"]): r
        for policy, info in (old or _empty_index())["policies"].items()
        for r in info.get("revisions", [])
    }
    index = _empty_index()
    bad: list[str] = []
    for policy in list_policies(store):
        for date in list_revisions(store, policy):
            path = revision_path(store, policy, date)
            try:
                doc = read_revision_file(path)
            except InputError as err:
                bad.append(str(err))
                continue
            prior = old_entries.get((policy, date))
            if prior and prior.get("sha256") == doc.source.sha256 and prior.get("ingested_at"):
                ingested = str(prior["ingested_at"])
            else:
                ingested = _iso_time(path.stat().st_mtime)
            _put_entry(index, policy, catalog_entry(doc, date, ingested))
    if bad:
        raise StoreError(
            f"{len(bad)} damaged revision file(s), catalog not written: {'; '.join(bad)}"
        )
    return index


def rebuild_index(store_dir: Path | str | None = None) -> str:
    """Recreate ``<store>/index.json`` from the revision files; returns a one-line report."""
    store = resolve_store(store_dir)
    if not store.is_dir():
        raise StoreError(f"no version store at {store}")
    with store_lock(store):
        try:
            old = read_index(store)
        except StoreError:
            old = None  # a damaged catalog is exactly what a rebuild repairs
        index = build_index(store, old)
        _write_index(store, index)
    n_rev = sum(len(p["revisions"]) for p in index["policies"].values())
    return f"Rebuilt {store / INDEX_NAME}: {len(index['policies'])} policies, {n_rev} revisions\n"


def _catalog(store: Path) -> dict[str, Any]:
    """The catalog for reading; derived on the fly when the store has no index.json."""
    if not (store / INDEX_NAME).exists():
        return build_index(store)
    return read_index(store)


# --------------------------------------------------------------------------- keys


def _slug(text: str, *, lower: bool) -> str:
    """Folder-safe key: numbers keep case and dots (5.21.169); names become a-z0-9 words."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()) if lower else text.strip()
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s)
    s = re.sub(r"-{2,}", "-", s).strip(".-_")
    if len(s) > 60:  # cut at a word boundary
        s = s[:60].rsplit("-", 1)[0] if "-" in s[:60] else s[:60]
    return s


def storage_key(doc: PolicyDocument, source: Path) -> tuple[str, str, list[str]]:
    """(policy key, effective date, notes) under which ``doc`` is stored (see module doc)."""
    notes: list[str] = []
    meta = doc.policy
    key = _slug(meta.number or "", lower=False)
    if key:
        if key != meta.number:
            notes.append(f"policy number '{meta.number}' stored as '{key}'")
    elif key := _slug(meta.name or "", lower=True):
        notes.append(f"no policy number; filed under its name as '{key}'")
    else:
        stem = re.sub(r"\d{4}-\d{2}-\d{2}", "", source.stem)
        key = _slug(stem, lower=True) or "unnamed"
        notes.append(f"no policy number or name; filed under its file name as '{key}'")
    date = (
        meta.effective_date if meta.effective_date and DATE_RE.match(meta.effective_date) else None
    )
    if date is None:
        named = re.findall(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", source.name)
        history = [d for row in doc.history for d in _row_dates(row) if DATE_RE.match(d)]
        for what, found in (
            ("the last review date", meta.last_review_date),
            ("the date in the file name", named[-1] if named else None),
            ("the newest policy-history date", max(history) if history else None),
        ):
            if found and DATE_RE.match(found):
                date = found
                notes.append(f"no effective date; filed under {what} {date}")
                break
        else:
            raise StoreError(
                f"{source}: no effective date found (nor a last review date, a date in the "
                "file name or a policy-history date), so the revision cannot be placed in "
                "the version history"
            )
    return key, date, notes


# --------------------------------------------------------------------------- ingest


@dataclass
class FileResult:
    source: str
    status: Status
    ref: str | None = None
    message: str = ""


@dataclass
class IngestResult:
    store: Path
    files: list[FileResult] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    report_notes: list[str] = field(default_factory=list)
    report_errors: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def exit_code(self) -> int:
        return 1 if self.count("failed") or self.report_errors else 0

    def summary_text(self) -> str:
        rows = [
            [f.status, f.ref or "-", f.source, _clean(f.message.removeprefix(f"{f.source}: "))]
            for f in self.files
        ]
        out = [f"Ingest into {self.store}: {len(self.files)} file(s)"]
        if rows:
            out.append(_table(["STATUS", "REVISION", "SOURCE", "DETAIL"], rows))
        if self.reports:
            out.append("Change reports written:")
            out.extend(f"  {p}" for p in self.reports)
        out.extend(f"Note: {n}" for n in self.report_notes)
        out.extend(f"Error: {e}" for e in self.report_errors)
        out.append(", ".join(f"{self.count(s)} {s}" for s in STATUSES))
        return "\n".join(out) + "\n"


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
        return refs.extract_source(Path(path)), None, False
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
            if old is not None and old.source.sha256 == sha:
                if old.source.extractor_version == doc.source.extractor_version:
                    return FileResult(display, "unchanged", ref, "; ".join(notes))
                notes.append(
                    f"re-extracted with extractor {doc.source.extractor_version} "
                    f"(was {old.source.extractor_version})"
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
        _put_entry(index, key, catalog_entry(doc, date, _iso_time(now)))
        _write_index(store, index)
        _remember(store, sha, None)
    return FileResult(display, status, ref, "; ".join(notes))


def _cause(err: PolicyToolsError, source: Path) -> str:
    return err.cause if isinstance(err, InputError) else str(err).removeprefix(f"{source}: ")


def _ensure_index(store: Path) -> dict[str, Any]:
    """Read the catalog; derive and write it first when revisions exist without one."""
    if not (store / INDEX_NAME).exists() and list_policies(store):
        rebuild_index(store)
    return read_index(store)


def _write_change_reports(
    store: Path, changed: list[tuple[str, str]], reports_dir: Path, result: IngestResult
) -> None:
    """Report predecessor -> revision for every revision this batch added or replaced."""
    pairs: list[tuple[str, str, str]] = []
    for key, date in changed:
        older = [d for d in list_revisions(store, key) if d < date]
        if older:
            pairs.append((key, older[-1], date))
    if not pairs:
        return
    try:
        from .report import write_reports
    except (ImportError, AttributeError):
        result.report_notes.append("change reports skipped: the report module is not available")
        return
    for key, old_date, new_date in pairs:
        try:
            old = read_revision_file(revision_path(store, key, old_date))
            new = read_revision_file(revision_path(store, key, new_date))
            result.reports.extend(write_reports(old, new, reports_dir))
        except Exception as err:  # the revisions are stored; say what went wrong and go on
            result.report_errors.append(
                f"change report {key} {old_date} -> {new_date} failed: "
                f"{err if isinstance(err, PolicyToolsError) else repr(err)}"
            )


class _Batch:
    """One ingest run: per-file outcomes in input order, progress, pre-checks."""

    def __init__(
        self, store: Path, files: list[Path], total: int, echo: Echo | None, progress: bool
    ) -> None:
        self.store, self.files, self.total, self.echo = store, files, total, echo
        self.results: dict[int, FileResult] = {}
        self.known: dict[str, tuple[str, dict[str, Any]]] = {}  # sha256 -> catalog entry
        self.bar: ProgressBar[str] | None = None
        if progress:
            self.bar = click.progressbar(
                length=total,
                label="Ingesting",
                file=sys.stderr,
                item_show_func=lambda item: _clean(Path(item).name) if item else None,
            )
            self.bar.render_progress()  # show the bar before the first file finishes

    def finish(self, pos: int, res: FileResult) -> None:
        self.results[pos] = res
        if self.bar is not None:
            self.bar.update(1, res.source)
        elif self.echo is not None:
            detail = (
                f" ({_clean(res.message.removeprefix(f'{res.source}: '))})" if res.message else ""
            )
            n = len(self.results)
            self.echo(f"[{n}/{self.total}] {res.status} {res.ref or '-'} <- {res.source}{detail}")

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


def ingest_paths(
    paths: Sequence[Path],
    *,
    store_dir: Path | str | None = None,
    jobs: int = 1,
    replace: bool = False,
    reports: bool = True,
    reports_dir: Path | None = None,
    echo: Echo | None = None,
    progress: bool = False,
) -> IngestResult:
    """Extract, validate and store every policy file in ``paths`` (files or folders).

    Same bytes as a stored revision: ``unchanged``, decided by sha256 before extraction.
    A different source for a stored policy number + effective date: ``failed`` with both
    sources named, unless ``replace``. One bad file never stops the batch.
    """
    store = resolve_store(store_dir)
    files, missing = collect_sources(paths)
    batch = _Batch(store, files, len(files) + len(missing), echo, progress)
    for j, res in enumerate(missing, start=len(files)):
        batch.finish(j, res)

    index, memo = _ensure_index(store), _read_memo(store)
    batch.known = {
        rev["sha256"]: (policy, rev)
        for policy, info in index["policies"].items()
        for rev in info["revisions"]
    }
    todo: list[int] = []
    first_of: dict[str, int] = {}
    shas: dict[int, str] = {}
    for pos, path in enumerate(files):
        try:
            sha = shas[pos] = sha256_file(path)
        except OSError as err:
            batch.finish(
                pos, FileResult(str(path), "failed", message=f"{path}: cannot read ({err})")
            )
            continue
        if sha not in first_of and not batch.precheck(pos, sha, replace, index, memo):
            todo.append(pos)
        first_of.setdefault(sha, pos)

    changed: list[tuple[str, str]] = []
    ready: dict[int, Extracted] = {}
    next_k = 0
    for k, outcome in _extract_all([files[p] for p in todo], jobs):
        ready[k] = outcome
        while next_k in ready:  # store in input order: deterministic outcomes
            pos, (doc, problem, deterministic) = todo[next_k], ready.pop(next_k)
            next_k += 1
            if doc is None:
                if deterministic and problem:
                    with store_lock(store):
                        cause = problem.removeprefix(f"{files[pos]}: ")
                        _remember(store, shas[pos], {"outcome": "failed", "cause": cause})
                msg = problem or "failed"
                batch.finish(pos, FileResult(str(files[pos]), "failed", message=msg))
                continue
            try:
                res = _store_one(store, files[pos], doc, replace)
            except (OSError, PolicyToolsError) as exc:
                res = FileResult(str(files[pos]), "failed", message=f"{files[pos]}: {exc}")
            batch.finish(pos, res)
            if res.ref and res.status in ("added", "replaced"):
                policy, _, date = res.ref.partition("@")
                changed.append((policy, date))

    for pos, path in enumerate(files):  # later copies of the same bytes within the batch
        if pos in batch.results or pos not in shas:
            continue
        first = batch.results[first_of[shas[pos]]]
        note = f"same bytes as {first.source}"
        if first.status == "failed":
            batch.finish(pos, FileResult(str(path), "failed", message=note))
        else:
            batch.finish(pos, FileResult(str(path), "unchanged", first.ref, note))

    if batch.bar is not None:
        batch.bar.render_finish()
    result = IngestResult(store, [batch.results[i] for i in sorted(batch.results)])
    if reports and changed:
        _write_change_reports(store, changed, reports_dir or Path("reports"), result)
    return result


# --------------------------------------------------------------------------- views

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    """Text from a PDF is untrusted: drop control characters (terminal escapes)."""
    return _CONTROL.sub("", text)


def _one_line(text: str | None, limit: int = 0) -> str:
    s = " ".join(_clean(text or "").split())
    return s[: limit - 1] + "…" if limit and len(s) > limit else s


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


def versions_view(
    policy: str | None, *, store_dir: Path | str | None = None, as_json: bool = False
) -> str:
    """A table (or JSON) of stored policies, or of one policy's revisions."""
    store = resolve_store(store_dir)
    catalog = _catalog(store)["policies"]
    if policy is None:
        items = [
            {
                "policy": key,
                "number": info["number"],
                "name": info["name"],
                "revisions": len(info["revisions"]),
                "latest": info["revisions"][-1]["effective_date"],
            }
            for key, info in sorted(catalog.items())
        ]
        if as_json:
            return dumps({"store": str(store), "policies": items})
        if not items:
            return f"No policies stored in {store} (add some with `policy-tools ingest PATH`).\n"
        rows = [
            [i["policy"], _one_line(i["name"], 60), str(i["revisions"]), i["latest"]] for i in items
        ]
        return _table(["POLICY", "NAME", "REVISIONS", "LATEST"], rows) + "\n"
    ref = resolve_ref(policy.partition("@")[0], store)
    info = catalog.get(ref.policy)
    if info is None:
        raise StoreError(
            f"{ref.policy} is stored but missing from {store / INDEX_NAME}; "
            "run `policy-tools store rebuild-index`"
        )
    if as_json:
        return dumps({"policy": ref.policy, **info})
    header = f"{ref.policy}  {_one_line(info['name'])}".rstrip()
    rows = [
        [
            r["effective_date"],
            _one_line(r["review_type"]) or "-",
            _one_line(r["source"]),
            r["sha256"][:12],
            str(r["pages"]),
        ]
        for r in info["revisions"]
    ]
    table = _table(["EFFECTIVE", "REVIEW TYPE", "SOURCE", "SHA256", "PAGES"], rows)
    return f"{header}\n{table}\n"


SECTIONS = (
    "policy",
    "source",
    "criteria",
    "codes",
    "dosing",
    "history",
    "references",
    "definitions",
    "sections",
    "warnings",
)


def _kv(pairs: list[tuple[str, str | None]]) -> list[str]:
    width = max(len(k) for k, _ in pairs)
    return [f"{k + ':':<{width + 1}} {_one_line(v) or '-'}" for k, v in pairs]


def _page(page: int | None) -> str:
    return f"  [p. {page}]" if page is not None else ""


def _text_policy(doc: PolicyDocument) -> list[str]:
    m = doc.policy
    mark = {True: "[x]", False: "[ ]", None: "[?]"}
    cats = ", ".join(f"{mark[c.checked]} {c.label}" for c in m.service_categories)
    return _kv(
        [
            ("Number", m.number),
            ("Name", m.name),
            ("Title", m.title),
            ("Drug", " / ".join(x for x in (m.drug.brand, m.drug.generic) if x)),
            ("Scope", ", ".join(m.scope)),
            ("Line of business", m.line_of_business),
            ("Service categories", cats),
            ("Origination date", m.origination_date),
            ("Last review date", m.last_review_date),
            ("Effective date", m.effective_date),
            ("Revision frequency", m.revision_frequency),
        ]
    )


def _text_source(doc: PolicyDocument) -> list[str]:
    s = doc.source
    return _kv(
        [
            ("File", s.path),
            ("SHA-256", s.sha256),
            ("Format", s.format),
            ("Pages", str(s.pages)),
            ("Extractor", s.extractor_version),
        ]
    )


def _text_node(node: Node | Leaf, depth: int) -> list[str]:
    pad = "  " * depth
    head = " ".join(x for x in (node.label, _one_line(node.text)) if x)
    if isinstance(node, Leaf):
        return [f"{pad}{head}{_page(node.page)}"]
    joiner = "ALL of (AND)" if node.op == "AND" else "ANY of (OR)"
    lines = [f"{pad}{head + ' - ' if head else ''}{joiner}:{_page(node.page)}"]
    for item in node.items:
        lines.extend(_text_node(item, depth + 1))
    return lines


def _text_criteria(doc: PolicyDocument) -> list[str]:
    c = doc.criteria
    lines: list[str] = []
    for title, node in (
        ("Initial authorization", c.initial),
        ("Continuation of therapy", c.continuation),
        ("Not covered", c.not_covered),
    ):
        if node is not None:
            lines += [f"{title}:", *_text_node(node, 1)]
    a = c.authorization
    if a.initial_months is not None or a.reauthorization_months is not None:
        lines.append(
            f"Authorization period: initial {a.initial_months or '-'} months, "
            f"reauthorization {a.reauthorization_months or '-'} months{_page(a.page)}"
        )
    return lines or ["(no criteria found)"]


def _text_codes(doc: PolicyDocument) -> list[str]:
    if not doc.codes:
        return ["(no codes found)"]
    rows = [[c.system, c.code, _one_line(c.description, 70), str(c.page)] for c in doc.codes]
    return _table(["SYSTEM", "CODE", "DESCRIPTION", "PAGE"], rows).splitlines()


def _text_dosing(doc: PolicyDocument) -> list[str]:
    d = doc.dosing
    lines: list[str] = []
    if d.schedule:
        rows = [
            [_one_line(x, 40) for x in (r.schedule, r.day, r.dose, r.monitoring)] + [str(r.page)]
            for r in d.schedule
        ]
        lines += _table(["SCHEDULE", "DAY", "DOSE", "MONITORING", "PAGE"], rows).splitlines()
    if d.premedication:
        rows = [
            [_one_line(x, 50) for x in (p.day, p.medication, p.administration)] + [str(p.page)]
            for p in d.premedication
        ]
        lines += ["Premedication:"]
        lines += _table(["DAY", "MEDICATION", "ADMINISTRATION", "PAGE"], rows).splitlines()
    lines += [f"- {_one_line(n)}" for n in d.notes]
    return lines or ["(no dosing found)"]


def _text_history(doc: PolicyDocument) -> list[str]:
    lines: list[str] = []
    for h in doc.history:
        dates = ", ".join(
            f"{k} {v}"
            for k, v in (
                ("date", getattr(h, "date", None)),
                ("P&T", h.pt_approval_date),
                ("UM", h.um_approval_date),
            )
            if v
        )
        lines.append(f"{_one_line(h.review_type)}{f' ({dates})' if dates else ''}{_page(h.page)}")
        lines.append(f"  {_one_line(h.summary)}")
    return lines or ["(no policy history found)"]


def _text_sections(doc: PolicyDocument) -> list[str]:
    lines: list[str] = []
    for s in doc.sections:
        lines.append(f"== {_one_line(s.title)} [{s.key}]{_page(s.page)}")
        for b in s.blocks:
            pad = "  " * (b.level + 1)
            if b.type == "table":
                lines += [
                    f"{pad}| " + " | ".join(_one_line(c) for c in row) for row in b.rows or []
                ]
            else:
                lines.append(f"{pad}{' '.join(x for x in (b.label, _one_line(b.text)) if x)}")
    return lines or ["(no sections found)"]


def _text_view(doc: PolicyDocument, section: str) -> list[str]:
    simple: dict[str, Callable[[PolicyDocument], list[str]]] = {
        "policy": _text_policy,
        "source": _text_source,
        "criteria": _text_criteria,
        "codes": _text_codes,
        "dosing": _text_dosing,
        "history": _text_history,
        "sections": _text_sections,
        "references": lambda d: (
            [
                f"- {' '.join(x for x in (r.label, _one_line(r.text)) if x)}{_page(r.page)}"
                for r in d.references
            ]
            or ["(no references found)"]
        ),
        "definitions": lambda d: (
            [f"- {_one_line(x.term)}: {_one_line(x.text)}{_page(x.page)}" for x in d.definitions]
            or ["(no definitions found)"]
        ),
        "warnings": lambda d: (
            [f"- {w.code}: {_one_line(w.message)}{_page(w.page)}" for w in d.warnings]
            or ["(no warnings)"]
        ),
    }
    return simple[section](doc)


def show_view(
    ref: str,
    *,
    store_dir: Path | str | None = None,
    section: str | None = None,
    as_json: bool = False,
) -> str:
    """Pretty JSON or a readable text view of one revision (or one part of it)."""
    if section is not None and section not in SECTIONS:
        raise PolicyToolsError(
            f"unknown section '{section}'; valid sections: {', '.join(SECTIONS)}"
        )
    doc = load_revision(ref, store_dir)
    if as_json:
        if section is None:
            return dumps(doc)
        value = getattr(doc, section)
        data = value if isinstance(value, BaseModel) else doc.model_dump(mode="json")[section]
        return dumps(data)
    if section is not None:
        return "\n".join(_text_view(doc, section)) + "\n"
    title = f"{doc.policy.number or '(no number)'} {_one_line(doc.policy.name)}".rstrip()
    out = [f"{title} - effective {doc.policy.effective_date or '(unknown)'}"]
    for part in SECTIONS:
        if part == "sections":
            continue
        heading = part.capitalize()
        out += ["", heading, "-" * len(heading), *_text_view(doc, part)]
    out += ["", f"({len(doc.sections)} sections of full text: show with --section sections)"]
    return "\n".join(out) + "\n"
