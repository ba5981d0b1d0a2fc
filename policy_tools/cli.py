"""The ``policy-tools`` command line: a thin click layer over ``app``.

Each command parses its arguments, calls one use case, renders its result (``render/``),
prints it and exits; a PolicyToolsError becomes a one-line ``Error:`` message and its
exit code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import app
from .errors import PolicyToolsError
from .io import atomic_write_text, dumps
from .model.changeset import ChangeSet
from .render.text import (
    audit_text,
    diff_text,
    ingest_line,
    ingest_summary,
    outcomes_text,
    policies_text,
    revisions_text,
    show_text,
)
from .store import FileResult
from .text import strip_control
from .version import __version__

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn PolicyToolsError into ``Error: <message>`` on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyToolsError as err:
            click.echo(f"Error: {strip_control(str(err))}", err=True)
            sys.exit(err.exit_code)

    return wrapper  # type: ignore[return-value]


def store_option(func: F) -> F:
    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="POLICY_TOOLS_STORE",
        default=None,
        help="Version store folder (default: ./extracted, or $POLICY_TOOLS_STORE).",
    )(func)


def output_option(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Write to this file (atomically) instead of standard output.",
    )(func)


def text_or_json_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Readable text, or the JSON for machines.",
    )(func)


def _compare_options(func: F) -> F:
    func = store_option(func)
    func = click.argument("new")(func)
    func = click.argument("old")(func)
    return func


def emit(text: str, output: Path | None) -> None:
    """Print ``text`` or write it atomically to ``output``."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        atomic_write_text(output, text)
        click.echo(f"Wrote {strip_control(str(output))}", err=True)


