"""PDF reader: pdfplumber geometry -> RawDocument.

Steps, each a small function over plain data:
1. open the file, turning every failure into a one-line InputError;
2. per page: text lines (with font facts) and ruled tables;
3. running headers/footers: lines in the top/bottom bands that recur, fuzzily, on
   other pages ("Page 3 of 22", a header table whose drug name is spelled
   differently per page) are removed from the body and kept as PageHeader text;
4. body lines become blocks: headings (bold or larger font), list items (label +
   indentation level), paragraphs (lines joined, hyphenation kept), connectors
   (a line that is only AND / OR); tables become table blocks with merged cells
   filled down and tables broken across a page joined.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psparser import PSException
from rapidfuzz import fuzz

from ...errors import InputError
from ...model.policy import Warning
from ...settings import SETTINGS
from ...text import join_lines, normalize_space
from ..blocks import Connector, PageHeader, RawBlock, RawDocument, RawKind
from ..lines import CONNECTOR_LINE, LINE_ENTRY, split_label, strip_trailing_connector

_S = SETTINGS.pdf
PAGE_NUMBER = re.compile(r"^\s*(page\s+)?\d+\s*(of\s+\d+)?\s*$", re.IGNORECASE)
PAGE_OF = re.compile(r"\bpage:?\s*\d+\s*of\s*\d+\b", re.IGNORECASE)


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


@dataclass
class PageData:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[tuple[tuple[float, float, float, float], list[list[str]]]] = field(
        default_factory=list
    )
    header_lines: list[Line] = field(default_factory=list)
    # lines printed inside body tables, and the tables themselves (pdfplumber objects)
    table_lines: list[Line] = field(default_factory=list)
    table_objs: list[Any] = field(default_factory=list)
    table_chars: list[dict[str, Any]] = field(default_factory=list)


def read_pdf(path: Path) -> RawDocument:
    """Read a PDF into the reader-neutral form."""
    pages = _load_pages(path)
    if not any(p.lines or p.tables for p in pages):
        raise InputError(
            path,
            f"no text layer on any of its {len(pages)} page(s) - a scanned image; OCR is needed",
        )
    warnings: list[Warning] = []
    headers = _page_headers(pages)
    title = _title(pages)
    blocks = _blocks(pages)
    empty = [p.number for p in pages if not p.lines and not p.tables and not p.header_lines]
    for n in empty:
        warnings.append(Warning(code="empty_page", message="page has no text layer", page=n))
    return RawDocument(
        format="pdf",
        pages=len(pages),
        title=title,
        headers=headers,
        blocks=blocks,
        warnings=warnings,
    )


# ---------------------------------------------------------------- opening


def _load_pages(path: Path) -> list[PageData]:
    """Open and read every page; a damaged or locked file becomes an InputError.

    Only opening and parsing are guarded: the layout analysis after it runs outside the
    guard, so a programming error is never reported as a bad input file.
    """
    try:
        pdf = pdfplumber.open(path)
    except Exception as err:
        raise _input_error(path, err) from err
    with pdf:
        try:
            if not pdf.pages:
                raise InputError(path, "the PDF has no pages")
            pages = [_read_page(page, i + 1) for i, page in enumerate(pdf.pages)]
        except InputError:
            raise
        except Exception as err:  # pdfminer raises many unrelated types on damaged files
            raise _input_error(path, err) from err
        _split_running_lines(pages)
        return pages


def _input_error(path: Path, err: BaseException) -> InputError:
    inner = err.args[0] if err.args and isinstance(err.args[0], BaseException) else err
    name = type(inner).__name__
    if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)) or (
        "Password" in name or "Encrypt" in name
    ):
        return InputError(path, "encrypted PDF: a password is needed to open it")
    if isinstance(inner, (PDFSyntaxError, PSException)) or "EOF" in str(inner):
        return InputError(path, f"not a readable PDF: truncated or corrupt ({inner or name})")
    return InputError(path, f"not a readable PDF ({name}: {inner})")


def _read_page(page: Any, number: int) -> PageData:
    data = PageData(number=number, width=float(page.width), height=float(page.height))
    chars = page.chars
    if not chars:
        return data
    body_size = statistics.median(c["size"] for c in chars)
    for c in chars:  # mark superscripts (footnote markers) as ^x
        if c["size"] < body_size * _S.superscript_ratio and c["text"].strip():
            c["text"] = "^" + c["text"]
    tables = [t for t in page.find_tables() if _is_real_table(t)]
    boxes = [t.bbox for t in tables]
    data.tables = [(t.bbox, _table_rows(t)) for t in tables]
    data.table_objs = tables
    data.table_chars = [c for c in chars if _inside_any(c, boxes)]
    for raw in page.extract_text_lines(return_chars=True, strip=True):
        line = _make_line(raw, number)
        if line is None:
            continue
        if _inside_any(raw, boxes):
            data.table_lines.append(line)  # seen only to find running footers inside tables
        else:
            data.lines.append(line)
    page.flush_cache()  # keep plain data only: a 277-page document stays small
    return data


def _without_lines(table: Any, chars: list[dict[str, Any]], lines: list[Line]) -> list[list[str]]:
    """Re-read a table's cells with the characters of ``lines`` left out.

    pdfplumber's Table reads only ``page.chars``, so a stand-in holding the kept
    characters is enough (the page itself was flushed after reading).
    """
    boxes = [(ln.x0 - 0.5, ln.top - 0.5, ln.x1 + 0.5, ln.bottom + 0.5) for ln in lines]
    kept = SimpleNamespace(chars=[c for c in chars if not _inside_any(c, boxes)])
    return _table_rows(pdfplumber.table.Table(kept, table.cells))  # type: ignore[arg-type]


def _table_rows(table: Any) -> list[list[str]]:
    """Cell texts of a ruled table, using cell geometry.

    pdfplumber gives None for a grid position covered by a merged cell. A cell
    merged vertically (the cell above reaches down into this row) is filled down
    with that cell's text (a Markdown table cannot say a cell is merged, so there
    the assembler fills only where the table's meaning asks for it, as in dosing
    rows); one merged horizontally is dropped, and so are thin empty spacer cells,
    so a row holds the cells a reader sees.
    """
    texts = table.extract()
    grid = [row.cells for row in table.rows]
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
                    if above[3] > top + 1 and (texts[rr][c] or "").strip():
                        row.append(join_lines(texts[rr][c]))  # merged down: filled
                    break
        out.append(row)
    return out


def _row_top(cells: list[Any]) -> float:
    return min((cell[1] for cell in cells if cell is not None), default=0.0)


def _is_real_table(table: Any) -> bool:
    rows = table.extract()
    if not rows:
        return False
    width = max(len(r) for r in rows)
    filled = sum(1 for r in rows for c in r if c and c.strip())
    return width >= 2 and filled >= 2


def _inside_any(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
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
    sizes = Counter(round(c["size"], 1) for c in chars)
    bold_flags = [_is_bold(c.get("fontname", "")) for c in chars]
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


# ------------------------------------------------------- running headers


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _neighbours(i: int, n: int) -> list[int]:
    """Up to _S.running_sample pages on each side of page i (running lines recur nearby)."""
    lo, hi = max(0, i - _S.running_sample), min(n, i + _S.running_sample + 1)
    return [j for j in range(lo, hi) if j != i]


Band = list[tuple[str | None, float, str]]  # (band, top, shape) of each line of a page


def _split_running_lines(pages: list[PageData]) -> None:
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
        [_table_shape(rows) for bbox, rows in p.tables if bbox[1] < p.height * _S.header_band]
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
    for i, p in enumerate(pages):
        _apply_running(p, running[i], header_tables[i])


def _drop_leaked_footers(p: PageData, own: Band, others: list[Band], need: int) -> None:
    """Running lines printed inside a body table's box are left out of its cells."""
    leaked = [
        ln
        for ln, (band, top, shape) in zip(p.table_lines, own, strict=True)
        if band is not None and _recurs(band, top, shape, others, need)
    ]
    if not leaked:
        return
    for k, table in enumerate(p.table_objs):
        inside = [ln for ln in leaked if _inside_any(_box(ln), [table.bbox])]
        if inside and table.bbox[1] >= p.height * _S.header_band:
            p.tables[k] = (table.bbox, _without_lines(table, p.table_chars, inside))


