"""Running headers and footers of a PDF, and its title.

Lines in the top/bottom bands that recur, fuzzily, on nearby pages ("Page 3 of 22", a
header table whose drug name is spelled differently per page) are moved out of the body
and kept as the page's header text. When every page is alike (the same few lines on
each), nothing would be left: those lines are then the document's text and stay.
"""

from __future__ import annotations

import re
import statistics

from rapidfuzz import fuzz

from ...settings import SETTINGS
from ...text import join_lines, normalize_space
from ..blocks import PageHeader
from .pdf_pages import Line, PageData, band_of, inside_any, rereadable, rows_without

__all__ = ["page_headers", "split_running_lines", "title"]

_S = SETTINGS.pdf
PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d+\s*(of\s+\d+)?\s*$", re.IGNORECASE)
PAGE_OF = re.compile(r"\bpage:?\s*\d+\s*of\s*\d+\b", re.IGNORECASE)


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _neighbours(i: int, n: int) -> list[int]:
    """Up to _S.running_sample pages on each side of page i (running lines recur nearby)."""
    lo, hi = max(0, i - _S.running_sample), min(n, i + _S.running_sample + 1)
    return [j for j in range(lo, hi) if j != i]


Band = list[tuple[str | None, float, str]]  # (band, top, shape) of each line of a page


