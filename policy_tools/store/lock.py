"""The store lock: one flock(2) guard for every write into a store."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".lock"


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
