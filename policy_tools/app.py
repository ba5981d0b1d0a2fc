"""Use cases: what each command does, as library calls returning data.

The CLI parses arguments, calls one of these, renders the result (``render/``) and
turns a ``PolicyToolsError`` into a one-line message and exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .codegen.outcomes import OutcomeReport, outcome_report
from .compare import diff_documents
from .errors import PolicyToolsError, StoreError
from .export import FORMATS as EXPORT_FORMATS
from .export import Witness, export_document
from .io import sha256_file, write_output
from .model.catalog import Catalog, CatalogPolicy
from .model.changeset import ChangeSet
from .model.policy import PolicyDocument
from .model.schema import write_schemas
from .render.module import generate_module
from .render.report import FORMATS, default_generated_at, render
from .render.text import SECTIONS
from .store import (
    IngestResult,
    StoreReport,
    check_store,
    ingest_paths,
    keep_source,
    list_revisions,
    load_revision,
    read_catalog,
    read_revision_file,
    rebuild_catalog,
    repair_store,
    resolve_ref,
    resolve_store,
    revision_path,
    storage_key,
)
from .store.extraction import extract_file, library_logs_on, resolve_budgets
from .store.ingest import Progress

__all__ = [
    "EXPORT_FORMATS",
    "audit",
    "check",
    "codegen",
    "diff",
    "export",
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
    "store_path",
    "write_reports",
]


def extract(
    source: Path,
    *,
    jobs: int = 1,
    budgets: dict[str, float | None] | None = None,
    progress: Callable[[int, int], None] | None = None,  # extract.PageProgress
) -> PolicyDocument:
    """Extract one file; ``budgets`` overrides the defaults and environment by name."""
    limits = resolve_budgets(budgets)
    return extract_file(source, budgets=limits, jobs=jobs, progress=progress)


def show_library_logs() -> None:
    """Let the PDF libraries' log lines through (``-v``; the CLI's handler prints them)."""
    library_logs_on()


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
        write_output(path, text)
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
    keep_sources: bool = False,
) -> IngestResult:
    """Store every policy file in ``paths``; write change reports for newer revisions.

    ``keep_sources``: keep a copy of every stored PDF under ``<store>/.sources`` (by
    sha256), so ``serve`` can show its pages.
    """
    result = ingest_paths(paths, store_dir=store_dir, jobs=jobs, replace=replace, progress=progress)
    if keep_sources:
        _keep_sources(result)
    if reports and result.changed:
        _change_reports(result, reports_dir or Path("reports"))
    return result


def _keep_sources(result: IngestResult) -> None:
    """Copy the PDF of every file that is now a stored revision (added, replaced or
    unchanged); a copy that cannot be written is a note, the revision stays stored."""
    for res in result.files:
        if res.status == "failed" or not res.ref:
            continue
        source = Path(res.source)
        try:
            keep_source(result.store, source, sha256_file(source))
        except (OSError, PolicyToolsError) as err:
            result.report_notes.append(f"{source.name}: source copy not kept ({err})")


def store_path(store_dir: Path | str | None = None) -> Path:
    """The store folder a command works on (``--store``, ``$POLICY_TOOLS_STORE`` or
    ``./extracted``)."""
    return resolve_store(store_dir)


def policies(store_dir: Path | str | None = None) -> Catalog:
    """The catalog of stored policies (a missing store folder is an error)."""
    return read_catalog(store_dir)


def revisions(policy: str, store_dir: Path | str | None = None) -> CatalogPolicy:
    """One policy's entry in the catalog (its revisions, oldest first)."""
    store = resolve_store(store_dir)
    ref = resolve_ref(policy.partition("@")[0], store)
    cat = read_catalog(store, ref.policy)
    entry = cat.get(ref.policy)
    if entry is None:
        raise StoreError(
            f"none of the revision files of {ref.policy} reads: {'; '.join(cat.problems)}"
        )
    return entry.model_copy(update={"problems": cat.problems})


def show(
    ref: str, section: str | None = None, store_dir: Path | str | None = None
) -> PolicyDocument:
    """One stored revision (the section name is checked here, rendered by the caller)."""
    if section is not None and section not in SECTIONS:
        raise PolicyToolsError(
            f"unknown section '{section}'; valid sections: {', '.join(SECTIONS)}"
        )
    return load_revision(ref, store_dir)


def rebuild(store_dir: Path | str | None = None) -> StoreReport:
    """Recreate the catalog from the revision files (damaged ones named)."""
    return rebuild_catalog(store_dir)


def check(store_dir: Path | str | None = None, *, repair: bool = False) -> StoreReport:
    """Verify the store (``repair``: and fix what can be fixed)."""
    return repair_store(store_dir) if repair else check_store(store_dir)


def codegen(ref: str, store_dir: Path | str | None = None) -> str:
    """The executable criteria module of one revision (refused: criteria not read)."""
    return generate_module(load_revision(ref, store_dir))


def outcomes(old_ref: str, new_ref: str, store_dir: Path | str | None = None) -> OutcomeReport:
    """Which cases change their combined decision between two revisions (refused when
    either revision's criteria could not be read)."""
    return outcome_report(*load_pair(old_ref, new_ref, store_dir))


def _neighbours(doc: PolicyDocument, store_dir: Path | str | None) -> list[PolicyDocument]:
    """The stored revisions just before and after ``doc`` (whose criteria were read)."""
    store = resolve_store(store_dir)
    policy, date, _ = storage_key(doc, Path(doc.source.path))
    dates = list_revisions(store, policy)
    before = [d for d in dates if d < date][-1:]
    after = [d for d in dates if d > date][:1]
    docs = [read_revision_file(revision_path(store, policy, d)) for d in (*before, *after)]
    return [d for d in docs if d.criteria.readable]


def _witnesses(doc: PolicyDocument, store_dir: Path | str | None) -> list[Witness]:
    """The witness cases of ``outcomes`` against the neighbouring revisions, in ``doc``'s ids."""
    out: list[Witness] = []
    date = doc.policy.effective_date or ""
    for other in _neighbours(doc, store_dir):
        older = (other.policy.effective_date or "") < date
        report = outcome_report(other, doc) if older else outcome_report(doc, other)
        for ch in report.changes:
            case, index = (ch.new_case, ch.new_index) if older else (ch.old_case, ch.old_index)
            label = f"{report.old} -> {report.new} {ch.tree} {ch.direction}"
            out.append((label, ch.tree, index, case))
    return out


def export(ref: str, fmt: str, store_dir: Path | str | None = None) -> str:
    """One export of a revision (``EXPORT_FORMATS``); vectors include the witness cases
    of ``outcomes`` against the stored neighbouring revisions."""
    if fmt not in EXPORT_FORMATS:
        raise PolicyToolsError(f"unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}")
    doc = load_revision(ref, store_dir)
    witnesses = _witnesses(doc, store_dir) if fmt == "vectors" and doc.criteria.readable else []
    return export_document(doc, fmt, witnesses)


def schema(check: bool = False) -> str:
    """Regenerate (or check) the committed JSON Schemas; a one-line report per file."""
    return write_schemas(check=check)