def _header_table_flags(p: PageData, near_shapes: list[list[str]], need: int) -> list[bool]:
    """Which of the page's tables is a running header table (recurs in the header band)."""
    flags = []
    for bbox, rows in p.tables:
        shape = _table_shape(rows)
        hits = sum(
            1
            for shapes in near_shapes
            if any(fuzz.ratio(shape, other) >= _S.repeat_ratio for other in shapes)
        )
        in_band = bbox[1] < p.height * _S.header_band and bbox[3] < p.height * _S.header_table_max
        flags.append(in_band and hits >= need)
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
    for (bbox, rows), is_header in zip(p.tables, header_tables, strict=True):
        if is_header:  # a ruled table in the header band that recurs: the header table
            text = " ".join(c for row in rows for c in row if c.strip())
            p.header_lines.append(
                Line(text, bbox[0], bbox[2], bbox[1], bbox[3], 0.0, False, "", p.number, True)
            )
        else:
            body_tables.append((bbox, rows))
    p.tables = body_tables
    p.header_lines.sort(key=lambda ln: ln.top)


def _table_shape(rows: list[list[str]]) -> str:
    return _shape(" ".join(c for r in rows for c in r if c))


def _box(ln: Line) -> dict[str, float]:
    return {"x0": ln.x0, "x1": ln.x1, "top": ln.top, "bottom": ln.bottom}


