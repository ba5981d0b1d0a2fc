"""Criteria trees (AND/OR) and authorization months from the criteria sections."""

from __future__ import annotations

import re
from collections import Counter

from ...model.policy import (
    Authorization,
    Indication,
    Leaf,
    Node,
    Op,
)
from ...vocab.sections import CRITERIA_KEYS
from ..blocks import RawBlock
from .draft import Draft

_ONE_OF = re.compile(r"\b(one|any)\s+of\b[^.]*\bfollowing\b", re.I)
_ALL_OF = re.compile(r"\ball\b[^.]*\bfollowing\b", re.I)


def _leaf(b: RawBlock) -> Leaf:
    return Leaf(label=b.label, text=b.text, page=b.page)


def _group_op(items: list[RawBlock], parent_text: str | None) -> Op:
    conns = [b.connector for b in items if b.connector]
    if conns:
        return Counter(conns).most_common(1)[0][0]
    if parent_text and _ONE_OF.search(parent_text):
        return "OR"
    return "AND"


def _tree(items: list[RawBlock]) -> list[Node | Leaf]:
    """Nest list items by level: an item followed by deeper items becomes a node."""
    out: list[Node | Leaf] = []
    i = 0
    while i < len(items):
        b = items[i]
        j = i + 1
        while j < len(items) and items[j].level > b.level:
            j += 1
        children = items[i + 1 : j]
        if children:
            base = min(c.level for c in children)
            top = [c for c in children if c.level == base]
            out.append(
                Node(
                    op=_group_op(top, b.text),
                    label=b.label,
                    text=b.text,
                    page=b.page,
                    items=_tree(_rebase(children, base)),
                )
            )
        else:
            out.append(_leaf(b))
        i = j
    return out


def _rebase(items: list[RawBlock], base: int) -> list[RawBlock]:
    return [
        RawBlock(
            kind=b.kind,
            text=b.text,
            page=b.page,
            label=b.label,
            level=b.level - base,
            connector=b.connector,
        )
        for b in items
    ]


def criteria_tree(blocks: list[RawBlock], d: Draft, section: str) -> Node | None:
    """List items (and standalone OR/AND lines) of a criteria section -> logic tree."""
    items = [b for b in blocks if b.kind in ("list_item", "connector")]
    if not any(b.kind == "list_item" for b in items):
        return None
    intro = next(
        (b.text for b in blocks if b.kind == "paragraph" and b.text.rstrip().endswith(":")),
        None,
    )
    base = min(b.level for b in items if b.kind == "list_item")
    groups: list[list[RawBlock]] = [[]]
    separators: list[str] = []
    for b in items:
        if b.kind == "connector":
            if groups[-1]:
                separators.append(b.text)
                groups.append([])
            continue
        groups[-1].append(b)
    groups = [g for g in groups if g]
    if len(groups) > 1:
        if len(set(separators)) > 1:
            d.warn(
                "mixed_connectors",
                f"{section}: branches joined by both AND and OR lines",
                groups[0][0].page,
            )
        op: Op = "OR" if separators.count("OR") >= separators.count("AND") else "AND"
        branches: list[Node | Leaf] = []
        for g in groups:
            g = _rebase(g, base)
            top = [b for b in g if b.level == 0]
            sub = _tree(g)
            if len(sub) == 1:
                branches.append(sub[0])
            else:
                branches.append(Node(op=_group_op(top, None), page=g[0].page, items=sub))
        return Node(op=op, text=intro, page=groups[0][0].page, items=branches)
    g = _rebase(groups[0], base)
    sub = _tree(g)
    if len(sub) == 1 and isinstance(sub[0], Node) and intro is None:
        return sub[0]
    top = [b for b in g if b.level == 0]
    return Node(op=_group_op(top, intro), text=intro, page=g[0].page, items=sub)


_MONTHS_RE = re.compile(r"(\d+)\s*(month|year|week|day)s?", re.I)


def _months(text: str) -> int | None:
    m = _MONTHS_RE.search(text)
    if not m:
        return None
    n, unit = int(m.group(1)), m.group(2).lower()
    return {"month": n, "year": n * 12, "week": round(n / 4.345), "day": round(n / 30.4)}[unit]


def _authorization(d: Draft) -> Authorization:
    auth = Authorization()
    for _, b in d.blocks("authorization_duration", "initial_criteria", "continuation_criteria"):
        if not b.text:
            continue
        low = b.text.lower()
        if "duration" not in low and "authorization" not in low and "approval" not in low:
            continue
        months = _months(b.text)
        if months is None:
            continue
        if re.search(r"re-?authori[sz]ation|continu|renewal", low):
            if auth.reauthorization_months is None:
                auth.reauthorization_months = months
        elif re.search(r"initial", low) and auth.initial_months is None:
            auth.initial_months = months
            auth.page = b.page
        if auth.page is None:
            auth.page = b.page
    return auth


def criteria(d: Draft) -> None:
    """One criteria set for the whole policy (its subject as the indication name)."""
    trees: dict[str, Node | None] = {}
    for key in CRITERIA_KEYS:
        blocks = [b for _, b in d.blocks(key)]
        trees[key] = criteria_tree(blocks, d, key) if blocks else None
    d.criteria.not_covered = trees["not_covered"]
    initial, continuation = trees["initial_criteria"], trees["continuation_criteria"]
    if initial is None and continuation is None:
        return
    first = next(
        (s for s in d.sections if s.key.startswith(("initial_criteria", "continuation_criteria"))),
        None,
    )
    d.criteria.indications = [
        Indication(
            name=d.policy.name or d.raw.title or "",
            page=first.page if first else None,
            initial=initial,
            continuation=continuation,
            authorization=_authorization(d),
        )
    ]
