"""One page of a PDF as plain data: text lines with their font facts, and ruled tables.

The characters and ruling edges come from PDFium (``pdf_layer``); pdfplumber's own
layout helpers group them: ``pdfplumber.utils.text`` into text lines (its word and line
tolerances), ``pdfplumber.table`` into tables (its ruling-line strategy) and cell texts.
The page is kept as plain data only, so a long document stays small in memory.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pdfplumber.table import Table, TableFinder
from pdfplumber.utils.text import chars_to_textmap, extract_text

from ...model.policy import Box
from ...settings import SETTINGS
from ...text import join_lines, normalize_space
from .pdf_layer import PageLayer

__all__ = [
    "BBox",
    "Line",
    "PageData",
    "TableData",
    "band_of",
    "cell_texts",
    "inside_any",
    "read_page",
    "rereadable",
    "rows_without",
    "table_rows",
]

_S = SETTINGS.pdf
BBox = tuple[float, float, float, float]


@dataclass
class Line:
    """One text line of a page with the facts the block builder needs."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    bold_prefix: str  # leading run of bold characters (stripped)
    page: int
    from_table: bool = False  # the text of a running header table, not a printed line

    def box(self) -> Box:
        return Box(page=self.page, x0=self.x0, top=self.top, x1=self.x1, bottom=self.bottom)


@dataclass
class TableData:
    """A ruled table: its box, cell texts per row, and the box of each row.

    ``cells``, ``texts`` (pdfplumber's raw cell texts) and ``band_chars`` (the characters
    of the rows that reach into the header or footer band, for a table that can be
    re-read: :func:`rereadable`) let the running-line step re-read those rows without a
    running footer printed inside the table's box; the other characters are not kept,
    so memory stays flat in the page count.
    """

    bbox: BBox
    rows: list[list[str]]
    row_boxes: list[BBox]
    cells: list[BBox] = field(default_factory=list)
    texts: list[list[str | None]] = field(default_factory=list)
    band_chars: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PageData:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[TableData] = field(default_factory=list)
    header_lines: list[Line] = field(default_factory=list)
    # lines printed inside body tables (running footers can leak into a table's box)
    table_lines: list[Line] = field(default_factory=list)
    unmapped: int = 0  # glyphs without a Unicode mapping, dropped
    bullets: int = 0  # unmapped symbol glyphs read as list bullets
    controls: int = 0  # control characters left out of the text


def read_page(layer: PageLayer) -> PageData:
    """Lines and tables of one page read by PDFium."""
    data = PageData(number=layer.number, width=layer.width, height=layer.height)
    data.unmapped, data.bullets, data.controls = layer.unmapped, layer.bullets, layer.controls
    chars = layer.chars
    if not chars:
        return data
    body_size = statistics.median(c["size"] for c in chars)
    for c in chars:  # mark superscripts (footnote markers) as ^x
        if c["size"] < body_size * _S.superscript_ratio and c["text"].strip():
            c["text"] = "^" + c["text"]
    stand_in = SimpleNamespace(chars=chars, edges=layer.edges, bbox=layer.bbox)
    found = [_own_chars(t, chars) for t in TableFinder(stand_in).tables]  # type: ignore[arg-type]
    texts = [cell_texts(t) for t in found]
    tables = [(t, x) for t, x in zip(found, texts, strict=True) if _is_real_table(x)]
    boxes = [t.bbox for t, _ in tables]
    textmap = chars_to_textmap(
        chars, layout_bbox=layer.bbox, layout_width=layer.width, layout_height=layer.height
    )
    for raw in textmap.extract_text_lines(strip=True, return_chars=True):
        line = _make_line(raw, layer.number)
        if line is None:
            continue
        if inside_any(raw, boxes):
            data.table_lines.append(line)  # seen only to find running footers inside tables
        else:
            data.lines.append(line)
    band = [ln for ln in data.table_lines if band_of(ln, data.height) is not None]
    data.tables = [_table_data(t, x, band, data.height) for t, x in tables]
    return data


