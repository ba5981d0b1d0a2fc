"""The policy-history table, or history printed as dated lines."""

from __future__ import annotations

import re

from ...model.policy import (
    Box,
    HistoryEntry,
)
from ...text import join_lines, normalize_space, to_iso_date, to_iso_month_or_date
from .codes import code_columns
from .draft import Draft


def _history_columns(header: list[str]) -> dict[str, int] | None:
    low = [normalize_space(h.lower()) for h in header]
    cols: dict[str, int] = {}
    for i, h in enumerate(low):
        if "p&t" in h or "p & t" in h:
            cols.setdefault("pt", i)
        elif re.search(r"\bum\b|um/", h):
            cols.setdefault("um", i)
        elif h.startswith(("type", "action")) or h in ("review", "review type"):
            cols.setdefault("type", i)
        elif "summary" in h or "description" in h or "change" in h or "revision" in h:
            cols.setdefault("summary", i)
        elif "date" in h:
            cols.setdefault("date", i)
    if "summary" in cols and ("type" in cols or "date" in cols or "pt" in cols):
        return cols
    return None


def _merge_header_rows(rows: list[list[str]]) -> list[list[str]]:
    """A header printed over several rows (first cell merged down) becomes one row."""
    if not rows:
        return rows
    header, i = list(rows[0]), 1
    while i < len(rows) and rows[i] and rows[i][0] == header[0] and len(rows[i]) == len(header):
        header = [
            h if not c.strip() or c == h else f"{h} {c}".strip()
            for h, c in zip(header, rows[i], strict=True)
        ]
        i += 1
    return [header, *rows[i:]]


def history(d: Draft) -> None:
    previous: tuple[dict[str, int], int] | None = None  # columns of the last history table
    for s, b in d.tables():
        rows = _merge_header_rows(b.rows or [])
        pages = b.row_pages or [b.page] * len(rows)
        cols = _history_columns(rows[0]) if code_columns(rows[0]) is None else None
        width = max(len(r) for r in rows)
        if cols is None and previous is not None and s.key.startswith("history"):
            if width != previous[1]:
                continue
            cols = previous[0]  # the same table continued (text in between cut it)
            rows, pages = [[], *rows], [b.page, *pages]
        if cols is None or not (s.key.startswith("history") or "type" in cols or "pt" in cols):
            continue
        previous = (cols, width)
        shift = len(b.rows or []) - len(rows)  # header rows merged (or one put in front)
        boxes, printed = b.row_boxes or [], b.row_pages or [b.page] * len(b.rows or [])
        d.use(b, "history", range(max(shift + 1, 1)))
        for i, (r, pg) in enumerate(zip(rows[1:], pages[1:], strict=False), start=1):
            k = i + shift  # the row's index in the printed table
            box = [boxes[k]] if 0 <= k < len(boxes) else None
            page = printed[k] if 0 <= k < len(printed) else pg
            if _history_row(d, r, page, cols, box):
                d.use(b, "history", [k])


def _history_row(
    d: Draft, row: list[str], page: int, cols: dict[str, int], box: list[Box] | None
) -> bool:
    def cell(name: str) -> str:
        i = cols.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    summary = cell("summary")
    if not summary:
        return False
    if d.history and not cell("type") and not cell("date") and not cell("pt") and not cell("um"):
        last = d.history[-1]  # a row that only continues the previous entry's summary
        last.summary = join_lines(f"{last.summary}\n{summary}")
        if box and last.box is not None and all(b.page != box[0].page for b in last.box):
            last.box = [*last.box, *box]
        return True
    um = to_iso_date(cell("um")) or to_iso_date(cell("date"))
    d.history.append(
        HistoryEntry(
            date=um or to_iso_date(cell("pt")),
            review_type=cell("type"),
            summary=summary,
            pt_approval_date=to_iso_month_or_date(cell("pt")),
            um_approval_date=um,
            page=page,
            box=box,
        )
    )
    return True


_DATED = re.compile(
    r"^(?P<date>(?:[A-Za-z]+\.?\s+(?:\d{1,2},?\s+)?\d{4})|\d{1,2}/(?:\d{1,2}/)?\d{2,4})"
    r"\s*[–—:-]?\s*(?P<rest>.*)$"
)


def history_lines(d: Draft) -> None:
    """History written as dated lines or bullets ('08/15/2025 – Annual Review: ...')."""
    if d.history:
        return
    for _, b in d.blocks("history"):
        if b.kind not in ("paragraph", "list_item") or not b.text:
            continue
        m = _DATED.match(b.text)
        date = to_iso_month_or_date(m.group("date")) if m else None
        if m is None or date is None:
            continue
        rest = m.group("rest").strip()
        review_type, summary = "", rest
        head = re.match(r"^([^:.]{3,40}):\s*(.+)$", rest)
        if head and len(head.group(1).split()) <= 5:
            review_type, summary = head.group(1).strip(), head.group(2).strip()
        d.history.append(
            HistoryEntry(
                review_type=review_type,
                summary=summary or rest,
                date=date,
                page=b.page,
                box=b.boxes,
            )
        )
        d.use(b, "history")
