"""Dosing schedule, premedication and dosing notes."""

from __future__ import annotations

import re

from ...model.policy import (
    Dosing,
    DosingRow,
    Premedication,
)
from ...vocab.sections import DOSING_KEYS
from .draft import Draft

_FOOTNOTE = re.compile(r"\s*\^[A-Za-z0-9]+")


def _col(header: list[str], *words: str) -> int | None:
    low = [h.lower() for h in header]
    for w in words:
        for i, h in enumerate(low):
            if w in h:
                return i
    return None


def _cell(row: list[str], i: int | None) -> str:
    if i is None or i >= len(row):
        return ""
    return _FOOTNOTE.sub("", row[i]).strip()


def dosing(d: Draft) -> None:
    ds = Dosing()
    for _, b in d.tables():
        rows = b.rows or []
        header = rows[0]
        pages = b.row_pages or [b.page] * len(rows)
        day = _col(header, "day")
        dose = _col(header, "dose")
        med = _col(header, "medication")
        admin = _col(header, "administration")
        if med is not None and admin is not None and day is not None:
            for r, pg in zip(rows[1:], pages[1:], strict=False):
                if not any(c.strip() for c in r[1:]):
                    continue
                ds.premedication.append(
                    Premedication(
                        day=_cell(r, day),
                        medication=_cell(r, med),
                        administration=_cell(r, admin),
                        page=pg,
                    )
                )
        elif dose is not None and day is not None and day != dose:
            sched = _col(header, "schedule", "cycle")
            mon = _col(header, "monitor")
            prev: DosingRow | None = None
            for r, pg in zip(rows[1:], pages[1:], strict=False):
                if not _cell(r, day) and not _cell(r, dose):
                    continue  # a sub-heading row such as "Exceptions"
                row = DosingRow(
                    schedule=_cell(r, sched) or (prev.schedule if prev else ""),
                    day=_cell(r, day),
                    dose=_cell(r, dose),
                    monitoring=_cell(r, mon) or (prev.monitoring if prev else ""),
                    page=pg,
                )
                ds.schedule.append(row)
                prev = row
    for _, b in d.blocks(*DOSING_KEYS):
        if b.kind in ("paragraph", "list_item") and b.text:
            ds.notes.append(b.text)
    d.dosing = ds
