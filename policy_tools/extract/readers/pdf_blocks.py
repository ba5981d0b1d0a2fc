"""Blocks of a PDF's body: the page lines and tables become reader-neutral blocks.

Headings (bold or larger font), list items (label + indentation level), paragraphs
(wrapped lines joined, hyphenation kept), connectors (a line that is only AND / OR) and
tables (split at group-title rows, joined across page breaks). Every block carries the
box it was printed in on each page it spans; a table also the box of each row.
"""

from __future__ import annotations

import statistics
from typing import Any

from ...model.policy import Box
from ...settings import SETTINGS
from ...text import join_lines
from ..blocks import Connector, RawBlock, RawKind
from ..lines import CONNECTOR_LINE, LINE_ENTRY, split_label, strip_trailing_connector
from .pdf_pages import BBox, Line, PageData, TableData

__all__ = ["blocks"]

_S = SETTINGS.pdf


def blocks(pages: list[PageData]) -> list[RawBlock]:
    sizes = [ln.size for p in pages for ln in p.lines]
    body_size = statistics.median(sizes) if sizes else 10.0
    indents = _list_indents(pages, body_size)
    blocks: list[RawBlock] = []
    for p in pages:
        items: list[tuple[float, Line | TableData]] = [(ln.top, ln) for ln in p.lines]
        items += [(t.bbox[1], t) for t in p.tables]
        items.sort(key=lambda it: it[0])
        prev: Line | None = None
        for _, item in items:
            if isinstance(item, Line):
                _add_line(blocks, item, prev, body_size, indents)
                prev = item
            else:
                _add_table(blocks, item, p.number)
                prev = None
    for b in blocks:
        if b.kind in ("paragraph", "list_item", "heading"):
            b.text, conn = strip_trailing_connector(b.text)
            if conn and b.kind != "heading":
                b.connector = conn
    return blocks


def _list_indents(pages: list[PageData], body_size: float) -> list[float]:
    """Distinct x positions of list labels in the document, clustered."""
    xs = sorted(
        ln.x0
        for p in pages
        for ln in p.lines
        if split_label(ln.text)[0] and not _is_heading(ln, body_size)
    )
    clusters: list[float] = []
    for x in xs:
        if not clusters or x - clusters[-1] > _S.indent_tolerance:
            clusters.append(x)
    return clusters


def _level(x0: float, indents: list[float]) -> int:
    for i, x in enumerate(indents):
        if abs(x0 - x) <= _S.indent_tolerance:
            return i
    return sum(1 for x in indents if x < x0)


def _is_heading(ln: Line, body_size: float) -> bool:
    if CONNECTOR_LINE.match(ln.text):
        return False
    words = ln.text.split()
    if ln.bold and len(words) <= _S.heading_max_words:
        return True
    if ln.bold_prefix and len(ln.bold_prefix.split()) >= 2:
        rest = ln.text[len(ln.bold_prefix) :].strip()
        return rest.startswith("(")
    return ln.size >= body_size + _S.heading_size_step and len(words) <= _S.large_heading_words


def _append(block: RawBlock, text: str, ln: Line) -> None:
    """Add a wrapped line to a block, keeping the printed lines for line-based tables."""
    block.text = join_lines(block.text + "\n" + text)
    block.lines = [*(block.lines or []), text]
    _grow(block, ln.box())


def _grow(block: RawBlock, box: Box) -> None:
    """Extend the block's box on ``box``'s page, or start a box on a new page."""
    boxes = block.boxes if block.boxes is not None else []
    block.boxes = boxes
    last = boxes[-1] if boxes else None
    if last is None or last.page != box.page:
        boxes.append(box)
        return
    boxes[-1] = Box(
        page=box.page,
        x0=min(last.x0, box.x0),
        top=min(last.top, box.top),
        x1=max(last.x1, box.x1),
        bottom=max(last.bottom, box.bottom),
    )


def _new(kind: RawKind, ln: Line, text: str, **kw: Any) -> RawBlock:
    return RawBlock(kind=kind, text=text, page=ln.page, lines=[ln.text], boxes=[ln.box()], **kw)


def _to_box(bbox: BBox, page: int) -> Box:
    return Box(page=page, x0=bbox[0], top=bbox[1], x1=bbox[2], bottom=bbox[3])


def _continues(last: RawBlock | None, ln: Line, prev: Line | None, close: bool) -> bool:
    """Is ``ln`` a wrapped line of ``last`` (same page, or carried over a page break)?"""
    if last is None or last.kind not in ("paragraph", "list_item"):
        return False
    hanging = last.indent is None or ln.x0 > last.indent + _S.hanging_indent
    if close:
        return hanging
    if prev is not None or last.page != ln.page - 1:
        return False
    if last.kind == "list_item":
        return last.indent is not None and ln.x0 > last.indent + _S.hanging_indent
    tail = last.text.rstrip()
    return (tail[-1:].islower() or tail.endswith((",", "-"))) and ln.text[:1].islower()


