"""Sections: headings matched to canonical keys (``vocab.sections``), blocks grouped under them."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from rapidfuzz import fuzz

from ...model.policy import (
    Block,
    Section,
)
from ...settings import SETTINGS
from ...text import normalize_space, slug
from ...vocab.sections import SECTION_ALIASES
from ..blocks import RawBlock
from ..lines import split_label
from .draft import Draft, RawSection

_ALIAS_INDEX = {
    normalize_space(a.text.lower()): key
    for key, aliases in SECTION_ALIASES.items()
    for a in aliases
}
_S = SETTINGS.assemble


def _alias_text(text: str) -> str:
    label, body = split_label(text)
    if label and label != "•":
        text = body
    text = re.sub(r"\(.*$", "", text).strip()
    text = re.sub(r"(?:\s+\^?|\^)\d+(?:\s*[-–,]\s*\d+)*$", "", text)  # citation markers
    return normalize_space(text.rstrip(":").strip().lower())


def match_alias(text: str) -> str | None:
    """Canonical section key for a heading as printed, or None."""
    key = _alias_text(text)
    if not key or len(key) > _S.alias_max_chars:
        return None
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    best, score = None, 0.0
    for alias, k in _ALIAS_INDEX.items():
        s = fuzz.ratio(key, alias)
        if s > score:
            best, score = k, s
    return best if score >= _S.alias_fuzzy else None


# ------------------------------------------------------------------ sections


def _is_section_title(b: RawBlock, current: RawSection | None) -> bool:
    """An unrecognised heading opens a section only when it looks like one."""
    if b.kind != "heading":
        return False
    text = b.text.strip()
    if len(text.split()) > _S.title_max_words:
        return False
    if text.endswith(":") or b.prominent or current is None:
        return True
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return True  # an all-caps heading
    return bool(b.label and b.label[:-1].isdigit())  # "1. Background"


def build_sections(d: Draft) -> None:
    current: RawSection | None = None
    for b in d.raw.blocks:
        heading_text = b.text if b.kind == "heading" else None
        key = None
        if b.kind == "table" and b.rows and _title_table(b.rows):
            title = b.rows[0][0].strip()
            key = match_alias(title)
            if key:
                current = RawSection(key=key, title=title, page=b.page, recognised=True)
                d.sections.append(current)
                body = [i for i in range(1, len(b.rows)) if any(c.strip() for c in b.rows[i])]
                if body:
                    current.blocks.append(_rows_of(b, body))
                continue
        if b.kind in ("heading", "paragraph", "list_item") and b.text:
            full = f"{b.label} {b.text}" if b.label and b.label != "•" else b.text
            key = match_alias(full)
            if key and b.kind != "heading":
                # plain text naming a section only counts when nothing else is on it
                stem = re.split(r"\s*\(", b.text, maxsplit=1)[0].rstrip(":").strip()
                if len(stem.split()) > _S.plain_title_words:
                    key = None
            if key:
                heading_text = full
        if key or (heading_text and _is_section_title(b, current)):
            title_full = heading_text or b.text
            title, rest = _split_title(title_full)
            if key is None:
                key = slug(title)
                d.warn("unrecognised_section", f"section '{title}' is not a known section", b.page)
            current = RawSection(
                key=key, title=title, page=b.page, recognised=key in SECTION_ALIASES, head=b
            )
            d.sections.append(current)
            if rest:
                current.blocks.append(
                    RawBlock(kind="paragraph", text=rest, page=b.page, boxes=b.boxes)
                )
            continue
        if current is None:
            current = RawSection(key="preamble", title="", page=b.page, recognised=False)
            d.sections.append(current)
        if b.kind == "heading":
            b = replace(b, kind="paragraph", bold=True)
        current.blocks.append(b)
    _dedupe_keys(d.sections)


def _rows_of(b: RawBlock, keep: list[int]) -> RawBlock:
    """The body rows of a boxed-title table (its first row is the title), with the page
    and box of each row."""
    rows = b.rows or []
    pages = b.row_pages or [b.page] * len(rows)
    boxes = b.row_boxes
    return RawBlock(
        kind="table",
        text="",
        page=b.page,
        rows=[rows[i] for i in keep],
        row_pages=[pages[i] for i in keep],
        row_boxes=[boxes[i] for i in keep] if boxes else None,
        boxes=b.boxes,
    )


def _title_table(rows: list[list[str]]) -> bool:
    """A boxed title ('Policy History' in a one-cell row) printed as a table."""
    first = [c for c in rows[0] if c.strip()]
    return (
        len(first) == 1
        and len(first[0].split()) <= _S.boxed_title_words
        and len(rows) <= _S.boxed_title_rows
    )


def _split_title(text: str) -> tuple[str, str]:
    """'A. Criteria For Initial Approval (Provider must ...)' -> (title, note)."""
    m = re.match(r"^(.*?)\s*(\(.*)$", text)
    if m and match_alias(m.group(1)):
        return m.group(1).rstrip(":").strip(), m.group(2).strip()
    return text.rstrip(":").strip(), ""


def _dedupe_keys(sections: list[RawSection]) -> None:
    seen: Counter[str] = Counter()
    for s in sections:
        seen[s.key] += 1
        if seen[s.key] > 1:
            s.key = f"{s.key}_{seen[s.key]}"


def public_section(s: RawSection) -> Section:
    blocks = []
    for b in s.blocks:
        if b.kind == "table":
            pages = b.row_pages or [b.page] * len(b.rows or [])
            blocks.append(
                Block(
                    type="table",
                    rows=b.rows or [],
                    page=b.page,
                    row_pages=pages if len(set(pages)) > 1 else None,
                    box=b.boxes,
                )
            )
        elif b.kind == "list_item":
            text = f"{b.text} {b.connector}" if b.connector else b.text
            blocks.append(
                Block(
                    type="list_item",
                    text=text,
                    label=b.label,
                    level=b.level,
                    page=b.page,
                    box=b.boxes,
                )
            )
        else:
            text = f"{b.text} {b.connector}" if b.connector and b.kind != "connector" else b.text
            blocks.append(
                Block(type="paragraph", text=text, label=b.label, page=b.page, box=b.boxes)
            )
    return Section(key=s.key, title=s.title, page=s.page, blocks=blocks)
