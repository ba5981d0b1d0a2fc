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