def _add_line(
    blocks: list[RawBlock],
    ln: Line,
    prev: Line | None,
    body_size: float,
    indents: list[float],
) -> None:
    last = blocks[-1] if blocks else None
    gap = ln.top - prev.bottom if prev is not None else 1e9
    close = prev is not None and gap < max(ln.size, 8.0) * _S.line_gap
    if CONNECTOR_LINE.match(ln.text):
        word: Connector = "AND" if ln.text.strip().upper() == "AND" else "OR"
        blocks.append(_new("connector", ln, word, connector=word, bold=ln.bold))
        return
    if _is_heading(ln, body_size):
        text = ln.text if ln.bold else ln.bold_prefix or ln.text
        rest = ln.text[len(text) :].strip() if not ln.bold else ""
        if (
            last is not None
            and last.kind == "heading"
            and close
            and prev is not None
            and abs(prev.size - ln.size) < 0.5
            and last.page == ln.page
            and not split_label(ln.text)[0]
        ):
            _append(last, text, ln)
        else:
            label, body = split_label(text)
            blocks.append(
                _new(
                    "heading",
                    ln,
                    body if label else text,
                    label=label,
                    bold=True,
                    prominent=ln.size >= body_size + _S.prominent_step,
                )
            )
        if rest:
            blocks.append(_new("paragraph", ln, rest))
        return
    label, body = split_label(ln.text)
    if label:
        blocks.append(
            _new("list_item", ln, body, label=label, level=_level(ln.x0, indents), indent=ln.x0)
        )
        return
    if not LINE_ENTRY.match(ln.text) and _continues(last, ln, prev, close):
        assert last is not None
        _append(last, ln.text, ln)
        return
    blocks.append(_new("paragraph", ln, ln.text))


def _group_title(row: list[str]) -> str | None:
    """A row whose one cell is a short ALL-CAPS title ("ANALGESICS") heads a group."""
    cells = [c for c in row if c and c.strip()]
    if len(cells) != 1:
        return None
    text = join_lines(cells[0])
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 4 and all(ch.isupper() for ch in letters) and len(text.split()) <= 8:
        return text
    return None


def _last_group(blocks: list[RawBlock]) -> str | None:
    for b in reversed(blocks):
        if b.kind == "heading":
            return b.text.lower()
    return None


def _add_table(blocks: list[RawBlock], table: TableData, page: int) -> None:
    """Add a table, split at group-title rows, each part joined to a table cut by a page
    break."""
    segment: list[tuple[list[str], Box]] = []
    for row, bbox in zip(table.rows, table.row_boxes, strict=True):
        title = _group_title(row)
        if title is None:
            segment.append((row, _to_box(bbox, page)))
            continue
        if segment:
            _add_table_part(blocks, segment, page)
            segment = []
        if title.lower() != _last_group(blocks):  # a group title repeated on every page
            box = _to_box(bbox, page)
            blocks.append(
                RawBlock(
                    kind="heading", text=title, page=page, bold=True, prominent=True, boxes=[box]
                )
            )
    if segment:
        _add_table_part(blocks, segment, page)


def _add_table_part(blocks: list[RawBlock], part: list[tuple[list[str], Box]], page: int) -> None:
    rows = [row for row, _ in part]
    boxes = [box for _, box in part]
    last = blocks[-1] if blocks else None
    if (
        last is not None
        and last.kind == "table"
        and last.rows
        and last.page < page
        and (last.row_pages or [last.page])[-1] == page - 1
        and max(len(r) for r in last.rows) == max(len(r) for r in rows)
    ):
        _continue_table(last, rows, boxes, page)
        return
    block = RawBlock(
        kind="table", text="", page=page, rows=list(rows), row_pages=[page] * len(rows)
    )
    block.row_boxes = list(boxes)
    for box in boxes:
        _grow(block, box)
    blocks.append(block)


def _continue_table(last: RawBlock, rows: list[list[str]], boxes: list[Box], page: int) -> None:
    """A table broken across a page: drop the repeated header rows, append the rest."""
    assert last.rows is not None
    head = last.rows[:3]
    while rows and rows[0] in head:
        rows, boxes = rows[1:], boxes[1:]
    if rows and not rows[0][0].strip() and last.rows[-1][0].strip():
        # the first row only continues the last row cut by the page break
        carried = rows.pop(0)
        _grow(last, boxes.pop(0))
        last.rows[-1] = [
            join_lines(f"{a}\n{b}") if b.strip() else a
            for a, b in zip(last.rows[-1], carried, strict=False)
        ]
    if not rows:
        return
    last.row_pages = (last.row_pages or [last.page] * len(last.rows)) + [page] * len(rows)
    last.rows.extend(rows)
    last.row_boxes = [*(last.row_boxes or []), *boxes]
    for box in boxes:
        _grow(last, box)
