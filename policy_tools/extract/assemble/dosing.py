"""Dosing: the schedule and premedication tables of the MMM template, any other dosing
table as printed (its columns, rows as column -> cell, the page and box of each row and
the columns that key a row), dosing notes, and each indication's share of them.

A table is a dosing table when a header cell names a dose, regimen or limit
(``vocab.dosing``), or when it is printed in a dosing section without a header. A row
whose key cell names indications (an 'Indication' column, 'All indications', a product
group) is copied into those indications' dosing.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ...model.policy import (
    Box,
    Dosing,
    DosingRow,
    DosingTable,
    Indication,
    Leaf,
    Node,
    Premedication,
    TableRow,
)
from ...settings import SETTINGS
from ...text import normalize_space
from ...vocab.dosing import ALL_INDICATIONS, DOSING_COLUMNS, INDICATION_COLUMNS
from ...vocab.sections import DOSING_KEYS
from ..blocks import RawBlock
from .codes import code_columns
from .draft import Draft, RawSection

_FOOTNOTE = re.compile(r"\s*\^[A-Za-z0-9]+")
_NOT_DOSING = frozenset({"history", "references"})  # sections whose tables hold no dosing
_BULLET = re.compile(r"(?:^|\s)[•▪\uf0b7\uf0a7]\s*")


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


def _row_box(b: RawBlock, i: int) -> list[Box] | None:
    boxes = b.row_boxes
    return [boxes[i]] if boxes and i < len(boxes) else None


def _premedication(d: Draft, b: RawBlock, rows: list[list[str]], pages: list[int]) -> bool:
    header = rows[0]
    day, med, admin = (
        _col(header, "day"),
        _col(header, "medication"),
        _col(header, "administration"),
    )
    if med is None or admin is None or day is None:
        return False
    for i, (r, pg) in enumerate(zip(rows[1:], pages[1:], strict=False), start=1):
        if not any(c.strip() for c in r[1:]):
            continue
        d.dosing.premedication.append(
            Premedication(
                day=_cell(r, day),
                medication=_cell(r, med),
                administration=_cell(r, admin),
                page=pg,
                box=_row_box(b, i),
            )
        )
        d.use(b, "dosing", [0, i])
    return True


def _schedule(d: Draft, b: RawBlock, rows: list[list[str]], pages: list[int]) -> bool:
    header = rows[0]
    day, dose = _col(header, "day"), _col(header, "dose")
    if dose is None or day is None or day == dose:
        return False
    sched, mon = _col(header, "schedule", "cycle"), _col(header, "monitor")
    prev: DosingRow | None = None
    for i, (r, pg) in enumerate(zip(rows[1:], pages[1:], strict=False), start=1):
        if not _cell(r, day) and not _cell(r, dose):
            continue  # a sub-heading row such as "Exceptions"
        row = DosingRow(
            schedule=_cell(r, sched) or (prev.schedule if prev else ""),
            day=_cell(r, day),
            dose=_cell(r, dose),
            monitoring=_cell(r, mon) or (prev.monitoring if prev else ""),
            page=pg,
            box=_row_box(b, i),
        )
        d.dosing.schedule.append(row)
        d.use(b, "dosing", [0, i])
        prev = row
    return True


def dosing(d: Draft) -> None:
    d.dosing = Dosing()
    for s, b in d.tables():
        rows = b.rows or []
        pages = b.row_pages or [b.page] * len(rows)
        if _premedication(d, b, rows, pages) or _schedule(d, b, rows, pages):
            continue
        table = _generic(s, b, d)
        if table is not None:
            d.dosing.tables.append(table)
    for _, b in d.blocks(*DOSING_KEYS):
        if b.kind in ("paragraph", "list_item") and b.text:
            d.dosing.notes.append(b.text)
            d.use(b, "dosing")
    _to_indications(d)


# ------------------------------------------------------------------ any dosing table


def _merge_header(rows: list[list[str]]) -> tuple[list[str], int]:
    """A header printed over rows whose first cell repeats ('Dose Limit/' + 'Maximum
    Dose') becomes one row; returns it and the number of rows it took."""
    header, k = list(rows[0]), 1
    while k < len(rows) and rows[k] and rows[k][0] == header[0] and len(rows[k]) == len(header):
        header = [
            h if c == h else normalize_space(f"{h} {c}")
            for h, c in zip(header, rows[k], strict=True)
        ]
        k += 1
    return header, k


def _in_dosing_section(d: Draft, s: RawSection) -> bool:
    """A dosing section, or a sub-section printed right after one ('Max Units ...')."""
    k = d.sections.index(s)
    for prev in reversed(d.sections[: k + 1]):
        base = re.sub(r"_\d+$", "", prev.key)
        if base in DOSING_KEYS:
            return True
        if prev.recognised:
            return False
    return False


def _is_header(row: list[str]) -> bool:
    """Header cells are short names without figures ('Dose Limit/', 'Low Daily Dose')."""
    cells = [c for c in row if c.strip()]
    limit = SETTINGS.assemble.header_cell_words
    return bool(cells) and all(len(c.split()) <= limit and not re.search(r"\d", c) for c in cells)


def _generic(s: RawSection, b: RawBlock, d: Draft) -> DosingTable | None:
    rows = b.rows or []
    if not rows or code_columns(rows[0]) is not None or (id(b), 1) in d.used_rows:
        return None
    if re.sub(r"_\d+$", "", s.key) in _NOT_DOSING or s.key.startswith("codes"):
        return None
    header, skip = _merge_header(rows)
    named = _is_header(header) and any(DOSING_COLUMNS.search(h) for h in header)
    if not named and not _in_dosing_section(d, s):
        return None
    if not named:
        header, skip = [str(i + 1) for i in range(max(len(r) for r in rows))], 0
    columns = [normalize_space(h) or str(i + 1) for i, h in enumerate(header)]
    pages = b.row_pages or [b.page] * len(rows)
    out: list[TableRow] = []
    for i in range(skip, len(rows)):
        cells = [_clean(c) for c in rows[i]]
        if not any(cells):
            continue
        out.append(
            TableRow(
                cells=dict(zip(columns, cells, strict=False)), page=pages[i], box=_row_box(b, i)
            )
        )
    d.use(b, "dosing", range(len(rows)))
    keys = [c for c in columns[:1]]
    firsts = [r.cells.get(keys[0], "") for r in out] if keys else []
    if len(columns) > 2 and len(set(firsts)) < len(firsts):
        keys = columns[:2]  # the first column repeats ('Class'): the first two key a row
    return DosingTable(
        title=_title_of(s, b), page=b.page, columns=columns if named else [], key=keys, rows=out
    )


def _clean(cell: str) -> str:
    return normalize_space(_BULLET.sub(" ", cell or ""))


def _title_of(s: RawSection, b: RawBlock) -> str | None:
    """The heading printed last before the table in its section (else the section's)."""
    title = s.title or None
    for blk in s.blocks:
        if blk is b:
            break
        if blk.kind == "paragraph" and blk.bold and blk.text:
            title = blk.text
    return title


# ------------------------------------------------------------------ per indication


def _tree_words(ind: Indication) -> set[str]:
    words: set[str] = set()

    def walk(p: Node | Leaf | None) -> None:
        if p is None:
            return
        words.update(re.findall(r"[\w+\-]+", p.text or ""))
        if isinstance(p, Node):
            for i in p.items:
                walk(i)

    walk(ind.initial)
    walk(ind.continuation)
    return words


def names_indication(cell: str, ind: Indication) -> bool:
    """Does a row's key cell name this indication ('Bone metastases from solid tumors,
    Multiple Myeloma, & Systemic Mastocytosis'; 'B-ALL (relapsed or refractory)')?"""
    if ALL_INDICATIONS.search(cell):
        return True
    words = _tree_words(ind)
    for part in re.split(r",|&|;|\band\b", cell):
        part = part.strip()
        if len(part) < 3:
            continue
        if _near(part, ind.name):
            return True
        first = part.split()[0]
        if len(first) >= 3 and ("-" in first or first.isupper()) and first in words:
            return True  # an abbreviation the criteria print ('B-ALL')
    return False


def _near(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return fuzz.token_set_ratio(a.lower(), b.lower()) >= SETTINGS.match.row_match


def _to_indications(d: Draft) -> None:
    """Rows of dosing tables keyed by indication (or by product group) join the dosing
    of the indications they name; limits printed with the criteria join every one."""
    inds = d.criteria.indications
    scopes = list(dict.fromkeys(s for s in d.scopes.values() if s))  # printed order
    for table in d.dosing.tables:
        key = next((c for c in table.columns if INDICATION_COLUMNS.search(c)), None)
        first = table.key[0] if table.key else None
        group = next((s for s in scopes if _near(table.title, s)), None)
        for ind in inds:
            scope = d.scopes.get(ind.name)
            if group is not None and not _near(group, scope):
                continue  # a table printed under another product group
            if key is not None:
                rows = [r for r in table.rows if names_indication(r.cells.get(key, ""), ind)]
            elif first is not None and scope is not None:
                rows = [r for r in table.rows if _near(r.cells.get(first, ""), scope)]
            else:
                rows = []
            if rows:
                ind.dosing.tables.append(table.model_copy(update={"rows": rows}, deep=True))
    for ind in inds:
        ind.dosing.notes.extend(text for text, _ in d.limits)
