"""Addressing revisions: reference resolution.

A *reference* names one policy revision wherever the CLI expects one:

- ``POLICY@YYYY-MM-DD`` - the revision of POLICY effective on that date;
- ``POLICY@latest`` / ``POLICY@previous`` / ``POLICY@inception`` - the newest, the one
  before the newest, and the oldest stored revision;
- ``POLICY`` alone - the same as ``POLICY@latest`` (when no such file exists);
- a path to a ``.json`` file (policy JSON, validated against the models) or to a source
  file (PDF, Markdown, HTML), which is extracted on the fly.

POLICY is the store key (the folder name, any case) or the policy number as printed
(``AB/CD-1`` finds ``AB-CD-1~<hash>``). The dates come from the folder listing (the
files are the truth); the catalog only helps find the folder (an indexed look-up of
the key or the printed number). A reference that names both a stored revision and a
file in the working folder is an error that says how to write either one; a reference
into a store folder that does not exist is an error too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, StoreError
from ..model.policy import PolicyDocument
from .catalog import existing_catalog
from .extraction import extract_file
from .keys import policy_key, series_key
from .layout import (
    DATE_RE,
    KEY_RE,
    STORE_ENV,
    list_policies,
    list_revisions,
    read_revision_file,
    require_store,
    resolve_store,
    revision_path,
)

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

ALIASES = ("latest", "previous", "inception")
_SOURCE_SUFFIXES = {".pdf", ".md", ".markdown", ".txt", ".html", ".htm", ".xhtml"}


@dataclass(frozen=True)
class Ref:
    """A resolved store reference."""

    policy: str
    date: str
    path: Path

    def __str__(self) -> str:
        return f"{self.policy}@{self.date}"


def _indexed(store: Path, name: str) -> list[str]:
    """Keys the catalog knows under ``name`` (key in any case, or printed number)."""
    db = existing_catalog(store)
    if db is None:
        return []
    try:
        return [p for p in db.find_policies(name) if list_revisions(store, p)]
    finally:
        db.close()


def _match_policy(store: Path, name: str) -> str:
    """The store key ``name`` stands for (O(1) folder checks, then the catalog)."""
    if KEY_RE.match(name) and list_revisions(store, name):
        return name
    key = policy_key(name)[0]
    if key != name and list_revisions(store, key):
        return key
    found = _indexed(store, name)
    if len(found) == 1:
        return found[0]
    series = series_key(name)
    if not found and series != name and list_revisions(store, series):
        return series  # a series named as printed ('P 2116' is filed under 'P-2116')
    known = list_policies(store)
    folded = found or [p for p in known if p.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    if len(folded) > 1:
        raise StoreError(f"'{name}' matches several stored policies: {', '.join(folded)}")
    if not known:
        raise StoreError(f"unknown policy '{name}': the store {store} holds no policies")
    raise StoreError(f"unknown policy '{name}' in {store}; stored policies: {', '.join(known)}")


def _pick(policy: str, which: str, sep: str, dates: list[str], ref: str) -> str:
    if not sep or which.lower() == "latest":
        return dates[-1]
    if which.lower() == "inception":
        return dates[0]
    if which.lower() == "previous":
        if len(dates) < 2:
            raise StoreError(
                f"{policy}@previous: only one revision is stored ({dates[0]}); "
                "there is no previous one"
            )
        return dates[-2]
    if DATE_RE.match(which):
        if which not in dates:
            raise StoreError(
                f"{policy} has no revision effective {which}; stored: {', '.join(dates)}"
            )
        return which
    raise StoreError(
        f"bad reference '{ref}': after '@' expected a date (YYYY-MM-DD) or one of "
        f"{', '.join(ALIASES)}; stored dates of {policy}: {', '.join(dates)}"
    )


def resolve_ref(ref: str, store_dir: Path | str | None = None) -> Ref:
    """Resolve ``POLICY@DATE|latest|previous|inception`` (or bare ``POLICY``) in the store."""
    store = resolve_store(store_dir)
    name, sep, which = ref.partition("@")
    name, which = name.strip(), which.strip()
    if not name:
        raise StoreError(f"bad reference '{ref}': expected POLICY@DATE, POLICY@latest, ...")
    try:
        require_store(store)
    except StoreError as err:
        raise StoreError(f"'{ref}' is not a file, and {err}") from err
    policy = _match_policy(store, name)
    date = _pick(policy, which, sep, list_revisions(store, policy), ref)
    return Ref(policy, date, revision_path(store, policy, date))


def _looks_like_file(ref: str) -> bool:
    p = Path(ref)
    return p.exists() or p.suffix.lower() in _SOURCE_SUFFIXES | {".json"} or os.sep in ref


def _explicit_path(ref: str) -> bool:
    """``./X``, ``dir/X``, ``/abs/X``: a path, never a store reference."""
    return os.sep in ref or bool(os.altsep and os.altsep in ref) or ref.startswith(".")


def _refuse_both(ref: str, store_dir: Path | str | None) -> None:
    """A file named like a stored revision: ask which one is meant."""
    store = resolve_store(store_dir)
    if not store.is_dir():
        return
    try:
        stored = resolve_ref(ref, store)
    except StoreError:
        return
    other = (
        f"{stored} for the stored revision"
        if not Path(str(stored)).exists()
        else "move the file to reach the stored revision"
    )
    raise StoreError(
        f"'{ref}' names both the file {Path(ref).resolve()} and the stored revision "
        f"{stored} in {store}; write ./{ref} for the file, or {other}"
    )


def load_revision(ref: str, store_dir: Path | str | None = None) -> PolicyDocument:
    """Load the revision ``ref`` names: a store reference or a file (see module doc).

    Raises StoreError for an unknown policy or date (listing what exists), or for a
    reference that names both a file and a stored revision, and InputError for an
    unreadable file.
    """
    path = Path(ref)
    if path.is_file() or ("@" not in ref and _looks_like_file(ref)):
        if path.is_file() and not _explicit_path(ref):
            _refuse_both(ref, store_dir)
        if not path.exists():
            raise InputError(path, "no such file (and not a store reference POLICY@DATE)")
        if path.suffix.lower() == ".json":
            return read_revision_file(path)
        return extract_file(path)
    return read_revision_file(resolve_ref(ref, store_dir).path)
