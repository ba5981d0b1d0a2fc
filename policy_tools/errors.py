"""Errors. Every failure the user can cause is a PolicyToolsError with a one-line message."""

from __future__ import annotations

from pathlib import Path


class PolicyToolsError(Exception):
    """Base class; the CLI prints ``str(err)`` and exits with ``exit_code``."""

    exit_code = 2
    # Whether the same input bytes fail the same way again. Ingest remembers only such
    # failures (``<store>/.catalog.sqlite``, table ``memo``) so they are not re-extracted.
    deterministic = True


class InputError(PolicyToolsError):
    """A source file cannot be read: names the file and the cause."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


class TransientError(PolicyToolsError):
    """A failure that says nothing about the input (memory, a time budget, a killed
    worker): never remembered as bad bytes, the next ingest tries the file again."""

    deterministic = False


class StoreError(PolicyToolsError):
    """The version store refused an operation (conflict, unknown reference, ...)."""


class ConflictError(StoreError):
    """A different source claims an already stored policy number and effective date."""


class OutputError(PolicyToolsError):
    """An output file cannot be written (missing permission, a path under a file, ...)."""

    def __init__(self, path: str | Path, err: OSError) -> None:
        self.path = str(path)
        reason = err.strerror or (str(err.args[0]) if err.args else str(err))
        super().__init__(f"cannot write {self.path}: {reason}")


class BudgetError(InputError):
    """A source went over an extraction budget (time, characters, stream size, objects).

    ``transient`` is true for the wall-time budget, which depends on the machine's load:
    a caller caching bad inputs must not remember such a failure as a property of the bytes.
    """

    def __init__(self, path: str | Path, cause: str, budget: str, transient: bool) -> None:
        self.budget = budget
        self.transient = transient
        super().__init__(path, cause)
        # never remembered as bad bytes: the time budget depends on load, and every
        # budget can be raised by the user (--max-seconds, ...) for the next run
        self.deterministic = False
