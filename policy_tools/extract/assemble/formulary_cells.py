"""Cells of a formulary table: which column each cell of a short row belongs to, what
kind of row a one-cell row is, the limits of a quantity-limit cell and the criteria tree
of a criteria cell. Pure functions over strings; the vocabulary says what the words are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ...model.policy import Leaf, Node, QuantityLimit
from ...settings import SETTINGS
from ...text import compare_key, squash
from ...vocab.formulary import (
    BRAND_MARK,
    COLUMN_CUES,
    CRITERIA_HEADING,
    CRITERIA_REFERENCE,
    FORM_CUE,
    MARKERS,
    NOTE_BLOCK,
    QL_PARTS,
)
from ..blocks import RawBlock
from ..lines import split_label, strip_trailing_connector
from .criteria import criteria_tree
from .draft import Draft

__all__ = [
    "align",
    "cell_tree",
    "column_fields",
    "is_name",
    "is_title",
    "parse_limits",
    "reference_of",
]

_S = SETTINGS.formulary
FREE_TEXT = ("criteria", "notes")  # columns a run of split cells may all belong to
_LEADING_MARK = re.compile(r"^[•●▪○◦\uf0b7\u00ad≥≤<>−–-]|^o\s")
_OPEN_END = re.compile(r"(?:;|\bAND|\bOR|\so)$")
_LEAD_MARK = re.compile(r"^\s*\^\d+\s+")  # stray superscript digits before a cell's text


def column_fields(cells: Sequence[str]) -> list[str] | None:
    """The field of each header cell, or None when the row is not a PDL header."""
    fields: list[str] = []
    for cell in cells:
        hit = next((p.name for p in COLUMN_CUES if p.search(squash(cell))), None)
        fields.append(hit or f"other:{squash(cell)}")
    known = [f for f in fields if not f.startswith("other:")]
    if "name" not in known or len(set(known)) < _S.header_cells:
        return None
    return fields


def is_name(text: str) -> bool:
    """Could this first cell be a drug name (not a criteria line cut out of its cell)?"""
    t = squash(text)
    if not t or len(t.split()) > _S.name_words or _LEADING_MARK.search(t):
        return False
    if _OPEN_END.search(t) or CRITERIA_REFERENCE.search(t) or t.lower().startswith("note"):
        return False
    return not CRITERIA_HEADING.regex.fullmatch(t)


def is_title(text: str) -> bool:
    """A one-cell row that reads as a class title (short, capitalised, not a sentence)."""
    t = squash(text)
    words = t.split()
    if not words or len(words) > _S.title_words or BRAND_MARK.search(t):
        return False
    if not (t[0].isupper() or re.match(r"\d+-[A-Za-z]", t)) or split_label(t)[0] is not None:
        return False
    if t[-1] in ".;,:":
        return False
    if _OPEN_END.search(t) or NOTE_BLOCK.search(t) or CRITERIA_HEADING.regex.fullmatch(t):
        return False
    letters = [c for c in t if c.isalpha()]
    return not (len(words) > 6 and all(c.isupper() for c in letters))


def is_drug_band(text: str) -> bool:
    """A short one-cell row with a brand mark: a drug row whose other cells were not read."""
    t = squash(text)
    return bool(BRAND_MARK.search(t)) and len(t.split()) <= _S.drug_band_words and is_name(t)


def _fit(field: str, text: str, statuses: set[str]) -> float:
    """How well a cell's text fits a column (higher is better); '' fits anywhere a little."""
    if not text:
        return -0.5 if field == "name" else 0.3
    if field == "name":
        return 1.0 if is_name(text) else -3.0
    if field == "status":
        return 4.0 if compare_key(text) in statuses else -6.0
    if field == "quantity_limit":
        return 2.5 if QL_PARTS.search(text) else (0.0 if re.search(r"\d", text) else -2.0)
    if field == "pa_form":
        if FORM_CUE.search(text):
            return 3.0
        return 0.5 if len(text.split()) <= 3 and not re.search(r"\d", text) else -1.5
    if field in MARKERS:
        return 2.5 if MARKERS[field].search(text) or MARKERS["no"].search(text) else -2.0
    return 1.0


def align(cells: Sequence[str], fields: Sequence[str], statuses: set[str]) -> dict[str, str]:
    """Cells of a row (the reader drops merged positions) -> field -> text, in order.

    A row as wide as the header maps one to one. A shorter or wider one is aligned by
    content (a monotone assignment maximising how well each cell fits its column); a run
    of cells may share a free-text column (a criteria cell split at its bullets).
    """
    cells = [_LEAD_MARK.sub("", c) for c in cells]
    if len(cells) == len(fields):
        return {f: squash(c) for f, c in zip(fields, cells, strict=True)}
    n, k = len(fields), len(cells)
    neg = float("-inf")
    best = [[neg] * n for _ in range(k)]
    back = [[-1] * n for _ in range(k)]
    for j in range(n):
        best[0][j] = _fit(fields[j], squash(cells[0]), statuses)
    for i in range(1, k):
        fit = [_fit(f, squash(cells[i]), statuses) for f in fields]
        for j in range(n):
            for jj in range(j + 1):
                same = jj == j
                if best[i - 1][jj] == neg or (same and fields[j] not in FREE_TEXT):
                    continue
                score = best[i - 1][jj] + (0.0 if same else fit[j])
                if score > best[i][j]:
                    best[i][j], back[i][j] = score, jj
    j = max(range(n), key=lambda c: best[k - 1][c])
    out: dict[str, list[str]] = {}
    for i in range(k - 1, -1, -1):
        out.setdefault(fields[j], []).insert(0, squash(cells[i]))
        j = back[i][j] if i else j
    return {f: squash(" ".join(p for p in parts if p)) for f, parts in out.items()}


