"""Criteria trees compared as logic: matched nodes and leaves by content, then moves,
OR-branches wrapped around a group (or unwrapped), operator changes, and what is left
over as added or removed.

Every change carries its location as index chains below the tree root (``Location``),
and its path ``criteria.<tree>.items[i].items[j]`` for people.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..model.changeset import ChangeKind, Location, ScalarValue, TextValue, TreeName, TreeValue
from ..model.policy import Leaf, Node
from ..settings import SETTINGS
from ..text import clean_text, compare_key, short
from .collect import Collector, text_change
from .match import deep, match_items, similarity, word_diff

__all__ = ["TreeAt", "diff_tree", "outline", "signature"]

Item = Node | Leaf
Chain = tuple[int, ...]
_M = SETTINGS.match


def _own(item: Item) -> str:
    return item.text or ""


def signature(item: Item) -> str:
    """The item's own text and every text below it, in order."""
    parts = [_own(item)] if _own(item) else []
    if isinstance(item, Node):
        parts.extend(signature(c) for c in item.items)
    return " ".join(p for p in parts if p)


def _item_score(a: Item, b: Item) -> float:
    ta, tb = _own(a), _own(b)
    if ta and tb:
        s = similarity(ta, tb)
        if isinstance(a, Node) and isinstance(b, Node) and (a.items or b.items):
            if s < _M.heading_floor:
                return 0.0  # another heading is another criterion, whatever sits below it
            s = (s + similarity(signature(a), signature(b))) / 2.0
        return s
    s = similarity(signature(a), signature(b))
    return s if not ta and not tb else s * 0.9


def _page(item: Item) -> int | None:
    if item.page is not None:
        return item.page
    if isinstance(item, Node):
        for c in item.items:
            p = _page(c)
            if p is not None:
                return p
    return None


def outline(item: Item, indent: int = 0) -> str:
    """A node or leaf as indented text lines: 'v. Individual has ...' / '(AND)'."""
    pad = "  " * indent
    head = " ".join(x for x in (item.label or "", clean_text(item.text)) if x)
    lines = []
    if isinstance(item, Node):
        lines.append(f"{pad}{head} [{item.op}]" if head else f"{pad}[{item.op}]")
        lines.extend(outline(c, indent + 1) for c in item.items)
    else:
        lines.append(f"{pad}{head}")
    return "\n".join(lines)


def _what(item: Item) -> str:
    if isinstance(item, Leaf) or not item.items:
        return "criterion"
    if item.text:
        return "criterion heading"
    return f"{item.op} group"


def _value(item: Item) -> TextValue | TreeValue:
    """A criterion as a payload: its text, or a group as its outline."""
    return TreeValue(outline=outline(item)) if isinstance(item, Node) else TextValue(text=item.text)


def _side(item: Item, new: bool) -> dict[str, Any]:
    """The payload, label and page of an item that only one side has."""
    side = "new" if new else "old"
    return {side: _value(item), f"{side}_label": item.label, f"{side}_page": _page(item)}


@dataclass
class _Lone:
    item: Item
    chain: Chain
    parent: Node


def _where(node: Node) -> str:
    if node.label or node.text:
        return " ".join(x for x in (node.label, short(node.text, 40)) if x)
    return f"{node.op} group '{short(signature(node), 40)}'"


def _added_detail(item: Item, parent: Node, kind: str) -> str:
    verb = "added" if kind == "added" else "removed"
    if parent.op == "OR":
        if parent.text and isinstance(item, Leaf):
            return f"option {verb} {'to' if kind == 'added' else 'from'} a 'one of' list"
        return f"OR-branch {verb}"
    noun = "leaf" if isinstance(item, Leaf) or not item.items else "sub-branch"
    return f"{noun} {verb} {'to' if kind == 'added' else 'from'} an AND branch"


