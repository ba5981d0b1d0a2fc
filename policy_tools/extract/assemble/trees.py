"""Outline nodes become criteria trees (``Node`` of AND / OR / N_OF, ``Leaf``).

- The operator of a list comes from its lead-in's connective words ('ONE of the
  following' OR, 'BOTH of' AND, 'two of' N_OF n=2) and from the connectors printed
  between its items ('; AND', a line '- OR -'). A strong lead-in wins over uniform
  connectors; items joined by both AND and OR group as printed outlines read (AND binds
  tighter: 'A; AND B; OR C; AND D' is (A and B) or (C and D)).
- A connector printed after an item joins it to the item printed next, at that item's
  level: '... ii. X; OR' then 'B) ...' joins A) and B).
- A lead-in that states a condition before its list ('Received at least 2 prior lines of
  therapy including BOTH of the following:') keeps it as the first criterion of an AND;
  one that only introduces its list ('Patient meets ONE of the following') stays the
  node's text. An item printed with a connector before its sub-items ('X; AND' then
  'o Y; OR o Z') is a criterion followed by the group of its sub-items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...model.policy import Box, Leaf, Node, Op
from ...settings import SETTINGS
from ...text import normalize_space
from ...vocab.criteria import (
    BRANCH_CUES,
    CONDITION_CLAUSES,
    CONDITION_LINKS,
    CONNECTIVES,
    DEFINING_LINKS,
    DURATIONS,
    INTRODUCER_WORDS,
    ROW_CRITERIA,
    number_of,
)
from ..blocks import Connector
from .items import Item
from .outline import ONode, is_lead

__all__ = [
    "Built",
    "boxes_of",
    "connective",
    "group_of",
    "is_criterion",
    "leaf_of",
    "pure_cue",
    "split_approve",
    "split_lead",
    "stated_condition",
    "tree_of",
]

Part = Node | Leaf
_APPROVE = re.compile(r"\bApprove\b")


@dataclass(frozen=True)
class Built:
    """A tree part with the connector printed after it (joining it to the next part)."""

    part: Part
    conn: Connector | None


# ------------------------------------------------------------------ words


def connective(text: str | None) -> tuple[Op, int | None, bool] | None:
    """(operator, n, strong) named by a lead-in's connective words, or None."""
    if not text:
        return None
    best: tuple[int, Op, int | None, bool] | None = None
    for c in CONNECTIVES:
        m = c.regex.search(text)
        if m is None or (best is not None and m.start() >= best[0]):
            continue
        n = number_of(m.group(1)) if c.meaning == "N_OF" and m.groups() else None
        op: Op = "N_OF" if c.meaning == "N_OF" else ("OR" if c.meaning == "OR" else "AND")
        if op == "N_OF" and (n is None or n <= 1):
            op, n = "OR", None
        best = (m.start(), op, n, c.strong)
    return (best[1], best[2], best[3]) if best else None


def _content_words(text: str) -> list[str]:
    words = re.findall(r"[\w\-/≥≤<>]+", text.lower())
    return [w for w in words if w not in INTRODUCER_WORDS]


def stated_condition(text: str) -> str | None:
    """The condition a lead-in states before its list, or None ('Patient meets ONE of
    the following' states none; 'Received at least 2 prior lines of therapy including
    BOTH of the following' states 'Received at least 2 prior lines of therapy')."""
    first: re.Match[str] | None = None
    for c in CONNECTIVES:
        m = c.regex.search(text)
        if m and (first is None or m.start() < first.start()):
            first = m
    if first is None:
        return None
    pre = text[: first.start()].rstrip(" ,;:")
    if any(p.regex.search(pre) for p in DEFINING_LINKS):
        return None
    # 'including:' is itself the link; so is a list of labels ('Relapsed B-ALL (i and ii):')
    linked = first.group(0).lower().startswith(("including", "(", "["))
    for link in CONDITION_LINKS:
        m2 = link.regex.search(pre)
        if m2:
            pre, linked = pre[: m2.start()].rstrip(" ,;"), True
            break
    if not linked or len(_content_words(pre)) < SETTINGS.assemble.condition_words:
        return None
    return pre


