"""Criteria per indication, and the policy-wide exclusions.

The criteria region (``items``) is nested by its labels (``outline``), read for
indications, branches, durations, dosing and exclusions (``interpret``) and gathered
into the indications of the policy (``indications``). Nothing is silent: a document
whose text holds approval language but gives no criteria tree is warned about
(``criteria_not_found``).
"""

from __future__ import annotations

from ...model.policy import Node
from ...vocab.criteria import APPROVAL_LANGUAGE
from ..blocks import RawBlock
from .draft import Draft
from .indications import build_indications, scopes_of
from .interpret import Ctx, Reader, mark_diagnoses
from .items import add_blocks, region_items
from .outline import build_outline
from .trees import Part, group_of, is_criterion, tree_of

__all__ = ["criteria", "criteria_not_found", "criteria_tree"]


def criteria(d: Draft) -> None:
    """Indications with their trees, months and dosing lists; the exclusions."""
    items = region_items(d)
    root = build_outline(items)
    mark_diagnoses(root)
    first_page = [b.text for b in d.raw.blocks if b.page == 1 and b.kind == "heading"]
    title = " ".join(t for t in (d.raw.title, d.policy.name, *first_page) if t)
    reader = Reader(title)
    reader.walk([c for c in root.children if c.item is not None], Ctx())
    name = d.policy.name or d.raw.title or ""
    d.criteria.indications = build_indications(reader, name)
    d.criteria.not_covered = _not_covered(reader.exclusions)
    d.limits = [(text, page) for _, text, page in reader.limits]
    d.scopes = {
        ind.name: scope
        for name, scope in scopes_of(reader).items()
        for ind in d.criteria.indications
        if ind.name == name
    }
    _mark_used(d, reader)
    criteria_not_found(d)


def criteria_tree(blocks: list[RawBlock], d: Draft, section: str = "") -> Part | None:
    """The criteria tree of one run of printed blocks (one criteria section)."""
    root = build_outline(add_blocks([], blocks, section=section))
    kids = [c for c in root.children if is_criterion(c)]
    if not kids:
        return None
    if len(kids) == 1:
        return tree_of(kids[0])
    return group_of(kids, None, False)


def _not_covered(parts: list[Part]) -> Node | None:
    if not parts:
        return None
    if len(parts) == 1 and isinstance(parts[0], Node):
        return parts[0]
    return Node(op="OR", page=parts[0].page, items=list(parts))


def _mark_used(d: Draft, reader: Reader) -> None:
    """Blocks of the region read into a tree, a duration or a dosing list."""
    for it in reader.used:
        for b in it.blocks:
            d.use(b, "criteria")


def criteria_not_found(d: Draft) -> None:
    """Warn when the text holds approval language but no criteria tree was read."""
    if d.criteria.readable:
        return
    for s in d.sections:
        for b in s.blocks:
            m = APPROVAL_LANGUAGE.search(b.text or "") if b.kind != "table" else None
            if m:
                d.warn(
                    "criteria_not_found",
                    f"the text speaks of approval ('{m.group(0)}', section '{s.title or s.key}') "
                    "but no criteria tree could be read: criteria are not structured",
                    b.page,
                )
                return
