r"""HTML reader: an HTML page (or the HTML a Markdown source renders to) -> RawDocument.

The walker here is shared by the Markdown reader (``markdown.py`` renders Markdown to
HTML first), so both formats produce blocks the same way:

- ``<h1>``..``<h6>`` and paragraphs whose text is all bold -> ``heading``; a short
  standalone paragraph (a line ending in ':' or <= 6 words without a final period,
  followed by body content) -> ``heading`` too; the assembler decides by alias;
- ``<p>`` -> ``paragraph``; a paragraph holding only AND / OR -> ``connector``;
- ``<ul>``/``<ol>``/``<li>`` -> ``list_item`` with ``label`` (explicit "i." / "a." in the
  text of a bullet, else from the list type and position) and ``level`` (nesting depth);
- a trailing bold AND / OR (or a plain "; AND") -> ``connector`` of the block;
- ``<table>`` -> ``table`` rows (thead + tbody; rowspan filled down, colspan repeated);
- ``<input type="checkbox">`` -> ``☒`` (checked) / ``☐``; ``<sup>a</sup>`` -> `` ^a``
  (a footnote mark, as the PDF reader writes it); ``\geq`` -> ``≥``;
- page headers: ``<header>`` elements, else small tables repeated (fuzzily: the drug name
  is misspelt differently per page) -> ``PageHeader``, removed from the body. Repeated
  headers count pages (every block after the k-th header is on page k); a page whose
  ``<header>`` elements differ (site banner, article header) is one page;
- ``<nav>``, ``<script>``, ``<style>`` and form controls are skipped;
- libxml2 stops parsing at 256 nested elements: the reader then warns ``nesting_limit``
  with the line where reading stopped (the rest of the document is not read).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from rapidfuzz import fuzz

from ...errors import InputError
from ...model.policy import SourceFormat, Warning
from ...settings import SETTINGS
from ...text import normalize_space
from ...vocab.headers import HEADER_LABELS
from ..blocks import Connector, PageHeader, RawBlock, RawDocument, RawKind
from ..lines import CONNECTOR_LINE, split_label, strip_trailing_connector

__all__ = ["html_to_raw", "parse_document", "read_html"]

_SKIP_TAGS = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "meta", "link", "nav",
        "iframe", "object", "embed", "svg", "math", "button", "select", "textarea", "canvas",
    }
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "pre", "hr", "figure",
        "figcaption", "dl", "dt", "dd", "address", "details", "summary", "form", "fieldset",
        "body", "html", "center", "menu", "caption", "tr", "td", "th", "thead", "tbody", "tfoot",
    }
)  # fmt: skip
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_TEXT_BLOCK_TAGS = _HEADING_TAGS | {"p", "dt", "figcaption", "summary", "caption", "pre", "address"}
_BOLD_TAGS = frozenset({"b", "strong"})
_LIST_TAGS = frozenset({"ul", "ol"})

# LaTeX-ish escapes some converters leave in text ("Grade \geq 2") -> what the PDF shows.
_LATEX = {
    "geq": "≥", "ge": "≥", "leq": "≤", "le": "≤", "neq": "≠", "ne": "≠", "times": "×",
    "pm": "±", "approx": "≈", "cdot": "·", "degree": "°", "circ": "°", "mu": "µ",
    "alpha": "α", "beta": "β", "gamma": "γ", "ldots": "…", "dots": "…", "rightarrow": "→",
    "to": "→", "leftarrow": "←", "infty": "∞", "lt": "<", "gt": ">", "%": "%",
}  # fmt: skip
_LATEX_RE = re.compile(r"\$?\\(%|[A-Za-z]+)(?![A-Za-z])\$?")
_C1_RE = re.compile("[\x80-\x9f]")
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_GLYPHS = str.maketrans({"☑": "☒", "✅": "☒", "\u00ad": None})

_TASK_RE = re.compile(r"^\[([ xX])\]\s+")
_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "per", "the", "to", "with"}
)
_FOOTNOTE_MARK = re.compile(r"^\s*[A-Za-z0-9*†‡]\s*$")
_S = SETTINGS.html
_HEADER_LABELS = frozenset(label.lower() for label in HEADER_LABELS)


@dataclass
class _Seg:
    text: str
    bold: bool


@dataclass
class _Pending:
    """A block as walked, before page headers and heading rules are applied."""

    block: RawBlock
    header_group: int | None = None  # index of the <header> element it came from


@dataclass
class _Walker:
    blocks: list[_Pending] = field(default_factory=list)
    header_count: int = 0
    _header: int | None = None

    # -- inline content ---------------------------------------------------------------
    def inline(self, el: etree._Element, bold: bool = False) -> list[_Seg]:
        """Text of ``el`` and its descendants as (text, bold) runs."""
        tag = _tag(el)
        segs: list[_Seg] = []
        if tag is None or tag in _SKIP_TAGS:
            return segs
        bold = bold or _is_bold(el)
        if tag == "input":
            if (el.get("type") or "").lower() in {"checkbox", "radio"}:
                glyph = "☒" if el.get("checked") is not None else "☐"
                segs.append(_Seg(f" {glyph} ", bold))
            return segs
        if tag in {"br", "hr"}:
            return [_Seg(" ", bold)]
        if tag == "img":
            return [_Seg(el.get("alt") or "", bold)]
        if tag == "sup" and _FOOTNOTE_MARK.match(el.text_content()):
            # a footnote mark, written "^a" as the PDF reader and converters write it
            return [_Seg(f" ^{el.text_content().strip()}", bold)]
        if tag in _BLOCK_TAGS:
            segs.append(_Seg(" ", bold))
        if el.text:
            segs.append(_Seg(el.text, bold))
        for child in el:
            segs.extend(self.inline(child, bold))
            if child.tail:
                segs.append(_Seg(child.tail, bold))
        if tag in _BLOCK_TAGS:
            segs.append(_Seg(" ", bold))
        return segs

    # -- block structure --------------------------------------------------------------
    def walk(self, el: etree._Element, depth: int = 0, bold: bool = False) -> None:
        """Walk a container: loose text and inline runs become paragraphs."""
        buf: list[_Seg] = []
        self._flow(el, buf, depth, bold)
        self._paragraph(buf)

    def _flow(self, el: etree._Element, buf: list[_Seg], depth: int, bold: bool) -> None:
        if el.text:
            buf.append(_Seg(el.text, bold))
        for child in el:
            tag = _tag(child)
            if tag is None or tag in _SKIP_TAGS:
                pass
            elif tag in _BLOCK_TAGS:
                self._paragraph(buf)
                buf.clear()
                self.block(child, depth)
            elif _has_block(child):  # e.g. an unclosed <b> swallowing a list
                self._flow(child, buf, depth, bold or _is_bold(child))
            else:
                buf.extend(self.inline(child, bold))
            if child.tail:
                buf.append(_Seg(child.tail, bold))

    def block(self, el: etree._Element, depth: int) -> None:
        tag = _tag(el)
        if tag in _TEXT_BLOCK_TAGS and _has_block(el):  # malformed: a list inside a <p>
            self.walk(el, depth, bold=tag in _HEADING_TAGS)
        elif tag in _HEADING_TAGS:
            text = _text(self.inline(el))
            if text:
                self._emit(RawBlock(kind="heading", text=text, page=1, bold=True))
        elif tag in _TEXT_BLOCK_TAGS:
            self._paragraph(self.inline(el))
        elif tag in _LIST_TAGS:
            self._list(el, depth)
        elif tag == "li":  # an <li> outside any list (malformed input)
            self._item(el, depth, "•", explicit=True)
        elif tag == "table":
            self._table(el)
        elif tag in {"tr", "td", "th", "thead", "tbody", "tfoot"}:  # stray table parts
            self._paragraph(self.inline(el))
        elif tag == "header" and self._header is None:
            self._header = self.header_count
            self.header_count += 1
            self.walk(el, depth)
            self._header = None
        elif tag == "hr":
            pass
        else:
            self.walk(el, depth)

    def _emit(self, block: RawBlock) -> None:
        self.blocks.append(_Pending(block, self._header))

    def _paragraph(self, segs: list[_Seg]) -> None:
        text = _text(segs)
        if not text:
            return
        only = CONNECTOR_LINE.match(text)
        if only:
            word: Connector = "AND" if only.group(1).upper() == "AND" else "OR"
            self._emit(RawBlock(kind="connector", text=word, page=1, connector=word))
            return
        bold = all(s.bold for s in segs if s.text.strip())
        text, connector = strip_trailing_connector(text)
        if not text:  # a lone ';'
            return
        kind: RawKind = "heading" if bold else "paragraph"
        connector = None if bold else connector
        self._emit(RawBlock(kind=kind, text=text, page=1, bold=bold, connector=connector))

    def _list(self, el: etree._Element, depth: int) -> None:
        ordered = _tag(el) == "ol"
        style = (el.get("style") or "").replace(" ", "").lower()
        explicit = not ordered or "list-style-type:none" in style or "list-style:none" in style
        kind = el.get("type") or _style_list_type(style)
        number = _int(el.get("start"), 1)
        for child in el:
            tag = _tag(child)
            if tag == "li":
                number = _int(child.get("value"), number)
                label = _ordinal_label(kind, number) if ordered else "•"
                self._item(child, depth, label, explicit)
                number += 1
            elif tag in _LIST_TAGS:
                self._list(child, depth + 1)
            elif tag is not None and tag not in _SKIP_TAGS:
                self.block(child, depth + 1)

    def _item(self, li: etree._Element, depth: int, label: str, explicit: bool) -> None:
        segs: list[_Seg] = []
        nested: list[etree._Element] = []
        self._item_segs(li, segs, nested)
        text = _text(segs)
        if explicit:
            task = _TASK_RE.match(text)
            if task:
                text = ("☐ " if task.group(1) == " " else "☒ ") + text[task.end() :]
            printed, body = split_label(text)
            if printed:
                label, text = printed, body
        text, connector = strip_trailing_connector(text)
        if text:
            self._emit(
                RawBlock(
                    kind="list_item",
                    text=text,
                    page=1,
                    label=label,
                    level=depth,
                    connector=connector,
                    bold=all(s.bold for s in segs if s.text.strip()),
                )
            )
        for child in nested:
            if _tag(child) in _LIST_TAGS:
                self._list(child, depth + 1)
            else:
                self._table(child)

    def _item_segs(
        self,
        el: etree._Element,
        segs: list[_Seg],
        nested: list[etree._Element],
        bold: bool = False,
    ) -> None:
        """The item's own text; nested lists and tables are deferred to ``nested``."""
        bold = bold or _is_bold(el)
        if el.text:
            segs.append(_Seg(el.text, bold))
        for child in el:
            tag = _tag(child)
            if tag is None or tag in _SKIP_TAGS:
                pass
            elif tag in _LIST_TAGS or tag == "table":
                nested.append(child)
            elif tag in _BLOCK_TAGS or _has_block(child):
                segs.append(_Seg(" ", bold))
                self._item_segs(child, segs, nested, bold)
                segs.append(_Seg(" ", bold))
            else:
                segs.extend(self.inline(child, bold))
            if child.tail:
                segs.append(_Seg(child.tail, bold))

    def _table(self, table: etree._Element) -> None:
        rows = _table_rows(table, self)
        if rows:
            self._emit(RawBlock(kind="table", text="", page=1, rows=rows))