def reference_of(text: str | None) -> str | None:
    """The drug a criteria cell refers to ('See Lucemyra® prior authorization criteria')."""
    m = CRITERIA_REFERENCE.search(text or "")
    return squash(m.group(1)) if m else None


_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def parse_limits(text: str | None) -> list[QuantityLimit]:
    """Quantity per period of every limit in a quantity-limit cell, in printed order."""
    out: list[QuantityLimit] = []
    for part in re.split(r";", text or ""):
        start = 0
        for m in QL_PARTS.regex.finditer(part):
            qty, unit, num, period = m.groups()
            head = period.lower().rstrip("s")
            days = _DAYS.get(head)
            count = int(num.replace(",", "")) if num else 1
            applies = squash(part[start : m.start()]).strip(" :;,")
            out.append(
                QuantityLimit(
                    quantity=float(qty.replace(",", "")),
                    unit=unit,
                    days=days * count if days else (count if num else None),
                    per=None if days else period,
                    strength=applies or None,
                    text=squash(m.group(0)),
                )
            )
            start = m.end()
    return out


# ------------------------------------------------------------- criteria cells

_BULLET = re.compile(r"(?:^|\s)(•|●|▪|\uf0b7|o|\u00ad|−)(?=\s|$)")
_LEVELS = {"o": 1, "\u00ad": 2, "−": 2}
# the label each level's items get, a marker as printed at that level (level 2 prints
# '−' or a soft hyphen): one bullet style per level, so the outline nests them as printed
# ('• a; AND • b: o c; OR o d; AND • e')
_LEVEL_LABELS = ("•", "o", "−")


def _items(text: str) -> tuple[str, list[tuple[int, str]]]:
    """'Intro: • a; AND o b' -> ('Intro:', [(0, 'a; AND'), (1, 'b')]); bullets as levels."""
    marks = list(_BULLET.finditer(text))
    intro = squash(text[: marks[0].start()] if marks else text)
    items: list[tuple[int, str]] = []
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        body = squash(text[m.end() : end])
        if body:
            items.append((_LEVELS.get(m.group(1), 0), body))
    return intro, items


def _sections(text: str) -> list[tuple[str | None, list[tuple[int, str]]]]:
    """Split a cell at criteria headings ('Renewal Criteria:') into its criteria sets."""
    intro, items = _items(text)
    sections: list[tuple[str | None, list[tuple[int, str]]]] = [(intro or None, [])]
    for level, body in items:
        heads = list(CRITERIA_HEADING.regex.finditer(body))
        m = heads[-1] if heads else None
        if m is not None and m.end() >= len(body.rstrip()) - 1 and m.start() > 0:
            sections[-1][1].append((level, squash(body[: m.start()])))
            sections.append((squash(m.group(1)), []))
        else:
            sections[-1][1].append((level, body))
    return [(h, its) for h, its in sections if its or h]


def _blocks(heading: str | None, items: list[tuple[int, str]], page: int) -> list[RawBlock]:
    blocks = [RawBlock(kind="paragraph", text=heading, page=page)] if heading else []
    for level, body in items:
        text, conn = strip_trailing_connector(body)
        blocks.append(
            RawBlock(
                kind="list_item",
                text=text,
                page=page,
                label=_LEVEL_LABELS[min(level, len(_LEVEL_LABELS) - 1)],
                level=level,
                connector=conn,
            )
        )
    return blocks


def cell_tree(text: str | None, page: int, d: Draft, where: str) -> Node | None:
    """The criteria tree of a criteria cell: its bullets as items (• o - as levels), its
    AND/OR connectors as operators, each 'X Criteria:' heading a criteria set of its own."""
    if not text or not squash(text):
        return None
    trees: list[Node | Leaf] = []
    for heading, items in _sections(text):
        if not items:
            trees.append(Leaf(text=heading or "", page=page))
            continue
        tree = criteria_tree(_blocks(heading, items, page), d, where)
        if tree is not None:
            trees.append(tree)
    if len(trees) == 1 and isinstance(trees[0], Node):
        return trees[0]
    notes = ["criteria sets printed one after another (e.g. initial, renewal)"]
    return Node(op="AND", page=page, items=trees, notes=notes if len(trees) > 1 else [])
