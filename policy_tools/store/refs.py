"""Addressing revisions: store location, revision listing and reference resolution.

A *reference* names one policy revision wherever the CLI expects one:

- ``POLICY@YYYY-MM-DD`` - the revision of POLICY effective on that date;
- ``POLICY@latest`` / ``POLICY@previous`` / ``POLICY@inception`` - the newest, the one
  before the newest, and the oldest stored revision;
- ``POLICY`` alone - the same as ``POLICY@latest`` (when no such file exists);
- a path to a ``.json`` file (policy JSON, validated against the models) or to a source
  file (PDF, Markdown, HTML), which is extracted on the fly.

The store is ``<store>/<policy-key>/<effective-date>.json``; the JSON files are the
source of truth, so resolution reads the folder listing, never the derived catalog.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import InputError, StoreError
from ..extract import extract_file
from ..model.policy import PolicyDocument

__all__ = [
    "DATE_RE",
    "STORE_ENV",
    "Ref",
    "list_policies",
    "list_revisions",
    "load_revision",
    "read_revision_file",
    "resolve_ref",
    "resolve_store",
    "revision_path",
]

STORE_ENV = "POLICY_TOOLS_STORE"
DEFAULT_STORE = Path("extracted")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ALIASES = ("latest", "previous", "inception")
_SOURCE_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".html", ".htm", ".xhtml"}


def resolve_store(store_dir: Path | str | None) -> Path:
    """``store_dir`` if given, else ``$POLICY_TOOLS_STORE``, else ``./extracted``."""
    if store_dir is not None and str(store_dir) != "":
        return Path(store_dir)
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else DEFAULT_STORE


def revision_path(store: Path, policy: str, date: str) -> Path:
    return store / policy / f"{date}.json"


def list_policies(store: Path) -> list[str]:
    """Policy keys that have at least one stored revision, sorted."""
    if not store.is_dir():
        return []
    return sorted(
        p.name
        for p in store.iterdir()
        if p.is_dir() and not p.name.startswith(".") and list_revisions(store, p.name)
    )


def list_revisions(store: Path, policy: str) -> list[str]:
    """Effective dates stored for ``policy``, oldest first."""
    folder = store / policy
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix == ".json" and DATE_RE.match(p.stem))


def read_revision_file(path: Path) -> PolicyDocument:
    """Read and validate one policy JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(path, "no such file") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(path, f"cannot read file ({err})") from err
    try:
        return PolicyDocument.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "(document)"
        raise InputError(
            path,
            f"not valid policy JSON ({err.error_count()} errors; first at {where}: {first['msg']})",
        ) from err


@dataclass(frozen=True)
class Ref:
    """A resolved store reference."""

    policy: str
    date: str
    path: Path

    def __str__(self) -> str:
        return f"{self.policy}@{self.date}"


def _match_policy(store: Path, name: str) -> str:
    known = list_policies(store)
    if name in known:
        return name
    folded = [p for p in known if p.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    if not known:
        raise StoreError(f"unknown policy '{name}': the store {store} holds no policies")
    raise StoreError(f"unknown policy '{name}' in {store}; stored policies: {', '.join(known)}")


def resolve_ref(ref: str, store_dir: Path | str | None = None) -> Ref:
    """Resolve ``POLICY@DATE|latest|previous|inception`` (or bare ``POLICY``) in the store."""
    store = resolve_store(store_dir)
    name, sep, which = ref.partition("@")
    name, which = name.strip(), which.strip()
    if not name:
        raise StoreError(f"bad reference '{ref}': expected POLICY@DATE, POLICY@latest, ...")
    policy = _match_policy(store, name)
    dates = list_revisions(store, policy)
    if not sep or which.lower() == "latest":
        date = dates[-1]
    elif which.lower() == "inception":
        date = dates[0]
    elif which.lower() == "previous":
        if len(dates) < 2:
            raise StoreError(
                f"{policy}@previous: only one revision is stored ({dates[0]}); "
                "there is no previous one"
            )
        date = dates[-2]
    elif DATE_RE.match(which):
        if which not in dates:
            raise StoreError(
                f"{policy} has no revision effective {which}; stored: {', '.join(dates)}"
            )
        date = which
    else:
        raise StoreError(
            f"bad reference '{ref}': after '@' expected a date (YYYY-MM-DD) or one of "
            f"{', '.join(ALIASES)}; stored dates of {policy}: {', '.join(dates)}"
        )
    return Ref(policy, date, revision_path(store, policy, date))


def _looks_like_file(ref: str) -> bool:
    p = Path(ref)
    return p.exists() or p.suffix.lower() in _SOURCE_SUFFIXES | {".json"} or os.sep in ref


def load_revision(ref: str, store_dir: Path | str | None = None) -> PolicyDocument:
    """Load the revision ``ref`` names: a store reference or a file (see module doc).

    Raises StoreError for an unknown policy or date (listing what exists) and
    InputError for an unreadable file.
    """
    if Path(ref).is_file() or ("@" not in ref and _looks_like_file(ref)):
        path = Path(ref)
        if not path.exists():
            raise InputError(path, "no such file (and not a store reference POLICY@DATE)")
        if path.suffix.lower() == ".json":
            return read_revision_file(path)
        return extract_file(path)
    return read_revision_file(resolve_ref(ref, store_dir).path)
