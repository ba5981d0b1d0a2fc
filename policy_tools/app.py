"""Use cases: what each command does, as library calls returning data.

The CLI parses arguments, calls one of these, renders the result (``render/``) and
turns a ``PolicyToolsError`` into a one-line message and exit code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .codegen.outcomes import OutcomeReport, outcome_report
from .compare import diff_documents
from .errors import PolicyToolsError, StoreError
from .extract import LIBRARY_LOGGERS, PageProgress, extract_file, resolve_budgets
from .io import atomic_write_text
from .model.catalog import Catalog, CatalogPolicy
from .model.changeset import ChangeSet
from .model.policy import PolicyDocument
from .model.schema import write_schemas
from .render.module import generate_module
from .render.report import FORMATS, default_generated_at, render
from .render.text import SECTIONS
from .store import (
    INDEX_NAME,
    IngestResult,
    catalog,
    ingest_paths,
    list_revisions,
    load_revision,
    read_revision_file,
    rebuild_index,
    resolve_ref,
    resolve_store,
    revision_path,
    storage_key,
)
from .store.ingest import Progress

__all__ = [
    "audit",
    "codegen",
    "diff",
    "extract",
    "ingest",
    "load_pair",
    "outcomes",
    "policies",
    "rebuild",
    "report",
    "report_paths",
    "revisions",
    "schema",
    "show",
    "show_library_logs",
    "write_reports",
]


def extract(
    source: Path,
    *,
    jobs: int = 1,
    budgets: dict[str, float | None] | None = None,
    progress: PageProgress | None = None,
) -> PolicyDocument:
    """Extract one file; ``budgets`` overrides the defaults and environment by name."""
    limits = resolve_budgets(budgets)
    return extract_file(source, budgets=limits, jobs=jobs, progress=progress)


def show_library_logs() -> None:
    """Let the PDF libraries' log lines through to standard error (``-v``)."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)


def load_pair(
    old_ref: str, new_ref: str, store_dir: Path | str | None
) -> tuple[PolicyDocument, PolicyDocument]:
    """Load two revisions (store references or files)."""
    return load_revision(old_ref, store_dir), load_revision(new_ref, store_dir)


def diff(old_ref: str, new_ref: str, store_dir: Path | str | None = None) -> ChangeSet:
    """The change set (with its audit) of two revisions."""
    return diff_documents(*load_pair(old_ref, new_ref, store_dir))


audit = diff  # the audit is part of every change set


def report(
    old_ref: str,
    new_ref: str,
    fmt: str,
    store_dir: Path | str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The change report of two revisions as HTML, Markdown or JSON."""
    old, new = load_pair(old_ref, new_ref, store_dir)
    return render(diff_documents(old, new), old, new, fmt, generated_at=generated_at)


def report_paths(old: PolicyDocument, new: PolicyDocument, reports_dir: Path) -> list[Path]:
    """``<reports_dir>/<policy>/<from>_to_<to>.<fmt>``, keyed exactly like the version store."""
    policy, new_date, _ = storage_key(new, Path(new.source.path))
    _, old_date, _ = storage_key(old, Path(old.source.path))
    return [Path(reports_dir) / policy / f"{old_date}_to_{new_date}.{fmt}" for fmt in FORMATS]


def write_reports(
    old: PolicyDocument,
    new: PolicyDocument,
    reports_dir: Path,
    *,
    generated_at: datetime | None = None,
) -> list[Path]:
    """Write ``reports/<policy>/<from>_to_<to>.{html,md,json}`` atomically; return the paths."""
    paths = report_paths(old, new, reports_dir)
    changeset = diff_documents(old, new)
    when = generated_at or default_generated_at()
    texts = [render(changeset, old, new, fmt, generated_at=when) for fmt in FORMATS]
    for path, text in zip(paths, texts, strict=True):
        atomic_write_text(path, text)
    return paths


def _change_reports(result: IngestResult, reports_dir: Path) -> None:
    """Report predecessor -> revision for every revision the batch added or replaced."""
    for key, date in result.changed:
        older = [d for d in list_revisions(result.store, key) if d < date]
        if not older:
            continue
        try:
            old = read_revision_file(revision_path(result.store, key, older[-1]))
            new = read_revision_file(revision_path(result.store, key, date))
            result.reports.extend(write_reports(old, new, reports_dir))
        except Exception as err:  # the revisions are stored; say what went wrong and go on
            result.report_errors.append(
                f"change report {key} {older[-1]} -> {date} failed: "
                f"{err if isinstance(err, PolicyToolsError) else repr(err)}"
            )


def ingest(
    paths: list[Path],
    *,
    store_dir: Path | str | None = None,
    jobs: int = 1,
    replace: bool = False,
    reports: bool = True,
    reports_dir: Path | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Store every policy file in ``paths``; write change reports for newer revisions."""
    result = ingest_paths(paths, store_dir=store_dir, jobs=jobs, replace=replace, progress=progress)
    if reports and result.changed:
        _change_reports(result, reports_dir or Path("reports"))
    return result


def policies(store_dir: Path | str | None = None) -> Catalog:
    """The catalog of stored policies."""
    return catalog(resolve_store(store_dir))


def revisions(policy: str, store_dir: Path | str | None = None) -> CatalogPolicy:
    """One policy's entry in the catalog (its revisions, oldest first)."""
    store = resolve_store(store_dir)
    ref = resolve_ref(policy.partition("@")[0], store)
    entry = catalog(store).get(ref.policy)
    if entry is None:
        raise StoreError(
            f"{ref.policy} is stored but missing from {store / INDEX_NAME}; "
            "run `policy-tools store rebuild-index`"
        )
    return entry


def show(
    ref: str, section: str | None = None, store_dir: Path | str | None = None
) -> PolicyDocument:
    """One stored revision (the section name is checked here, rendered by the caller)."""
    if section is not None and section not in SECTIONS:
        raise PolicyToolsError(
            f"unknown section '{section}'; valid sections: {', '.join(SECTIONS)}"
        )
    return load_revision(ref, store_dir)


@dataclass(frozen=True)
class Rebuilt:
    path: Path
    policies: int
    revisions: int


def rebuild(store_dir: Path | str | None = None) -> Rebuilt:
    """Recreate the catalog from the revision files."""
    store = resolve_store(store_dir)
    index = rebuild_index(store)
    n_rev = sum(len(p["revisions"]) for p in index["policies"].values())
    return Rebuilt(store / INDEX_NAME, len(index["policies"]), n_rev)


def codegen(ref: str, store_dir: Path | str | None = None) -> str:
    """The executable criteria module of one revision."""
    return generate_module(load_revision(ref, store_dir))


def outcomes(old_ref: str, new_ref: str, store_dir: Path | str | None = None) -> OutcomeReport:
    """Which cases change decision between two revisions."""
    return outcome_report(*load_pair(old_ref, new_ref, store_dir))


def schema(check: bool = False) -> str:
    """Regenerate (or check) the committed JSON Schemas; a one-line report per file."""
    return write_schemas(check=check)
