"""Errors. Every failure the user can cause is a PolicyToolsError with a one-line message."""

from __future__ import annotations

from pathlib import Path


class PolicyToolsError(Exception):
    """Base class; the CLI prints ``str(err)`` and exits with ``exit_code``."""

    exit_code = 2


class InputError(PolicyToolsError):
    """A source file cannot be read: names the file and the cause."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


class StoreError(PolicyToolsError):
    """The version store refused an operation (conflict, unknown reference, ...)."""


class ConflictError(StoreError):
    """A different source claims an already stored policy number and effective date."""


class BudgetError(InputError):
    """A source went over an extraction budget (time, characters, stream size, objects).

    ``transient`` is true for the wall-time budget, which depends on the machine's load:
    a caller caching bad inputs must not remember such a failure as a property of the bytes.
    """

    def __init__(self, path: str | Path, cause: str, budget: str, transient: bool) -> None:
        self.budget = budget
        self.transient = transient
        super().__init__(path, cause)
