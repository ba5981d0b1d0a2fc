"""Store keys: the policy folder and the effective date a revision is filed under."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import StoreError
from ..history import row_dates
from ..model.policy import PolicyDocument
from ..vocab.identifiers import series_of
from .refs import DATE_RE


def _slug(text: str, *, lower: bool) -> str:
    """Folder-safe key: numbers keep case and dots (5.21.169); names become a-z0-9 words."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()) if lower else text.strip()
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s)
    s = re.sub(r"-{2,}", "-", s).strip(".-_")
    if len(s) > 60:  # cut at a word boundary
        s = s[:60].rsplit("-", 1)[0] if "-" in s[:60] else s[:60]
    return s


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
    key = _slug(number or "", lower=False)
    if key:
        if key != number:
            notes.append(f"policy number '{number}' stored as '{key}'")
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
