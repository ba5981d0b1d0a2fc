"""The reader-neutral intermediate form.

Every reader (PDF, Markdown, HTML) turns its source into a :class:`RawDocument`:
a flat, ordered list of :class:`RawBlock` with pages, plus the repeated page
headers it recognised. Everything after that (section aliases, criteria trees,
codes, dosing, history, warnings) is shared code in ``assemble.py``.

Conventions the readers follow:
- checkbox glyphs are written as ``☒`` (checked) and ``☐`` (unchecked) in text;
- ``label`` is the list marker as printed without surrounding space ("i.", "a.", "A.",
  "1.", "•"); ``level`` is the nesting depth (0 = outermost list);
- a trailing bold/standalone connector word (AND / OR) is removed from ``text`` and
  put in ``connector``; a line holding only a connector is a block of kind "connector";
- a block of kind "heading" is a section title candidate (bold or larger font line,
  Markdown heading, or a line ending in ':' that matches a known alias);
- tables carry ``rows`` (list of rows of cell strings, cells whitespace-normalised,
  page-broken tables already joined). Where the reader knows a cell is vertically
  merged (PDF) it fills it down; where it cannot tell (Markdown), the cell is ""
  and the assembler fills down where the table's meaning requires it (dosing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..model.policy import Box, SourceFormat, Warning

RawKind = Literal["heading", "paragraph", "list_item", "table", "connector"]
Connector = Literal["AND", "OR"]


@dataclass
class RawBlock:
    kind: RawKind
    text: str
    page: int
    label: str | None = None
    level: int = 0
    rows: list[list[str]] | None = None
    connector: Connector | None = None
    bold: bool = False
    # tables: the page each row came from (tables joined across a page break)
    row_pages: list[int] | None = None
    # PDF: x position of a list label, so wrapped lines can be told from new text
    indent: float | None = None
    # the printed lines joined into ``text`` (lets the assembler read line-based,
    # unruled tables such as "J3590 Unclassified biologics" or "May 2024 Annual review")
    lines: list[str] | None = None
    # a heading printed larger than the body text
    prominent: bool = False
    # PDF: where the block was printed, one box per page it spans (None for Markdown/HTML)
    boxes: list[Box] | None = None
    # PDF tables: the box of each row (parallel to ``rows``)
    row_boxes: list[Box] | None = None


@dataclass
class PageHeader:
    """The running header of one page, as text ("Policy Name: ... Policy Number: ...")."""

    page: int
    text: str


@dataclass
class RawDocument:
    format: SourceFormat
    pages: int
    title: str | None = None
    headers: list[PageHeader] = field(default_factory=list)
    blocks: list[RawBlock] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
