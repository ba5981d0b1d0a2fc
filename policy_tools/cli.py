"""The ``policy-tools`` command line: a thin click layer over ``app``.

Each command parses its arguments, calls one use case, renders its result (``render/``),
prints it and exits; a PolicyToolsError becomes a one-line ``Error:`` message and its
exit code.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import app
from .errors import PolicyToolsError
from .io import dumps, write_output
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
    store_report_text,
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
    """Print ``text`` or write it atomically to ``output`` (a failure: OutputError)."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_output(output, text)
        click.echo(f"Wrote {strip_control(str(output))}", err=True)


def changeset_json(cs: ChangeSet) -> str:
    return dumps(cs.model_dump(mode="json", by_alias=True))


class CleanGroup(click.Group):
    """click's own messages (a bad option, a missing file) name what the user typed:
    control characters are stripped from them like from every other line we print."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as err:
            err.message = strip_control(err.message)  # type: ignore[misc]
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as err:
            err.message = strip_control(err.message)  # type: ignore[misc]
            raise
        except BrokenPipeError:  # stdout closed early (`| head`): a failed output, exit 2
            _silence_stdout()
            click.echo("Error: cannot write to standard output (broken pipe)", err=True)
            sys.exit(2)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (tests)
        pass


class _StderrLog(logging.Handler):
    """Library log lines on stderr (``-v``), control characters stripped."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(strip_control(self.format(record)) + "\n")
        except Exception:  # pragma: no cover - logging must never break a command
            self.handleError(record)


_LOGGING: list[logging.Handler] = []  # the handler this module installed


def configure_logging(verbose: bool) -> None:
    """Library log lines (pdfminer, pypdfium2, ...) and Python warnings reach stderr only
    with ``-v``; otherwise they are dropped (not even Python's last-resort handler)."""
    root = logging.getLogger()
    for old in _LOGGING:
        root.removeHandler(old)
    _LOGGING.clear()
    handler: logging.Handler = _StderrLog() if verbose else logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _LOGGING.append(handler)
    logging.captureWarnings(True)


@click.group(cls=CleanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policy-tools")
@click.option(
    "-v", "--verbose", is_flag=True, help="Show library log lines and warnings on stderr."
)
def cli(verbose: bool) -> None:
    """Version, compare and audit clinical medical policies published as PDFs."""
    configure_logging(verbose)
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
@click.option(
    "--keep-sources",
    is_flag=True,
    help="Keep a copy of each stored PDF in <store>/.sources (serve shows its pages).",
)
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
    keep_sources: bool,
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
            keep_sources=keep_sources,
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
        for line in cat.problems:
            click.echo(f"Problem: {strip_control(line)}", err=True)
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


@cli.group(cls=CleanGroup)
def store() -> None:
    """Maintain the version store."""


@store.command("rebuild-index")
@store_option
@handle_errors
def rebuild_index_cmd(store_dir: Path | None) -> None:
    """Recreate the catalog (extracted/.catalog.sqlite) from the stored revision files.

    Exit code 0: rebuilt; 1: rebuilt, but some revision files do not read (each named,
    with the fix); 2: error (e.g. no store folder).
    """
    done = app.rebuild(store_dir)
    click.echo(store_report_text(done, "Rebuilt"), nl=False)
    sys.exit(done.exit_code)


@store.command("check")
@store_option
@click.option("--repair", is_flag=True, help="Fix what can be fixed, and say what was done.")
@handle_errors
def check_cmd(store_dir: Path | None, repair: bool) -> None:
    """Verify every revision file (schema, recorded source sha256) and the catalog.

    Names each problem with its fix; writes nothing unless --repair. Exit code 0: the
    store is clean; 1: problems found (with --repair: found, each fixed or not); 2: error.
    """
    done = app.check(store_dir, repair=repair)
    click.echo(store_report_text(done, "Repaired" if repair else "Checked"), nl=False)
    sys.exit(done.exit_code)


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
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "json", "csv"]),
    default="html",
    show_default=True,
)
@output_option
@handle_errors
def report(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Render a change report (HTML, Markdown, JSON, or CSV: one row per change) for OLD -> NEW."""
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
@click.argument("ref")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(app.EXPORT_FORMATS)),
    required=True,
    help="FHIR R4 Questionnaire or ValueSets, CQL text, ELM JSON, or the test vectors.",
)
@store_option
@output_option
@handle_errors
def export(ref: str, fmt: str, store_dir: Path | None, output: Path | None) -> None:
    """Export the criteria of revision REF for prior-authorization systems.

    fhir-questionnaire: what to ask (SDC/DTR); fhir-valueset: a Bundle of one ValueSet
    per code table; cql / elm: the decision logic; vectors: cases -> expected decision.
    Deterministic; exit code 2 when the criteria could not be read.
    """
    emit(app.export(ref, fmt, store_dir), output)


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def outcomes(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Which cases change their decision between OLD and NEW, each with a witness case.

    A decision combines an indication's criteria with the policy-wide exclusions.
    Exit code 0: no outcome changes; 1: outcome changes found; 2: error (also when either
    revision's criteria could not be read).
    """
    result = app.outcomes(old, new, store_dir)
    emit(dumps(result.to_json()) if fmt == "json" else outcomes_text(result), output)
    sys.exit(result.exit_code)


@cli.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option(
    "--sources",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder holding the source PDFs of stored revisions (repeatable).",
)
@handle_errors
def serve(store_dir: Path | None, host: str, port: int, sources: tuple[Path, ...]) -> None:
    """Browse, compare, search and try cases in a local web app (Ctrl-C stops it).

    Pages: the policy list (/), code search (/codes?q=C7A.1), a policy's timeline
    (/policy/NUMBER), a comparison beside the PDF pages
    (/policy/NUMBER/compare/OLD-DATE...NEW-DATE), try a case, and upload.
    """
    # lazy: imported eagerly, the web stack (Starlette, uvicorn, PDFium, multipart) costs
    # every other command 0.07-0.2 s of start-up (130-160 ms under python -X importtime;
    # see LAZY_IMPORTS in tests/test_architecture.py)
    from . import web

    if not web.is_loopback(host):
        click.echo(
            f"Warning: --host {host} serves beyond this machine: anyone who can reach it "
            "can read the store and upload to it",
            err=True,
        )
    click.echo(f"Serving the store {app.store_path(store_dir)} on http://{host}:{port}/", err=True)
    web.serve(store_dir, host=host, port=port, sources=list(sources))


if __name__ == "__main__":  # pragma: no cover
    cli()
