"""Executable criteria modules generated from a policy revision, and outcome changes.

``generate_module(doc)`` renders ``templates/criteria_module.py.j2`` into a
self-contained Python module (standard library only) that enforces the policy's
criteria trees: ``initial_approval(facts)``, ``continuation(facts)`` and
``not_covered(facts)``, each returning a ``Decision``.

Criterion ids
    One id per distinct criterion text, derived from the text only (never from
    its label or position), so an unchanged criterion keeps its id across
    revisions and the same ``facts`` mapping can be fed to the old and the new
    module. The id is ``<slug>_<hash8>``: ``hash8`` is the first 8 hex digits of
    the SHA-256 of the normalised text, ``slug`` its first words for readability.
    Normalised text = :func:`policy_tools.diff.compare_key` (NFKC, typographic
    quotes/dashes folded, one space, case and end punctuation aside) with
    evidence-level citations removed (``(Label, NCCN 1)``, ``(NCCN 2A)``), because
    a new citation does not change what must be true of the patient. Two leaves
    with the same normalised text (e.g. "Requested use is as single-agent
    treatment" under two OR-branches) are one fact.

Facts
    Closed world: a fact counts as met only when ``facts[id] is True``; a missing
    id is unmet (and listed in ``Decision.missing``); ids the module does not know
    are ignored (they may belong to another revision). Node texts ("Individual
    meets one of the following:") are headings, not facts; a group without items
    is never satisfied.

Outcome changes
    ``outcome_changes(old, new)`` compares each tree (initial, continuation,
    not_covered) of two revisions over the union of their criterion ids. With at
    most ``EXHAUSTIVE_LIMIT`` (16) ids in a tree pair every assignment is
    evaluated; the cases reported are the minimal true-fact sets whose decision
    flips (a flipped set none of whose one-fact-smaller subsets flips the same
    way; the trees have no negation, so the flipped sets of one direction are
    convex and local minimality is global minimality). Above the limit the same
    minimal cases are found from the trees' minimal satisfying sets (DNF terms,
    at most ``MAX_TERMS``): a case newly approved is a minimal satisfying set of
    the new tree that the old tree rejects, and vice versa.

Text from a PDF reaches the generated code only through the ``py`` and
``py_lines`` filters, which emit ``repr()`` literals, so it is always data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ..errors import PolicyToolsError
from ..model.policy import Leaf, Node, PolicyDocument
from ..settings import SETTINGS
from ..text import compare_key

TreeName = Literal["initial", "continuation", "not_covered"]
TREES: tuple[TreeName, ...] = ("initial", "continuation", "not_covered")
FUNCTION_OF_TREE: dict[TreeName, str] = {
    "initial": "initial_approval",
    "continuation": "continuation",
    "not_covered": "not_covered",
}
_C = SETTINGS.codegen

# --------------------------------------------------------------------------------------
# Criterion ids
# --------------------------------------------------------------------------------------

_CITATION = re.compile(
    r"\s*\((?:\s*(?:label|fda|nccn|category|cat\.?|compendia|[0-9]+[a-z]?)[\s,;/]*)+\)+",
    re.IGNORECASE,
)
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def criterion_key(text: str) -> str:
    """The normalised text a criterion id is derived from (see module doc)."""
    return compare_key(_CITATION.sub("", compare_key(text)))


def criterion_id(text: str) -> str:
    """``<slug>_<hash8>`` of the normalised text: stable while the text is unchanged."""
    key = criterion_key(text)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    words = [w for w in _NON_SLUG.split(key) if w][: _C.slug_words]
    slug = "-".join(words)[: _C.slug_max].strip("-") or "criterion"
    return f"{slug}_{digest}"


# --------------------------------------------------------------------------------------
# Trees of ids (what the template renders and what outcome analysis evaluates)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactView:
    id: str
    is_fact: bool = True


@dataclass(frozen=True)
class GroupView:
    op: Literal["AND", "OR", "N_OF"]
    path: str
    items: tuple[FactView | GroupView, ...]
    is_fact: bool = False
    n: int = 0  # N_OF: how many items must hold


@dataclass(frozen=True)
class CriterionView:
    id: str
    label: str  # label path of the first occurrence, e.g. "initial.2.vii.a"
    text: str  # the leaf text exactly as extracted
    page: int
    paths: tuple[str, ...]  # every occurrence


TreeView = FactView | GroupView


def _label_part(label: str | None, index: int) -> str:
    part = re.sub(r"[^0-9A-Za-z]+", "", label or "")
    return part or str(index)


def _build(item: Node | Leaf, path: str, found: dict[str, list[tuple[str, Leaf]]]) -> TreeView:
    if isinstance(item, Leaf):
        cid = criterion_id(item.text)
        found.setdefault(cid, []).append((path, item))
        return FactView(cid)
    if not item.items and item.text:  # a group the extractor could not split: one fact
        leaf = Leaf(label=item.label, text=item.text, page=item.page or 0)
        return _build(leaf, path, found)
    children = tuple(
        _build(child, f"{path}.{_label_part(child.label, i)}", found)
        for i, child in enumerate(item.items, start=1)
    )
    return GroupView(item.op, path, children, n=item.n or 0)


def _check_collisions(found: Mapping[str, list[tuple[str, Leaf]]], where: str) -> None:
    for cid, occurrences in found.items():
        keys = {criterion_key(leaf.text) for _, leaf in occurrences}
        if len(keys) > 1:
            raise PolicyToolsError(f"{where}: criterion id {cid} names two different texts")


@dataclass(frozen=True)
class CompiledCriteria:
    trees: dict[TreeName, GroupView | None]
    criteria: dict[str, CriterionView]  # sorted by id

    def ids(self, tree: TreeName) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_fact_ids(self.trees[tree])))


def _fact_ids(view: TreeView | None) -> Iterator[str]:
    if view is None:
        return
    if isinstance(view, FactView):
        yield view.id
        return
    for child in view.items:
        yield from _fact_ids(child)


def tree_of(doc: PolicyDocument, name: TreeName) -> Node | None:
    """One tree of the policy: the exclusions, or the initial / continuation criteria of
    its indication (several indications: approval under any one of them)."""
    if name == "not_covered":
        return doc.criteria.not_covered
    found = [(ind, getattr(ind, name)) for ind in doc.criteria.indications]
    found = [(ind, tree) for ind, tree in found if tree is not None]
    if not found:
        return None
    if len(found) == 1:
        tree: Node = found[0][1]
        return tree
    items: list[Node | Leaf] = [
        Node(op="AND", text=ind.name, page=ind.page, items=[tree]) for ind, tree in found
    ]
    return Node(op="OR", text="one of the indications", items=items)


def compile_criteria(doc: PolicyDocument) -> CompiledCriteria:
    """The criteria trees of ``doc`` with leaves replaced by criterion ids."""
    found: dict[str, list[tuple[str, Leaf]]] = {}
    trees: dict[TreeName, GroupView | None] = {}
    for name in TREES:
        node = tree_of(doc, name)
        if node is None:
            trees[name] = None
            continue
        built = _build(node, name, found)
        trees[name] = built if isinstance(built, GroupView) else GroupView("AND", name, (built,))
    _check_collisions(found, doc.source.path)
    criteria = {
        cid: CriterionView(
            id=cid,
            label=occ[0][0],
            text=occ[0][1].text,
            page=occ[0][1].page,
            paths=tuple(p for p, _ in occ),
        )
        for cid, occ in sorted(found.items())
    }
    return CompiledCriteria(trees, criteria)


def evaluate(view: TreeView | None, true_ids: frozenset[str] | set[str]) -> bool:
    """Closed-world AND/OR evaluation; an empty group is never satisfied."""
    if view is None:
        return False
    if isinstance(view, FactView):
        return view.id in true_ids
    if not view.items:
        return False
    results = [evaluate(child, true_ids) for child in view.items]
    if view.op == "N_OF":
        return sum(results) >= view.n
    return all(results) if view.op == "AND" else any(results)