def split_running_lines(pages: list[PageData]) -> None:
    """Move lines that recur in the header/footer bands of nearby pages out of the body.

    Decisions are made on the original lines and tables of every page first, then
    applied, so the order pages are visited in does not matter; each page is compared
    with a bounded number of neighbours, so the cost is linear in the page count.
    """
    if len(pages) < 2:
        for p in pages:
            p.lines = [ln for ln in p.lines if not _is_page_number(ln, p)]
        return
    bands = [[(_band(ln, p), ln.top, _shape(ln.text)) for ln in p.lines] for p in pages]
    table_shapes = [
        [_table_shape(t.rows) for t in p.tables if t.bbox[1] < p.height * _S.header_band]
        for p in pages
    ]
    table_bands = [[(_band(ln, p), ln.top, _shape(ln.text)) for ln in p.table_lines] for p in pages]
    running: list[list[bool]] = []
    header_tables: list[list[bool]] = []
    for i, p in enumerate(pages):
        near = _neighbours(i, len(pages))
        need = max(1, len(near) // 2)
        _drop_leaked_footers(p, table_bands[i], [bands[j] + table_bands[j] for j in near], need)
        running.append(
            [
                band is not None and _recurs(band, top, shape, [bands[j] for j in near], need)
                for band, top, shape in bands[i]
            ]
        )
        header_tables.append(_header_table_flags(p, [table_shapes[j] for j in near], need))
    if _all_alike(pages, running, header_tables):  # then those lines are the text
        running = [[False] * len(flags) for flags in running]
        header_tables = [[False] * len(flags) for flags in header_tables]
    for i, p in enumerate(pages):
        _apply_running(p, running[i], header_tables[i])


def _all_alike(pages: list[PageData], running: list[list[bool]], tables: list[list[bool]]) -> bool:
    """Would removing the running lines and tables leave no page with body text at all?"""

    def keeps(p: PageData, flags: list[bool], table_flags: list[bool]) -> bool:
        lines = zip(p.lines, flags, strict=True)
        return any(not r and not _is_page_number(ln, p) for ln, r in lines) or not all(table_flags)

    had_text = any(p.lines or p.tables for p in pages)
    return had_text and not any(
        keeps(p, flags, table_flags)
        for p, flags, table_flags in zip(pages, running, tables, strict=True)
    )


def _drop_leaked_footers(p: PageData, own: Band, others: list[Band], need: int) -> None:
    """Running lines printed inside a body table's box are left out of its cells."""
    leaked = [
        ln
        for ln, (band, top, shape) in zip(p.table_lines, own, strict=True)
        if band is not None and _recurs(band, top, shape, others, need)
    ]
    if not leaked:
        return
    for table in p.tables:
        inside = [ln for ln in leaked if inside_any(ln, [table.bbox])]
        if inside and rereadable(table.bbox, p.height):
            table.rows = rows_without(table, inside)


def _header_table_flags(p: PageData, near_shapes: list[list[str]], need: int) -> list[bool]:
    """Which of the page's tables is a running header table (recurs in the header band)."""
    flags = []
    for table in p.tables:
        bbox = table.bbox
        in_band = bbox[1] < p.height * _S.header_band and bbox[3] < p.height * _S.header_table_max
        if not in_band:  # a body table: never a header table, however it recurs
            flags.append(False)
            continue
        shape = _table_shape(table.rows)
        hits = sum(
            1
            for shapes in near_shapes
            if any(fuzz.ratio(shape, other) >= _S.repeat_ratio for other in shapes)
        )
        flags.append(hits >= need)
    return flags


def _apply_running(p: PageData, running: list[bool], header_tables: list[bool]) -> None:
    """Move the page's running lines and header tables out of the body."""
    keep: list[Line] = []
    in_header = True
    for ln, is_running in zip(p.lines, running, strict=True):
        band = _band(ln, p)
        if is_running or _is_page_number(ln, p):
            if band == "top" or (band is None and in_header):
                p.header_lines.append(ln)
            continue
        if band != "top":
            in_header = False
        keep.append(ln)
    p.lines = keep
    body_tables = []
    for table, is_header in zip(p.tables, header_tables, strict=True):
        if is_header:  # a ruled table in the header band that recurs: the header table
            text = " ".join(c for row in table.rows for c in row if c.strip())
            x0, top, x1, bottom = table.bbox
            p.header_lines.append(Line(text, x0, x1, top, bottom, 0.0, False, "", p.number, True))
        else:
            body_tables.append(table)
    p.tables = body_tables
    p.header_lines.sort(key=lambda ln: ln.top)


def _table_shape(rows: list[list[str]]) -> str:
    return _shape(" ".join(c for r in rows for c in r if c))


def _band(ln: Line, p: PageData) -> str | None:
    return band_of(ln, p.height)


def _recurs(
    band: str, top: float, shape: str, others: list[list[tuple[str | None, float, str]]], need: int
) -> bool:
    hits = 0
    for lines in others:
        if any(
            b == band
            and abs(t - top) <= _S.repeat_drift
            and fuzz.ratio(shape, other) >= _S.repeat_ratio
            for b, t, other in lines
        ):
            hits += 1
            if hits >= need:
                return True
    return False


def _is_page_number(ln: Line, p: PageData) -> bool:
    if _band(ln, p) is None:
        return False
    return bool(PAGE_NUMBER.match(ln.text) or (PAGE_OF.search(ln.text) and len(ln.text) < 40))


def page_headers(pages: list[PageData]) -> list[PageHeader]:
    out = []
    for p in pages:
        parts = [ln.text for ln in p.header_lines if ln.from_table]  # header tables first
        if not parts:
            parts = [ln.text for ln in p.header_lines if not _is_title_line(ln)]
        text = normalize_space(" ".join(parts))
        if text:
            out.append(PageHeader(page=p.number, text=text))
    return out


def _is_title_line(ln: Line) -> bool:
    return ln.bold and ":" not in ln.text and not ln.from_table


def title(pages: list[PageData]) -> str | None:
    first = pages[0]
    for ln in first.header_lines:
        if _is_title_line(ln):
            return ln.text
    if first.lines:
        head = first.lines[: _S.title_lines]
        biggest = max(head, key=lambda ln: ln.size)
        if biggest.size > statistics.median(ln.size for ln in first.lines):
            # a title wraps: join the following lines printed in the same size
            parts = [biggest.text]
            for ln in head[head.index(biggest) + 1 :]:
                if (
                    abs(ln.size - biggest.size) > 0.3
                    or ln.top - biggest.bottom > _S.title_gap * ln.size
                ):
                    break
                parts.append(ln.text)
            return join_lines("\n".join(parts))
    return None


# ------------------------------------------------------------------ blocks