def condition_clause(text: str) -> tuple[str, str] | None:
    """A 'when there is no evidence of ...' clause of a lead-in and the lead-in without
    it, or None."""
    for p in CONDITION_CLAUSES:
        m = p.regex.search(text)
        if m:
            rest = normalize_space(text[: m.start()].rstrip() + text[m.end(1) :])
            return normalize_space(m.group(1)), re.sub(r"\s+([.,;:])", r"\1", rest)
    return None


def split_lead(text: str) -> tuple[str | None, str | None]:
    """(the condition a lead-in states, the text its node keeps): the sentence before
    'Approve ...', the condition before a linked list ('... therapy including:'), a
    'when ...' clause, or a whole item that heads sub-items without a connective
    ('Patient is NOT PIK3CA-mutated' [i. ...]); (None, text) when it only introduces."""
    head, after = split_approve(text)
    if after is not None and head is not None and not pure_cue(head):
        return head, after
    pre = stated_condition(text)
    if pre is not None:
        return pre, text[len(pre) :].lstrip(" ,;") or None
    clause = condition_clause(text)
    if clause is not None:
        return clause
    plain = connective(text) is None and not text.rstrip().endswith(":")
    if plain and not any(p.regex.search(text) for p in DEFINING_LINKS):
        return text, None
    return None, text


def is_duration_only(text: str) -> bool:
    """'Authorization will be issued for 12 months.' is a duration, not a criterion."""
    if connective(text) is not None:
        return False  # a lead-in of criteria that also states its duration
    for p in DURATIONS:
        m = p.regex.search(text)
        if m and len(_content_words(text)) <= len(_content_words(m.group(0))) + 2:
            return True
    return False


def split_approve(text: str) -> tuple[str | None, str | None]:
    """'Initial Therapy. Approve for 6 months if the patient meets ...' -> ('Initial
    Therapy', 'if the patient meets ...'); no 'Approve': (text, None)."""
    m = _APPROVE.search(text)
    if m is None:
        return (normalize_space(text).rstrip(":. ") or None), None
    head = normalize_space(text[: m.start()]).rstrip(":. ") or None
    tail = text[m.start() :]
    tail = re.sub(r"^Approve\s+(?:for\s+\S+\s+\S+(?:\s*\([^)]*\))?\s*)?", "", tail).strip()
    return head, (tail or None)


def pure_cue(head: str) -> bool:
    """A branch heading that names the branch and nothing more ('Initial Therapy')."""
    cue = next((c for c in BRANCH_CUES if c.regex.match(head)), None)
    if cue is None:
        return False
    m = cue.regex.match(head)
    assert m is not None
    rest = head[m.end() :].strip(" .:,")
    return len(rest.split()) <= 2 and not cue.condition


# ------------------------------------------------------------------ provenance


def boxes_of(items: list[Item]) -> list[Box] | None:
    """The boxes of printed items, one per page (merged where one page holds several)."""
    boxes = [b for it in items for b in it.boxes or []]
    if not boxes:
        return None
    merged: dict[int, Box] = {}
    for b in boxes:
        m = merged.get(b.page)
        merged[b.page] = (
            b
            if m is None
            else Box(
                page=b.page,
                x0=min(m.x0, b.x0),
                top=min(m.top, b.top),
                x1=max(m.x1, b.x1),
                bottom=max(m.bottom, b.bottom),
            )
        )
    return [merged[p] for p in sorted(merged)]


# ------------------------------------------------------------------ parts


def is_criterion(n: ONode) -> bool:
    """Does this outline node hold criteria (not a marker, duration or note)?"""
    it = n.item
    if it is None:
        return False
    if it.label or it.sub or it.split:
        return not (not n.children and is_duration_only(it.text))
    if is_lead(it):
        return bool(n.children)
    return any(p.regex.match(it.text) for p in ROW_CRITERIA)


