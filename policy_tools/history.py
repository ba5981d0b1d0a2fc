"""The policy-history table: the one definition of "the newest row" and of the rows a
revision added, imported by the store (review type in ``versions``), the diff (revision
info), the audit (the claims) and the reports.

Payers print the table newest first (MMM, FEP) or oldest first (Cigna's Revision
Details), so position alone says nothing: the newest row is the one with the latest
date it prints (its own date, P&T or UM approval). Rows with the same date are told
apart by the order the table is printed in, read off its dated rows (a table without
dates is taken as written in time order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .model.policy import HistoryEntry, PolicyDocument
from .text import compare_key

__all__ = [
    "date_key",
    "entries_between",
    "new_entries",
    "newest_entry",
    "newest_new_entry",
    "review_type",
    "row_dates",
    "row_key",
]

_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}")


def row_dates(row: HistoryEntry) -> list[str]:
    """Dates a row prints (its own date, P&T and UM approval), ISO or YYYY-MM forms."""
    return [d for d in (row.date, row.pt_approval_date, row.um_approval_date) if d]


def date_key(row: HistoryEntry) -> str:
    """The row's latest printed date ('' when it prints none)."""
    return max((d for d in row_dates(row) if _ISO_PREFIX.match(d)), default="")


def _newest_first(rows: Sequence[HistoryEntry]) -> bool:
    """Is the table printed newest first? Read off its first and last dated rows; a
    table without dates is taken as written in time order (the last row is newest)."""
    dated = [k for k in (date_key(r) for r in rows) if k]
    return bool(dated) and dated[0] > dated[-1]


def _newest(rows: Sequence[tuple[int, HistoryEntry]], newest_first: bool) -> HistoryEntry | None:
    if not rows:
        return None

    def rank(item: tuple[int, HistoryEntry]) -> tuple[str, int]:
        pos, row = item
        return date_key(row), -pos if newest_first else pos

    return max(rows, key=rank)[1]


def newest_entry(doc: PolicyDocument) -> HistoryEntry | None:
    """The newest row of the policy-history table (None when there is no table)."""
    return _newest(list(enumerate(doc.history)), _newest_first(doc.history))


def review_type(doc: PolicyDocument) -> str | None:
    """Review type of the newest history row ('Annual Review', 'Selected Revision', ...)."""
    row = newest_entry(doc)
    return (row.review_type or None) if row else None


def row_key(row: HistoryEntry) -> tuple[str, str | None, str | None, str | None, str]:
    """What makes two printed rows the same row."""
    return (
        compare_key(row.review_type),
        row.pt_approval_date,
        row.um_approval_date,
        row.date,
        compare_key(row.summary),
    )


def new_entries(old: PolicyDocument, new: PolicyDocument) -> list[tuple[int, HistoryEntry]]:
    """Rows of NEW's table that OLD's table does not have, with their positions."""
    seen = {row_key(h) for h in old.history}
    return [(k, h) for k, h in enumerate(new.history) if row_key(h) not in seen]


def newest_new_entry(old: PolicyDocument, new: PolicyDocument) -> HistoryEntry | None:
    """The newest row NEW added to the table (None when it added none)."""
    return _newest(new_entries(old, new), _newest_first(new.history))


def revision_date(doc: PolicyDocument) -> str | None:
    """The date a revision stands for: its effective date, else its last review date."""
    return doc.policy.effective_date or doc.policy.last_review_date


def _after(row_date: str, bound: str) -> bool | None:
    """Is a row dated after ``bound``? None when a month-only date cannot tell."""
    if len(row_date) == len(bound) or len(row_date) > 7:
        return row_date > bound
    month = bound[:7]
    return None if row_date == month else row_date > month


def entries_between(old: PolicyDocument, new: PolicyDocument) -> list[tuple[int, HistoryEntry]]:
    """The history rows of NEW that describe the revisions after OLD, up to NEW itself,
    oldest first: rows OLD's table does not have, dated after OLD's date and not after
    NEW's (a row whose date cannot tell - none, or the month of OLD's date - counts).
    """
    low, high = revision_date(old), revision_date(new)
    if low and high and high <= low:
        high = None  # no usable upper bound
    out: list[tuple[int, HistoryEntry]] = []
    for k, row in new_entries(old, new):
        when = date_key(row)
        if when and low and _after(when, low) is False:
            continue  # OLD's own revision or earlier (a row re-typed since)
        if when and high and _after(when, high):
            continue  # dated after NEW itself
        out.append((k, row))
    newest_first = _newest_first(new.history)
    out.sort(key=lambda item: (date_key(item[1]), -item[0] if newest_first else item[0]))
    return out