# -- helpers ---------------------------------------------------------------------------


def _tag(el: etree._Element) -> str | None:
    """Lower-case local tag name; None for comments and processing instructions."""
    tag = el.tag
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1].lower()


def _is_bold(el: etree._Element) -> bool:
    if _tag(el) in _BOLD_TAGS:
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    return "font-weight:bold" in style or "font-weight:700" in style


def _has_block(el: etree._Element) -> bool:
    """Whether block-level content (a list, table, paragraph ...) is nested inside."""
    return any(_tag(d) in _BLOCK_TAGS for d in el.iterdescendants())


def _style_list_type(style: str) -> str:
    for css, kind in (
        ("lower-roman", "i"),
        ("upper-roman", "I"),
        ("lower-alpha", "a"),
        ("lower-latin", "a"),
        ("upper-alpha", "A"),
        ("upper-latin", "A"),
    ):
        if css in style:
            return kind
    return "1"


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _roman(number: int) -> str:
    out = []
    for value, numeral in (
        (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
        (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
    ):  # fmt: skip
        while number >= value:
            out.append(numeral)
            number -= value
    return "".join(out)


def _alpha(number: int) -> str:
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def _ordinal_label(kind: str, number: int) -> str:
    if number < 1 or kind == "1":
        return f"{number}."
    if kind in {"i", "I"}:
        roman = _roman(number)
        return f"{roman if kind == 'i' else roman.upper()}."
    if kind in {"a", "A"}:
        alpha = _alpha(number)
        return f"{alpha if kind == 'a' else alpha.upper()}."
    return f"{number}."


def _label_value(label: str) -> set[tuple[str, int]]:
    """Possible (style, ordinal) readings of a label: 'i.' is roman 1 or letter 9."""
    core = label.strip("().")
    punct = label.replace(core, "#")
    values: set[tuple[str, int]] = set()
    if core.isdigit():
        values.add((f"1{punct}", int(core)))
    for kind in ("i", "I", "a", "A"):
        for n in range(1, 60):
            if _ordinal_label(kind, n).rstrip(".") == core:
                values.add((f"{kind}{punct}", n))
                break
    return values


def _follows(previous: str, label: str) -> bool:
    """True when ``label`` is the next ordinal after ``previous`` in the same style."""
    return any((style, n - 1) in _label_value(previous) for style, n in _label_value(label))


def _latex(match: re.Match[str]) -> str:
    return _LATEX.get(match.group(1), match.group(0))


def _c1(match: re.Match[str]) -> str:
    """A C1 control left by a latin-1 decode is the cp1252 character the author meant."""
    return match.group(0).encode("latin-1").decode("cp1252", errors="ignore")


def _clean(text: str) -> str:
    text = _CONTROL_RE.sub("", _C1_RE.sub(_c1, text.translate(_GLYPHS)))
    return normalize_space(_LATEX_RE.sub(_latex, text))


def _text(segs: Iterable[_Seg]) -> str:
    return _clean("".join(s.text for s in segs))


def _table_rows(table: etree._Element, walker: _Walker) -> list[list[str]]:
    """Rows of a table as a grid: rowspan filled down, colspan repeated."""
    trs = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    order = {"thead": 0, "tfoot": 2}  # thead first, tfoot last, as browsers render them
    trs = sorted(trs, key=lambda tr: order.get(_tag(tr.getparent()) or "", 1))
    rows: list[list[str]] = []
    carry: dict[int, list[Any]] = {}  # column -> [rows still spanned, text]
    for tr in trs:
        row: list[str] = []

        def fill(row: list[str] = row) -> None:
            while len(row) in carry:
                spanned = carry[len(row)]
                row.append(spanned[1])
                spanned[0] -= 1
                if spanned[0] <= 0:
                    del carry[len(row) - 1]

        for cell in tr:
            if _tag(cell) not in {"td", "th"}:
                continue
            fill()
            text = _text(walker.inline(cell))
            span = max(1, min(_int(cell.get("colspan"), 1), 100))
            down = max(1, min(_int(cell.get("rowspan"), 1), 1000))
            for _ in range(span):
                if down > 1:
                    carry[len(row)] = [down - 1, text]
                row.append(text)
        fill()
        while carry and max(carry) > len(row):  # spanned cells further right
            row.append("")
            fill()
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return [r for r in rows if any(r)]


# -- page headers and heading rules ----------------------------------------------------


def _words(text: str) -> int:
    return len(text.split())


def _table_text(block: RawBlock) -> str:
    return " ".join(c for row in block.rows or [] for c in row if c)


def _is_label(cell: str) -> bool:
    return cell.rstrip(": ").lower() in _HEADER_LABELS


def _labelled(label: str, value: str) -> str:
    return f"{label} {value}" if label.endswith(":") else f"{label}: {value}"


def _header_cells(rows: list[list[str]]) -> list[str]:
    """Cells of a header table; label cells without ':' are joined to their values."""
    if len(rows) == 2 and sum(_is_label(c) for c in rows[0]) >= 2:  # labels over values
        return [_labelled(k, v) if _is_label(k) else f"{k} {v}" for k, v in zip(*rows, strict=True)]
    if all(len(r) == 2 for r in rows) and sum(_is_label(r[0]) for r in rows) >= 2:
        return [_labelled(k, v) if _is_label(k) else f"{k} {v}" for k, v in rows]
    return [c for row in rows for c in row]


def _header_text(blocks: list[RawBlock]) -> tuple[str, str | None]:
    """(row cells joined by spaces, title line) of one page header's blocks."""
    tables = [b.rows for b in blocks if b.kind == "table" and b.rows]
    lines = [b.text for b in blocks if b.kind != "table" and b.text]
    if tables:
        cells = [c for rows in tables for c in _header_cells(rows)]
        return _clean(" ".join(cells)), (lines[0] if lines else None)
    return _clean(" ".join(lines)), None


def _repeated_header_tables(blocks: list[_Pending]) -> list[int]:
    """Indices of small tables that repeat (fuzzily) through the document: page headers."""
    candidates = [
        i
        for i, p in enumerate(blocks)
        if p.block.kind == "table" and len(p.block.rows or []) <= _S.header_max_rows
    ]
    clusters: list[list[int]] = []
    for i in candidates:
        text = _table_text(blocks[i].block)
        for cluster in clusters:
            if fuzz.ratio(_table_text(blocks[cluster[0]].block), text) >= _S.header_similarity:
                cluster.append(i)
                break
        else:
            clusters.append([i])
    repeated = [c for c in clusters if len(c) >= 2]
    if not repeated:
        return []
    return max(repeated, key=lambda c: (len(c), -c[0]))


def _labelled_header_table(blocks: list[_Pending]) -> list[tuple[int, list[int]]]:
    """A single header table near the top ("Policy Number: ..." cells) and its title line."""
    for i, p in enumerate(blocks[: _S.header_search]):
        if p.block.kind != "table":
            continue
        text = _table_text(p.block).lower()
        if sum(label in text for label in _HEADER_LABELS) < 2:
            continue
        if i == 1 and blocks[0].block.kind in ("paragraph", "heading"):
            return [(0, [0, 1])]  # the title line above it
        return [(i, [i])]
    return []


def _header_elements(blocks: list[_Pending]) -> tuple[list[tuple[int, list[int]]], bool]:
    """Page headers from <header> elements; they count pages only when they repeat."""
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(blocks):
        if p.header_group is not None:
            groups.setdefault(p.header_group, []).append(i)
    out = [(idx[0], idx) for _, idx in sorted(groups.items())]
    texts = [_header_text([blocks[i].block for i in idx])[0] for _, idx in out]
    paged = len(texts) >= 2 and all(
        fuzz.ratio(texts[0], t) >= _S.header_similarity for t in texts[1:]
    )
    return out, paged


def _group_headers(
    blocks: list[_Pending], walker: _Walker
) -> tuple[list[tuple[int, list[int]]], bool]:
    """(position in the body, block indices) of every page header, in document order,
    and whether each header starts a new page."""
    if walker.header_count:
        return _header_elements(blocks)
    tables = _repeated_header_tables(blocks)
    if not tables:
        return _labelled_header_table(blocks), False
    # the title line printed just above each repeated header table
    before = [blocks[i - 1].block for i in tables if i > 0 and blocks[i - 1].block.kind != "table"]
    common = Counter(b.text for b in before).most_common(1)
    title = common[0][0] if common and common[0][1] >= 2 else None
    out: list[tuple[int, list[int]]] = []
    for i in tables:
        prev = blocks[i - 1].block if i > 0 else None
        if prev is not None and title is not None and prev.text == title:
            out.append((i - 1, [i - 1, i]))
        else:
            out.append((i, [i]))
    return out, True


def _title_case(text: str) -> bool:
    """'Definitions and Measures' yes; 'Requests may be approved if:' no."""
    for word in text.split():
        letters = [c for c in word if c.isalpha()]
        if letters and word.lower() not in _SMALL_WORDS and not letters[0].isupper():
            return False
    return True


def _is_standalone_heading(block: RawBlock, following: RawBlock | None) -> bool:
    text = block.text
    if block.kind != "paragraph" or block.connector or not text or not text[0].isalnum():
        return False
    if text.endswith(":"):
        return _words(text) <= _S.short_words or (
            _words(text) <= _S.colon_heading_words and _title_case(text)
        )
    if (
        not _title_case(text)
        or _words(text) > _S.standalone_words
        or text.endswith((".", ";", ",", "!", "?"))
    ):
        return False
    return following is not None and following.kind in {"paragraph", "list_item", "table"}


def _finish(blocks: list[RawBlock]) -> list[RawBlock]:
    """Heading rules over the body (after page headers are gone)."""
    for i, block in enumerate(blocks):
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        if _is_standalone_heading(block, following):
            block.kind = "heading"
    merged: list[RawBlock] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        # "Service" / "Category:" split over two lines by a converter -> one heading
        if (
            prev is not None
            and prev.kind == "heading"
            and block.kind == "heading"
            and prev.page == block.page
            and not prev.text.endswith(":")
            and block.text.endswith(":")
            and _words(prev.text) <= 2
            and _words(block.text) <= 2
        ):
            prev.text = f"{prev.text} {block.text}"
            prev.bold = prev.bold and block.bold
            continue
        merged.append(block)
    return merged


def _continue_lists(blocks: list[RawBlock], breaks: set[int]) -> None:
    """A list cut by a page header continues at the level of the label it follows."""
    for start in sorted(breaks):
        if start >= len(blocks) or blocks[start].kind != "list_item":
            continue
        first = blocks[start]
        level = None
        for prev in reversed(blocks[:start]):
            if prev.kind != "list_item":
                break
            if prev.label and first.label and _follows(prev.label, first.label):
                level = prev.level
                break
        if level is None or level == first.level:
            continue
        delta = level - first.level
        for block in blocks[start:]:
            if block.kind != "list_item":
                break
            block.level = max(0, block.level + delta)


def html_to_raw(root: etree._Element, fmt: SourceFormat, title: str | None = None) -> RawDocument:
    """Walk a parsed HTML tree into a RawDocument (shared by the HTML and Markdown readers)."""
    body = root.find("body")
    walker = _Walker()
    walker.walk(body if body is not None else root)
    pending = walker.blocks
    groups, paged = _group_headers(pending, walker)
    drop = {i for _, idx in groups for i in idx}
    headers: list[PageHeader] = []
    body_blocks: list[RawBlock] = []
    breaks: set[int] = set()
    page = 1
    cursor = 0
    for number, (position, idx) in enumerate(groups, start=1):
        for i in range(cursor, position):
            if i not in drop:
                pending[i].block.page = page
                body_blocks.append(pending[i].block)
        text, header_title = _header_text([pending[i].block for i in idx])
        title = title if title is not None else header_title
        if paged:
            page = number
            breaks.add(len(body_blocks))
        headers.append(PageHeader(page=page, text=text))
        cursor = max(idx) + 1
    for i in range(cursor, len(pending)):
        if i not in drop:
            pending[i].block.page = page
            body_blocks.append(pending[i].block)
    _continue_lists(body_blocks, breaks)
    body_blocks = _finish(body_blocks)
    for block in body_blocks:
        if block.rows is not None:
            block.row_pages = [block.page] * len(block.rows)
    if title is None:
        h1 = root.find(".//h1")
        title = _clean(h1.text_content()) or None if h1 is not None else None
    return RawDocument(
        format=fmt,
        pages=len(headers) if paged else 1,
        title=title,
        headers=headers,
        blocks=body_blocks,
    )


def looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13)) + sample.count(127)
    return control > max(4, len(sample) // 20)


def _depth_warning(parser: etree.HTMLParser) -> list[Warning]:
    """libxml2 gives up at its nesting limit (256 elements): say where, never silently."""
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "depth" in entry.message.lower():
            message = (
                f"HTML nested deeper than the parser's limit "
                f"({entry.message.split(',')[0].strip()} elements): "
                f"reading stopped at line {entry.line}; the text from there on is not read"
            )
            return [Warning(code="nesting_limit", message=message)]
    return []


def parse_document(source: str | bytes) -> tuple[etree._Element, list[Warning]]:
    """Parse an HTML document with lxml (it recovers from unclosed tags), with a
    ``nesting_limit`` warning when it was nested too deep to be read whole."""
    parser = lxml_html.HTMLParser()
    root = lxml_html.document_fromstring(source, parser=parser)
    return root, _depth_warning(parser)


def parse_html(path: Path, data: bytes) -> tuple[etree._Element, list[Warning]]:
    """Parse HTML bytes with lxml; one-line errors (and the nesting warning)."""
    if not data.strip():
        raise InputError(path, "empty file (no content)")
    if looks_binary(data):
        raise InputError(path, "binary data, not an HTML document")
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return parse_document(data)  # lets lxml honour <meta charset>
        try:
            return parse_document(text)
        except ValueError:  # an XML encoding declaration in a str: parse the bytes
            return parse_document(data)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as err:
        raise InputError(path, f"cannot parse HTML ({err})") from err


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from err


def read_html(path: Path) -> RawDocument:
    """Read an HTML page into the reader-neutral form."""
    root, warnings = parse_html(path, read_bytes(path))
    title_el = root.find(".//title")
    title = _clean(title_el.text_content()) if title_el is not None else None
    raw = html_to_raw(root, "html")
    raw.warnings.extend(warnings)
    if raw.title is None and title:
        raw.title = title
    if not raw.blocks and not raw.headers:
        raise InputError(path, "no text content in the HTML document")
    return raw
