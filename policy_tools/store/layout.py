"""The store's folder layout: where it is, which revisions it holds, reading one.

``<store>/<policy-key>/<effective-date>.json`` are the revisions (the truth); everything
else in the store is derived or a guard (``.catalog.sqlite``, ``.lock``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError, StoreError
from ..io import sha256_bytes
from ..model.policy import PolicyDocument

STORE_ENV = "POLICY_TOOLS_STORE"
DEFAULT_STORE = Path("extracted")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# a store key as keys.py makes them: never a path (no separator, no leading dot)
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
TEMP_SUFFIX = ".tmp"


def resolve_store(store_dir: Path | str | None) -> Path:
    """``store_dir`` if given, else ``$POLICY_TOOLS_STORE``, else ``./extracted``."""
    if store_dir is not None and str(store_dir) != "":
        return Path(store_dir)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def require_store(store: Path) -> Path:
    """``store`` when it is a folder; a reading command on a missing store is an error."""
    if not store.is_dir():
        what = "is not a folder" if store.exists() else "does not exist"
        raise StoreError(f"no version store at {store} (the folder {what}; see --store)")
    return store


def revision_path(store: Path, policy: str, date: str) -> Path:
    return store / policy / f"{date}.json"


def is_revision_name(name: str) -> bool:
    return name.endswith(".json") and DATE_RE.match(name[: -len(".json")]) is not None


def is_temp_name(name: str) -> bool:
    """A temp file of an atomic write (``.<name>.<random>.tmp``)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def policy_folders(store: Path) -> list[str]:
    """Names of every policy folder (sub-folders named like a store key), sorted."""
    if not store.is_dir():
        return []
    return sorted(e.name for e in os.scandir(store) if e.is_dir() and KEY_RE.match(e.name))


def list_policies(store: Path) -> list[str]:
    """Policy keys that have at least one stored revision, sorted."""
    return [p for p in policy_folders(store) if list_revisions(store, p)]


def list_revisions(store: Path, policy: str) -> list[str]:
    """Effective dates stored for ``policy``, oldest first."""
    folder = store / policy
    if not KEY_RE.match(policy) or not folder.is_dir():
        return []
    return sorted(e.name[: -len(".json")] for e in os.scandir(folder) if is_revision_name(e.name))


def parse_revision(path: Path, data: bytes) -> PolicyDocument:
    """Validate the bytes of one policy JSON file (``path`` names it in the error)."""
    try:
        return PolicyDocument.model_validate_json(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(document)"
        raise InputError(
            path,
            f"not valid policy JSON ({err.error_count()} errors; first at {where}: {first['msg']})",
        ) from err


def read_revision_bytes(path: Path) -> tuple[PolicyDocument, str]:
    """Read and validate one policy JSON file; returns it with the sha256 of its bytes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise InputError(path, "no such file") from err
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror or err})") from err
    return parse_revision(path, data), sha256_bytes(data)


def read_revision_file(path: Path) -> PolicyDocument:
    """Read and validate one policy JSON file."""
    return read_revision_bytes(path)[0]
