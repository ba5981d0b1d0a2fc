"""The criteria region of a document as a flat run of printed items.

Readers hand over blocks; this step makes of the blocks that hold criteria a run of
:class:`Item` (a labelled list item, an unlabelled text, a heading or a connector), so
that the outline (``outline.py``) can nest them by their labels alone:

- the section titles of the region come back as headings (with their label, e.g. UHC's
  '1. Initial Authorization'), carrying the branch their key names;
- a connector printed on its own line (UHC '- AND -') becomes a connector item;
- a note printed after a criterion ('...; AND Note: ...') is split off into the
  criterion's notes, with the connector kept;
- sub-items the reader joined into one block (a Word list whose 'o' bullets the text
  layer keeps as letters, items split by '; AND' at a line end) are split again from
  the block's printed lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from ...model.policy import Box
from ...settings import SETTINGS
from ...text import join_lines, normalize_space
from ...vocab.criteria import (
    BRANCH_CUES,
    CONNECTOR_LINES,
    INLINE_BULLETS,
    INLINE_CONNECTORS,
    NOTE_CUES,
)
from ...vocab.sections import SECTION_ALIASES
from ..blocks import Connector, RawBlock
from ..lines import split_label
from .draft import Draft, RawSection

__all__ = ["Item", "add_blocks", "region_items", "region_sections"]

ItemKind = Literal["item", "text", "heading", "connector"]

# section keys the criteria are read from, and the branch each one names
SECTION_HINTS = {
    "coverage_criteria": None,
    "initial_criteria": "initial",
    "continuation_criteria": "continuation",
    "not_covered": "not_covered",
    "authorization_duration": "duration",
    "indications": None,
    "other_uses": None,
}
# sections that end the criteria region, and known sections that are never criteria
_REGION_END = ("codes", "references", "history")
_NOT_CRITERIA = frozenset(SECTION_ALIASES) - frozenset(SECTION_HINTS)


@dataclass
class Item:
    """One printed item of the criteria region."""

    kind: ItemKind
    text: str
    page: int
    label: str | None = None
    indent: float | None = None
    level: int = 0
    conn: Connector | None = None  # the connector printed after it
    notes: list[str] = field(default_factory=list)
    boxes: list[Box] | None = None
    hint: str | None = None  # the branch its section names
    section: str = ""
    blocks: list[RawBlock] = field(default_factory=list)
    sub: bool = False  # a sub-item split out of its block ('o' bullets)
    parent: int | None = None  # sub-items of a labelled block: id of that block
    split: bool = False  # split off the item before it at '; AND' (its sibling)
    title: bool = False  # the title of a section
    colon: bool = False  # printed ending in ':' (a section title's colon is not in its text)
    note_list: bool = False  # its last note ends in ':' and the list printed next is the note's
    bold: bool = False


def _key_base(key: str) -> str:
    return re.sub(r"_\d+$", "", key)


def region_sections(d: Draft) -> list[RawSection]:
    """The sections criteria are read from: from the first criteria section to the codes,
    references or history, leaving out known sections of other kinds (and the
    unrecognised sub-sections that follow one of them)."""
    out: list[RawSection] = []
    started = skipping = False
    for s in d.sections:
        base = _key_base(s.key)
        if base in SECTION_HINTS and base not in ("indications", "other_uses"):
            started = True
        if not started:
            continue
        if base in _REGION_END:
            break
        if base in _NOT_CRITERIA:
            skipping = True
            continue
        if base in SECTION_HINTS:
            skipping = False
        if not skipping:
            out.append(s)
    return out


def region_items(d: Draft) -> list[Item]:
    """The criteria region as a flat run of items, in printed order."""
    items: list[Item] = []
    for s in region_sections(d):
        hint = SECTION_HINTS.get(_key_base(s.key))
        if s.title:
            items.append(_title_item(s, hint))
        add_blocks(items, s.blocks, hint, s.key)
    return items


def add_blocks(
    items: list[Item], blocks: Iterable[RawBlock], hint: str | None = None, section: str = ""
) -> list[Item]:
    """Append the items of printed blocks to ``items`` (notes and connectors folded)."""
    for b in blocks:
        listed = _lists_after(items[-1] if items else None, b)
        for it in _block_items(b, listed):
            it.hint, it.section = hint, section
            _add(items, it)
    return items


def _lists_after(prev: Item | None, b: RawBlock) -> bool:
    """A paragraph of short capitalised lines printed right after a lead-in ending in
    ':' (or after such a list) is that lead-in's list whose bullets the text layer lost
    ('Rituximab is unproven ... for the treatment of:' + 'Pure red cell aplasia')."""
    lines = b.lines or []
    if b.kind != "paragraph" or b.bold or b.label or len(lines) < 2 or prev is None:
        return False
    if not (prev.text.rstrip().endswith(":") or prev.sub or prev.colon):
        return False
    limit = SETTINGS.assemble.lost_bullet_words
    return all(ln[:1].isupper() and len(ln.split()) <= limit for ln in lines)


def _title_item(s: RawSection, hint: str | None) -> Item:
    head = s.head
    label, text = split_label(s.title)
    if label == "•":
        label, text = None, s.title
    if label is None and head is not None and head.label and head.label != "•":
        label = head.label  # an unrecognised heading's title is printed after its label
    return Item(
        kind="heading",
        text=text,
        page=s.page,
        label=label,
        hint=hint,
        section=s.key,
        boxes=head.boxes if head else None,
        blocks=[head] if head else [],
        bold=True,
        title=True,
        colon=bool(head and head.text.rstrip().endswith(":")),
    )


def _add(items: list[Item], it: Item) -> None:
    """Append, folding connectors and notes into the item they follow, and joining a
    heading printed over two blocks."""
    prev = items[-1] if items else None
    if prev is not None and prev.note_list and it.sub and not it.parent:
        prev.notes[-1] += f" {it.text}"  # the list of a footnote ('±Ineffective ... :')
        prev.blocks.extend(it.blocks)
        return
    if prev is not None and _continues_heading(prev, it):
        prev.text = normalize_space(f"{prev.text} {it.text}")
        prev.blocks.extend(it.blocks)
        prev.boxes = [*(prev.boxes or []), *(it.boxes or [])] or None
        return
    if it.kind == "connector":
        if prev is not None and prev.kind != "connector":
            prev.conn = it.conn or prev.conn
        return
    note = _note(it.text) if it.kind in ("text", "heading") and not it.label else None
    if note is not None and prev is not None:
        prev.notes.append(note)  # a note, or a footnote printed after what it explains
        prev.blocks.extend(it.blocks)
        prev.note_list = _FOOT_REFS.sub("", note).endswith(":")
        return
    if prev is not None:
        prev.note_list = False
    items.append(it)


def _continues_heading(prev: Item, it: Item) -> bool:
    """A heading wrapped onto a second heading block ('... bone metastases' + 'from
    solid tumors', 'Xgeva, ..., Wyost,' + 'Xbryk, Xtrenbo')."""
    if prev.kind != "heading" or it.kind != "heading" or prev.title or it.title:
        return False
    if prev.label or it.label or prev.page != it.page or prev.notes:
        return False
    return prev.text.rstrip().endswith(",") or it.text[:1].islower()


def _note(text: str) -> str | None:
    for cue in NOTE_CUES:
        m = cue.regex.match(text)
        if m:
            return normalize_space(m.group(1)) or None
    return None


# ------------------------------------------------------------------ one block


def _connector_of(text: str) -> Connector | None:
    for pat in CONNECTOR_LINES:
        m = pat.regex.match(text)
        if m:
            return "AND" if m.group(1).upper() == "AND" else "OR"
    return None


def _block_items(b: RawBlock, listed: bool = False) -> Iterator[Item]:
    if b.kind == "table" or not b.text or _MARKS_ONLY.match(b.text):
        return
    if listed:
        for line in b.lines or []:
            yield Item(
                kind="item",
                text=normalize_space(line),
                page=b.page,
                boxes=b.boxes,
                blocks=[b],
                sub=True,
            )
        return
    conn = _connector_of(b.text) if b.kind != "connector" else b.connector
    if conn is not None and (b.kind == "connector" or not b.label or b.label == "•"):
        yield Item(kind="connector", text=conn, page=b.page, conn=conn, blocks=[b])
        return
    lines = b.lines or []
    marks = [_bullet_line(ln) for ln in lines]
    if (len(lines) > 1 and any(m is not None for m in marks)) or (
        len(lines) == 1 and marks[0] and not b.label
    ):
        yield from _segmented(b, lines)
        return
    heading = b.kind == "heading" or (b.kind == "paragraph" and b.bold)
    kind: ItemKind = "heading" if heading else ("item" if b.label else "text")
    yield from _pieces(b, kind, b.text, b.label, b.connector, sub=False)


def _pieces(
    b: RawBlock, kind: ItemKind, text: str, label: str | None, conn: Connector | None, sub: bool
) -> Iterator[Item]:
    """An item, split where the reader joined an item and its note or two items at
    '; AND' (the later parts become siblings of the first)."""
    parts = [(t, c) for t, c in _split_inline(text) if not _MARKS_ONLY.match(t)]
    first = True
    item: Item | None = None
    for piece, piece_conn in parts:
        note = _note(piece)
        if note is not None and item is not None:
            item.notes.append(note)
            continue
        if item is not None:
            yield item
        item = Item(
            kind=kind if first else "item",
            text=piece,
            page=b.page,
            label=label if first else None,
            indent=b.indent,
            level=b.level,
            conn=piece_conn,
            boxes=b.boxes,
            blocks=[b],
            sub=sub,
            split=not first,
            bold=b.bold,
        )
        first = False
    if item is not None:
        item.conn = conn or item.conn
        yield item


def _split_inline(text: str) -> list[tuple[str, Connector | None]]:
    """'x; AND Note: y' -> [('x', 'AND'), ('Note: y', None)]; trailing '; AND.' read too."""
    out: list[tuple[str, Connector | None]] = []
    rest = text
    mid, end = INLINE_CONNECTORS
    while True:
        m = mid.regex.search(rest)
        if m is None:
            break
        out.append((rest[: m.start()].strip(), "AND" if m.group(1) == "AND" else "OR"))
        rest = rest[m.end() :].strip()
    m2 = end.regex.search(rest)
    last_conn: Connector | None = None
    if m2 and m2.start() > 0:
        last_conn = "AND" if m2.group(1).upper() == "AND" else "OR"
        rest = rest[: m2.start()].strip()
    out.append((rest, last_conn))
    return [(t, c) for t, c in out if t]


# ------------------------------------------------------------------ sub-items by lines


def _bullet_line(line: str) -> str | None:
    """The text after an inline bullet mark ('' when the mark stands alone), or None."""
    for pat in INLINE_BULLETS:
        m = pat.regex.match(line)
        if m:
            return (m.group(1) or "").strip()
    return None


_FOOT_REFS = re.compile(r"[\s^\d,\-–]+$")
_MARKS_ONLY = re.compile(r"^[\^\d,\-–\s†‡±¥Ф◊*]*$")
_ENDS_CONNECTOR = re.compile(r";\s*(?:AND|OR|and|or)\.?\s*$")


def _starts_new(line: str, prev: str, after_mark: bool) -> bool:
    """Does a printed line (no mark of its own) begin a new sub-item?"""
    if _ENDS_CONNECTOR.search(prev) or prev.rstrip().endswith(":"):
        return True
    if not line[:1].isupper() or re.match(r"^(?:AND|OR)\s", line):
        return False
    if prev.rstrip().endswith((",", "-", "(", "/")):
        return False
    if line.rstrip().endswith(":") or any(c.regex.match(line) for c in BRANCH_CUES):
        return True
    return after_mark


def _segments(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """Printed lines -> (marked, lines) segments: a mark or a line ending in a connector
    or ':' starts a new one; lowercase lines continue the current one. After a line
    ending in ':' each line that starts a capital begins an item (bullets the text
    layer lost)."""
    segs: list[tuple[bool, list[str]]] = []
    after_mark = listing = False
    for raw in lines:
        line = raw.strip()
        if _MARKS_ONLY.match(line):
            continue  # a footnote mark printed on a line of its own ('^2')
        rest = _bullet_line(line)
        if rest == "":
            after_mark = True
            continue
        if rest is not None:
            segs.append((True, [rest]))
        elif not segs or _starts_new(line, segs[-1][1][-1], after_mark or listing):
            segs.append((after_mark or listing, [line]))
        else:
            segs[-1][1].append(line)
        after_mark = False
        listing = listing or line.rstrip().endswith(":")
    return segs


def _segmented(b: RawBlock, lines: list[str]) -> Iterator[Item]:
    """A block whose printed lines hold inline bullets: its own text, then sub-items."""
    segs = _segments(lines)
    for k, (marked, seg) in enumerate(segs):
        text = join_lines("\n".join(seg))
        own = k == 0 and bool(b.label)
        if own:
            text = split_label(text)[1]  # the printed line still holds the label
        conn = _tail_connector(text)
        text = _strip_tail(text)
        if own:
            kind: ItemKind = "item"
        elif text.endswith(":") and not _glyph(seg_lines(lines, seg)):
            kind = "text"  # a lead-in printed among the items ('For continuation of therapy:')
        elif marked or b.label or any(_glyph(ln) or _bullet_line(ln) == "" for ln in lines):
            kind = "item"
        else:
            kind = "text"
        label = b.label if own else None
        for piece in _pieces(b, kind, text, label, conn, sub=kind == "item" and not own):
            if piece.sub and b.label:
                piece.parent = id(b)
            yield piece


def seg_lines(lines: list[str], seg: list[str]) -> str:
    """The printed line a segment began on (with its bullet mark, if it had one)."""
    first = seg[0]
    return next((ln.strip() for ln in lines if ln.strip().endswith(first) or first in ln), first)


def _glyph(line: str) -> bool:
    rest = _bullet_line(line)
    return rest is not None and rest != ""


def _tail_connector(text: str) -> Connector | None:
    m = _ENDS_CONNECTOR.search(text)
    if not m:
        return None
    return "AND" if "and" in m.group(0).lower() else "OR"


def _strip_tail(text: str) -> str:
    return _ENDS_CONNECTOR.sub("", text).rstrip(" ;").strip()


def texts_of(items: Iterable[Item]) -> list[str]:
    """The printed texts of items (for coverage and debugging)."""
    return [it.text for it in items]