def _band(ln: Line, p: PageData) -> str | None:
    if ln.bottom <= p.height * _S.header_band:
        return "top"
    if ln.top >= p.height * (1 - _S.footer_band):
        return "bottom"
    return None


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


def _page_headers(pages: list[PageData]) -> list[PageHeader]:
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


def _title(pages: list[PageData]) -> str | None:
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


def _blocks(pages: list[PageData]) -> list[RawBlock]:
    sizes = [ln.size for p in pages for ln in p.lines]
    body_size = statistics.median(sizes) if sizes else 10.0
    indents = _list_indents(pages, body_size)
    blocks: list[RawBlock] = []
    for p in pages:
        items: list[tuple[float, Line | tuple[Any, list[list[str]]]]] = [
            (ln.top, ln) for ln in p.lines
        ]
        items += [(t[0][1], t) for t in p.tables]
        items.sort(key=lambda it: it[0])
        prev: Line | None = None
        for _, item in items:
            if isinstance(item, Line):
                _add_line(blocks, item, prev, body_size, indents)
                prev = item
            else:
                _add_table(blocks, item[1], p.number)
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


def _append(block: RawBlock, text: str) -> None:
    """Add a wrapped line to a block, keeping the printed lines for line-based tables."""
    block.text = join_lines(block.text + "\n" + text)
    block.lines = [*(block.lines or []), text]


def _new(kind: RawKind, ln: Line, text: str, **kw: Any) -> RawBlock:
    return RawBlock(kind=kind, text=text, page=ln.page, lines=[ln.text], **kw)


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
            _append(last, text)
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
        _append(last, ln.text)
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


def _add_table(blocks: list[RawBlock], rows: list[list[str]], page: int) -> None:
    """Add a table, split at group-title rows, each part joined to a table cut by a page
    break."""
    segment: list[list[str]] = []
    for row in rows:
        title = _group_title(row)
        if title is None:
            segment.append(row)
            continue
        if segment:
            _add_table_part(blocks, segment, page)
            segment = []
        if title.lower() != _last_group(blocks):  # a group title repeated on every page
            blocks.append(
                RawBlock(kind="heading", text=title, page=page, bold=True, prominent=True)
            )
    if segment:
        _add_table_part(blocks, segment, page)


def _add_table_part(blocks: list[RawBlock], rows: list[list[str]], page: int) -> None:
    last = blocks[-1] if blocks else None
    if (
        last is not None
        and last.kind == "table"
        and last.rows
        and last.page < page
        and (last.row_pages or [last.page])[-1] == page - 1
        and max(len(r) for r in last.rows) == max(len(r) for r in rows)
    ):
        # a table broken across a page: drop the repeated header rows, append the rest
        head = last.rows[:3]
        while rows and rows[0] in head:
            rows = rows[1:]
        if rows and not rows[0][0].strip() and last.rows[-1][0].strip():
            # the first row only continues the last row cut by the page break
            carried = rows.pop(0)
            last.rows[-1] = [
                join_lines(f"{a}\n{b}") if b.strip() else a
                for a, b in zip(last.rows[-1], carried, strict=False)
            ]
        if not rows:
            return
        last.row_pages = (last.row_pages or [last.page] * len(last.rows)) + [page] * len(rows)
        last.rows.extend(rows)
        return
    blocks.append(
        RawBlock(kind="table", text="", page=page, rows=list(rows), row_pages=[page] * len(rows))
    )