def leaf_of(it: Item, text: str | None = None) -> Leaf:
    """The criterion an item prints (``text``: a condition its lead-in states, which
    carries no label of its own)."""
    return Leaf(
        label=it.label if it.label != "•" and text is None else None,
        text=normalize_space(text if text is not None else it.text),
        page=it.page,
        box=boxes_of([it]),
        notes=list(it.notes),
    )


def _last_conn(n: ONode) -> Connector | None:
    """The connector printed last in a node's subtree (it joins the node to the next)."""
    if n.children:
        kids = [c for c in n.children if c.item is not None]
        if kids:
            return _last_conn(kids[-1])
    return n.item.conn if n.item else None


def _parts(n: ONode, exclusions: bool) -> Iterator[Built]:
    """The tree parts of one node: a leaf, a node, or a criterion and its sub-group."""
    it = n.item
    assert it is not None
    kids = [c for c in n.children if is_criterion(c)]
    if not kids:
        yield Built(leaf_of(it), it.conn)
        return
    after = _last_conn(n)
    if it.conn is not None and not is_lead(it) and connective(it.text) is None:
        group = group_of(kids, None, exclusions, page=kids[0].item.page if kids[0].item else None)
        yield Built(leaf_of(it), it.conn)
        if group is not None:
            yield Built(group, after)
        return
    node = tree_of(n, exclusions)
    if node is not None:
        yield Built(node, after)


def tree_of(n: ONode, exclusions: bool = False) -> Part | None:
    """The criteria tree of an outline node that heads a list."""
    it = n.item
    assert it is not None
    kids = [c for c in n.children if is_criterion(c)]
    if not kids:
        return leaf_of(it)
    cond, lead_text = (None, it.text) if exclusions else split_lead(it.text)
    group = group_of(kids, lead_text, exclusions, label=it.label, page=it.page, item=it)
    if group is None:
        return leaf_of(it)
    if cond is None:
        return group
    leaf = leaf_of(it, cond)
    if isinstance(group, Node) and group.op == "AND":
        group.items = [leaf, *group.items]
        return group
    return Node(
        op="AND",
        label=it.label if it.label != "•" else None,
        text=lead_text,
        page=it.page,
        box=boxes_of([it]),
        items=[leaf, _unlabel(group)],
    )


def _unlabel(part: Part) -> Part:
    if isinstance(part, Node):
        part.label, part.text = None, None
    return part


def group_of(
    kids: list[ONode],
    lead: str | None,
    exclusions: bool,
    *,
    label: str | None = None,
    page: int | None = None,
    item: Item | None = None,
) -> Part | None:
    """The node of a list of items under a lead-in."""
    built = [b for k in kids for b in _parts(k, exclusions)]
    if not built:
        return None
    named = connective(lead)
    conns = [b.conn for b in built[:-1]]
    op, n = _operator(named, conns)
    base = dict(
        label=label if label != "•" else None,
        text=normalize_space(lead) if lead else None,
        page=page if page is not None else _page(built[0].part),
        box=boxes_of([item]) if item else None,
        notes=list(item.notes) if item else [],
    )
    if op == "MIXED":
        return Node(op="OR", items=_or_of_and_runs(built), **base)
    return Node(op=op, n=n, items=[b.part for b in built], **base)


def _page(part: Part) -> int | None:
    return part.page


def _operator(
    named: tuple[Op, int | None, bool] | None, conns: list[Connector | None]
) -> tuple[Op | str, int | None]:
    printed = {c for c in conns if c}
    if len(printed) > 1:
        return "MIXED", None
    if named is not None and (named[2] or not printed):
        return named[0], named[1]
    if printed:
        return printed.pop(), None
    return "AND", None


def _or_of_and_runs(built: list[Built]) -> list[Part]:
    """Items joined by AND and OR: OR of the runs joined by AND."""
    runs: list[list[Part]] = [[]]
    for k, b in enumerate(built):
        runs[-1].append(b.part)
        if k < len(built) - 1 and b.conn == "OR":
            runs.append([])
    out: list[Part] = []
    for run in runs:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            out.append(Node(op="AND", page=run[0].page, items=run))
    return out
