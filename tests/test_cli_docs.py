"""Every click command of ``policy-tools`` and every option of it is documented in README.md,
and every command has --help."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from policy_tools.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def walk(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Full command paths, groups included, e.g. ('store',), ('store', 'rebuild-index')."""
    for name in sorted(group.commands):
        command = group.commands[name]
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from walk(command, path)


COMMANDS = [" ".join(p) for p in walk(cli)]


def test_walk_finds_the_whole_surface() -> None:
    for expected in (
        "extract",
        "ingest",
        "diff",
        "audit",
        "report",
        "schema",
        "store rebuild-index",
    ):
        assert expected in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_command_documented_in_readme(command: str) -> None:
    assert README.exists(), "README.md is missing"
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"policy-tools {command}" in text, f"README.md does not mention 'policy-tools {command}'"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: cli {command}" in result.output or f"Usage: policy-tools {command}" in (
        result.output
    )
    lines = [line for line in result.output.splitlines()[1:] if line.strip()]
    assert lines and not lines[0].strip().startswith("Options:"), "no help text"


def _command(path: str) -> click.Command:
    command: click.Command = cli
    for name in path.split():
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_documented_in_readme(command: str) -> None:
    text = README.read_text(encoding="utf-8")
    options = [
        max(param.opts, key=len)
        for param in _command(command).params
        if isinstance(param, click.Option) and "--help" not in param.opts
    ]
    missing = [opt for opt in options if opt not in text]
    assert missing == [], f"README.md does not document {missing} of 'policy-tools {command}'"