def changeset_json(cs: ChangeSet) -> str:
    return dumps(cs.model_dump(mode="json", by_alias=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policy-tools")
@click.option("-v", "--verbose", is_flag=True, help="Show the PDF libraries' own log lines.")
def cli(verbose: bool) -> None:
    """Version, compare and audit clinical medical policies published as PDFs."""
    if verbose:
        app.show_library_logs()


def budget_options(func: F) -> F:
    """``--max-seconds`` and the other extraction budgets (defaults in settings.Budgets)."""
    for name, kind, what in reversed(
        [
            ("max-seconds", float, "Wall time for one file, in seconds."),
            ("max-chars-per-page", int, "Characters on one page."),
            ("max-stream-mb", float, "Decompressed size of one PDF stream, in MiB."),
            ("max-objects-per-page", int, "Layout objects (paths, text runs) on one page."),
        ]
    ):
        env = "POLICY_TOOLS_" + name.upper().replace("-", "_")
        func = click.option(
            f"--{name}",
            type=click.FloatRange(min=0, min_open=True) if kind is float else click.IntRange(1),
            default=None,
            help=f"{what} Default from ${env}, else the built-in budget.",
        )(func)
    return func


def jobs_option(what: str) -> Callable[[F], F]:
    """``-j/--jobs N``: how many processes do the work."""
    return click.option(
        "-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 64), help=what
    )


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@output_option
@jobs_option("Read the pages of a PDF in this many processes (same output for any value).")
@budget_options
@handle_errors
def extract(source: Path, output: Path | None, jobs: int, **budgets: float | None) -> None:
    """Extract SOURCE (PDF, Markdown or HTML) into policy JSON.

    The JSON validates against policy_tools/schema/policy.schema.json. Nothing is
    written when the source cannot be read, or when it goes over a budget.
    """
    bar = _PageBar(sys.stderr.isatty())
    try:
        doc = app.extract(source, jobs=jobs, budgets=budgets, progress=bar)
    finally:
        bar.close()
    emit(dumps(doc), output)


class _Progress:
    """A progress bar on a terminal, plain lines otherwise."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.bar: Any = None

    def __call__(self, done: int, total: int, res: FileResult) -> None:
        if not self.tty:
            click.echo(ingest_line(done, total, res), err=True)
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Ingesting", file=sys.stderr)
            self.bar.render_progress()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()


class _PageBar(_Progress):
    """Pages read inside one file: a progress bar on a terminal, nothing otherwise."""

    def __call__(self, done: int, total: int, res: FileResult | None = None) -> None:
        if not self.tty or total < 2:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Reading pages", file=sys.stderr)
            self.bar.render_progress()
        self.bar.update(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--replace", is_flag=True, help="Overwrite a stored revision from another source.")
@jobs_option("Extract in this many parallel processes.")
@click.option("--no-reports", is_flag=True, help="Do not write change reports for new revisions.")
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where change reports go (default: ./reports).",
)
@handle_errors
def ingest(
    paths: tuple[Path, ...],
    store_dir: Path | None,
    replace: bool,
    jobs: int,
    no_reports: bool,
    reports_dir: Path | None,
) -> None:
    """Extract, validate and store every policy file in PATHS (files or folders).

    Exit code 0 when every file was added or unchanged, 1 when any failed.
    """
    progress = _Progress(sys.stderr.isatty())
    try:
        result = app.ingest(
            list(paths),
            store_dir=store_dir,
            jobs=jobs,
            replace=replace,
            reports=not no_reports,
            reports_dir=reports_dir,
            progress=progress,
        )
    finally:
        progress.close()
    click.echo(ingest_summary(result), nl=False)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("policy", required=False)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@handle_errors
def versions(policy: str | None, store_dir: Path | None, as_json: bool) -> None:
    """List stored policies, or the revisions of POLICY."""
    if policy is None:
        cat = app.policies(store_dir)
        if as_json:
            items = [
                {
                    "policy": p.key,
                    "number": p.number,
                    "name": p.name,
                    "revisions": len(p.revisions),
                    "latest": p.latest,
                }
                for p in cat.policies
            ]
            click.echo(dumps({"store": cat.store, "policies": items}), nl=False)
        else:
            click.echo(policies_text(cat), nl=False)
        return
    entry = app.revisions(policy, store_dir)
    if as_json:
        data = entry.model_dump(mode="json", exclude={"key"})
        click.echo(dumps({"policy": entry.key, **data}), nl=False)
    else:
        click.echo(revisions_text(entry), nl=False)


@cli.command()
@click.argument("ref")
@store_option
@click.option(
    "--section",
    default=None,
    help="Only this part: policy, criteria, codes, dosing, history, references, ...",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a readable text view.")
@handle_errors
def show(ref: str, store_dir: Path | None, section: str | None, as_json: bool) -> None:
    """Show a stored revision REF (POLICY@DATE, @latest, @previous, @inception, or a file)."""
    doc = app.show(ref, section, store_dir)
    if not as_json:
        click.echo(show_text(doc, section), nl=False)
    elif section is None:
        click.echo(dumps(doc), nl=False)
    else:
        click.echo(dumps(doc.model_dump(mode="json")[section]), nl=False)


@cli.group()
def store() -> None:
    """Maintain the version store."""


@store.command("rebuild-index")
@store_option
@handle_errors
def rebuild_index_cmd(store_dir: Path | None) -> None:
    """Recreate extracted/index.json from the stored revision files."""
    done = app.rebuild(store_dir)
    click.echo(f"Rebuilt {done.path}: {done.policies} policies, {done.revisions} revisions")


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def diff(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Semantic diff of two revisions (store references or files).

    Exit code 0: no content changes; 1: changes found; 2: error.
    """
    cs = app.diff(old, new, store_dir)
    emit(changeset_json(cs) if fmt == "json" else diff_text(cs), output)
    sys.exit(1 if cs.changes else 0)


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def audit(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Check the newest policy-history summary against what really changed.

    Exit code 0: the summary tells the truth; 1: undocumented changes or unsupported
    claims; 2: error.
    """
    cs = app.audit(old, new, store_dir)
    if fmt == "json":
        keep = {"from_", "to", "audit", "schema_version"}
        text = dumps(cs.model_dump(mode="json", by_alias=True, include=keep))
    else:
        text = audit_text(cs)
    emit(text, output)
    sys.exit(1 if cs.audit.undocumented or cs.audit.unsupported_claims else 0)


@cli.command()
@_compare_options
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True
)
@output_option
@handle_errors
def report(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Render a change report (HTML, Markdown or JSON) for OLD -> NEW."""
    emit(app.report(old, new, fmt, store_dir), output)


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed schemas are out of date.")
@handle_errors
def schema(check: bool) -> None:
    """Regenerate the committed JSON Schemas from the typed models."""
    click.echo(app.schema(check=check), nl=False)


@cli.command()
@click.argument("ref")
@store_option
@output_option
@handle_errors
def codegen(ref: str, store_dir: Path | None, output: Path | None) -> None:
    """Generate the executable criteria module (Python) of revision REF."""
    emit(app.codegen(ref, store_dir), output)


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def outcomes(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Which cases change decision between OLD and NEW (minimal sets of met criteria).

    Exit code 0: no outcome changes; 1: outcome changes found; 2: error.
    """
    result = app.outcomes(old, new, store_dir)
    emit(dumps(result.to_json()) if fmt == "json" else outcomes_text(result), output)
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    cli()
