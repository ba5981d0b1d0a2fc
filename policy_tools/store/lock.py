"""The store lock: one flock(2) guard for every write into a store."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError

LOCK_NAME = ".lock"


@contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``<store>/.lock`` (blocks until free).

    A store folder that cannot be created or written is one StoreError naming it.
    """
    try:
        store.mkdir(parents=True, exist_ok=True)
        fh = open(store / LOCK_NAME, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as err:
        raise StoreError(f"cannot write to the store {store} ({err.strerror or err})") from err
    with fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
