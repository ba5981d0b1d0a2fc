"""Where a change was printed: the boxes to highlight on the old and the new page.

A change says where it sits on each side as data (``Change.location``: the indication,
the criteria tree and the index chain below its root, or the row of a table or list, or
``[section, block]`` of a generic section). That item of the document carries its
``box`` (PDF points, top-left origin, one per page). Nothing here re-parses
``Change.path``.

An item with no box (Markdown/HTML sources, items the reader could not place, policy
header fields) is marked by its page alone, and the page says so. The authorization
months have no item of their own: they are marked by the printed line that states them
(a block on that page naming the months), the first such line for the initial months,
the last for the reauthorization months.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..compare.indications import pair_indications
from ..model.changeset import Change, ScalarValue
from ..model.policy import Block, Box, Indication, Leaf, Node, PolicyDocument

__all__ = ["Mark", "Side", "change_marks", "item_of"]

Side = Literal["old", "new"]
SIDES: tuple[Side, ...] = ("old", "new")
TABLES = ("codes", "definitions", "references", "history")
DOSING_TABLES = ("dosing.schedule", "dosing.premedication")


@dataclass(frozen=True)
class Mark:
    """One highlight of a change on one page of one side (``box`` None: the page only)."""

    change_id: str
    side: Side
    page: int
    box: Box | None
    anchor: str  # element id, unique in a compare page


def _indication(
    doc: PolicyDocument, other: PolicyDocument, name: str | None, side: Side
) -> Indication | None:
    """The indication a change names, on ``side`` (its name is the new side's)."""
    mine = doc.criteria.indications
    if name is None:
        return mine[0] if len(mine) == 1 else None
    if side == "new":
        return next((ind for ind in mine if ind.name == name), None)
    news = other.criteria.indications
    j = next((k for k, ind in enumerate(news) if ind.name == name), None)
    if j is None:
        return next((ind for ind in mine if ind.name == name), None)
    pairs, _, _ = pair_indications(mine, news)
    return next((mine[i] for i, jj in pairs if jj == j), None)


def _walk(root: Node | None, chain: Sequence[int]) -> Node | Leaf | None:
    item: Node | Leaf | None = root
    for i in chain:
        if not isinstance(item, Node) or not 0 <= i < len(item.items):
            return None
        item = item.items[i]
    return item


def _row(items: Sequence[Any], index: Sequence[int]) -> Any:
    return items[index[0]] if index and 0 <= index[0] < len(items) else None


def item_of(change: Change, side: Side, doc: PolicyDocument, other: PolicyDocument) -> Any:
    """The item of ``doc`` (the ``side`` document; ``other`` is the opposite one) that
    ``change`` points at, or None (the side does not have it, or it is no item)."""
    loc = change.location
    index = loc.old_index if side == "old" else loc.new_index
    head, _, rest = change.section.partition(".")
    if head == "sections":
        if index is None or len(index) != 2 or not 0 <= index[0] < len(doc.sections):
            return None
        return _row(doc.sections[index[0]].blocks, index[1:])
    if change.section in TABLES:
        return None if index is None else _row(getattr(doc, change.section), index)
    if change.section in DOSING_TABLES:
        return None if index is None else _row(getattr(doc.dosing, rest), index)
    if change.section == "criteria.indications":
        return None if index is None else _row(doc.criteria.indications, index)
    if change.section == "criteria.not_covered":
        return None if index is None else _walk(doc.criteria.not_covered, index)
    if head == "criteria" and loc.tree is not None and index is not None:
        ind = _indication(doc, other, loc.indication, side)
        return _walk(getattr(ind, loc.tree, None) if ind else None, index)
    return None


def _months_line(doc: PolicyDocument, page: int | None, months: Any, last: bool) -> Block | None:
    """The printed block on ``page`` that states ``months`` months (first or last one)."""
    if page is None or not isinstance(months, int):
        return None
    says = re.compile(rf"(?<![\d.]){months}\s*-?\s*months?\b", re.IGNORECASE)
    found = [
        b for s in doc.sections for b in s.blocks if b.page == page and says.search(b.text or "")
    ]
    return (found[-1] if last else found[0]) if found else None


def _authorization_line(change: Change, side: Side, doc: PolicyDocument) -> Block | None:
    value = change.old if side == "old" else change.new
    page = change.old_page if side == "old" else change.new_page
    if not isinstance(value, ScalarValue):
        return None
    last = change.location.field == "reauthorization_months"
    return _months_line(doc, page, value.value, last)


def _boxes(item: Any) -> list[Box]:
    boxes = getattr(item, "box", None)
    return list(boxes) if boxes else []


def change_marks(change: Change, old: PolicyDocument, new: PolicyDocument) -> list[Mark]:
    """Every highlight of ``change``: the boxes of its item on each side, else its page."""
    marks: list[Mark] = []
    for side in SIDES:
        doc, other = (old, new) if side == "old" else (new, old)
        page = change.old_page if side == "old" else change.new_page
        if change.section == "criteria.authorization":
            item: Any = _authorization_line(change, side, doc)
        else:
            item = item_of(change, side, doc, other)
        boxes = _boxes(item)
        if not boxes and page is None and item is not None:
            page = getattr(item, "page", None)
        found: list[tuple[int, Box | None]] = [(b.page, b) for b in boxes]
        if not found and page is not None:
            found = [(page, None)]
        for k, (pg, box) in enumerate(found):
            anchor = f"hl-{side}-{change.id}-{k}"
            marks.append(Mark(change.id, side, pg, box, anchor))
    return marks