def cell_texts(table: Table) -> list[list[str | None]]:
    """pdfplumber's ``Table.extract()``, the same texts, with the characters bucketed by
    row first (``extract`` tests every character against every row: on a page-long
    table that is most of the reading time).

    A character belongs to a row, then a cell, when its centre lies in the half-open box,
    as in ``extract``; each cell's characters keep the page order pdfplumber sees.
    """
    chars = table.page.chars
    centres = [((c["x0"] + c["x1"]) / 2, (c["top"] + c["bottom"]) / 2) for c in chars]
    order = sorted(range(len(chars)), key=lambda i: centres[i][1])
    keys = [centres[i][1] for i in order]
    out: list[list[str | None]] = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        picked = sorted(order[bisect_left(keys, top) : bisect_left(keys, bottom)])
        in_row = [i for i in picked if x0 <= centres[i][0] < x1]
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cx0, ctop, cx1, cbottom = cell
            own = [
                chars[i]
                for i in in_row
                if cx0 <= centres[i][0] < cx1 and ctop <= centres[i][1] < cbottom
            ]
            texts.append(extract_text(own) if own else "")
        out.append(texts)
    return out


def _own_chars(table: Table, chars: list[dict[str, Any]]) -> Table:
    """The table with only the characters whose centre lies in its box (what pdfplumber's
    ``Table.extract`` would pick from the whole page, found once instead of per row)."""
    x0, top, x1, bottom = table.bbox
    own = [
        c
        for c in chars
        if x0 <= (c["x0"] + c["x1"]) / 2 < x1 and top <= (c["top"] + c["bottom"]) / 2 < bottom
    ]
    return Table(SimpleNamespace(chars=own), table.cells)  # type: ignore[arg-type]


def _table_data(
    table: Any, texts: list[list[str | None]], band: list[Line], height: float
) -> TableData:
    chars = table.page.chars
    rows = table.rows  # a property pdfplumber computes anew on every access
    grid = [row.cells for row in rows]
    row_boxes = [tuple(row.bbox) for row in rows]
    reach = [b for b in row_boxes if any(_overlaps(b, ln) for ln in band)]
    if not rereadable(table.bbox, height):
        reach = []  # its rows are never re-read: no characters kept (nor sent by workers)
    return TableData(
        bbox=table.bbox,
        rows=table_rows(texts, grid),
        row_boxes=row_boxes,
        cells=list(table.cells),
        texts=texts,
        band_chars=_chars_near(chars, reach),
    )


def _chars_near(chars: list[dict[str, Any]], boxes: list[BBox]) -> list[dict[str, Any]]:
    """The characters whose centre lies within a point of one of ``boxes``."""
    if not boxes:
        return []
    out = []
    low, high = min(b[1] for b in boxes) - 1, max(b[3] for b in boxes) + 1
    for c in chars:
        cy = (c["top"] + c["bottom"]) / 2
        if not low <= cy <= high:  # above or below every box (most of a long table)
            continue
        cx = (c["x0"] + c["x1"]) / 2
        for b in boxes:
            if b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1:
                out.append(c)
                break
    return out


def _overlaps(box: tuple[float, ...], ln: Line) -> bool:
    return box[1] - 1 <= ln.bottom and ln.top <= box[3] + 1


def band_of(ln: Line, height: float) -> str | None:
    """'top' or 'bottom' for a line in the running header or footer band of the page."""
    if ln.bottom <= height * _S.header_band:
        return "top"
    if ln.top >= height * (1 - _S.footer_band):
        return "bottom"
    return None


def rereadable(bbox: BBox, height: float) -> bool:
    """Are running lines printed inside a table with this box re-read out of its rows
    (``rows_without``)? Only for a table starting below the header band; only such a
    table keeps the characters of its rows that reach into a band."""
    return bbox[1] >= height * _S.header_band


