"""Store keys: the policy folder and the effective date a revision is filed under."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..errors import StoreError
from ..history import row_dates
from ..model.policy import PolicyDocument
from ..settings import SETTINGS
from ..text import squash
from ..vocab.identifiers import series_of
from .layout import DATE_RE

_S = SETTINGS.store
# characters a folder name keeps as printed; '~' never occurs in a kept number, so a
# key with '~<hash>' can never equal another number kept as printed
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
HASH_MARK = "~"


def _cut(s: str) -> str:
    """At most ``key_max_chars``, cut at a word boundary when there is one."""
    if len(s) <= _S.key_max_chars:
        return s
    head = s[: _S.key_max_chars]
    return head.rsplit("-", 1)[0] if "-" in head else head


def _slug(text: str, *, lower: bool) -> str:
    """Folder-safe key: numbers keep case and dots (5.21.169); names become a-z0-9 words."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()) if lower else text.strip()
    s = _UNSAFE.sub("-", s)
    return _cut(re.sub(r"-{2,}", "-", s).strip(".-_"))


def policy_key(number: str) -> tuple[str, str | None]:
    """The folder of a printed policy number, one-to-one: (key, note or None).

    A number that is already folder-safe (``MP-RX-FP-171-25``, ``5.21.169``) is its own
    key. Any other (a '/', a space, a leading dot, over ``key_max_chars``) becomes its
    folder-safe form plus ``~`` and a short sha256 of the number as printed, so
    ``AB/CD-1`` (``AB-CD-1~<hash>``) and ``AB-CD-1`` never share a folder; the note says
    so (and that the number was cut, when it was).
    """
    printed = squash(number)
    safe = _slug(printed, lower=False)
    if safe == printed:
        return printed, None
    digest = hashlib.sha256(printed.encode("utf-8")).hexdigest()[: _S.key_hash_chars]
    key = f"{safe or 'number'}{HASH_MARK}{digest}"
    cut = len(_UNSAFE.sub("-", printed).strip(".-_")) > _S.key_max_chars
    why = (
        f"cut to {_S.key_max_chars} characters for its folder name"
        if cut
        else "characters outside A-Z a-z 0-9 . _ - replaced"
    )
    return key, f"policy number '{printed}' stored as '{key}' ({why}; the hash keeps it unique)"


def series_key(series: str) -> str:
    """The folder of a policy series ('P 2116' -> 'P-2116'): our own name, never printed,
    so its folder-safe form needs no hash."""
    return _slug(series, lower=False)


def policy_series(doc: PolicyDocument) -> tuple[str | None, list[str]]:
    """What keys the policy: its series when the printed number counts revisions
    (UHC '2024 P 2116-18' and '2025 P 2116-22' are revisions of 'P 2116',
    ``vocab.identifiers.SERIES_PATTERNS``), else the number as printed."""
    meta = doc.policy
    series = meta.series or series_of(meta.number)
    if series and meta.number and series != meta.number:
        return series, [f"policy number '{meta.number}' is a revision of series '{series}'"]
    return meta.number, []


def storage_key(doc: PolicyDocument, source: Path) -> tuple[str, str, list[str]]:
    """(policy key, effective date, notes) under which ``doc`` is stored (see module doc)."""
    meta = doc.policy
    number, notes = policy_series(doc)
    if notes and number:  # a series is our own name, not printed: its folder-safe form
        key = series_key(number)
    elif number and squash(number):
        key, note = policy_key(number)
        notes.extend([note] if note else [])
    elif key := _slug(meta.name or "", lower=True):
        notes.append(f"no policy number; filed under its name as '{key}'")
    else:
        stem = re.sub(r"\d{4}-\d{2}-\d{2}", "", source.stem)
        key = _slug(stem, lower=True) or "unnamed"
        notes.append(f"no policy number or name; filed under its file name as '{key}'")
    date = (
        meta.effective_date if meta.effective_date and DATE_RE.match(meta.effective_date) else None
    )
    if date is None:
        named = re.findall(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", source.name)
        history = [d for row in doc.history for d in row_dates(row) if DATE_RE.match(d)]
        for what, found in (
            ("the last review date", meta.last_review_date),
            ("the date in the file name", named[-1] if named else None),
            ("the newest policy-history date", max(history) if history else None),
        ):
            if found and DATE_RE.match(found):
                date = found
                notes.append(f"no effective date; filed under {what} {date}")
                break
        else:
            raise StoreError(
                f"{source}: no effective date found (nor a last review date, a date in the "
                "file name or a policy-history date), so the revision cannot be placed in "
                "the version history"
            )
    return key, date, notes