class _TreeDiff:
    """Compare two criteria trees as logic (see module doc)."""

    def __init__(self, where: TreeAt, out: Collector) -> None:
        self.section, self.tree, self.out = where.section, where.tree, out
        self.where = where
        self.lone_old: list[_Lone] = []
        self.lone_new: list[_Lone] = []
        self.pairs: list[tuple[Item, Item, Chain, Chain]] = []

    def path(self, chain: Chain, tail: str = "") -> str:
        return self.where.path + "".join(f".items[{i}]" for i in chain) + tail

    def loc(self, old: Chain | None, new: Chain | None, field: str | None = None) -> Location:
        return Location(
            indication=self.where.indication,
            tree=self.tree,
            old_index=list(old) if old is not None else None,
            new_index=list(new) if new is not None else None,
            field=field,
        )

    def run(self, old: Node, new: Node) -> None:
        self._node(old, new, (), ())
        self._attributes()
        self._moves()
        self._leftovers()

    # structure -------------------------------------------------------------
    def _node(self, old: Node, new: Node, oc: Chain, nc: Chain) -> None:
        if old.op != new.op and self._wrap(old, new, oc, nc):
            return
        self.pairs.append((old, new, oc, nc))
        pairs, lone_o, lone_n = match_items(
            old.items,
            new.items,
            key=lambda it: (type(it).__name__, compare_key(signature(it))),
            score=_item_score,
            threshold=_M.criteria_match,
        )
        for i, j in pairs:
            o, n = old.items[i], new.items[j]
            if isinstance(o, Node) and isinstance(n, Node):
                self._node(o, n, (*oc, i), (*nc, j))
                continue
            self.pairs.append((o, n, (*oc, i), (*nc, j)))
            # a leaf that became a node (it gained sub-items) or the reverse
            if isinstance(n, Node):
                self.lone_new.extend(_Lone(c, (*nc, j, k), n) for k, c in enumerate(n.items))
            if isinstance(o, Node):
                self.lone_old.extend(_Lone(c, (*oc, i, k), o) for k, c in enumerate(o.items))
        self.lone_old.extend(_Lone(old.items[i], (*oc, i), old) for i in lone_o)
        self.lone_new.extend(_Lone(new.items[j], (*nc, j), new) for j in lone_n)

    def _wrap(self, old: Node, new: Node, oc: Chain, nc: Chain) -> bool:
        """A group that became one OR-branch among new ones (or the reverse)."""

        def best(group: Node, target: Node) -> tuple[float, int]:
            cands = [
                (_item_score(target, c), -k)
                for k, c in enumerate(group.items)
                if isinstance(c, Node) and c.op == target.op
            ]
            if not cands:
                return 0.0, -1
            s, negk = max(cands)
            return s, -negk

        s_wrap, k_wrap = best(new, old) if new.op == "OR" else (0.0, -1)
        s_unwrap, k_unwrap = best(old, new) if old.op == "OR" else (0.0, -1)
        if max(s_wrap, s_unwrap) < _M.criteria_match:
            return False
        wrapped = s_wrap >= s_unwrap
        wrapper, k_keep = (new, k_wrap) if wrapped else (old, k_unwrap)
        inner = wrapper.items[k_keep]
        assert isinstance(inner, Node)
        # the group's own heading now sits on the OR wrapper: compare it there
        inner = inner.model_copy(
            update={"text": inner.text or wrapper.text, "label": inner.label or wrapper.label}
        )
        if wrapped:
            self._node(old, inner, oc, (*nc, k_keep))
        else:
            self._node(inner, new, (*oc, k_keep), nc)
        kind: ChangeKind = "added" if wrapped else "removed"
        for k, c in enumerate(wrapper.items):
            if k == k_keep:
                continue
            chain = (*(nc if wrapped else oc), k)
            self.out.add(
                self.section,
                kind,
                self.path(chain),
                f"{kind.capitalize()} OR-branch: {short(signature(c), 80)}",
                location=self.loc(None if wrapped else chain, chain if wrapped else None),
                detail=f"OR-branch {kind}",
                **_side(c, wrapped),
            )
        return True

    # attributes of matched pairs, compared with DeepDiff ------------------------
    def _attributes(self) -> None:
        def view(item: Item, other: Item) -> dict[str, Any]:
            v: dict[str, Any] = {"text": compare_key(item.text)}
            if isinstance(item, Node) and isinstance(other, Node):
                v["op"] = item.op
            return v

        keyed_old = {f"{k:05d}": view(o, n) for k, (o, n, _, _) in enumerate(self.pairs)}
        keyed_new = {f"{k:05d}": view(n, o) for k, (o, n, _, _) in enumerate(self.pairs)}
        changed: dict[int, set[str]] = defaultdict(set)
        for key, rest, _, _ in deep(keyed_old, keyed_new).changed:
            if rest:
                changed[int(key)].add(str(rest[0]))
            else:  # the whole view differs: every attribute that differs
                changed[int(key)].update(
                    f for f, v in keyed_old[key].items() if v != keyed_new[key].get(f)
                )
        for k, (o, n, oc, nc) in enumerate(self.pairs):
            fields = changed.get(k, set())
            if "op" in fields:
                self._op_change(o, n, oc, nc)
            if "text" in fields or (o.text and n.text and (o.label or "") != (n.label or "")):
                text_change(
                    self.out,
                    self.section,
                    self.path(nc) if isinstance(n, Leaf) else self.path(nc, ".text"),
                    _what(n),
                    o.text or "",
                    n.text or "",
                    location=self.loc(oc, nc, "text"),
                    old_label=o.label,
                    new_label=n.label,
                    old_page=_page(o),
                    new_page=_page(n),
                )

    def _op_change(self, o: Item, n: Item, oc: Chain, nc: Chain) -> None:
        assert isinstance(o, Node) and isinstance(n, Node)
        one_of = n.op == "OR" and bool(n.text)
        detail = f"{o.op} changed to {n.op}" + (" (now a 'one of' list)" if one_of else "")
        self.out.add(
            self.section,
            "modified",
            self.path(nc, ".op"),
            f"{detail}: {short(signature(n), 70)}",
            location=self.loc(oc, nc, "op"),
            detail=detail,
            old=ScalarValue(value=o.op),
            new=ScalarValue(value=n.op),
            old_label=o.label,
            new_label=n.label,
            old_page=_page(o),
            new_page=_page(n),
        )

    # moves and leftovers -----------------------------------------------------------
    def _moves(self) -> None:
        def move_score(a: _Lone, b: _Lone) -> float:
            """Only single criteria move; an unmatched group is reported whole."""
            if isinstance(a.item, Node) or isinstance(b.item, Node):
                return 0.0
            return _item_score(a.item, b.item)

        pairs, lone_o, lone_n = match_items(
            self.lone_old,
            self.lone_new,
            key=lambda x: ("", id(x)),
            score=move_score,
            threshold=_M.criteria_match,
        )
        for i, j in pairs:
            o, n = self.lone_old[i], self.lone_new[j]
            detail = f"moved from {_where(o.parent)} to {_where(n.parent)}"
            changed_text = compare_key(_own(o.item)) != compare_key(_own(n.item))
            self.out.add(
                self.section,
                "moved",
                self.path(n.chain),
                f"Moved {_what(n.item)}: {short(_own(n.item) or signature(n.item), 70)}",
                location=self.loc(o.chain, n.chain),
                detail=detail + ("; text changed" if changed_text else ""),
                old=TextValue(text=o.item.text) if o.item.text is not None else None,
                new=TextValue(text=n.item.text) if n.item.text is not None else None,
                old_label=o.item.label,
                new_label=n.item.label,
                old_page=_page(o.item),
                new_page=_page(n.item),
                words=word_diff(o.item.text, n.item.text) if changed_text else None,
            )
        self.lone_old = [self.lone_old[i] for i in lone_o]
        self.lone_new = [self.lone_new[j] for j in lone_n]

    def _leftovers(self) -> None:
        lone: list[tuple[_Lone, ChangeKind]] = [(x, "removed") for x in self.lone_old]
        lone += [(x, "added") for x in self.lone_new]
        for x, kind in lone:
            item = x.item
            added = kind == "added"
            self.out.add(
                self.section,
                kind,
                self.path(x.chain),
                f"{'Added' if added else 'Removed'} {_what(item)}: "
                f"{short(_own(item) or signature(item), 80)}",
                location=self.loc(None if added else x.chain, x.chain if added else None),
                detail=_added_detail(item, x.parent, kind),
                **_side(item, added),
            )


@dataclass(frozen=True)
class TreeAt:
    """Which tree a diff is about: its tree name, indication and JSON path."""

    tree: TreeName
    indication: str | None = None
    path: str = ""

    @property
    def section(self) -> str:
        return f"criteria.{self.tree}"


def diff_tree(where: TreeAt, old: Node | None, new: Node | None, out: Collector) -> None:
    """Changes of one criteria tree (change section ``criteria.<tree>``)."""
    section = where.section
    if old is None and new is None:
        return
    if old is None or new is None:
        item = new or old
        assert item is not None
        added = old is None
        side: dict[str, Any] = (
            {"new": TreeValue(outline=outline(item)), "new_page": _page(item)}
            if added
            else {"old": TreeValue(outline=outline(item)), "old_page": _page(item)}
        )
        out.add(
            section,
            "added" if added else "removed",
            where.path,
            f"{'Added' if added else 'Removed'} {section} criteria",
            location=Location(
                indication=where.indication,
                tree=where.tree,
                old_index=None if added else [],
                new_index=[] if added else None,
            ),
            **side,
        )
        return
    _TreeDiff(where, out).run(old, new)