def rows_without(table: TableData, lines: list[Line]) -> list[list[str]]:
    """Re-read the rows of a table that ``lines`` reach into, without those lines."""
    boxes = [(ln.x0 - 0.5, ln.top - 0.5, ln.x1 + 0.5, ln.bottom + 0.5) for ln in lines]
    kept = SimpleNamespace(chars=[c for c in table.band_chars if not inside_any(c, boxes)])
    reread = Table(kept, table.cells)  # type: ignore[arg-type]
    fresh = cell_texts(reread)
    touched = [any(_overlaps(tuple(row.bbox), ln) for ln in lines) for row in reread.rows]
    texts = [new if hit else old for new, old, hit in zip(fresh, table.texts, touched, strict=True)]
    return table_rows(texts, [row.cells for row in reread.rows])


def table_rows(texts: list[list[str | None]], grid: list[list[Any]]) -> list[list[str]]:
    """Cell texts of a ruled table, using cell geometry.

    pdfplumber gives None for a grid position covered by a merged cell. A cell
    merged vertically (the cell above reaches down into this row) is filled down
    with that cell's text (a Markdown table cannot say a cell is merged, so there
    the assembler fills only where the table's meaning asks for it, as in dosing
    rows); one merged horizontally is dropped, and so are thin empty spacer cells,
    so a row holds the cells a reader sees.
    """
    out: list[list[str]] = []
    for r, (cells, row_text) in enumerate(zip(grid, texts, strict=False)):
        row: list[str] = []
        for c, (cell, text) in enumerate(zip(cells, row_text, strict=False)):
            if cell is not None:
                if text or cell[2] - cell[0] >= _S.min_cell_width:
                    row.append(join_lines(text or ""))
                continue
            top = _row_top(cells)
            for rr in range(r - 1, -1, -1):
                above = grid[rr][c]
                if above is not None:
                    filled = texts[rr][c] or ""
                    if above[3] > top + 1 and filled.strip():
                        row.append(join_lines(filled))  # merged down: filled
                    break
        out.append(row)
    return out


def _row_top(cells: list[Any]) -> float:
    return min((cell[1] for cell in cells if cell is not None), default=0.0)


def _is_real_table(rows: list[list[str | None]]) -> bool:
    if not rows:
        return False
    width = max(len(r) for r in rows)
    filled = sum(1 for r in rows for c in r if c and c.strip())
    return width >= 2 and filled >= 2


def inside_any(obj: Any, boxes: list[BBox]) -> bool:
    """Is the centre of ``obj`` (a dict or a Line) inside one of ``boxes``?"""
    get = obj.__getitem__ if isinstance(obj, dict) else obj.__getattribute__
    cx = (get("x0") + get("x1")) / 2
    cy = (get("top") + get("bottom")) / 2
    return any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in boxes)


def _is_bold(fontname: str) -> bool:
    name = fontname.lower()
    return "bold" in name or "black" in name or "heavy" in name or ",b" in name


def _make_line(raw: dict[str, Any], page: int) -> Line | None:
    text = normalize_space(raw["text"])
    if not text:
        return None
    chars = [c for c in raw["chars"] if c["text"].strip()]
    if not chars:
        return None
    sizes = Counter([round(c["size"], 1) for c in chars])
    fonts = [c.get("fontname", "") for c in chars]
    bold_font = {name: _is_bold(name) for name in set(fonts)}  # a line has few fonts
    bold_flags = [bold_font[name] for name in fonts]
    prefix_len = 0
    for flag in bold_flags:
        if not flag:
            break
        prefix_len += 1
    bold_prefix = ""
    if prefix_len:
        # map the count of bold non-space chars back onto the line text
        seen = 0
        for i, ch in enumerate(text):
            if not ch.isspace():
                seen += 1
            if seen == prefix_len:
                bold_prefix = text[: i + 1].strip()
                break
    return Line(
        text=text,
        x0=float(raw["x0"]),
        x1=float(raw["x1"]),
        top=float(raw["top"]),
        bottom=float(raw["bottom"]),
        size=float(sizes.most_common(1)[0][0]),
        bold=all(bold_flags),
        bold_prefix=bold_prefix,
        page=page,
    )
