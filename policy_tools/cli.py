"""The ``policy-tools`` command line: a thin click layer over the library.

Each command parses its arguments, calls one library function and turns a
PolicyToolsError into a one-line message with a non-zero exit code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import PolicyToolsError

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn PolicyToolsError into ``Error: <message>`` on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyToolsError as err:
            click.echo(f"Error: {err}", err=True)
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


def emit(text: str, output: Path | None) -> None:
    """Print ``text`` or write it atomically to ``output``."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        from .io import atomic_write_text

        atomic_write_text(output, text)
        click.echo(f"Wrote {output}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policy-tools")
def cli() -> None:
    """Version, compare and audit clinical medical policies published as PDFs."""


@cli.command()
@click.argument("source", type=click.Path(path_type=Path))
@output_option
@handle_errors
def extract(source: Path, output: Path | None) -> None:
    """Extract SOURCE (PDF, Markdown or HTML) into policy JSON.

    The JSON validates against policy_tools/schema/policy.schema.json. Nothing is
    written when the source cannot be read.
    """
    from .extract import extract_file
    from .io import dumps

    emit(dumps(extract_file(source)), output)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--replace", is_flag=True, help="Overwrite a stored revision from another source.")
@click.option(
    "-j",
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Extract in this many parallel processes.",
)
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
    from .store import ingest_paths

    result = ingest_paths(
        list(paths),
        store_dir=store_dir,
        jobs=jobs,
        replace=replace,
        reports=not no_reports,
        reports_dir=reports_dir,
        echo=lambda line: click.echo(line, err=True),
        progress=sys.stderr.isatty(),
    )
    click.echo(result.summary_text(), nl=False)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("policy", required=False)
@store_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON.")
@handle_errors
def versions(policy: str | None, store_dir: Path | None, as_json: bool) -> None:
    """List stored policies, or the revisions of POLICY."""
    from .store import versions_view

    click.echo(versions_view(policy, store_dir=store_dir, as_json=as_json), nl=False)


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
    from .store import show_view

    click.echo(show_view(ref, store_dir=store_dir, section=section, as_json=as_json), nl=False)


@cli.group()
def store() -> None:
    """Maintain the version store."""


@store.command("rebuild-index")
@store_option
@handle_errors
def rebuild_index_cmd(store_dir: Path | None) -> None:
    """Recreate extracted/index.json from the stored revision files."""
    from .store import rebuild_index

    click.echo(rebuild_index(store_dir=store_dir), nl=False)


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


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def diff(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Semantic diff of two revisions (store references or files).

    Exit code 0: no content changes; 1: changes found; 2: error.
    """
    from .diff import diff_view

    text, code = diff_view(old, new, store_dir=store_dir, fmt=fmt)
    emit(text, output)
    sys.exit(code)


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
    from .audit import audit_view

    text, code = audit_view(old, new, store_dir=store_dir, fmt=fmt)
    emit(text, output)
    sys.exit(code)


@cli.command()
@_compare_options
@click.option(
    "--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True
)
@output_option
@handle_errors
def report(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Render a change report (HTML, Markdown or JSON) for OLD -> NEW."""
    from .report import report_view

    emit(report_view(old, new, store_dir=store_dir, fmt=fmt), output)


@cli.command()
@click.option("--check", is_flag=True, help="Fail if the committed schemas are out of date.")
@handle_errors
def schema(check: bool) -> None:
    """Regenerate the committed JSON Schemas from the typed models."""
    from .schema import write_schemas

    click.echo(write_schemas(check=check), nl=False)


@cli.command()
@click.argument("ref")
@store_option
@output_option
@handle_errors
def codegen(ref: str, store_dir: Path | None, output: Path | None) -> None:
    """Generate the executable criteria module (Python) of revision REF."""
    from .codegen import codegen_view

    emit(codegen_view(ref, store_dir=store_dir), output)


@cli.command()
@_compare_options
@text_or_json_option
@output_option
@handle_errors
def outcomes(old: str, new: str, store_dir: Path | None, fmt: str, output: Path | None) -> None:
    """Which cases change decision between OLD and NEW (minimal sets of met criteria).

    Exit code 0: no outcome changes; 1: outcome changes found; 2: error.
    """
    from .codegen import outcomes_view

    text, code = outcomes_view(old, new, store_dir=store_dir, fmt=fmt)
    emit(text, output)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    cli()
